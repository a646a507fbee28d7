package io.jkvm.abi;

import static io.jkvm.abi.CTypes.gap;
import static io.jkvm.abi.CTypes.struct;
import static io.jkvm.abi.CTypes.u32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks every struct layout, ioctl number and constant of {@code io.jkvm.abi} against the system's
 * {@code <linux/kvm.h>}, with gcc as the oracle. Skipped where gcc or the header is missing.
 */
class KvmHeaderConformanceTest {
    /**
     * {@code KVM_EXIT_*} macros that are not exit reasons but sub-codes of exits jkvm does not model (Hyper-V and
     * Xen exits); every other {@code KVM_EXIT_*} macro must be in the registry.
     */
    private static final Set<String> EXIT_SUBCODES_NOT_MODELLED = Set.of(
            "KVM_EXIT_HYPERV_SYNIC", "KVM_EXIT_HYPERV_HCALL", "KVM_EXIT_HYPERV_SYNDBG", "KVM_EXIT_XEN_HCALL");

    @TempDir
    Path tmp;

    private CHeaderOracle oracle;

    @BeforeEach
    void requireGccAndHeader() throws Exception {
        oracle = new CHeaderOracle(tmp);
        Optional<String> reason = oracle.unavailableReason();
        assumeTrue(reason.isEmpty(), () -> "skipping the kvm.h comparison: " + reason.orElse(""));
    }

