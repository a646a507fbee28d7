package io.jkvm.runtime.devices;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;

/**
 * A 16550A UART for polled use (COM1 at 0x3f8 in jkvm): what a guest needs to print and read lines.
 *
 * <ul>
 *   <li>THR (offset 0, write, DLAB=0): the byte goes to the output stream; the transmitter is always ready, so
 *       LSR always has THRE and TEMT set.</li>
 *   <li>RBR (offset 0, read, DLAB=0): the next input byte; LSR.DR is set while one is available. Input is read from
 *       the given stream without blocking ({@link InputStream#available()}), so a guest polling LSR never stalls the
 *       vcpu thread; in loopback mode (MCR bit 4) transmitted bytes are received instead.</li>
 *   <li>DLL/DLM (offsets 0/1 with LCR.DLAB=1): stored and read back; the baud rate has no effect.</li>
 *   <li>IER, LCR, MCR, SCR: stored and read back (IER 4 bits, MCR 5 bits). IIR reads "no interrupt pending" (with
 *       the FIFO bits when FCR enabled them), or the highest-priority enabled condition (received data, THR empty);
 *       no interrupt line is wired, so the guest must poll.</li>
 *   <li>MSR: CTS, DSR and DCD asserted (in loopback, mirrored from MCR as the 16550 does).</li>
 * </ul>
 * Output is flushed at every newline and by {@link #flush()}. An output error (closed stdout) stops output but not
 * the guest; it is reported by {@link #outputError()}.
 */
public final class Serial16550 implements PioDevice {
    public static final int RBR_THR_DLL = 0;
    public static final int IER_DLM = 1;
    public static final int IIR_FCR = 2;
    public static final int LCR = 3;
    public static final int MCR = 4;
    public static final int LSR = 5;
    public static final int MSR = 6;
    public static final int SCR = 7;

    public static final int LCR_DLAB = 0x80;
    public static final int LSR_DR = 0x01;
    public static final int LSR_THRE = 0x20;
    public static final int LSR_TEMT = 0x40;
    public static final int MCR_LOOP = 0x10;
    public static final int IER_RDI = 0x01;
    public static final int IER_THRI = 0x02;
    public static final int IIR_NO_INTERRUPT = 0x01;
    public static final int IIR_THR_EMPTY = 0x02;
    public static final int IIR_RX_DATA = 0x04;
    public static final int IIR_FIFO_ENABLED = 0xc0;
    public static final int MSR_CTS = 0x10;
    public static final int MSR_DSR = 0x20;
    public static final int MSR_DCD = 0x80;

    private final InputStream input;
    private final OutputStream output;
    private final ArrayDeque<Integer> loopback = new ArrayDeque<>();

    private int ier;
    private int lcr = 0x03;   // 8N1, as after a typical firmware setup
    private int mcr;
    private int scr;
    private int dll = 0x0c;   // 9600 baud
    private int dlm;
    private boolean fifoEnabled;
    private boolean inputEnded;
    private long bytesOut;
    private long bytesIn;
    private IOException outputError;

    /**
     * @param input  guest input (e.g. stdin), read without blocking; null for none
     * @param output where transmitted bytes go (e.g. stdout)
     */
    public Serial16550(InputStream input, OutputStream output) {
        this.input = input;
        this.output = output;
    }

    @Override
    public synchronized int read(int offset, int size) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (offset) {
            case RBR_THR_DLL -> dlab ? dll : receive();
            case IER_DLM -> dlab ? dlm : ier;
            case IIR_FCR -> iir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> LSR_THRE | LSR_TEMT | (dataReady() ? LSR_DR : 0);
            case MSR -> msr();
            case SCR -> scr;
            default -> 0xff;
        };
    }

    @Override
    public synchronized void write(int offset, int size, int value) {
        int v = value & 0xff;
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (offset) {
            case RBR_THR_DLL -> {
                if (dlab) {
                    dll = v;
                } else {
                    transmit(v);
                }
            }
            case IER_DLM -> {
                if (dlab) {
                    dlm = v;
                } else {
                    ier = v & 0x0f;
                }
            }
            case IIR_FCR -> fifoEnabled = (v & 1) != 0;
            case LCR -> lcr = v;
            case MCR -> mcr = v & 0x1f;
            case SCR -> scr = v;
            default -> {
                // LSR and MSR are read-only
            }
        }
    }

    private int iir() {
        int fifo = fifoEnabled ? IIR_FIFO_ENABLED : 0;
        if ((ier & IER_RDI) != 0 && dataReady()) {
            return fifo | IIR_RX_DATA;
        }
        if ((ier & IER_THRI) != 0) {
            return fifo | IIR_THR_EMPTY;
        }
        return fifo | IIR_NO_INTERRUPT;
    }

    private int msr() {
        if ((mcr & MCR_LOOP) != 0) {
            // loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD
            return ((mcr & 0x01) << 5) | ((mcr & 0x02) << 3) | ((mcr & 0x04) << 4) | ((mcr & 0x08) << 4);
        }
        return MSR_CTS | MSR_DSR | MSR_DCD;
    }

    private void transmit(int b) {
        if ((mcr & MCR_LOOP) != 0) {
            if (loopback.size() < 16) {
                loopback.add(b);
            }
            return;
        }
        bytesOut++;
        if (outputError != null) {
            return;
        }
        try {
            output.write(b);
            if (b == '\n') {
                output.flush();
            }
        } catch (IOException e) {
            outputError = e;
        }
    }

    private boolean dataReady() {
        if ((mcr & MCR_LOOP) != 0) {
            return !loopback.isEmpty();
        }
        if (input == null || inputEnded) {
            return false;
        }
        try {
            return input.available() > 0;
        } catch (IOException e) {
            inputEnded = true;
            return false;
        }
    }

    private int receive() {
        if ((mcr & MCR_LOOP) != 0) {
            Integer b = loopback.poll();
            return b == null ? 0 : b;
        }
        if (!dataReady()) {
            return 0;
        }
        try {
            int b = input.read();
            if (b < 0) {
                inputEnded = true;
                return 0;
            }
            bytesIn++;
            return b;
        } catch (IOException e) {
            inputEnded = true;
            return 0;
        }
    }

    /** Flushes buffered output; an error is recorded, not thrown. */
    public synchronized void flush() {
        if (outputError == null) {
            try {
                output.flush();
            } catch (IOException e) {
                outputError = e;
            }
        }
    }

    /** Bytes the guest transmitted (counted even if the output failed). */
    public synchronized long bytesOut() {
        return bytesOut;
    }

    /** Bytes the guest received from the input stream. */
    public synchronized long bytesIn() {
        return bytesIn;
    }

    /** The first output error, or null. */
    public synchronized IOException outputError() {
        return outputError;
    }
}
