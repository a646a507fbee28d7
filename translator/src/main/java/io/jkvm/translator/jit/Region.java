package io.jkvm.translator.jit;

/**
 * A translated region as the caches hold it: the compiled code plus what is needed to check that it still applies
 * (entry RIP, mode, the virtual→physical pages it was translated from) and to weigh it.
 */
public final class Region {
    final CompiledRegion code;
    final long entryRip;
    final int modeKey;
    /** Pairs (virtual page, physical page) of every page the region's instructions came from. */
    final long[] pages;
    final int weight;
    final int instructions;
    /** Cleared when evicted or when code on one of its pages is overwritten. */
    volatile boolean valid = true;
    /** The cache key it was installed under (for retranslation). */
    final Engine.Key key;
    /** A first-tier region cut short by the tier-one budget: retranslated in full once hot. */
    boolean provisional;
    /** Times the dispatcher entered it (racy across vcpus, which only delays promotion). */
    int executions;

    Region(Engine.Key key, CompiledRegion code, long entryRip, int modeKey, long[] pages, int weight,
           int instructions) {
        this.key = key;
        this.code = code;
        this.entryRip = entryRip;
        this.modeKey = modeKey;
        this.pages = pages;
        this.weight = weight;
        this.instructions = instructions;
    }

    public long entryRip() {
        return entryRip;
    }

    public boolean isValid() {
        return valid;
    }

    public int instructions() {
        return instructions;
    }

    /** Invalidation: the executor drops invalid regions from its caches at the next lookup. */
    void invalidate() {
        valid = false;
    }
}
