/*
 * fmt.c: the printf formatter shared by the hypervisor, the guest OS, the
 * loader and the host unit tests (tests/unit/test_fmt.c shows its contract).
 */
#include "fmt.h"
#include <stdint.h>
#include <stdbool.h>

struct spec {
    bool left;      /* '-': pad on the right */
    bool zero;      /* '0': pad numbers with zeros */
    int width;
    int precision;  /* -1 when absent */
    int length;     /* 0 int, 1 long, 2 long long / 64-bit */
};

struct out {
    fmt_putc_fn putc;
    void *ctx;
    int count;
};

static void emit(struct out *o, char c)
{
    o->putc(o->ctx, c);
    o->count++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        emit(o, c);
}

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    int len = 0;
    while (s[len] && (sp->precision < 0 || len < sp->precision))
        len++;
    if (!sp->left)
        pad(o, ' ', sp->width - len);
    for (int i = 0; i < len; i++)
        emit(o, s[i]);
    if (sp->left)
        pad(o, ' ', sp->width - len);
}

static void emit_num(struct out *o, const struct spec *sp, uint64_t v, bool neg,
                     unsigned base, bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int n = 0;
    do {
        buf[n++] = digits[v % base];
        v /= base;
    } while (v);

    int plen = 0;
    while (prefix[plen])
        plen++;
    int len = n + plen + (neg ? 1 : 0);
    if (!sp->left && !sp->zero)
        pad(o, ' ', sp->width - len);
    if (neg)
        emit(o, '-');
    for (int i = 0; i < plen; i++)
        emit(o, prefix[i]);
    if (!sp->left && sp->zero)
        pad(o, '0', sp->width - len);
    while (n)
        emit(o, buf[--n]);
    if (sp->left)
        pad(o, ' ', sp->width - len);
}

static uint64_t arg_unsigned(va_list *ap, int length)
{
    if (length == 2)
        return va_arg(*ap, unsigned long long);
    if (length == 1)
        return va_arg(*ap, unsigned long);
    return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int length)
{
    if (length == 2)
        return va_arg(*ap, long long);
    if (length == 1)
        return va_arg(*ap, long);
    return va_arg(*ap, int);
}

/* Parse flags, width, precision and length; returns the conversion character. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    *sp = (struct spec){ .precision = -1 };
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = -sp->width;
        }
        f++;
    }
    while (*f >= '0' && *f <= '9')
        sp->width = sp->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        sp->precision = 0;
        if (*f == '*') {
            sp->precision = va_arg(*ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            sp->precision = sp->precision * 10 + (*f++ - '0');
    }
    /* size_t, intmax_t and ptrdiff_t are as wide as long on both ABIs we use
     * (ILP32 and LP64), except intmax_t, which is always 64-bit. */
    for (;; f++) {
        if (*f == 'h')
            ; /* promoted to int by varargs anyway */
        else if (*f == 'l')
            sp->length++;
        else if (*f == 'z' || *f == 't')
            sp->length = sizeof(long) == 8 ? 2 : 1;
        else if (*f == 'j')
            sp->length = 2;
        else
            break;
    }
    if (sp->length == 1 && sizeof(long) == 8)
        sp->length = 2;
    if (sp->length > 2)
        sp->length = 2;
    return f;
}

int fmt_vformat(fmt_putc_fn putc, void *ctx, const char *fmt, va_list ap0)
{
    struct out o = { putc, ctx, 0 };
    va_list ap;
    va_copy(ap, ap0);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            emit(&o, *f);
            continue;
        }
        const char *start = f;
        struct spec sp;
        f = parse_spec(f + 1, &sp, &ap);
        switch (*f) {
        case 'c': {
            char c[2] = { (char)va_arg(ap, int), 0 };
            sp.precision = 1;
            emit_str(&o, &sp, c);
            break;
        }
        case 's':
            emit_str(&o, &sp, va_arg(ap, const char *));
            break;
        case 'd':
        case 'i': {
            int64_t v = arg_signed(&ap, sp.length);
            emit_num(&o, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, "");
            break;
        }
        case 'u':
            emit_num(&o, &sp, arg_unsigned(&ap, sp.length), false, 10, false, "");
            break;
        case 'x':
        case 'X':
            emit_num(&o, &sp, arg_unsigned(&ap, sp.length), false, 16, *f == 'X', "");
            break;
        case 'o':
            emit_num(&o, &sp, arg_unsigned(&ap, sp.length), false, 8, false, "");
            break;
        case 'p':
            emit_num(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false, "0x");
            break;
        case '%':
            emit(&o, '%');
            break;
        default:
            /* Unknown or truncated conversion: print it verbatim. */
            for (const char *p = start; p <= f && *p; p++)
                emit(&o, *p);
            if (!*f)
                f--;
            break;
        }
    }
    va_end(ap);
    return o.count;
}

struct bufctx {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_putc(void *ctx, char c)
{
    struct bufctx *b = ctx;
    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct bufctx b = { buf, size, 0 };
    int n = fmt_vformat(buf_putc, &b, fmt, ap);
    if (size)
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
