/*
 * cpuid: CPUID at CPL 3 and RDMSR/WRMSR through the CPL-0 service (int $0x80, see boot.S).
 *
 * Checks: the CPU reports long mode, SSE and SSE2 (the guest is running 64-bit SSE code, so a VMM that
 * hides them is lying); EFER has LME and LMA set; IA32_KERNEL_GS_BASE keeps a written value; the TSC MSR
 * does not go backwards; an unimplemented MSR (0x12345678) raises #GP on read and on write (not enforced
 * under QEMU TCG, which reads such MSRs as 0: the signature "TCGTCGTCGTCG" marks it). Printed:
 * vendor, signature, brand string, hypervisor signature, PAT, APIC base.
 */
#include "jkvm.h"

#define MSR_TSC 0x10
#define MSR_APIC_BASE 0x1b
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_BOGUS 0x12345678
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define GP_FAULT (SVC_FAULTED | 13)

static int failures;
static bool qemu_tcg;

static void check(bool ok, const char *what)
{
    printf("cpuid: check %-40s %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) {
        failures++;
    }
}

/* A check of architectural behaviour that QEMU's TCG does not follow (it reads unknown MSRs as 0 and
 * ignores writes to them): enforced everywhere except under TCG, where the deviation is reported. */
static void check_unless_tcg(bool ok, const char *what)
{
    if (!ok && qemu_tcg) {
        printf("cpuid: check %-40s deviation (known QEMU TCG behaviour)\n", what);
        return;
    }
    check(ok, what);
}

static void print_regs_as_text(const char *label, const uint32_t *regs, int n)
{
    char text[49];
    memcpy(text, regs, (size_t)n * 4);
    text[n * 4] = '\0';
    printf("cpuid: %s \"%s\"\n", label, text);
}

int main(int argc, char **argv)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    uint32_t vendor[3] = { r[1], r[3], r[2] };
    printf("cpuid: max leaf 0x%x\n", max_leaf);
    print_regs_as_text("vendor", vendor, 3);

    cpuid(1, 0, r);
    uint32_t family = ((r[0] >> 8) & 0xf) + ((r[0] >> 20) & 0xff);
    uint32_t model = ((r[0] >> 4) & 0xf) | ((r[0] >> 12) & 0xf0);
    printf("cpuid: leaf 1 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x (family 0x%x model 0x%x)\n", r[0], r[1],
           r[2], r[3], family, model);
    check((r[3] >> 25) & 1, "leaf 1 EDX.SSE");
    check((r[3] >> 26) & 1, "leaf 1 EDX.SSE2");
    bool hypervisor = (r[2] >> 31) & 1;

    cpuid(0x80000000, 0, r);
    uint32_t max_ext = r[0];
    printf("cpuid: max extended leaf 0x%x\n", max_ext);
    check(max_ext >= 0x80000001, "max extended leaf >= 0x80000001");
    if (max_ext >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        check((r[3] >> 29) & 1, "leaf 0x80000001 EDX.LM");
    }
    if (max_ext >= 0x80000004) {
        uint32_t brand[12];
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, &brand[i * 4]);
        }
        print_regs_as_text("brand", brand, 12);
    }
    if (hypervisor) {
        cpuid(0x40000000, 0, r);
        uint32_t sig[3] = { r[1], r[2], r[3] };
        printf("cpuid: hypervisor leaves up to 0x%x\n", r[0]);
        print_regs_as_text("hypervisor signature", sig, 3);
        qemu_tcg = memcmp(sig, "TCGTCGTCGTCG", 12) == 0;
    } else {
        printf("cpuid: no hypervisor bit\n");
    }

    uint64_t st;
    uint64_t efer = svc_rdmsr(MSR_EFER, &st);
    printf("cpuid: rdmsr EFER = 0x%llx (status 0x%llx)\n", (unsigned long long)efer, (unsigned long long)st);
    check(st == 0 && (efer & EFER_LME) && (efer & EFER_LMA), "EFER.LME and EFER.LMA set");

    uint64_t pat = svc_rdmsr(MSR_PAT, &st);
    printf("cpuid: rdmsr PAT = 0x%016llx (status 0x%llx)\n", (unsigned long long)pat, (unsigned long long)st);
    uint64_t apic = svc_rdmsr(MSR_APIC_BASE, &st);
    printf("cpuid: rdmsr APIC_BASE = 0x%llx (status 0x%llx)\n", (unsigned long long)apic,
           (unsigned long long)st);

    uint64_t old = svc_rdmsr(MSR_KERNEL_GS_BASE, &st);
    uint64_t pattern = 0x00007f1234567890ull;
    uint64_t wst = svc_wrmsr(MSR_KERNEL_GS_BASE, pattern);
    uint64_t back = svc_rdmsr(MSR_KERNEL_GS_BASE, &st);
    printf("cpuid: wrmsr KERNEL_GS_BASE 0x%llx (status 0x%llx), read back 0x%llx\n",
           (unsigned long long)pattern, (unsigned long long)wst, (unsigned long long)back);
    check(wst == 0 && st == 0 && back == pattern, "KERNEL_GS_BASE write/read round trip");
    svc_wrmsr(MSR_KERNEL_GS_BASE, old);

    uint64_t t0 = svc_rdmsr(MSR_TSC, &st);
    uint64_t t1 = svc_rdmsr(MSR_TSC, &st);
    printf("cpuid: rdmsr TSC twice: %llu, %llu\n", (unsigned long long)t0, (unsigned long long)t1);
    check(st == 0 && t1 >= t0, "TSC MSR does not go backwards");

    svc_rdmsr(MSR_BOGUS, &st);
    printf("cpuid: rdmsr 0x%x -> status 0x%llx\n", MSR_BOGUS, (unsigned long long)st);
    check_unless_tcg(st == GP_FAULT, "rdmsr of an unimplemented MSR raises #GP");
    st = svc_wrmsr(MSR_BOGUS, 1);
    printf("cpuid: wrmsr 0x%x -> status 0x%llx\n", MSR_BOGUS, (unsigned long long)st);
    check_unless_tcg(st == GP_FAULT, "wrmsr of an unimplemented MSR raises #GP");

    if (failures != 0) {
        printf("FAIL %s %d check(s) failed\n", jkvm_guest_name, failures);
        return 1;
    }
    printf("PASS %s\n", jkvm_guest_name);
    return 0;
}
