package io.jkvm.translator.jit;

/** Where the region compiler reads guest code from: the vcpu's instruction-fetch view of memory. */
public interface CodeSource {
    /**
     * Copies up to {@code buf.length} bytes of code starting at {@code rip} (an offset in CS) into {@code buf}.
     * Returns how many bytes could be read: fewer than asked when a later page is not mapped or not executable.
     *
     * @throws io.jkvm.translator.cpu.GuestException when not even the first byte can be fetched (e.g. #PF)
     */
    int read(long rip, byte[] buf);
}
