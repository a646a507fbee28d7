package io.jkvm.runtime.api;

/**
 * The little guests of the API acceptance tests, as machine code with their GNU {@code as} source (Intel syntax)
 * beside it. The bytes are what the tests load; {@link GuestProgramsTest} re-assembles every source with
 * {@code as} and checks it gives exactly these bytes (and skips when binutils is missing), so the listings cannot
 * drift from the code. Addresses in comments are guest-physical, with code loaded at {@link #CODE}.
 */
final class GuestPrograms {
    /** Where every program is loaded and starts. */
    static final long CODE = 0x1000;

    private GuestPrograms() {
    }

    /** A guest program: its bytes, the source they come from, and the mode it runs in. */
    record Program(String name, int bits, String source, byte[] code) {
        long end() {
            return CODE + code.length;
        }
    }

    static byte[] hex(String hex) {
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        return b;
    }

    /** (a) Real mode: writes "hello" to the serial port, one {@code out dx, al} per byte, then halts. */
    static final Program HELLO = new Program("hello", 16, """
            start:
                mov dx, 0x3f8                   # 1000: ba f8 03
                mov si, 0x1000 + msg - start    # 1003: be 0f 10
            1:  lodsb                           # 1006: ac          al = [ds:si++]
                test al, al                     # 1007: 84 c0
                jz 2f                           # 1009: 74 03
                out dx, al                      # 100b: ee
                jmp 1b                          # 100c: eb f8
            2:  hlt                             # 100e: f4
            msg: .asciz "hello"                 # 100f: 68 65 6c 6c 6f 00
            """, hex("baf803be0f10ac84c07403eeebf8f468656c6c6f00"));

    /** Offset of {@code msg} in {@link #HELLO}; the HLT is the byte before it. */
    static final long HELLO_MSG = CODE + 0xf;

    /**
     * (b) 64-bit: sums 1..1000 into RAX, multiplies, shifts and xors, stores RBX at 0x5000 and halts. Plain integer
     * instructions only (CPL 0 code is emulated on PVM hosts).
     */
    static final Program LONG_MODE = new Program("long_mode", 64, """
                xor eax, eax                    # 1000: 31 c0
                mov ecx, 1000                   # 1002: b9 e8 03 00 00
            1:  add rax, rcx                    # 1007: 48 01 c8
                dec ecx                         # 100a: ff c9
                jnz 1b                          # 100c: 75 f9
                movabs rbx, 0x0123456789abcdef  # 100e: 48 bb ef cd ab 89 67 45 23 01
                imul rbx, rax                   # 1018: 48 0f af d8
                mov rdx, rbx                    # 101c: 48 89 da
                shr rdx, 7                      # 101f: 48 c1 ea 07
                xor rdx, rax                    # 1023: 48 31 c2
                mov qword ptr [0x5000], rbx     # 1026: 48 89 1c 25 00 50 00 00
                hlt                             # 102e: f4
            """, hex("31c0b9e80300004801c8ffc975f948bbefcdab8967452301480fafd84889da48c1ea074831c248891c2500500000f4"));

    /** (c) Real mode: a 4-byte load from 0x9000 (no slot there: MMIO), stored to RAM at 0x500, then halt. */
    static final Program MMIO_READ = new Program("mmio_read", 16, """
                mov eax, dword ptr [0x9000]     # 1000: 66 a1 00 90
                mov dword ptr [0x0500], eax     # 1004: 66 a3 00 05
                hlt                             # 1008: f4
            """, hex("66a1009066a30005f4"));

    /** (c) Real mode: reads a read-only slot at 0xa000 (plain RAM for loads), then stores into it (an MMIO exit). */
    static final Program READONLY_WRITE = new Program("readonly_write", 16, """
                mov ebx, dword ptr [0xa000]             # 1000: 66 8b 1e 00 a0
                mov dword ptr [0xa010], 0x11223344      # 1005: 66 c7 06 10 a0 44 33 22 11
                hlt                                     # 100e: f4
            """, hex("668b1e00a066c70610a044332211f4"));

    /** (d) Real mode: ES = 0x1000 (base 0x10000); writes one byte to page 3 and one to page 7 of that region. */
    static final Program DIRTY = new Program("dirty", 16, """
                mov ax, 0x1000                  # 1000: b8 00 10
                mov es, ax                      # 1003: 8e c0
                mov byte ptr es:[0x3000], 1     # 1005: 26 c6 06 00 30 01    0x13000: page 3
                mov byte ptr es:[0x7123], 7     # 100b: 26 c6 06 23 71 07    0x17123: page 7
                hlt                             # 1011: f4
            """, hex("b800108ec026c60600300126c606237107f4"));

    /** (e) Real mode: CPUID leaf 0x40000000, the four registers stored at 0x600..0x60f, then halt. */
    static final Program CPUID = new Program("cpuid", 16, """
                mov eax, 0x40000000             # 1000: 66 b8 00 00 00 40
                xor ecx, ecx                    # 1006: 66 31 c9
                cpuid                           # 1009: 0f a2
                mov dword ptr [0x0600], eax     # 100b: 66 a3 00 06
                mov dword ptr [0x0604], ebx     # 100f: 66 89 1e 04 06
                mov dword ptr [0x0608], ecx     # 1014: 66 89 0e 08 06
                mov dword ptr [0x060c], edx     # 1019: 66 89 16 0c 06
                hlt                             # 101e: f4
            """, hex("66b8000000406631c90fa266a3000666891e040666890e08066689160c06f4"));

    /** (f) Real mode: {@code jmp $}, forever. */
    static final Program SPIN = new Program("spin", 16, """
            1:  jmp 1b                          # 1000: eb fe
            """, hex("ebfe"));

    static final Program[] ALL = {HELLO, LONG_MODE, MMIO_READ, READONLY_WRITE, DIRTY, CPUID, SPIN};
}
