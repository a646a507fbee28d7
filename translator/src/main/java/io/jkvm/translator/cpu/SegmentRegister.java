package io.jkvm.translator.cpu;

/**
 * A segment register with its hidden descriptor cache, field for field as {@code struct kvm_segment} so that
 * get/set sregs is a copy. Attribute bits are kept unpacked because that is how KVM exchanges them.
 */
public final class SegmentRegister {
    public long base;
    public int limit;
    public int selector;
    public int type;
    public boolean present;
    public int dpl;
    /** D/B: default operand size 32 (code) or big stack (data). */
    public boolean db;
    /** S: code/data (1) or system (0) descriptor. */
    public boolean s;
    /** L: 64-bit code segment. */
    public boolean l;
    public boolean g;
    public boolean avl;
    public boolean unusable;

    public void copyFrom(SegmentRegister o) {
        base = o.base;
        limit = o.limit;
        selector = o.selector;
        type = o.type;
        present = o.present;
        dpl = o.dpl;
        db = o.db;
        s = o.s;
        l = o.l;
        g = o.g;
        avl = o.avl;
        unusable = o.unusable;
    }

    /** Loads a real-mode (or virtual-8086) segment: base = selector * 16, 64 KiB limit, attributes unchanged. */
    public void loadReal(int sel) {
        selector = sel & 0xffff;
        base = (long) selector << 4;
    }

    /**
     * Loads from an 8-byte GDT/LDT descriptor (upper 8 bytes of a 16-byte system descriptor in {@code high} for
     * TSS/LDT in long mode, else 0).
     */
    public void loadDescriptor(int sel, long desc, long high) {
        selector = sel & 0xffff;
        long b = ((desc >>> 16) & 0xffffffL) | ((desc >>> 32) & 0xff000000L);
        int lim = (int) ((desc & 0xffff) | ((desc >>> 32) & 0xf0000));
        type = (int) (desc >>> 40) & 0xf;
        s = ((desc >>> 44) & 1) != 0;
        dpl = (int) (desc >>> 45) & 3;
        present = ((desc >>> 47) & 1) != 0;
        avl = ((desc >>> 52) & 1) != 0;
        l = ((desc >>> 53) & 1) != 0;
        db = ((desc >>> 54) & 1) != 0;
        g = ((desc >>> 55) & 1) != 0;
        if (!s) {
            b |= (high & 0xffffffffL) << 32;
        }
        base = b;
        limit = g ? (lim << 12) | 0xfff : lim;
        unusable = false;
    }

    /** The null selector loaded into a data segment register: unusable. */
    public void loadNull(int sel) {
        selector = sel & 0xffff;
        base = 0;
        limit = 0;
        unusable = true;
        present = false;
    }

    @Override
    public String toString() {
        return String.format("sel=%04x base=%x limit=%x type=%x s=%d dpl=%d p=%d db=%d l=%d g=%d", selector, base,
                limit, type, s ? 1 : 0, dpl, present ? 1 : 0, db ? 1 : 0, l ? 1 : 0, g ? 1 : 0);
    }
}
