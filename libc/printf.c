/* The printf family.  One formatter (vcbprintf) writes to a sink; the
 * snprintf variants are sinks into a buffer.  No floating point: ring 0 and
 * most domains are built without SSE. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct fmt_spec {
	bool left, zero, plus, space, alt;
	int width;
	int precision; /* -1: none */
	int length;    /* 'H' hh, 'h', 'l', 'L' ll, 'z', 'j', 't', 0 */
	char conv;
};

struct fmt_out {
	fmt_sink_fn sink;
	void *ctx;
	int count;
};

static void out_chars(struct fmt_out *o, const char *s, size_t n)
{
	if (n) {
		o->sink(o->ctx, s, n);
		o->count += (int)n;
	}
}

static void out_repeat(struct fmt_out *o, char c, int n)
{
	char chunk[16];

	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		int k = n < (int)sizeof(chunk) ? n : (int)sizeof(chunk);

		out_chars(o, chunk, (size_t)k);
		n -= k;
	}
}

/* Emits prefix + zeros + body padded to the width, as C specifies. */
static void out_field(struct fmt_out *o, const struct fmt_spec *sp, const char *prefix,
		      int zeros, const char *body, int len)
{
	int plen = (int)strlen(prefix);
	int total = plen + zeros + len;
	int pad = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !(sp->zero && sp->precision < 0 && sp->conv != 's' && sp->conv != 'c'))
		out_repeat(o, ' ', pad);
	out_chars(o, prefix, (size_t)plen);
	if (!sp->left && sp->zero && sp->precision < 0 && sp->conv != 's' && sp->conv != 'c')
		out_repeat(o, '0', pad);
	out_repeat(o, '0', zeros);
	out_chars(o, body, (size_t)len);
	if (sp->left)
		out_repeat(o, ' ', pad);
}

static void format_integer(struct fmt_out *o, const struct fmt_spec *sp, uintmax_t mag,
			   bool negative)
{
	char digits[32];
	int len = 0;
	unsigned base = 10;
	const char *set = "0123456789abcdef";
	char prefix[3] = "";
	bool nonzero = mag != 0;

	switch (sp->conv) {
	case 'x': base = 16; break;
	case 'X': base = 16; set = "0123456789ABCDEF"; break;
	case 'o': base = 8; break;
	case 'p': base = 16; break;
	}
	while (mag) {
		digits[sizeof(digits) - 1 - len++] = set[mag % base];
		mag /= base;
	}
	/* Precision 0 with value 0 prints no digits; otherwise at least one. */
	if (len == 0 && sp->precision != 0)
		digits[sizeof(digits) - 1 - len++] = '0';

	if (negative)
		strlcpy(prefix, "-", sizeof(prefix));
	else if (sp->plus && (sp->conv == 'd' || sp->conv == 'i'))
		strlcpy(prefix, "+", sizeof(prefix));
	else if (sp->space && (sp->conv == 'd' || sp->conv == 'i'))
		strlcpy(prefix, " ", sizeof(prefix));
	else if ((sp->alt && (sp->conv == 'x' || sp->conv == 'X') && nonzero) ||
		 sp->conv == 'p')
		strlcpy(prefix, sp->conv == 'X' ? "0X" : "0x", sizeof(prefix));

	int zeros = sp->precision > len ? sp->precision - len : 0;

	if (sp->alt && sp->conv == 'o' && zeros == 0 && (len == 0 || digits[sizeof(digits) - len] != '0'))
		zeros = 1;
	out_field(o, sp, prefix, zeros, digits + sizeof(digits) - len, len);
}

static uintmax_t fetch_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 'j': return va_arg(*ap, uintmax_t);
	case 't': return (uintmax_t)va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static intmax_t fetch_signed(const struct fmt_spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return (intmax_t)va_arg(*ap, size_t);
	case 'j': return va_arg(*ap, intmax_t);
	case 't': return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

/* Reads flags, width, precision and length; returns the pointer past them. */
static const char *parse_spec(const char *f, struct fmt_spec *sp, va_list *ap)
{
	memset(sp, 0, sizeof(*sp));
	sp->precision = -1;
	for (;; f++) {
		if (*f == '-') sp->left = true;
		else if (*f == '0') sp->zero = true;
		else if (*f == '+') sp->plus = true;
		else if (*f == ' ') sp->space = true;
		else if (*f == '#') sp->alt = true;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9')
			sp->width = sp->width * 10 + (*f++ - '0');
	}
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0)
				sp->precision = -1;
			f++;
		} else {
			while (*f >= '0' && *f <= '9')
				sp->precision = sp->precision * 10 + (*f++ - '0');
		}
	}
	switch (*f) {
	case 'h':
		sp->length = f[1] == 'h' ? 'H' : 'h';
		f += f[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		sp->length = f[1] == 'l' ? 'L' : 'l';
		f += f[1] == 'l' ? 2 : 1;
		break;
	case 'z': case 'j': case 't':
		sp->length = *f++;
		break;
	}
	sp->conv = *f;
	return f;
}

int vcbprintf(fmt_sink_fn sink, void *ctx, const char *restrict fmt, va_list ap_in)
{
	struct fmt_out o = { sink, ctx, 0 };
	struct fmt_spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	while (*fmt) {
		const char *pct = strchr(fmt, '%');

		if (!pct) {
			out_chars(&o, fmt, strlen(fmt));
			break;
		}
		out_chars(&o, fmt, (size_t)(pct - fmt));
		fmt = parse_spec(pct + 1, &sp, &ap);
		switch (sp.conv) {
		case 'd': case 'i': {
			intmax_t v = fetch_signed(&sp, &ap);

			format_integer(&o, &sp, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0);
			break;
		}
		case 'u': case 'x': case 'X': case 'o':
			format_integer(&o, &sp, fetch_unsigned(&sp, &ap), false);
			break;
		case 'p':
			format_integer(&o, &sp, (uintptr_t)va_arg(ap, void *), false);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			sp.precision = -1;
			out_field(&o, &sp, "", 0, &c, 1);
			break;
		}
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (!s)
				s = "(null)";
			int len = (int)(sp.precision >= 0 ? strnlen(s, (size_t)sp.precision) : strlen(s));

			out_field(&o, &sp, "", 0, s, len);
			break;
		}
		case '%':
			out_chars(&o, "%", 1);
			break;
		case '\0':
			/* A lone '%' at the end: print it rather than read past. */
			out_chars(&o, "%", 1);
			va_end(ap);
			return o.count;
		default:
			/* Unknown conversion: show it verbatim so the bug is visible. */
			out_chars(&o, pct, (size_t)(fmt - pct + 1));
			break;
		}
		fmt++;
	}
	va_end(ap);
	return o.count;
}

struct buf_sink {
	char *buf;
	size_t size;
	size_t used;
};

static void buf_sink_write(void *ctx, const char *s, size_t n)
{
	struct buf_sink *b = ctx;

	if (b->size && b->used < b->size - 1) {
		size_t room = b->size - 1 - b->used;
		size_t k = n < room ? n : room;

		memcpy(b->buf + b->used, s, k);
		b->used += k;
	}
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
	struct buf_sink b = { buf, size, 0 };
	int n = vcbprintf(buf_sink_write, &b, fmt, ap);

	if (size)
		buf[b.used] = '\0';
	return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
