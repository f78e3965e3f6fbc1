/* Moving the image into the reserved region.  The multiboot loader put us
 * at 1 MiB, where guests expect ordinary RAM; we take a 2 MiB-aligned
 * region at the top of memory below 4 GiB (where BIOS-era OSes leave room,
 * and reachable by 32-bit DMA for later drivers), copy the image to its
 * start and run from there. */
#include <string.h>

#include "boot.h"
#include "log.h"
#include "mm.h"
#include "pagetable.h"
#include "region.h"
#include "x86.h"

extern char _image_start[], _image_end[], _text_start[], _text_end[], _rodata_start[],
	_rodata_end[], _data_start[];

void relocate_and_switch(void *dst, const void *src, size_t len, uint64_t cr3);

static uint64_t image_pa(const char *va, paddr_t base)
{
	return base + (uint64_t)(va - _image_start);
}

/* The end of physical address space worth mapping: all RAM and at least
 * the 32-bit space (local APIC, firmware, PCI holes). */
static uint64_t direct_map_end(const struct boot_info *bi)
{
	uint64_t end = GiB(4);

	for (unsigned i = 0; i < bi->mmap_count; i++)
		end = MAX(end, bi->mmap[i].end);
	return ALIGN_UP(end, PAGE_1G);
}

static void map_or_die(struct pt_ctx *ctx, uint64_t va, paddr_t pa, uint64_t size,
		       uint64_t flags, uint64_t page)
{
	enum err e = pt_map(ctx, va, pa, size, flags, page);

	if (e != E_OK)
		boot_fatal("cannot build the core's page tables (%s); raise vmm.memsize",
			   err_name(e));
}

/* Builds the core's page tables for the image at `base` and switches to
 * them, copying the image there first if it runs elsewhere. */
static void region_take(const struct boot_info *bi, paddr_t base, uint64_t region_size,
			bool copy)
{
	uint64_t image_size = (uint64_t)(_image_end - _image_start);

	shoji_region = (struct reserved_region){
		.start = base,
		.end = base + region_size,
		.image_start = base,
		.image_end = base + image_size,
	};
	page_alloc_init(base + ALIGN_UP(image_size, PAGE_SIZE), base + region_size);

	struct pt_ctx ctx;
	struct cpuid_regs r;

	if (!pt_ctx_init_region(&ctx))
		boot_fatal("reserved region too small for page tables; raise vmm.memsize");
	cpuid(0x80000001, 0, &r);
	uint64_t big_page = (r.edx & BIT(26)) ? PAGE_1G : PAGE_2M;

	map_or_die(&ctx, DIRECT_MAP_BASE, 0, direct_map_end(bi), PTE_W | PTE_NX | PTE_G, big_page);
	/* The image with the rights of each part: text read-only, the rest
	 * not executable. */
	map_or_die(&ctx, (uintptr_t)_text_start, image_pa(_text_start, base),
		   ALIGN_UP((uint64_t)(_text_end - _text_start), PAGE_SIZE), PTE_G, PAGE_SIZE);
	map_or_die(&ctx, (uintptr_t)_image_start, image_pa(_image_start, base),
		   (uint64_t)(_text_start - _image_start), PTE_NX | PTE_G, PAGE_SIZE);
	map_or_die(&ctx, (uintptr_t)_rodata_start, image_pa(_rodata_start, base),
		   ALIGN_UP((uint64_t)(_rodata_end - _rodata_start), PAGE_SIZE), PTE_NX | PTE_G,
		   PAGE_SIZE);
	map_or_die(&ctx, (uintptr_t)_data_start, image_pa(_data_start, base),
		   (uint64_t)(_image_end - _data_start), PTE_W | PTE_NX | PTE_G, PAGE_SIZE);

	relocate_and_switch(phys_to_virt(base), _image_start, copy ? image_size : 0, ctx.root);
	/* From here on we run from the region; 1 MiB belongs to the guest. */
	write_cr4(read_cr4() | CR4_PGE);
}

void relocate_image(const struct boot_info *bi, uint64_t region_size)
{
	struct mem_range avoid[BOOT_MAX_MODULES + 2];
	unsigned n = 0;
	uint64_t image_size = (uint64_t)(_image_end - _image_start);
	paddr_t base;

	avoid[n++] = (struct mem_range){ 0, MiB(1), 0 };
	avoid[n++] = (struct mem_range){ IMAGE_LOAD_PA, IMAGE_LOAD_PA + image_size, 0 };
	for (unsigned i = 0; i < bi->module_count; i++)
		avoid[n++] = (struct mem_range){ bi->modules[i].start, bi->modules[i].end, 0 };

	if (region_choose(bi->mmap, bi->mmap_count, avoid, n, region_size, PAGE_2M, GiB(4),
			  &base) != E_OK)
		boot_fatal("no room below 4 GiB for Shoji's reserved region of %lu MiB "
			   "(outside the guest modules); give the machine more memory or lower "
			   "vmm.memsize",
			   region_size >> 20);
	region_take(bi, base, region_size, true);
}

void region_adopt(const struct boot_info *bi, paddr_t base, uint64_t region_size)
{
	region_take(bi, base, region_size, false);
}
