package io.jkvm.runtime.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.jkvm.abi.Errno;
import io.jkvm.abi.KvmException;
import io.jkvm.runtime.Backend;
import io.jkvm.runtime.Kvm;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** How the backend reports that it cannot run, checked on hosts without a usable {@code /dev/kvm}. */
class HardwareBackendTest {

    @Test
    void backendEnumFindsThisImplementation() {
        // Backend.HARDWARE instantiates the provider by reflection through the public no-arg constructor.
        assertEquals("hardware", new HardwareBackend().name());
        assertNotNull(Backend.HARDWARE.cliName());
        Backend.HARDWARE.unavailableReason(); // does not throw: the class is found and instantiated
    }

    @Test
    void missingDeviceIsReportedWithWhatToDo() {
        String reason = new HardwareBackend("/dev/jkvm-test-missing").unavailableReason();
        assertNotNull(reason);
        assertTrue(reason.contains("/dev/jkvm-test-missing does not exist on this host"), reason);
        assertTrue(reason.contains("kvm_intel") && reason.contains("kvm_pvm") && reason.contains("--backend jit"),
                reason);
    }

    @Test
    void aDeviceThatIsNotKvmIsReported() {
        String reason = new HardwareBackend("/dev/null").unavailableReason();
        assertNotNull(reason);
        assertTrue(reason.contains("does not answer KVM_GET_API_VERSION"), reason);
        assertTrue(reason.contains("ENOTTY"), reason);
    }

    @Test
    void openingWithoutKvmFailsWithTheReason() {
        assumeFalse(Files.exists(Path.of(HardwareBackend.DEVICE)), "this host has /dev/kvm");
        assertTrue(Backend.HARDWARE.unavailableReason().contains("/dev/kvm does not exist"));
        KvmException e = assertThrows(KvmException.class, () -> Kvm.open(Backend.HARDWARE));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(e.getMessage().contains("/dev/kvm does not exist"), e.getMessage());
        // The SPI itself fails the same way when called directly.
        KvmException direct = assertThrows(KvmException.class, () -> new HardwareBackend().open());
        assertEquals(Errno.ENOENT, direct.errno());
        assertInstanceOf(KvmException.class, direct);
    }
}
