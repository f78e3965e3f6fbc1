/* See efi_mmap.h. */
#include <string.h>

#include "efi_mmap.h"

enum {
	EFI_RESERVED, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE, EFI_BS_DATA,
	EFI_RT_CODE, EFI_RT_DATA, EFI_CONVENTIONAL, EFI_UNUSABLE, EFI_ACPI_RECLAIM,
	EFI_ACPI_NVS, EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE, EFI_PERSISTENT,
};

/* 0: not memory (leave a hole). */
static uint32_t mem_type(uint32_t efi_type, bool free_only)
{
	switch (efi_type) {
	case EFI_CONVENTIONAL:
		return MEM_AVAILABLE;
	case EFI_LOADER_CODE: case EFI_LOADER_DATA: case EFI_BS_CODE: case EFI_BS_DATA:
		return free_only ? MEM_RESERVED : MEM_AVAILABLE;
	case EFI_UNUSABLE:
		return MEM_BAD;
	case EFI_ACPI_RECLAIM:
		return MEM_ACPI_RECLAIM;
	case EFI_ACPI_NVS:
		return MEM_ACPI_NVS;
	case EFI_MMIO: case EFI_MMIO_PORT:
		return 0;
	case EFI_RESERVED: case EFI_RT_CODE: case EFI_RT_DATA: case EFI_PAL_CODE:
		return MEM_FIRMWARE; /* RAM the firmware keeps and runs in */
	default: /* persistent, unaccepted and OEM types */
		return MEM_RESERVED;
	}
}

unsigned efi_mmap_convert(const void *map, size_t map_size, size_t desc_size, bool free_only,
			  struct mem_range *out, unsigned max)
{
	unsigned n = 0;

	if (desc_size < sizeof(struct efi_mem_desc))
		return 0;
	for (size_t off = 0; off + desc_size <= map_size; off += desc_size) {
		struct efi_mem_desc d;

		memcpy(&d, (const char *)map + off, sizeof(d));
		uint32_t type = mem_type(d.type, free_only);

		/* Empty, unknown-to-memory or wrapping entries are dropped. */
		if (!type || d.pages == 0 || d.pages > (~0ULL >> 12) ||
		    d.phys_start + (d.pages << 12) < d.phys_start)
			continue;
		struct mem_range r = { d.phys_start, d.phys_start + (d.pages << 12), type };
		unsigned i = n;

		/* Insert sorted by start; firmware maps are nearly sorted. */
		while (i > 0 && out[i - 1].start > r.start)
			i--;
		if (i > 0 && out[i - 1].end == r.start && out[i - 1].type == r.type) {
			out[i - 1].end = r.end;
			i--;
		} else if (i < n && r.end == out[i].start && r.type == out[i].type) {
			out[i].start = r.start;
		} else {
			if (n == max)
				return 0;
			memmove(&out[i + 1], &out[i], (n - i) * sizeof(out[0]));
			out[i] = r;
			n++;
		}
		/* The grown entry may now touch its right neighbour. */
		if (i + 1 < n && out[i].end == out[i + 1].start && out[i].type == out[i + 1].type) {
			out[i].end = out[i + 1].end;
			memmove(&out[i + 1], &out[i + 2], (n - i - 2) * sizeof(out[0]));
			n--;
		}
	}
	return n;
}
