package io.jkvm.translator.decoder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GNU objdump as a decoding oracle, one process per batch of thousands of sequences.
 *
 * <p>Scheme: every sequence becomes the bytes of its own symbol in the {@code .text} of a small ELF64 relocatable
 * file written here. objdump disassembles each symbol's range separately and never reads past the next symbol,
 * so the first instruction printed under {@code <sN>} is objdump's decoding of sequence N with exactly its own
 * bytes available; a decoding that needs more bytes shows up as {@code .byte} or {@code (bad)}. The 16/32/64-bit
 * mode is chosen with {@code -M i8086/i386/x86-64}; {@code intel64} selects Intel's rules where Intel 64 and AMD64
 * differ (66 on near branches, SYSENTER in 64-bit mode, far branches through m16:64), which jkvm follows.
 */
final class ObjdumpOracle {

    /** One line of objdump output: the instruction's address within the section, its byte count and its text. */
    record Line(long address, int length, String text) {
    }

    private ObjdumpOracle() {
    }

    /** Whether an objdump that understands x86 is on the PATH. */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("objdump", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static String modeOption(CodeSize mode) {
        return switch (mode) {
            case BITS16 -> "i8086";
            case BITS32 -> "i386";
            case BITS64 -> "x86-64,intel64";
        };
    }

    /**
     * Disassembles every sequence; the result holds, per sequence, objdump's lines for that symbol in order.
     */
    static List<List<Line>> disassemble(List<byte[]> sequences, CodeSize mode, Path dir) {
        try {
            Path elf = Files.createTempFile(dir, "seq", ".o");
            long[] starts = new long[sequences.size()];
            Files.write(elf, elf(sequences, starts));
            List<String> command = List.of("objdump", "-d", "-z", "--insn-width=16", "-M",
                    "intel," + modeOption(mode), elf.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("objdump failed: " + new String(out, StandardCharsets.UTF_8));
            }
            Files.delete(elf);
            return parse(new String(out, StandardCharsets.UTF_8), sequences.size());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final Pattern HEADER = Pattern.compile("^[0-9a-f]+ <s(\\d+)>:$");
    private static final Pattern INSN = Pattern.compile("^ *([0-9a-f]+):\\t([0-9a-f ]+?) *(?:\\t(.*))?$");

    static List<List<Line>> parse(String output, int count) {
        List<List<Line>> result = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            result.add(new ArrayList<>());
        }
        List<Line> current = null;
        for (String line : output.split("\n")) {
            Matcher h = HEADER.matcher(line);
            if (h.matches()) {
                current = result.get(Integer.parseInt(h.group(1)));
                continue;
            }
            Matcher m = INSN.matcher(line);
            if (!m.matches() || current == null) {
                continue;
            }
            long address = Long.parseLong(m.group(1), 16);
            int bytes = m.group(2).strip().split(" +").length;
            if (m.group(3) == null) {
                // A continuation line of an instruction longer than --insn-width.
                Line last = current.removeLast();
                current.add(new Line(last.address(), last.length() + bytes, last.text()));
            } else {
                current.add(new Line(address, bytes, m.group(3).strip()));
            }
        }
        return result;
    }

    /** An ELF64 relocatable object: .text holding the sequences back to back, a local symbol sN at each. */
    static byte[] elf(List<byte[]> sequences, long[] starts) {
        int textSize = 0;
        for (int i = 0; i < sequences.size(); i++) {
            starts[i] = textSize;
            textSize += sequences.get(i).length;
        }
        StringBuilder strtab = new StringBuilder("\0");
        int[] nameOffsets = new int[sequences.size()];
        for (int i = 0; i < sequences.size(); i++) {
            nameOffsets[i] = strtab.length();
            strtab.append('s').append(i).append('\0');
        }
        byte[] strtabBytes = strtab.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] shstrtab = "\0.text\0.symtab\0.strtab\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
        int symCount = sequences.size() + 1;

        int textOff = 64;
        int symOff = align(textOff + textSize, 8);
        int strOff = symOff + symCount * 24;
        int shstrOff = strOff + strtabBytes.length;
        int shOff = align(shstrOff + shstrtab.length, 8);
        ByteBuffer b = ByteBuffer.allocate(shOff + 5 * 64).order(ByteOrder.LITTLE_ENDIAN);

        b.put(new byte[] {0x7F, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        b.putShort((short) 1).putShort((short) 62).putInt(1).putLong(0).putLong(0).putLong(shOff).putInt(0);
        b.putShort((short) 64).putShort((short) 0).putShort((short) 0).putShort((short) 64).putShort((short) 5)
                .putShort((short) 4);

        b.position(textOff);
        for (byte[] s : sequences) {
            b.put(s);
        }
        b.position(symOff + 24); // symbol 0 is the null symbol
        for (int i = 0; i < sequences.size(); i++) {
            b.putInt(nameOffsets[i]).put((byte) 0x02).put((byte) 0).putShort((short) 1).putLong(starts[i])
                    .putLong(sequences.get(i).length);
        }
        b.position(strOff);
        b.put(strtabBytes);
        b.position(shstrOff);
        b.put(shstrtab);

        b.position(shOff + 64); // section 0 is the null section
        section(b, 1, 1, 6, textOff, textSize, 0, 0, 1, 0);                 // .text
        section(b, 7, 2, 0, symOff, symCount * 24L, 3, symCount, 8, 24);    // .symtab, all symbols local
        section(b, 15, 3, 0, strOff, strtabBytes.length, 0, 0, 1, 0);      // .strtab
        section(b, 23, 3, 0, shstrOff, shstrtab.length, 0, 0, 1, 0);       // .shstrtab
        return b.array();
    }

    private static void section(ByteBuffer b, int name, int type, long flags, long offset, long size, int link,
                                int info, long align, long entsize) {
        b.putInt(name).putInt(type).putLong(flags).putLong(0).putLong(offset).putLong(size).putInt(link)
                .putInt(info).putLong(align).putLong(entsize);
    }

    private static int align(int v, int a) {
        return (v + a - 1) & -a;
    }
}
