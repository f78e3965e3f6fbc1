/* Guest-physical memory from the core's side: the loaders' access (boot
 * time) and reads on the guest's behalf (decoding its instructions). */
#include <string.h>

#include "guest.h"
#include "guest_load.h"
#include "mm.h"

struct mem_range guest_map[E820_MAX];
unsigned guest_map_count;

/* The map entry that answered last: exits read the same RAM again and
 * again.  A stale index is harmless, it is checked like any other. */
static unsigned last_ram_entry;

static bool ram_entry_covers(unsigned i, paddr_t start, paddr_t end)
{
	const struct mem_range *r = &guest_map[i];

	return r->start <= start && end <= r->end &&
	       (r->type == MEM_AVAILABLE || r->type == MEM_ACPI_RECLAIM || r->type == MEM_ACPI_NVS ||
		r->type == MEM_FIRMWARE);
}

static bool in_guest_ram(paddr_t start, paddr_t end)
{
	unsigned hint = last_ram_entry;

	if (hint < guest_map_count && ram_entry_covers(hint, start, end))
		return true;
	for (unsigned i = 0; i < guest_map_count; i++) {
		if (ram_entry_covers(i, start, end)) {
			last_ram_entry = i;
			return true;
		}
	}
	return false;
}

bool gmem_is_ram(paddr_t gpa, size_t n)
{
	return gpa + n > gpa && !ranges_overlap(gpa, gpa + n, shoji_region.start, shoji_region.end) &&
	       in_guest_ram(gpa, gpa + n);
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
	if (n == 8) /* page-table entries: the common case */
		*(uint64_t *)dst = *(const volatile uint64_t *)phys_to_virt(gpa);
	else
		memcpy(dst, phys_to_virt(gpa), n);
	return true;
}

bool gmem_write(paddr_t gpa, const void *src, size_t n)
{
	if (!gmem_is_ram(gpa, n))
		return false;
	memcpy(phys_to_virt(gpa), src, n);
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
