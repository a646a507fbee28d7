package io.jkvm.mmu;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodeMapTest {
    private final CodeMap code = new CodeMap();

    @Test
    void storeNextToCodeDoesNotOverlap() {
        code.markCode(0x5013, 5); // bytes 0x5013..0x5017, inside one 16-byte chunk
        assertTrue(code.pageHasCode(0x5FFF));
        assertFalse(code.pageHasCode(0x6000));
        assertFalse(code.overlapsCode(0x5010, 3)); // 0x5010..0x5012
        assertTrue(code.overlapsCode(0x5010, 4));
        assertFalse(code.overlapsCode(0x5018, 8));
        assertTrue(code.overlapsCode(0x5017, 1));
        assertFalse(code.overlapsCode(0x5000, 0x13));
        assertTrue(code.overlapsCode(0x5000, 0x1000));
        assertFalse(code.codeWritten(0x5018, 4));
        assertEquals(1, code.codePages());
    }

    @Test
    void codeAcrossPagesAndWordBoundaries() {
        code.markCode(0x1FC0, 0x80); // last 64 bytes of page 1 and first 64 bytes of page 2
        assertTrue(code.pageHasCode(0x1000));
        assertTrue(code.pageHasCode(0x2000));
        assertEquals(2, code.codePages());
        assertFalse(code.overlapsCode(0x1FBF, 1));
        assertTrue(code.overlapsCode(0x1FFF, 2));
        assertTrue(code.overlapsCode(0x203F, 1));
        assertFalse(code.overlapsCode(0x2040, 1));
        assertFalse(code.overlapsCode(0x3000, 0x2000));
        assertTrue(code.overlapsCode(0x0, 0x10000));
    }

    @Test
    void writeToCodeClearsThePagesAndTellsListeners() {
        List<Long> pages = new ArrayList<>();
        code.addListener(pages::add);
        code.markCode(0x7000, 16);
        code.markCode(0x8000, 16);
        assertTrue(code.codeWritten(0x7008, 1));
        assertEquals(List.of(0x7000L), pages);
        assertFalse(code.pageHasCode(0x7000));
        assertTrue(code.pageHasCode(0x8000));
        code.clearPage(0x7000); // already clear: no second notification
        assertEquals(List.of(0x7000L), pages);
        code.clearRange(0x0, 0x100000);
        assertEquals(List.of(0x7000L, 0x8000L), pages);
        assertEquals(0, code.codePages());
    }

    @Test
    void generationMovesOnlyForPagesThatGetTheirFirstCode() {
        long g0 = code.writeProtectGeneration();
        code.markCode(0x4000, 8);
        long g1 = code.writeProtectGeneration();
        assertNotEquals(g0, g1);
        code.markCode(0x4100, 8);
        assertEquals(g1, code.writeProtectGeneration());
        code.clearPage(0x4000);
        code.markCode(0x4000, 1);
        assertNotEquals(g1, code.writeProtectGeneration());
        assertThrows(IllegalArgumentException.class, () -> code.markCode(0, 0));
    }

    @Test
    void agreesWithASetOfBytesOverManyPages() {
        Random r = new Random(7);
        TreeSet<Long> bytes = new TreeSet<>();
        for (int i = 0; i < 3000; i++) { // enough pages to grow the table several times
            long gpa = (long) r.nextInt(1 << 14) << 12 | r.nextInt(4096);
            int len = 1 + r.nextInt(40);
            code.markCode(gpa, len);
            for (int k = 0; k < len; k++) {
                bytes.add(gpa + k);
            }
        }
        for (int i = 0; i < 20000; i++) {
            long gpa = (long) r.nextInt(1 << 14) << 12 | r.nextInt(4096);
            int len = 1 + r.nextInt(16);
            Long hit = bytes.ceiling(gpa);
            boolean expected = hit != null && hit < gpa + len;
            assertEquals(expected, code.overlapsCode(gpa, len), () -> "0x" + Long.toHexString(gpa) + "+" + len);
            Long inPage = bytes.ceiling(gpa & ~0xFFFL);
            assertEquals(inPage != null && inPage < (gpa & ~0xFFFL) + 4096, code.pageHasCode(gpa));
        }
    }
}
