/*
 * hypercall: one VMCALL through the CPL-0 service (VMCALL is privileged; boot.S runs it at CPL 0 with
 * KVM's convention: RAX = nr, RBX/RCX/RDX/RSI = arguments, result in RAX).
 *
 * Arguments: nr=<n> (default 0x4a4b, a number KVM itself does not define, so a VMM sees it as a request
 * for userspace), expect=<hex> checks the value returned in RAX.
 * PASS when the VMCALL returned with the argument registers unchanged (and RAX as expected, if asked);
 * FAIL if an argument register changed or RAX differs from expect=; SKIP (exit 0) when VMCALL raised #UD,
 * which is what a CPU without a hypervisor interface does (bare metal, QEMU TCG).
 */
#include "jkvm.h"

#define DEFAULT_NR 0x4a4b
#define UD_FAULT (SVC_FAULTED | 6)

int main(int argc, char **argv)
{
    uint64_t nr = DEFAULT_NR;
    const char *nr_text = arg_value(argc, argv, "nr");
    if (nr_text != NULL && !parse_u64(nr_text, 10, &nr)) {
        printf("FAIL %s bad nr= value '%s'\n", jkvm_guest_name, nr_text);
        return 2;
    }
    uint32_t r[4];
    cpuid(1, 0, r);
    if ((r[2] >> 31) & 1) {
        cpuid(0x40000000, 0, r);
        char sig[13];
        memcpy(sig, &r[1], 4);
        memcpy(sig + 4, &r[2], 4);
        memcpy(sig + 8, &r[3], 4);
        sig[12] = '\0';
        printf("hypercall: hypervisor signature \"%s\"\n", sig);
    }

    uint64_t a0 = 0x1111, a1 = 0x2222, a2 = 0x3333, a3 = 0x4444, status;
    printf("hypercall: vmcall nr=0x%llx args 0x%llx 0x%llx 0x%llx 0x%llx\n", (unsigned long long)nr,
           (unsigned long long)a0, (unsigned long long)a1, (unsigned long long)a2, (unsigned long long)a3);
    uint64_t ret = svc_vmcall(nr, a0, a1, a2, a3, &status);

    if (status == UD_FAULT) {
        printf("hypercall: VMCALL raised #UD\n");
        printf("SKIP %s no hypercall interface (VMCALL raised #UD)\n", jkvm_guest_name);
        return 0;
    }
    if (status & SVC_FAULTED) {
        printf("FAIL %s VMCALL raised exception %llu\n", jkvm_guest_name,
               (unsigned long long)(status & 0xff));
        return 1;
    }
    printf("hypercall: returned rax=0x%llx (%lld)\n", (unsigned long long)ret, (long long)ret);
    if (status == SVC_CLOBBERED) {
        printf("FAIL %s VMCALL changed an argument register\n", jkvm_guest_name);
        return 1;
    }
    const char *expect = arg_value(argc, argv, "expect");
    if (expect != NULL) {
        uint64_t want;
        if (!parse_u64(expect, 16, &want) || want != ret) {
            printf("FAIL %s got %llx expected %s\n", jkvm_guest_name, (unsigned long long)ret, expect);
            return 1;
        }
    }
    printf("PASS %s %llx\n", jkvm_guest_name, (unsigned long long)ret);
    return 0;
}
