package io.jkvm.abi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a constant that KVM's behaviour depends on but that lives in the kernel's private headers, not in the
 * uapi {@code <linux/kvm.h>} a VMM compiles against; {@link #value()} says where it comes from. Such values can
 * change between kernels: VMMs must not rely on them beyond what the ioctl reports (e.g. {@code E2BIG}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface KernelInternal {
    /** The kernel source that defines the value. */
    String value();
}
