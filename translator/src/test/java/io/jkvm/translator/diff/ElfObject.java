package io.jkvm.translator.diff;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The two things the differential tests need from an ELF64 relocatable object written by GNU as: the bytes of
 * {@code .text} and the values of its symbols (the labels that mark instruction boundaries). An object with
 * relocations against {@code .text} is refused: every case must be position-exact at {@link DiffLayout#CODE}.
 */
final class ElfObject {
    final byte[] text;
    final Map<String, Long> symbols;

    private ElfObject(byte[] text, Map<String, Long> symbols) {
        this.text = text;
        this.symbols = symbols;
    }

    static ElfObject parse(byte[] file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 64 || b.getInt(0) != 0x464c457f || file[4] != 2 || file[5] != 1) {
            throw new IOException("not a little-endian ELF64 object");
        }
        long shoff = b.getLong(0x28);
        int shentsize = b.getShort(0x3a) & 0xffff;
        int shnum = b.getShort(0x3c) & 0xffff;
        int shstrndx = b.getShort(0x3e) & 0xffff;
        long[][] sh = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int o = (int) (shoff + (long) i * shentsize);
            // name, type, flags, addr, offset, size, link, info, addralign, entsize
            sh[i] = new long[]{b.getInt(o) & 0xffffffffL, b.getInt(o + 4) & 0xffffffffL, b.getLong(o + 8),
                    b.getLong(o + 16), b.getLong(o + 24), b.getLong(o + 32), b.getInt(o + 40) & 0xffffffffL,
                    b.getInt(o + 44) & 0xffffffffL};
        }
        int text = -1;
        int symtab = -1;
        for (int i = 0; i < shnum; i++) {
            String name = string(file, sh[shstrndx][4] + sh[i][0]);
            if (name.equals(".text")) {
                text = i;
            } else if (sh[i][1] == 2) { // SHT_SYMTAB
                symtab = i;
            }
        }
        if (text < 0 || symtab < 0) {
            throw new IOException("object has no .text or no symbol table");
        }
        for (int i = 0; i < shnum; i++) {
            boolean rel = sh[i][1] == 4 || sh[i][1] == 9; // SHT_RELA, SHT_REL
            if (rel && sh[i][7] == text && sh[i][5] > 0) {
                throw new IOException("the assembled cases need relocations (an address the assembler could not"
                        + " resolve)");
            }
        }
        byte[] bytes = new byte[(int) sh[text][5]];
        System.arraycopy(file, (int) sh[text][4], bytes, 0, bytes.length);
        Map<String, Long> symbols = new HashMap<>();
        long strtab = sh[(int) sh[symtab][6]][4];
        for (long o = sh[symtab][4]; o < sh[symtab][4] + sh[symtab][5]; o += 24) {
            int shndx = b.getShort((int) o + 6) & 0xffff;
            if (shndx == text) {
                symbols.put(string(file, strtab + (b.getInt((int) o) & 0xffffffffL)), b.getLong((int) o + 8));
            }
        }
        return new ElfObject(bytes, symbols);
    }

    private static String string(byte[] file, long at) {
        int end = (int) at;
        while (file[end] != 0) {
            end++;
        }
        return new String(file, (int) at, end - (int) at, StandardCharsets.US_ASCII);
    }
}
