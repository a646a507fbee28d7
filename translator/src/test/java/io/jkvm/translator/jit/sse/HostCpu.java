package io.jkvm.translator.jit.sse;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The oracle: executes raw x86 instruction bytes natively on the host CPU at CPL 3 and reports the resulting XMM
 * registers, GPRs, RFLAGS, MXCSR and data memory, or the signal the instruction raised (SIGFPE for #XM, SIGSEGV for
 * #GP, SIGILL for #UD) together with MXCSR and XMM as the kernel saved them at the fault.
 *
 * <p>A small C program (compiled with gcc once per test run) reads fixed-layout binary records on stdin, copies the
 * instruction followed by RET into an executable page, loads XMM0-15, GPRs, RFLAGS and MXCSR from the record, calls
 * the page and writes the state back. Memory operands address a page-aligned data buffer whose base the program
 * reports first ({@link #memBase()}); tests point a GPR (conventionally RDI) into it. R14/R15 hold the harness's own
 * pointers and RSP its stack: instructions under test must not use them.
 */
final class HostCpu implements AutoCloseable {
    /** Bytes of data memory each record carries. */
    static final int MEM = 512;
    private static final int IN_RECORD = 16 + 8 + 8 + 256 + 128 + MEM;
    private static final int OUT_RECORD = 8 + 8 + 256 + 128 + MEM;

    static final int SIGILL = 4, SIGBUS = 7, SIGFPE = 8, SIGSEGV = 11;

    /** One instruction execution: inputs and, after {@link #run}, outputs in the same fields. */
    static final class Exec {
        byte[] code;
        int mxcsr = 0x1f80;
        long rflags = 0x202;
        final long[] xmm = new long[32];
        final long[] gpr = new long[16];
        final byte[] mem = new byte[MEM];
        /** Output: 0, or the signal the instruction raised. */
        int signal;

        Exec(byte[] code) {
            this.code = code;
        }
    }

    private static final String SOURCE = """
            #define _GNU_SOURCE
            #include <signal.h>
            #include <setjmp.h>
            #include <stdio.h>
            #include <stdint.h>
            #include <string.h>
            #include <unistd.h>
            #include <sys/mman.h>
            #include <ucontext.h>

            /* Layout shared with the assembly stub below. */
            struct state {
                uint64_t xmm[16][2];   /* 0 */
                uint64_t gpr[16];      /* 256: rax rcx rdx rbx rsp rbp rsi rdi r8..r15 */
                uint64_t rflags;       /* 384 */
                uint32_t mxcsr;        /* 392 */
                uint32_t pad;
            };
            void run(struct state *s, void *code);
            __asm__(
            ".text\\n.globl run\\nrun:\\n"
            " push %rbx\\n push %rbp\\n push %r12\\n push %r13\\n push %r14\\n push %r15\\n"
            " mov %rdi,%r15\\n mov %rsi,%r14\\n"
            " movdqu 0(%r15),%xmm0\\n movdqu 16(%r15),%xmm1\\n movdqu 32(%r15),%xmm2\\n movdqu 48(%r15),%xmm3\\n"
            " movdqu 64(%r15),%xmm4\\n movdqu 80(%r15),%xmm5\\n movdqu 96(%r15),%xmm6\\n movdqu 112(%r15),%xmm7\\n"
            " movdqu 128(%r15),%xmm8\\n movdqu 144(%r15),%xmm9\\n movdqu 160(%r15),%xmm10\\n movdqu 176(%r15),%xmm11\\n"
            " movdqu 192(%r15),%xmm12\\n movdqu 208(%r15),%xmm13\\n movdqu 224(%r15),%xmm14\\n movdqu 240(%r15),%xmm15\\n"
            " ldmxcsr 392(%r15)\\n"
            " pushq 384(%r15)\\n popfq\\n"
            " mov 256(%r15),%rax\\n mov 264(%r15),%rcx\\n mov 272(%r15),%rdx\\n mov 280(%r15),%rbx\\n"
            " mov 296(%r15),%rbp\\n mov 304(%r15),%rsi\\n mov 312(%r15),%rdi\\n"
            " mov 320(%r15),%r8\\n mov 328(%r15),%r9\\n mov 336(%r15),%r10\\n mov 344(%r15),%r11\\n"
            " mov 352(%r15),%r12\\n mov 360(%r15),%r13\\n"
            " call *%r14\\n"
            " pushfq\\n popq 384(%r15)\\n"
            " mov %rax,256(%r15)\\n mov %rcx,264(%r15)\\n mov %rdx,272(%r15)\\n mov %rbx,280(%r15)\\n"
            " mov %rbp,296(%r15)\\n mov %rsi,304(%r15)\\n mov %rdi,312(%r15)\\n"
            " mov %r8,320(%r15)\\n mov %r9,328(%r15)\\n mov %r10,336(%r15)\\n mov %r11,344(%r15)\\n"
            " mov %r12,352(%r15)\\n mov %r13,360(%r15)\\n"
            " stmxcsr 392(%r15)\\n"
            " movdqu %xmm0,0(%r15)\\n movdqu %xmm1,16(%r15)\\n movdqu %xmm2,32(%r15)\\n movdqu %xmm3,48(%r15)\\n"
            " movdqu %xmm4,64(%r15)\\n movdqu %xmm5,80(%r15)\\n movdqu %xmm6,96(%r15)\\n movdqu %xmm7,112(%r15)\\n"
            " movdqu %xmm8,128(%r15)\\n movdqu %xmm9,144(%r15)\\n movdqu %xmm10,160(%r15)\\n movdqu %xmm11,176(%r15)\\n"
            " movdqu %xmm12,192(%r15)\\n movdqu %xmm13,208(%r15)\\n movdqu %xmm14,224(%r15)\\n movdqu %xmm15,240(%r15)\\n"
            " pop %r15\\n pop %r14\\n pop %r13\\n pop %r12\\n pop %rbp\\n pop %rbx\\n ret\\n");

            #define MEM @MEM@
            static sigjmp_buf env;
            static struct state st;
            static volatile int sig;
            static const int gregOf[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                           REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

            /* A fault in the instruction: report the state the kernel saved at the faulting instruction. */
            static void handler(int s, siginfo_t *si, void *ctx) {
                ucontext_t *uc = ctx;
                (void) si;
                sig = s;
                st.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
                memcpy(st.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof st.xmm);
                st.rflags = uc->uc_mcontext.gregs[REG_EFL];
                for (int i = 0; i < 14; i++) {
                    if (i != 4) st.gpr[i] = uc->uc_mcontext.gregs[gregOf[i]];
                }
                siglongjmp(env, 1);
            }

            static int readFully(void *p, size_t n) {
                char *c = p;
                while (n > 0) {
                    ssize_t r = read(0, c, n);
                    if (r <= 0) return 0;
                    c += r; n -= r;
                }
                return 1;
            }

            static void writeFully(const void *p, size_t n) {
                const char *c = p;
                while (n > 0) {
                    ssize_t r = write(1, c, n);
                    if (r <= 0) _exit(3);
                    c += r; n -= r;
                }
            }

            int main(void) {
                unsigned char *code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                unsigned char *mem = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (code == MAP_FAILED || mem == MAP_FAILED) return 2;
                struct sigaction sa;
                memset(&sa, 0, sizeof sa);
                sa.sa_sigaction = handler;
                sa.sa_flags = SA_SIGINFO | SA_NODEFER;
                sigemptyset(&sa.sa_mask);
                sigaction(SIGFPE, &sa, 0);
                sigaction(SIGSEGV, &sa, 0);
                sigaction(SIGILL, &sa, 0);
                sigaction(SIGBUS, &sa, 0);
                uint64_t base = (uint64_t) mem;
                writeFully(&base, 8);
                struct { uint8_t code[16]; uint32_t mxcsr, pad; uint64_t rflags; uint64_t xmm[32]; uint64_t gpr[16];
                         uint8_t mem[MEM]; } in;
                struct { uint32_t sig, mxcsr; uint64_t rflags; uint64_t xmm[32]; uint64_t gpr[16];
                         uint8_t mem[MEM]; } out;
                while (readFully(&in, sizeof in)) {
                    int len = in.code[0];
                    memcpy(code, in.code + 1, len);
                    code[len] = 0xC3;
                    memcpy(mem, in.mem, MEM);
                    memcpy(st.xmm, in.xmm, sizeof st.xmm);
                    memcpy(st.gpr, in.gpr, sizeof st.gpr);
                    st.rflags = in.rflags;
                    st.mxcsr = in.mxcsr;
                    sig = 0;
                    if (sigsetjmp(env, 1) == 0) {
                        run(&st, code);
                    }
                    out.sig = sig;
                    out.mxcsr = st.mxcsr;
                    out.rflags = st.rflags;
                    memcpy(out.xmm, st.xmm, sizeof out.xmm);
                    memcpy(out.gpr, st.gpr, sizeof out.gpr);
                    memcpy(out.mem, mem, MEM);
                    writeFully(&out, sizeof out);
                }
                return 0;
            }
            """;

    private final Process process;
    private final long memBase;
    private final OutputStream toHost;
    private final DataInputStream fromHost;

    private HostCpu(Process process) throws IOException {
        this.process = process;
        this.toHost = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.fromHost = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        this.memBase = Long.reverseBytes(fromHost.readLong());
    }

    /** Why the oracle cannot run here, or empty. */
    static Optional<String> unavailable() {
        String arch = System.getProperty("os.arch");
        if (!arch.equals("amd64") && !arch.equals("x86_64")) {
            return Optional.of("host is " + arch + ", not x86-64");
        }
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor() != 0) {
                return Optional.of("gcc --version failed");
            }
        } catch (IOException | InterruptedException e) {
            return Optional.of("gcc is not available: " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Compiles the harness into {@code dir} and starts it. */
    static HostCpu start(Path dir) throws IOException, InterruptedException {
        Path src = dir.resolve("host_sse.c");
        Path exe = dir.resolve("host_sse");
        Files.writeString(src, SOURCE.replace("@MEM@", Integer.toString(MEM)), StandardCharsets.US_ASCII);
        Process cc = new ProcessBuilder("gcc", "-O1", "-o", exe.toString(), src.toString())
                .redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (cc.waitFor() != 0) {
            throw new IOException("gcc failed:\n" + log);
        }
        return new HostCpu(new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** The address of the host data buffer that {@link Exec#mem} is copied to. */
    long memBase() {
        return memBase;
    }

    /** Runs every execution on the host, replacing its inputs with the outputs. */
    void run(List<Exec> execs) throws IOException {
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer b = ByteBuffer.allocate(IN_RECORD).order(ByteOrder.LITTLE_ENDIAN);
                for (Exec e : execs) {
                    b.clear();
                    if (e.code.length > 15) {
                        throw new IllegalArgumentException("instruction too long");
                    }
                    b.put((byte) e.code.length).put(e.code).position(16);
                    b.putInt(e.mxcsr).putInt(0).putLong(e.rflags);
                    for (long x : e.xmm) {
                        b.putLong(x);
                    }
                    for (long g : e.gpr) {
                        b.putLong(g);
                    }
                    b.put(e.mem);
                    toHost.write(b.array());
                }
                toHost.flush();
            } catch (IOException ex) {
                throw new RuntimeException(ex);
            }
        });
        byte[] rec = new byte[OUT_RECORD];
        ByteBuffer b = ByteBuffer.wrap(rec).order(ByteOrder.LITTLE_ENDIAN);
        for (Exec e : execs) {
            fromHost.readFully(rec);
            b.clear();
            e.signal = b.getInt();
            e.mxcsr = b.getInt();
            e.rflags = b.getLong();
            for (int i = 0; i < 32; i++) {
                e.xmm[i] = b.getLong();
            }
            for (int i = 0; i < 16; i++) {
                e.gpr[i] = b.getLong();
            }
            b.get(e.mem);
        }
        writer.join();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        toHost.close();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }

}
