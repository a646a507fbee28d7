/*
 * console.c - serial output through the 16550 at 0x3f8 and a printf-style formatter.
 *
 * Supported: flags '-' '0' '+' ' ' '#', width and precision (numbers or '*'), length modifiers hh h l ll
 * z j t, conversions d i u x X o p s c %. No floating point: guests print doubles through integers.
 */
#include "jkvm.h"

#define LSR_THR_EMPTY 0x20

void putchar_serial(char c)
{
    while ((inb(UART_BASE + 5) & LSR_THR_EMPTY) == 0) {
    }
    outb(UART_BASE, (uint8_t)c);
}

void puts_serial(const char *s)
{
    while (*s) {
        putchar_serial(*s++);
    }
}

/* A sink: serial (buf == NULL) or a bounded buffer. */
struct sink {
    char *buf;
    size_t size;
    size_t len;
};

static void emit(struct sink *out, char c)
{
    if (out->buf == NULL) {
        putchar_serial(c);
    } else if (out->len + 1 < out->size) {
        out->buf[out->len] = c;
    }
    out->len++;
}

static void emit_repeat(struct sink *out, char c, int n)
{
    for (; n > 0; n--) {
        emit(out, c);
    }
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision;      /* -1: none */
};

static void emit_number(struct sink *out, const struct spec *sp, uint64_t magnitude, bool negative,
                        unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    if (magnitude == 0 && sp->precision != 0) {
        tmp[n++] = '0';
    }
    while (magnitude != 0) {
        tmp[n++] = digits[magnitude % base];
        magnitude /= base;
    }
    const char *prefix = "";
    if (negative) {
        prefix = "-";
    } else if (sp->plus) {
        prefix = "+";
    } else if (sp->space) {
        prefix = " ";
    } else if (sp->alt && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0')) {
        prefix = upper ? "0X" : "0x";
    } else if (sp->alt && base == 8 && (n == 0 || tmp[n - 1] != '0')) {
        prefix = "0";
    }
    int prefix_len = (int)strlen(prefix);
    int zeros = sp->precision > n ? sp->precision - n : 0;
    int pad = sp->width - prefix_len - zeros - n;
    if (sp->zero && !sp->left && sp->precision < 0 && pad > 0) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left) {
        emit_repeat(out, ' ', pad);
    }
    for (const char *p = prefix; *p; p++) {
        emit(out, *p);
    }
    emit_repeat(out, '0', zeros);
    while (n > 0) {
        emit(out, tmp[--n]);
    }
    if (sp->left) {
        emit_repeat(out, ' ', pad);
    }
}

static void emit_string(struct sink *out, const struct spec *sp, const char *s)
{
    if (s == NULL) {
        s = "(null)";
    }
    int n = 0;
    while (s[n] && (sp->precision < 0 || n < sp->precision)) {
        n++;
    }
    int pad = sp->width - n;
    if (!sp->left) {
        emit_repeat(out, ' ', pad);
    }
    for (int i = 0; i < n; i++) {
        emit(out, s[i]);
    }
    if (sp->left) {
        emit_repeat(out, ' ', pad);
    }
}

enum length { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE };

static size_t format(struct sink *out, const char *fmt, va_list ap)
{
    while (*fmt) {
        if (*fmt != '%') {
            emit(out, *fmt++);
            continue;
        }
        fmt++;
        struct spec sp = { .precision = -1 };
        for (;; fmt++) {
            if (*fmt == '-') sp.left = true;
            else if (*fmt == '0') sp.zero = true;
            else if (*fmt == '+') sp.plus = true;
            else if (*fmt == ' ') sp.space = true;
            else if (*fmt == '#') sp.alt = true;
            else break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) {
                sp.left = true;
                sp.width = -sp.width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9') {
                sp.width = sp.width * 10 + (*fmt++ - '0');
            }
        }
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') {
                    sp.precision = sp.precision * 10 + (*fmt++ - '0');
                }
            }
        }
        enum length len = LEN_INT;
        if (fmt[0] == 'h' && fmt[1] == 'h') { len = LEN_CHAR; fmt += 2; }
        else if (fmt[0] == 'h') { len = LEN_SHORT; fmt++; }
        else if (fmt[0] == 'l' && fmt[1] == 'l') { len = LEN_LLONG; fmt += 2; }
        else if (fmt[0] == 'l') { len = LEN_LONG; fmt++; }
        else if (fmt[0] == 'z' || fmt[0] == 'j' || fmt[0] == 't') { len = LEN_SIZE; fmt++; }

        char conv = *fmt;
        if (conv == '\0') {
            break;
        }
        fmt++;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v;
            switch (len) {
            case LEN_CHAR: v = (signed char)va_arg(ap, int); break;
            case LEN_SHORT: v = (short)va_arg(ap, int); break;
            case LEN_INT: v = va_arg(ap, int); break;
            default: v = va_arg(ap, int64_t); break;
            }
            uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
            emit_number(out, &sp, mag, v < 0, 10, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            switch (len) {
            case LEN_CHAR: v = (unsigned char)va_arg(ap, unsigned); break;
            case LEN_SHORT: v = (unsigned short)va_arg(ap, unsigned); break;
            case LEN_INT: v = va_arg(ap, unsigned); break;
            default: v = va_arg(ap, uint64_t); break;
            }
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            emit_number(out, &sp, v, false, base, conv == 'X');
            break;
        }
        case 'p': {
            sp.alt = true;
            emit_number(out, &sp, (uint64_t)(uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        }
        case 's':
            emit_string(out, &sp, va_arg(ap, const char *));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!sp.left) {
                emit_repeat(out, ' ', sp.width - 1);
            }
            emit(out, c);
            if (sp.left) {
                emit_repeat(out, ' ', sp.width - 1);
            }
            break;
        }
        case '%':
            emit(out, '%');
            break;
        default:                        /* unknown conversion: print it as written */
            emit(out, '%');
            emit(out, conv);
            break;
        }
    }
    return out->len;
}

int vprintf(const char *fmt, va_list ap)
{
    struct sink out = { 0 };
    return (int)format(&out, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    char dummy;
    struct sink out = { .buf = size ? buf : &dummy, .size = size ? size : 1 };
    size_t n = format(&out, fmt, ap);
    out.buf[n < out.size ? n : out.size - 1] = '\0';
    return (int)n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
