/* Shoji freestanding libc: formatting only; there are no files.
 * Supported conversions: d i u x X o c s p %, flags - 0 + space #,
 * width and precision (also as *), length modifiers hh h l ll z j t. */
#ifndef SHOJI_LIBC_STDIO_H
#define SHOJI_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

typedef struct shoji_file FILE;

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Formats to a sink one chunk at a time; returns the characters produced.
 * This is what the core's log and the domains' consoles are built on. */
typedef void (*fmt_sink_fn)(void *ctx, const char *s, size_t n);
int vcbprintf(fmt_sink_fn sink, void *ctx, const char *restrict fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

#endif
