/**
 * The {@code jkvm} command (picocli): {@code jkvm run} over {@link io.jkvm.runtime.vmm.GuestRunner} and
 * {@code jkvm guests} over the guest index. {@link io.jkvm.runtime.cli.JkvmCommand#main} is the only place in jkvm that
 * exits the process; statuses are listed in {@link io.jkvm.runtime.cli.ExitCodes}. Launched by {@code bin/jkvm}.
 */
package io.jkvm.runtime.cli;
