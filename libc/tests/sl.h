/* Prototypes of the renamed Shoji libc, for tests that also use glibc. */
#ifndef SL_H
#define SL_H
#include <stdarg.h>
#include <stddef.h>

void *sl_memcpy(void *dst, const void *src, size_t n);
void *sl_memmove(void *dst, const void *src, size_t n);
void *sl_memset(void *dst, int c, size_t n);
int sl_memcmp(const void *a, const void *b, size_t n);
void *sl_memchr(const void *s, int c, size_t n);
size_t sl_strlen(const char *s);
size_t sl_strnlen(const char *s, size_t max);
int sl_strcmp(const char *a, const char *b);
int sl_strncmp(const char *a, const char *b, size_t n);
char *sl_strchr(const char *s, int c);
char *sl_strrchr(const char *s, int c);
char *sl_strstr(const char *h, const char *n);
size_t sl_strspn(const char *s, const char *a);
size_t sl_strcspn(const char *s, const char *r);
size_t sl_strlcpy(char *dst, const char *src, size_t size);
int sl_atoi(const char *s);
long sl_strtol(const char *s, char **end, int base);
unsigned long sl_strtoul(const char *s, char **end, int base);
unsigned long long sl_strtoull(const char *s, char **end, int base);
void sl_malloc_init(void *arena, size_t size);
void *sl_malloc(size_t size);
void *sl_calloc(size_t count, size_t size);
void *sl_realloc(void *ptr, size_t size);
void sl_free(void *ptr);
size_t sl_malloc_free_bytes(void);
int sl_snprintf(char *buf, size_t size, const char *fmt, ...);
int sl_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int sl_isdigit(int c);
int sl_isxdigit(int c);
int sl_isspace(int c);
int sl_isalpha(int c);
int sl_isalnum(int c);
int sl_isupper(int c);
int sl_islower(int c);
int sl_isprint(int c);
int sl_ispunct(int c);
int sl_toupper(int c);
int sl_tolower(int c);
#endif
