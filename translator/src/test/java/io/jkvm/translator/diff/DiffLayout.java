package io.jkvm.translator.diff;

/**
 * The linear addresses a differential test case runs at, identical on the host executor ({@code host_exec.c}) and
 * on the JIT machine, so absolute and RIP-relative addresses mean the same on both sides.
 *
 * <pre>
 *   CODE          one page: the case's code, then HLT (0xf4) fill; the next page is unmapped
 *   SCRATCH       the data page (memory operands, string buffers)
 *   STACK_PAGE    the stack page; RSP starts at STACK_TOP
 *   guard pages   unmapped on both sides of the scratch area, so overruns fault (#PF) on both sides
 * </pre>
 */
final class DiffLayout {
    static final long CODE = 0x1000_0000L;
    static final int CODE_SIZE = 0x1000;
    static final long SCRATCH = 0x2000_0000L;
    static final int SCRATCH_SIZE = 0x2000;
    static final int DATA_SIZE = 0x1000;
    static final long STACK_PAGE = SCRATCH + DATA_SIZE;
    /** Initial RSP: 0x400 bytes of room above (for POPs) and 0xc00 below (for PUSHes). */
    static final long STACK_TOP = SCRATCH + 0x1c00;
    static final long GUARD_BELOW = SCRATCH - 0x1000;
    static final long GUARD_ABOVE = SCRATCH + SCRATCH_SIZE;
    /**
     * The fill of the code page after the case: HLT, which raises #GP(0) at CPL 3, so a branch past the end of a
     * case (or of a minimisation prefix) ends it at the branch target on both sides alike, whatever the offset.
     * (INT3 would not do: the host's kernel delivers #BP through its IDT, the JIT machine has none to read.)
     */
    static final byte CODE_FILL = (byte) 0xf4;

    private DiffLayout() {
    }
}
