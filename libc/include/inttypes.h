/* Shoji freestanding libc: the printf macros for the fixed-width types. */
#ifndef SHOJI_LIBC_INTTYPES_H
#define SHOJI_LIBC_INTTYPES_H

#include <stdint.h>

#define PRId32 "d"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRId64 "ld"
#define PRIu64 "lu"
#define PRIx64 "lx"
#define PRIX64 "lX"

#endif
