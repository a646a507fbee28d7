package io.jkvm.runtime.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jkvm.runtime.GuestLayout;

import java.lang.foreign.Arena;

import org.junit.jupiter.api.Test;

class BootStructuresTest {

    @Test
    void descriptorsMatchTheWellKnownFlatEncodings() {
        // the values Linux and Firecracker use for flat 64-bit code, 32-bit code and data
        assertEquals(0x00af9b000000ffffL, BootStructures.descriptor(0, 0xfffff, 0x9b, 0xa));
        assertEquals(0x00cf9b000000ffffL, BootStructures.descriptor(0, 0xfffff, 0x9b, 0xc));
        assertEquals(0x00cf93000000ffffL, BootStructures.descriptor(0, 0xfffff, 0x93, 0xc));
        // base bits are split over three fields
        assertEquals(0x12008b3456780067L, BootStructures.descriptor(0x12345678, 0x67, 0x8b, 0));
    }

    @Test
    void gdtHoldsTheSelectorsTheEntryStatesUse() {
        try (Arena arena = Arena.ofConfined()) {
            GuestRam ram = GuestRam.of(arena.allocate(1 << 20, 4096));
            BootStructures.writeDescriptorTables(ram);
            long gdt = GuestLayout.BOOT_GDT_START;
            assertEquals(0, ram.getLong(gdt));
            assertEquals(0x00af9b000000ffffL, ram.getLong(gdt + GuestLayout.SELECTOR_CODE64));
            assertEquals(0x00cf93000000ffffL, ram.getLong(gdt + GuestLayout.SELECTOR_DATA));
            assertEquals(0x00cf9b000000ffffL, ram.getLong(gdt + GuestLayout.SELECTOR_CODE32));
            assertEquals(0x8b, (ram.getLong(gdt + GuestLayout.SELECTOR_TSS) >>> 40) & 0xff);
            assertEquals(GuestLayout.GDT_ENTRIES * 8, GuestLayout.SELECTOR_TSS + 16, "the TSS takes the last two slots");
        }
    }
}
