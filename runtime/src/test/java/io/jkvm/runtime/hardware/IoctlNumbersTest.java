package io.jkvm.runtime.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jkvm.abi.Ioctl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The request numbers the backend passes to {@code ioctl(2)}: known values from linux/kvm.h, and the header itself
 * through gcc when it is installed (the abi module checks every {@link Ioctl} that way; this covers the one the
 * backend computes itself, {@code KVM_SET_SIGNAL_MASK}, and the ones it relies on most).
 */
class IoctlNumbersTest {

    @Test
    void knownValues() {
        // _IO(0xAE, 0x80), _IO(0xAE, 0x00), _IO(0xAE, 0x41)
        assertEquals(0xAE80L, Ioctl.KVM_RUN.number());
        assertEquals(0xAE00L, Ioctl.KVM_GET_API_VERSION.number());
        assertEquals(0xAE41L, Ioctl.KVM_CREATE_VCPU.number());
        // _IOW(0xAE, 0x46, struct kvm_userspace_memory_region /* 32 bytes */)
        assertEquals(0x4020AE46L, Ioctl.KVM_SET_USER_MEMORY_REGION.number());
        // _IOR(0xAE, 0x81, struct kvm_regs /* 144 bytes */)
        assertEquals(0x8090AE81L, Ioctl.KVM_GET_REGS.number());
        // _IOW(0xAE, 0x8b, struct kvm_signal_mask /* 4 bytes */)
        assertEquals(0x4004AE8BL, KvmIoctls.KVM_SET_SIGNAL_MASK);
    }

    @Test
    void matchTheInstalledHeader(@TempDir Path dir) throws IOException, InterruptedException {
        assumeTrue(Files.isReadable(Path.of("/usr/include/linux/kvm.h")), "no /usr/include/linux/kvm.h here");
        Map<String, Long> ours = new LinkedHashMap<>();
        ours.put("KVM_SET_SIGNAL_MASK", KvmIoctls.KVM_SET_SIGNAL_MASK);
        for (Ioctl i : new Ioctl[] {Ioctl.KVM_RUN, Ioctl.KVM_CREATE_VM, Ioctl.KVM_CREATE_VCPU,
                Ioctl.KVM_GET_VCPU_MMAP_SIZE, Ioctl.KVM_SET_USER_MEMORY_REGION, Ioctl.KVM_GET_REGS,
                Ioctl.KVM_SET_SREGS, Ioctl.KVM_GET_DIRTY_LOG, Ioctl.KVM_SET_CPUID2, Ioctl.KVM_GET_MSR_INDEX_LIST,
                Ioctl.KVM_SET_IDENTITY_MAP_ADDR}) {
            ours.put(i.name(), i.number());
        }
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <linux/kvm.h>\nint main(void) {\n");
        for (String name : ours.keySet()) {
            c.append("  printf(\"%lu\\n\", (unsigned long) ").append(name).append(");\n");
        }
        c.append("  return 0;\n}\n");
        Path src = dir.resolve("numbers.c");
        Path exe = dir.resolve("numbers");
        Files.writeString(src, c);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-o", exe.toString(), src.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "gcc is not installed: " + e.getMessage());
            return;
        }
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0, "gcc failed: " + gccOut);
        Process run = new ProcessBuilder(exe.toString()).start();
        String[] lines = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(0, run.waitFor());
        int i = 0;
        for (Map.Entry<String, Long> e : ours.entrySet()) {
            assertEquals(Long.parseUnsignedLong(lines[i++]), e.getValue(), e.getKey());
        }
    }
}
