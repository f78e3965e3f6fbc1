/* Physical memory as the core sees it: everything through the direct map,
 * and pages handed out from the reserved region only. */
#ifndef SHOJI_MM_H
#define SHOJI_MM_H

#include "layout.h"
#include "types.h"

static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(DIRECT_MAP_BASE + pa);
}

/* Only for memory of the reserved region (the direct map or the image). */
paddr_t virt_to_phys(const void *va);

/* The reserved region: everything of Shoji that hardware reads by physical
 * address lives here.  Set once at boot. */
struct reserved_region {
	paddr_t start, end;       /* [start, end), 2 MiB aligned */
	paddr_t image_start, image_end;
};
extern struct reserved_region shoji_region;

static inline bool in_shoji_region(paddr_t pa)
{
	return pa >= shoji_region.start && pa < shoji_region.end;
}

/* Zeroed 4 KiB pages from the region.  Boot-time structures are never
 * freed; page_free exists for domains and grants later. */
void page_alloc_init(paddr_t start, paddr_t end);
void *page_alloc(void);
void *page_alloc_contig(size_t pages);
size_t page_free_count(void);

struct pt_ctx;
/* Sets up page tables whose tables come from the region: allocates the
 * root; false if the region is full. */
bool pt_ctx_init_region(struct pt_ctx *ctx);
/* The same allocator, on existing tables rooted at cr3. */
void pt_ctx_core(struct pt_ctx *ctx, uint64_t cr3);

#endif
