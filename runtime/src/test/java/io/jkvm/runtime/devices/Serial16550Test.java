package io.jkvm.runtime.devices;

import static io.jkvm.runtime.devices.Serial16550.IER_DLM;
import static io.jkvm.runtime.devices.Serial16550.IIR_FCR;
import static io.jkvm.runtime.devices.Serial16550.LCR;
import static io.jkvm.runtime.devices.Serial16550.LSR;
import static io.jkvm.runtime.devices.Serial16550.MCR;
import static io.jkvm.runtime.devices.Serial16550.MSR;
import static io.jkvm.runtime.devices.Serial16550.RBR_THR_DLL;
import static io.jkvm.runtime.devices.Serial16550.SCR;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class Serial16550Test {

    @Test
    void transmittedBytesReachTheOutputAndTheTransmitterIsAlwaysReady() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Serial16550 uart = new Serial16550(null, out);
        for (byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
            assertEquals(0x60, uart.read(LSR, 1) & 0x60, "THRE and TEMT");
            uart.write(RBR_THR_DLL, 1, b);
        }
        assertEquals("hi\n", out.toString(StandardCharsets.US_ASCII));
        assertEquals(3, uart.bytesOut());
        assertEquals(0, uart.read(LSR, 1) & Serial16550.LSR_DR, "no input stream: never data ready");
    }

    @Test
    void inputIsPolledWithoutBlockingAndSetsDataReady() {
        Serial16550 uart = new Serial16550(new ByteArrayInputStream(new byte[] {'o', 'k'}), OutputStream.nullOutputStream());
        assertEquals(1, uart.read(LSR, 1) & 1);
        assertEquals('o', uart.read(RBR_THR_DLL, 1));
        assertEquals(1, uart.read(LSR, 1) & 1);
        assertEquals('k', uart.read(RBR_THR_DLL, 1));
        assertEquals(0, uart.read(LSR, 1) & 1, "input exhausted");
        assertEquals(0, uart.read(RBR_THR_DLL, 1), "an empty receiver reads 0");
        assertEquals(2, uart.bytesIn());
    }

    @Test
    void aStreamWithNothingAvailableIsNeverReadFrom() {
        InputStream blocking = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("read() would block the vcpu thread");
            }

            @Override
            public int available() {
                return 0;
            }
        };
        Serial16550 uart = new Serial16550(blocking, OutputStream.nullOutputStream());
        assertEquals(0, uart.read(LSR, 1) & 1);
        assertEquals(0, uart.read(RBR_THR_DLL, 1));
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisorLatch() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Serial16550 uart = new Serial16550(null, out);
        uart.write(IER_DLM, 1, 0x05);
        uart.write(LCR, 1, 0x83);          // DLAB, 8N1
        uart.write(RBR_THR_DLL, 1, 0x01);  // divisor 1 = 115200 baud, not transmitted
        uart.write(IER_DLM, 1, 0x00);
        assertEquals(0x01, uart.read(RBR_THR_DLL, 1));
        assertEquals(0x00, uart.read(IER_DLM, 1));
        uart.write(LCR, 1, 0x03);
        assertEquals(0x05, uart.read(IER_DLM, 1), "IER kept its value");
        assertEquals(0x03, uart.read(LCR, 1));
        assertEquals(0, out.size(), "divisor writes are not output");
    }

    @Test
    void scratchAndModemControlRegistersReadBack() {
        Serial16550 uart = new Serial16550(null, OutputStream.nullOutputStream());
        uart.write(SCR, 1, 0xa5);
        assertEquals(0xa5, uart.read(SCR, 1));
        uart.write(MCR, 1, 0xff);
        assertEquals(0x1f, uart.read(MCR, 1), "MCR has 5 bits");
        uart.write(MCR, 1, 0x03);
        assertEquals(0xb0, uart.read(MSR, 1), "CTS, DSR, DCD");
    }

    @Test
    void iirReportsTheEnabledConditionOrNoInterrupt() {
        Serial16550 uart = new Serial16550(new ByteArrayInputStream(new byte[] {1}), OutputStream.nullOutputStream());
        assertEquals(0x01, uart.read(IIR_FCR, 1));
        uart.write(IIR_FCR, 1, 0x07);
        assertEquals(0xc1, uart.read(IIR_FCR, 1), "FIFO bits");
        uart.write(IER_DLM, 1, Serial16550.IER_THRI);
        assertEquals(0xc2, uart.read(IIR_FCR, 1));
        uart.write(IER_DLM, 1, Serial16550.IER_THRI | Serial16550.IER_RDI);
        assertEquals(0xc4, uart.read(IIR_FCR, 1), "received data has priority");
    }

    @Test
    void loopbackReceivesWhatWasTransmittedAndMirrorsModemLines() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Serial16550 uart = new Serial16550(null, out);
        uart.write(MCR, 1, 0x10 | 0x0f);
        assertEquals(0xf0, uart.read(MSR, 1));
        uart.write(RBR_THR_DLL, 1, 0xae);
        assertEquals(1, uart.read(LSR, 1) & 1);
        assertEquals(0xae, uart.read(RBR_THR_DLL, 1));
        assertEquals(0, out.size(), "loopback bytes do not leave the UART");
    }

    @Test
    void anOutputErrorIsRecordedAndDoesNotStopTheGuest() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        Serial16550 uart = new Serial16550(null, broken);
        uart.write(RBR_THR_DLL, 1, 'x');
        uart.write(RBR_THR_DLL, 1, 'y');
        assertNotNull(uart.outputError());
        assertEquals("Broken pipe", uart.outputError().getMessage());
        assertEquals(2, uart.bytesOut());
    }

    @Test
    void outputIsFlushedAtNewlines() {
        StringBuilder flushedAt = new StringBuilder();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) {
                sink.write(b);
            }

            @Override
            public void flush() {
                flushedAt.append(sink.size()).append(' ');
            }
        };
        Serial16550 uart = new Serial16550(null, out);
        for (byte b : "ab\ncd".getBytes(StandardCharsets.US_ASCII)) {
            uart.write(RBR_THR_DLL, 1, b);
        }
        assertEquals("3 ", flushedAt.toString());
        uart.flush();
        assertEquals("3 5 ", flushedAt.toString());
    }
}
