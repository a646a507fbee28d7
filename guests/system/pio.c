/*
 * pio: port I/O of every size and string I/O.
 *
 * Self-checked part, on the 16550's scratch register (SCR, 0x3ff, a plain byte of storage):
 * out/in round trips, `rep insb` (every byte reads back the stored value) and `rep outsb` (the last byte
 * written stays). Reported part, on the test port 0xe0-0xe3 (no device on QEMU's PC machine): 8/16/32-bit
 * `out` and `in` with the immediate and the DX forms, `rep outsw/outsl`, `rep insw/insl`; the values read
 * are printed for the VMM's tests to compare (QEMU reads all ones). A `rep outsb` to the UART's THR
 * prints the line "pio: rep outsb to THR ok".
 */
#include "jkvm.h"

#define SCR (UART_BASE + 7)
#define LSR (UART_BASE + 5)
#define TEST_PORT 0xe0

static int failures;

static void check(bool ok, const char *what, uint64_t got, uint64_t want)
{
    printf("pio: %-28s got 0x%llx want 0x%llx %s\n", what, (unsigned long long)got,
           (unsigned long long)want, ok ? "ok" : "MISMATCH");
    if (!ok) {
        failures++;
    }
}

static void rep_outsb(uint16_t port, const void *buf, size_t n)
{
    __asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

static void rep_insb(uint16_t port, void *buf, size_t n)
{
    __asm__ volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static void rep_outsw(uint16_t port, const void *buf, size_t n)
{
    __asm__ volatile("rep outsw" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

static void rep_insw(uint16_t port, void *buf, size_t n)
{
    __asm__ volatile("rep insw" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static void rep_outsl(uint16_t port, const void *buf, size_t n)
{
    __asm__ volatile("rep outsl" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

static void rep_insl(uint16_t port, void *buf, size_t n)
{
    __asm__ volatile("rep insl" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

int main(int argc, char **argv)
{
    /* byte round trips through the scratch register (DX form: the port is above 0xff) */
    outb(SCR, 0xa5);
    check(inb(SCR) == 0xa5, "out/in SCR 0xa5", inb(SCR), 0xa5);
    outb(SCR, 0x5a);
    check(inb(SCR) == 0x5a, "out/in SCR 0x5a", inb(SCR), 0x5a);

    /* rep insb: eight reads of the same register */
    uint8_t in[8];
    memset(in, 0, sizeof in);
    outb(SCR, 0x3c);
    rep_insb(SCR, in, sizeof in);
    uint64_t all = 0;
    for (size_t i = 0; i < sizeof in; i++) {
        all = (all << 8) | in[i];
    }
    check(all == 0x3c3c3c3c3c3c3c3cull, "rep insb SCR x8", all, 0x3c3c3c3c3c3c3c3cull);

    /* rep outsb: the register keeps the last byte */
    static const uint8_t seq[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
    rep_outsb(SCR, seq, sizeof seq);
    check(inb(SCR) == 0x88, "rep outsb SCR x8 (last byte)", inb(SCR), 0x88);

    /* rep with RCX = 0 does nothing */
    outb(SCR, 0x99);
    rep_outsb(SCR, seq, 0);
    check(inb(SCR) == 0x99, "rep outsb count 0", inb(SCR), 0x99);

    /* rep outsb to the transmitter: the line shows on the console */
    static const char line[] = "pio: rep outsb to THR ok\n";
    while ((inb(LSR) & 0x20) == 0) {
    }
    rep_outsb(UART_BASE, line, sizeof line - 1);

    /* the test port: all sizes, immediate form (port < 0x100) and DX form */
    outb(TEST_PORT, 0x12);
    outw(TEST_PORT, 0x3456);
    outl(TEST_PORT, 0x789abcde);
    uint8_t b = inb(TEST_PORT);
    uint16_t w = inw(TEST_PORT);
    uint32_t l = inl(TEST_PORT);
    uint32_t l_dx;
    __asm__ volatile("inl %%dx, %0" : "=a"(l_dx) : "d"((uint16_t)TEST_PORT));
    printf("pio: port 0x%x: inb=0x%02x inw=0x%04x inl=0x%08x inl(dx)=0x%08x\n", TEST_PORT, b, w, l, l_dx);

    static const uint16_t words[4] = { 0x0102, 0x0304, 0x0506, 0x0708 };
    static const uint32_t longs[2] = { 0x0a0b0c0d, 0x0e0f1011 };
    rep_outsw(TEST_PORT, words, 4);
    rep_outsl(TEST_PORT, longs, 2);
    uint16_t win[2] = { 0, 0 };
    uint32_t lin[2] = { 0, 0 };
    rep_insw(TEST_PORT, win, 2);
    rep_insl(TEST_PORT, lin, 2);
    printf("pio: port 0x%x: rep insw=0x%04x,0x%04x rep insl=0x%08x,0x%08x\n", TEST_PORT, win[0], win[1],
           lin[0], lin[1]);

    if (failures != 0) {
        printf("FAIL %s %d scratch-register check(s) failed\n", jkvm_guest_name, failures);
        return 1;
    }
    printf("PASS %s\n", jkvm_guest_name);
    return 0;
}
