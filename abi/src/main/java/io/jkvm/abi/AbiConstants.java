package io.jkvm.abi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every constant of this package by its C macro name: the constant holders ({@link KvmApi}, {@link MemFlags},
 * {@link GuestDebugFlags}...), {@link ExitReason}, {@link Capability} and {@link Ioctl}. It exists so that the whole
 * set can be checked against {@code <linux/kvm.h>} by name, and so tools can print a name for a number.
 *
 * <p>Values are the C values as unsigned numbers: {@code int} fields are widened with
 * {@link Integer#toUnsignedLong}, since no KVM constant is negative. Constants marked {@link JkvmExtension} or
 * {@link KernelInternal} are in {@link #all()} but not in {@link #linuxUapi()}.
 */
public final class AbiConstants {
    private AbiConstants() {
    }

    /** The classes whose {@code public static final int/long} fields are C macros of the same name. */
    private static final List<Class<?>> HOLDERS = List.of(KvmApi.class, MemFlags.class, GuestDebugFlags.class,
            MsrExitReason.class, SystemEventType.class, IoDirection.class, InternalErrorSuberror.class,
            MsrFilterFlags.class, MpState.class, CpuidFlags.class, RunFlags.class, XenHvmConfigFlags.class,
            ExceptionVector.class, Ioctl.class);

    /** Every constant, by C macro name, sorted by name. */
    public static Map<String, Long> all() {
        return Registry.ALL;
    }

    /** The constants {@code <linux/kvm.h>} (with {@code <asm/kvm.h>} and {@code <linux/ioctl.h>}) defines. */
    public static Map<String, Long> linuxUapi() {
        return Registry.UAPI;
    }

    /** Names of the constants jkvm adds ({@link JkvmExtension}). */
    public static Set<String> jkvmExtensions() {
        return Registry.JKVM;
    }

    /** Names of the constants taken from the kernel's private headers ({@link KernelInternal}). */
    public static Set<String> kernelInternal() {
        return Registry.KERNEL;
    }

    /** Built on first use: reflection over a few small classes, once. */
    private static final class Registry {
        static final Map<String, Long> ALL;
        static final Map<String, Long> UAPI;
        static final Set<String> JKVM;
        static final Set<String> KERNEL;

        static {
            Map<String, Long> all = new TreeMap<>();
            Set<String> jkvm = new TreeSet<>();
            Set<String> kernel = new TreeSet<>();
            for (Class<?> holder : HOLDERS) {
                for (Field f : holder.getFields()) {
                    int m = f.getModifiers();
                    if (!Modifier.isStatic(m) || !Modifier.isFinal(m)
                            || (f.getType() != int.class && f.getType() != long.class)) {
                        continue;
                    }
                    put(all, f.getName(), read(f));
                    classify(f, f.getName(), jkvm, kernel);
                }
            }
            for (ExitReason r : ExitReason.values()) {
                if (r != ExitReason.UNRECOGNIZED) {
                    put(all, r.cName(), Integer.toUnsignedLong(r.number()));
                    classify(field(ExitReason.class, r.name()), r.cName(), jkvm, kernel);
                }
            }
            for (Capability c : Capability.values()) {
                put(all, c.cName(), Integer.toUnsignedLong(c.number()));
                classify(field(Capability.class, c.name()), c.cName(), jkvm, kernel);
            }
            for (Ioctl i : Ioctl.values()) {
                put(all, i.cName(), i.number());
            }
            Map<String, Long> uapi = new TreeMap<>(all);
            uapi.keySet().removeAll(jkvm);
            uapi.keySet().removeAll(kernel);
            ALL = Collections.unmodifiableMap(all);
            UAPI = Collections.unmodifiableMap(uapi);
            JKVM = Collections.unmodifiableSet(jkvm);
            KERNEL = Collections.unmodifiableSet(kernel);
        }

        private static void put(Map<String, Long> all, String name, long value) {
            Long previous = all.put(name, value);
            if (previous != null && previous != value) {
                throw new IllegalStateException(name + " is defined twice in io.jkvm.abi, as " + previous + " and "
                        + value + "; keep one definition");
            }
        }

        private static void classify(Field f, String name, Set<String> jkvm, Set<String> kernel) {
            if (f.isAnnotationPresent(JkvmExtension.class)) {
                jkvm.add(name);
            }
            if (f.isAnnotationPresent(KernelInternal.class)) {
                kernel.add(name);
            }
        }

        private static long read(Field f) {
            try {
                return f.getType() == int.class ? Integer.toUnsignedLong(f.getInt(null)) : f.getLong(null);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("cannot read " + f, e);
            }
        }

        private static Field field(Class<?> type, String name) {
            try {
                return type.getField(name);
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException("enum constant " + name + " has no field", e);
            }
        }
    }
}