    @Test
    void everyStructLayoutMatchesTheHeader() throws Exception {
        List<CHeaderOracle.Check> checks = new ArrayList<>();
        for (StructLayout layout : structLayouts().values()) {
            checks.addAll(CHeaderOracle.layoutChecks(layout));
        }
        List<CHeaderOracle.Mismatch> mismatches = oracle.compare(checks);
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " of " + checks.size()
                + " layout checks disagree with <linux/kvm.h>:\n" + String.join("\n", lines(mismatches)));
        // Guard against a walk that silently checks nothing (e.g. a union member it failed to enter).
        List<String> expressions = checks.stream().map(CHeaderOracle.Check::expression).toList();
        assertTrue(expressions.containsAll(List.of("offsetof(struct kvm_run, io.port)",
                "offsetof(struct kvm_run, debug.arch.dr7)", "offsetof(struct kvm_run, system_event.data)",
                "offsetof(struct kvm_dirty_log, dirty_bitmap)", "offsetof(struct kvm_msr_filter, ranges[0].bitmap)",
                "sizeof(((struct kvm_fpu *)0)->fpr[0][0])")), "the layout walk missed members");
    }

    @Test
    void everyConstantAndIoctlNumberMatchesTheHeader() throws Exception {
        List<CHeaderOracle.Check> checks = CHeaderOracle.constantChecks(AbiConstants.linuxUapi());
        List<CHeaderOracle.Mismatch> mismatches = oracle.compare(checks);
        assertTrue(mismatches.isEmpty(), () -> mismatches.size() + " of " + checks.size()
                + " constants disagree with <linux/kvm.h>:\n" + String.join("\n", lines(mismatches)));
        assertTrue(checks.size() > 300, "expected every KVM_CAP_*, KVM_EXIT_* and ioctl, got " + checks.size());
    }

    @Test
    void everyCapabilityAndExitReasonOfTheHeaderIsNamed() throws Exception {
        Set<String> missing = new TreeSet<>();
        for (String name : oracle.macrosStartingWith("KVM_CAP_")) {
            if (!AbiConstants.linuxUapi().containsKey(name)) {
                missing.add(name);
            }
        }
        for (String name : oracle.macrosStartingWith("KVM_EXIT_")) {
            if (!AbiConstants.linuxUapi().containsKey(name) && !EXIT_SUBCODES_NOT_MODELLED.contains(name)) {
                missing.add(name);
            }
        }
        assertTrue(missing.isEmpty(), () -> "<linux/kvm.h> defines macros jkvm does not name; add them to "
                + "Capability or ExitReason (or to EXIT_SUBCODES_NOT_MODELLED if not an exit reason): " + missing);
    }

    @Test
    void jkvmExtensionsAreOutsideTheHeader() throws Exception {
        Set<String> jkvm = AbiConstants.jkvmExtensions();
        assertEquals(Set.of("JKVM_EXIT_CPUID", "JKVM_EXIT_BUDGET", "JKVM_CPUID_EXIT", "JKVM_INSTRUCTION_COUNT"), jkvm);
        Set<Long> kvmNumbers = new TreeSet<>();
        for (String name : oracle.macrosStartingWith("KVM_CAP_")) {
            kvmNumbers.add(AbiConstants.all().get(name));
        }
        for (String name : jkvm) {
            assertFalse(oracle.macrosStartingWith("JKVM").contains(name), name + " is now defined by the header");
            assertFalse(kvmNumbers.contains(AbiConstants.all().get(name)), name + " collides with a KVM number");
        }
    }

    /** The comparison must be able to fail: a struct with a misplaced member and a wrong macro value. */
    @Test
    void aWrongOffsetSizeOrValueIsReported() throws Exception {
        StructLayout wrong = struct("kvm_interrupt", gap(4), u32("irq")); // irq really is at offset 0, size 4
        List<CHeaderOracle.Check> checks = new ArrayList<>(CHeaderOracle.layoutChecks(wrong));
        checks.addAll(CHeaderOracle.constantChecks(Map.of("KVM_API_VERSION", 11L, "KVM_RUN", Ioctl.KVM_RUN.number())));

        List<String> reported = oracle.compare(checks).stream().map(CHeaderOracle.Mismatch::expression).toList();

        assertEquals(List.of("sizeof(struct kvm_interrupt)", "offsetof(struct kvm_interrupt, irq)", "KVM_API_VERSION"),
                reported);
    }

    @Test
    void everyStructClassIsUnderTest() throws Exception {
        // Scanning the compiled classes means a new struct class cannot be forgotten by the checks above.
        Set<String> expected = Set.of("kvm_run", "kvm_regs", "kvm_sregs", "kvm_segment", "kvm_dtable", "kvm_fpu",
                "kvm_msrs", "kvm_msr_entry", "kvm_msr_list", "kvm_cpuid2", "kvm_cpuid_entry2",
                "kvm_userspace_memory_region", "kvm_dirty_log", "kvm_clear_dirty_log", "kvm_translation",
                "kvm_interrupt", "kvm_guest_debug", "kvm_guest_debug_arch", "kvm_debug_exit_arch", "kvm_enable_cap",
                "kvm_xen_hvm_config", "kvm_msr_filter", "kvm_msr_filter_range", "kvm_mp_state", "kvm_irq_level");
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(structLayouts().keySet());
        assertTrue(missing.isEmpty(), () -> "no class with a LAYOUT for: " + missing);
    }

    /** Every {@code public static final StructLayout LAYOUT} of the package's compiled classes, by C tag. */
    static Map<String, StructLayout> structLayouts()
            throws IOException, URISyntaxException, ReflectiveOperationException {
        Path classes = Path.of(KvmRegs.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path pkg = classes.resolve("io/jkvm/abi");
        Map<String, StructLayout> layouts = new TreeMap<>();
        try (Stream<Path> files = Files.list(pkg)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                String simple = f.getFileName().toString().replace(".class", "");
                if (simple.contains("$")) {
                    continue;
                }
                Class<?> type = Class.forName("io.jkvm.abi." + simple);
                Field field;
                try {
                    field = type.getField("LAYOUT");
                } catch (NoSuchFieldException e) {
                    continue;
                }
                if (Modifier.isStatic(field.getModifiers()) && field.get(null) instanceof StructLayout layout) {
                    layouts.put(layout.name().orElseThrow(), layout);
                }
            }
        }
        return layouts;
    }

    private static List<String> lines(List<CHeaderOracle.Mismatch> mismatches) {
        return mismatches.stream().map(Object::toString).toList();
    }
}
