/* Shoji freestanding libc: memory and string functions. */
#ifndef SHOJI_LIBC_STRING_H
#define SHOJI_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);

/* Copies at most size-1 bytes and always terminates (when size > 0).
 * Returns strlen(src), so truncation shows as a result >= size. */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif
