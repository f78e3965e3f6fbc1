/* Pages of the reserved region.  Boot takes pages in order and never gives
 * them back, so a bump pointer is all this needs today; domains (issue #6)
 * will add freeing. */
#include <string.h>

#include "mm.h"
#include "pagetable.h"
#include "spinlock.h"

struct reserved_region shoji_region;

static paddr_t next_free, region_limit;
static struct spinlock alloc_lock; /* CPUs split nested tables at run time */

void page_alloc_init(paddr_t start, paddr_t end)
{
	next_free = ALIGN_UP(start, PAGE_SIZE);
	region_limit = end;
}

void *page_alloc_contig(size_t pages)
{
	uint64_t bytes = pages * PAGE_SIZE;

	spin_lock(&alloc_lock);
	if (pages == 0 || region_limit - next_free < bytes) {
		spin_unlock(&alloc_lock);
		return NULL;
	}
	void *va = phys_to_virt(next_free);

	next_free += bytes;
	spin_unlock(&alloc_lock);
	memset(va, 0, bytes);
	return va;
}

void *page_alloc(void)
{
	return page_alloc_contig(1);
}

size_t page_free_count(void)
{
	return (region_limit - next_free) / PAGE_SIZE;
}

paddr_t virt_to_phys(const void *va)
{
	extern char _image_start[], _image_end[];
	uintptr_t a = (uintptr_t)va;

	if (a >= (uintptr_t)_image_start && a < (uintptr_t)_image_end)
		return shoji_region.image_start + (a - (uintptr_t)_image_start);
	return a - DIRECT_MAP_BASE;
}

static void *region_alloc_table(void *opaque, paddr_t *pa)
{
	void *va = page_alloc();

	(void)opaque;
	if (va)
		*pa = virt_to_phys(va);
	return va;
}

static void *region_table_va(void *opaque, paddr_t pa)
{
	(void)opaque;
	return phys_to_virt(pa);
}

bool pt_ctx_init_region(struct pt_ctx *ctx)
{
	*ctx = (struct pt_ctx){ region_alloc_table, region_table_va, NULL, 0 };
	return region_alloc_table(NULL, &ctx->root) != NULL;
}

void pt_ctx_core(struct pt_ctx *ctx, uint64_t cr3)
{
	*ctx = (struct pt_ctx){ region_alloc_table, region_table_va, NULL, cr3 & PTE_ADDR_MASK };
}
