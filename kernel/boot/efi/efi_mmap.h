/* The firmware's memory map in the core's terms.  Pure logic, host-tested
 * (kernel/tests/test_efi.c). */
#ifndef SHOJI_EFI_MMAP_H
#define SHOJI_EFI_MMAP_H

#include "boot_info.h"

/* UEFI 2.10, 7.2 (EFI_MEMORY_DESCRIPTOR); the firmware's stride
 * (desc_size) may be larger than this. */
struct efi_mem_desc {
	uint32_t type;
	uint32_t pad;
	uint64_t phys_start, virt_start, pages, attribute;
};

/* Converts the map into sorted ranges, adjacent ranges of one type
 * merged.  With free_only, only EfiConventionalMemory is available (where
 * the loader may allocate); without, memory the loader and boot services
 * hold is available too (the OS gets it back at ExitBootServices).
 * Runtime-services and reserved memory is MEM_FIRMWARE; MMIO entries are
 * left out, as holes.  Returns the count, or 0 if more than `max` would be needed. */
unsigned efi_mmap_convert(const void *map, size_t map_size, size_t desc_size, bool free_only,
			  struct mem_range *out, unsigned max);

#endif
