/**
 * The x86 decoder: bytes to {@link io.jkvm.translator.decoder.Instruction}, the one model everything downstream
 * consumes.
 *
 * <p>The knowledge lives in data. The opcode maps are text resources in the SDM's own notation
 * ({@code legacy.opcodes} documents the syntax; {@code x87}, {@code vex}, {@code evex}, {@code xop} and
 * {@code 3dnow} follow it): one row per instruction form, e.g. {@code 0F AF /r IMUL Gv,Ev} or
 * {@code VEX.LIG.66.0F.WIG 58 /r VADDPD Vx,Hx,Wx}. {@code TableParser} turns rows into {@code Form}s (the
 * conditions a row needs plus its operand handlers), {@code OpcodeTables} files them by map and opcode byte, and
 * {@link io.jkvm.translator.decoder.Decoder} only reads prefixes, picks the row and lets each operand's small
 * {@code OperandSpec} handler (one per Appendix A addressing method) build its operand. What the instructions do
 * to RFLAGS, and what kind of instruction they are, is data on {@link io.jkvm.translator.decoder.Mnemonic}.
 *
 * <p>How it is checked: random sequences and real compiled code against GNU objdump (length, mnemonic, and
 * operand text for what jkvm executes), where objdump accepts bytes the CPU rejects the test proves it on the
 * bytes or on the host CPU; hand-picked vectors in {@code decoder-vectors.txt}; and the RFLAGS masks against the
 * host CPU.
 */
package io.jkvm.translator.decoder;
