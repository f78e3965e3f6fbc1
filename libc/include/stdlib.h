/* Shoji freestanding libc: conversions and the domains' small allocator. */
#ifndef SHOJI_LIBC_STDLIB_H
#define SHOJI_LIBC_STDLIB_H

#include <stddef.h>

int atoi(const char *s);
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int abs(int v);

/* The allocator works in one arena handed over by malloc_init(); until then
 * every allocation fails.  Not thread-safe: a domain serializes its own use. */
void malloc_init(void *arena, size_t size);
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);

/* Bytes still free in the arena (for leak checks in tests). */
size_t malloc_free_bytes(void);

_Noreturn void abort(void);

#endif
