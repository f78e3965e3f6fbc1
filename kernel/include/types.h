/* Basic types and helpers every core file uses. */
#ifndef SHOJI_TYPES_H
#define SHOJI_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* a physical (host or guest-physical) address */

#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define PAGE_SIZE 4096ULL
#define PAGE_2M MiB(2)
#define PAGE_1G GiB(1)

#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a) (((x) + (uint64_t)(a) - 1) & ~((uint64_t)(a) - 1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ULL << (n))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* [start, end) ranges are used throughout; end is exclusive. */
static inline bool ranges_overlap(uint64_t a_start, uint64_t a_end, uint64_t b_start,
				  uint64_t b_end)
{
	return a_start < b_end && b_start < a_end;
}

#endif
