/* x86-64 4-level page tables, the format shared by the core's own tables
 * and AMD's nested page tables (APM Vol. 2 15.25).  Pure logic: table
 * memory comes from callbacks, so the host tests run it on malloc'd pages. */
#ifndef SHOJI_PAGETABLE_H
#define SHOJI_PAGETABLE_H

#include "errors.h"
#include "types.h"

#define PTE_P BIT(0)
#define PTE_W BIT(1)
#define PTE_U BIT(2)
#define PTE_PWT BIT(3)
#define PTE_PCD BIT(4)
#define PTE_A BIT(5)
#define PTE_D BIT(6)
#define PTE_PS BIT(7)
#define PTE_G BIT(8)
#define PTE_NX BIT(63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ULL

struct pt_ctx {
	/* Returns a zeroed 4 KiB table and its physical address, or NULL. */
	void *(*alloc_table)(void *opaque, paddr_t *pa);
	void *(*table_va)(void *opaque, paddr_t pa);
	void *opaque;
	paddr_t root; /* physical address of the PML4 */
};

/* Maps [va, va + size) to [pa, pa + size) with `flags` (PTE_P implied),
 * using pages up to max_page (4 KiB, 2 MiB or 1 GiB) where both addresses
 * are aligned.  Tables are created on the way with P|W|U (the leaf decides
 * the rights).  Fails with E_EXISTS if a large page is in the way of a
 * smaller mapping, E_NOMEM if a table cannot be had, E_INVAL on unaligned
 * input. */
enum err pt_map(struct pt_ctx *ctx, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
		uint64_t max_page);

/* Maps one 4 KiB page; a larger page covering it is first split into
 * smaller ones that map the same addresses with the same rights. */
enum err pt_map_4k_split(struct pt_ctx *ctx, uint64_t va, paddr_t pa, uint64_t flags);

/* Removes the 4 KiB mappings of [va, va + size); pages not mapped are
 * skipped.  E_EXISTS if a large page covers part of it (nothing is then
 * promised about the rest), E_INVAL on unaligned input.  Tables stay; the
 * caller flushes TLBs. */
enum err pt_unmap(struct pt_ctx *ctx, uint64_t va, uint64_t size);

/* Looks va up; returns false if unmapped.  *page_size gets the leaf size. */
bool pt_lookup(const struct pt_ctx *ctx, uint64_t va, paddr_t *pa, uint64_t *flags,
	       uint64_t *page_size);

#endif
