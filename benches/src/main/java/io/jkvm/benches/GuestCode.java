package io.jkvm.benches;

import io.jkvm.guests.GuestCatalog;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine code of a built-in guest image, for the translation benchmarks: the {@code .text} section of the
 * ELF32 file the guests module builds (loaded at its own address: the guests identity-map their memory, so a
 * function's symbol value is also the RIP it runs at) and its {@code FUNC} symbols, which are the gcc-compiled
 * 64-bit functions (the 32-bit multiboot stub and the assembly entry points are {@code NOTYPE} labels, so decoding
 * the functions in 64-bit mode decodes exactly what the guest runs in long mode).
 *
 * <p>The image is read from the class path ({@link GuestCatalog}), so this works from the benchmark uber-jar.
 */
public final class GuestCode {
    /** One compiled function: where it starts in memory and how many bytes it has. */
    public record Function(String name, long address, int size) {
    }

    private final String guest;
    private final long textAddress;
    private final byte[] text;
    private final List<Function> functions;

    private GuestCode(String guest, long textAddress, byte[] text, List<Function> functions) {
        this.guest = guest;
        this.textAddress = textAddress;
        this.text = text;
        this.functions = List.copyOf(functions);
    }

    public String guest() {
        return guest;
    }

    /** Guest address of {@link #text()}[0]. */
    public long textAddress() {
        return textAddress;
    }

    /** The {@code .text} bytes (shared, do not modify). */
    public byte[] text() {
        return text;
    }

    /** The {@code FUNC} symbols inside {@code .text}, in symbol-table order. */
    public List<Function> functions() {
        return functions;
    }

    /** Offset in {@link #text()} of guest address {@code address}. */
    public int offsetOf(long address) {
        return (int) (address - textAddress);
    }

    /** Reads {@code guest}'s image from the class path and extracts {@code .text} and its function symbols. */
    public static GuestCode load(String guest) {
        GuestCatalog.Guest g = GuestCatalog.find(guest)
                .orElseThrow(() -> new IllegalArgumentException("no guest called '" + guest + "' in "
                        + GuestCatalog.RESOURCE_DIR + GuestCatalog.INDEX));
        if (!g.isElf()) {
            throw new IllegalArgumentException("guest " + guest + " is not an ELF image");
        }
        return parse(guest, g.bytes());
    }

    /** ELF32 little-endian (System V gABI): section headers, then {@code .text} and {@code .symtab}. */
    static GuestCode parse(String guest, byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(0) != 0x464c457f || image[4] != 1 || image[5] != 1) {
            throw new IllegalArgumentException(guest + ": not a little-endian ELF32 file");
        }
        int shoff = b.getInt(0x20);
        int shentsize = b.getShort(0x2e) & 0xffff;
        int shnum = b.getShort(0x30) & 0xffff;
        int shstrndx = b.getShort(0x32) & 0xffff;
        int strtabOffset = b.getInt(shoff + shstrndx * shentsize + 0x10);
        int textIndex = -1;
        int symtabIndex = -1;
        for (int i = 0; i < shnum; i++) {
            int sh = shoff + i * shentsize;
            String name = cString(image, strtabOffset + b.getInt(sh));
            if (name.equals(".text")) {
                textIndex = i;
            } else if (b.getInt(sh + 4) == 2) { // SHT_SYMTAB
                symtabIndex = i;
            }
        }
        if (textIndex < 0 || symtabIndex < 0) {
            throw new IllegalArgumentException(guest + ": no .text or no .symtab section");
        }
        int text = shoff + textIndex * shentsize;
        long textAddress = b.getInt(text + 0x0c) & 0xffffffffL;
        int textOffset = b.getInt(text + 0x10);
        int textSize = b.getInt(text + 0x14);
        byte[] code = java.util.Arrays.copyOfRange(image, textOffset, textOffset + textSize);

        int symtab = shoff + symtabIndex * shentsize;
        int symOffset = b.getInt(symtab + 0x10);
        int symSize = b.getInt(symtab + 0x14);
        int symStrings = b.getInt(shoff + b.getInt(symtab + 0x18) * shentsize + 0x10);
        List<Function> functions = new ArrayList<>();
        for (int s = symOffset; s + 16 <= symOffset + symSize; s += 16) {
            long value = b.getInt(s + 4) & 0xffffffffL;
            int size = b.getInt(s + 8);
            int info = image[s + 12] & 0xff;
            int section = b.getShort(s + 14) & 0xffff;
            if ((info & 0xf) == 2 && section == textIndex && size > 0) { // STT_FUNC
                functions.add(new Function(cString(image, symStrings + b.getInt(s)), value, size));
            }
        }
        if (functions.isEmpty()) {
            throw new IllegalArgumentException(guest + ": no function symbols in .text");
        }
        return new GuestCode(guest, textAddress, code, functions);
    }

    private static String cString(byte[] image, int offset) {
        int end = offset;
        while (image[end] != 0) {
            end++;
        }
        return new String(image, offset, end - offset, StandardCharsets.US_ASCII);
    }
}
