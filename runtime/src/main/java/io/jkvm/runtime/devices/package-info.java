/**
 * Devices and the buses the run loop routes exits to.
 *
 * <p>{@link io.jkvm.runtime.devices.IoBus} and {@link io.jkvm.runtime.devices.MmioBus} are sorted range maps that
 * reject overlapping registrations (Firecracker's bus). Addresses no device claims follow one explicit, counted
 * policy ({@link io.jkvm.runtime.devices.UnmappedAccesses}: reads give all ones, writes are dropped, every access is
 * counted per address and shown by {@code jkvm run --stats}). Devices: the polled 16550 UART
 * ({@link io.jkvm.runtime.devices.Serial16550}) and QEMU's isa-debug-exit port
 * ({@link io.jkvm.runtime.devices.DebugExit}). No device raises interrupts yet.
 */
package io.jkvm.runtime.devices;
