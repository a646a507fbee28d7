package io.jkvm.translator.jit;

/**
 * Thrown while translating when an instruction cannot be expressed in bytecode (e.g. an operand form the emitters do
 * not handle). The region compiler ends the region before that instruction, and a region that would start with it
 * runs the instruction through its helper (or raises #UD in the guest), never a host failure.
 */
public final class Untranslatable extends RuntimeException {
    public Untranslatable(String message) {
        super(message, null, false, false);
    }
}
