/* Guest-physical memory from the core's side: the loaders' access (boot
 * time) and reads on the guest's behalf (decoding its instructions). */
#include <string.h>

#include "guest.h"
#include "guest_load.h"
#include "mm.h"

struct mem_range guest_map[E820_MAX];
unsigned guest_map_count;

static bool in_guest_ram(paddr_t start, paddr_t end)
{
	for (unsigned i = 0; i < guest_map_count; i++) {
		const struct mem_range *r = &guest_map[i];

		if (r->start <= start && end <= r->end)
			return r->type == MEM_AVAILABLE || r->type == MEM_ACPI_RECLAIM ||
			       r->type == MEM_ACPI_NVS;
	}
	return false;
}

bool gmem_read(void *opaque, paddr_t gpa, void *dst, size_t n)
{
	(void)opaque;
	if (gpa + n < gpa)
		return false;
	if (ranges_overlap(gpa, gpa + n, shoji_region.start, shoji_region.end)) {
		/* What the guest itself reads there: zeros.  Byte by byte keeps
		 * the partial-overlap case simple; it is never hot. */
		for (size_t i = 0; i < n; i++) {
			if (in_shoji_region(gpa + i))
				((uint8_t *)dst)[i] = 0;
			else if (!gmem_read(NULL, gpa + i, (uint8_t *)dst + i, 1))
				return false;
		}
		return true;
	}
	/* Guest RAM, or the legacy BIOS area where real-mode firmware runs. */
	if (!in_guest_ram(gpa, gpa + n) && !(gpa >= 0xC0000 && gpa + n <= 0x100000))
		return false;
	memcpy(dst, phys_to_virt(gpa), n);
	return true;
}

/* The loaders write only memory the guest owns; the e820 checks in
 * guest/copies.c come first, this is the last line of defence. */
static bool guest_owned(paddr_t pa, uint64_t n)
{
	return pa + n >= pa && !ranges_overlap(pa, pa + n, shoji_region.start, shoji_region.end) &&
	       pa + n <= GiB(4);
}

static bool load_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (!guest_owned(pa, n))
		return false;
	memcpy(dst, phys_to_virt(pa), n);
	return true;
}

static bool load_write(void *opaque, paddr_t pa, const void *src, size_t n)
{
	(void)opaque;
	if (!guest_owned(pa, n))
		return false;
	memcpy(phys_to_virt(pa), src, n);
	return true;
}

static bool load_move(void *opaque, paddr_t dst, paddr_t src, uint64_t n)
{
	(void)opaque;
	if (!guest_owned(dst, n) || !guest_owned(src, n))
		return false;
	memmove(phys_to_virt(dst), phys_to_virt(src), n);
	return true;
}

static bool load_zero(void *opaque, paddr_t pa, uint64_t n)
{
	(void)opaque;
	if (!guest_owned(pa, n))
		return false;
	memset(phys_to_virt(pa), 0, n);
	return true;
}

const struct guest_phys_ops guest_load_memory = {
	load_read, load_write, load_move, load_zero, NULL,
};
