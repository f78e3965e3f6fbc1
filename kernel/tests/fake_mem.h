/* A fake physical memory for host tests: [base, base + size) backed by a
 * calloc'd buffer; accesses outside it fail like unreadable memory. */
#ifndef SHOJI_FAKE_MEM_H
#define SHOJI_FAKE_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_load.h"

struct fake_mem {
	uint64_t base, size;
	uint8_t *bytes;
	unsigned writes; /* how many write/move/zero calls succeeded */
};

static inline bool fake_in(struct fake_mem *m, uint64_t pa, uint64_t n)
{
	return pa >= m->base && n <= m->size && pa - m->base <= m->size - n;
}

static inline uint8_t *fake_at(struct fake_mem *m, uint64_t pa)
{
	return m->bytes + (pa - m->base);
}

static inline bool fake_read(void *o, paddr_t pa, void *dst, size_t n)
{
	struct fake_mem *m = o;

	if (!fake_in(m, pa, n))
		return false;
	memcpy(dst, fake_at(m, pa), n);
	return true;
}

static inline bool fake_write(void *o, paddr_t pa, const void *src, size_t n)
{
	struct fake_mem *m = o;

	if (!fake_in(m, pa, n))
		return false;
	memcpy(fake_at(m, pa), src, n);
	m->writes++;
	return true;
}

static inline bool fake_move(void *o, paddr_t dst, paddr_t src, uint64_t n)
{
	struct fake_mem *m = o;

	if (!fake_in(m, dst, n) || !fake_in(m, src, n))
		return false;
	memmove(fake_at(m, dst), fake_at(m, src), n);
	m->writes++;
	return true;
}

static inline bool fake_zero(void *o, paddr_t pa, uint64_t n)
{
	struct fake_mem *m = o;

	if (!fake_in(m, pa, n))
		return false;
	memset(fake_at(m, pa), 0, n);
	m->writes++;
	return true;
}

static inline void fake_init(struct fake_mem *m, uint64_t base, uint64_t size)
{
	m->base = base;
	m->size = size;
	m->bytes = calloc(1, size);
	m->writes = 0;
}

static inline struct guest_phys_ops fake_ops(struct fake_mem *m)
{
	return (struct guest_phys_ops){ fake_read, fake_write, fake_move, fake_zero, m };
}

#endif
