package io.jkvm.abi;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a constant that jkvm adds to the KVM API and that no Linux header defines. jkvm numbers its extensions in
 * the {@code 0x4A4B_xxxx} range ("JK"), far above any KVM capability or exit-reason number, so a VMM written for
 * KVM never meets them unless it asks for them. {@link AbiConstants} leaves them out of what it checks against
 * {@code <linux/kvm.h>}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface JkvmExtension {
}
