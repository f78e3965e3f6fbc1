/* Force-included into host builds of core sources: what our libc has and
 * the host's glibc may lack. */
#ifndef SHOJI_HOST_COMPAT_H
#define SHOJI_HOST_COMPAT_H
#include <stddef.h>
#include <string.h>
#if !defined(__GLIBC__) || !__GLIBC_PREREQ(2, 38)
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);
#endif
#endif
