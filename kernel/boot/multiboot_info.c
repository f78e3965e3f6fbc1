/* Reading the multiboot v1 information structure (Multiboot Specification
 * 0.6.96, section 3.3).  Everything is copied and bounds-checked: a broken
 * loader gets a message, not a core that walks off into memory. */
#include <stdio.h>
#include <string.h>

#include "boot_info.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002

#define MBI_FLAG_CMDLINE BIT(2)
#define MBI_FLAG_MODS BIT(3)
#define MBI_FLAG_MMAP BIT(6)
#define MBI_FLAG_LOADER_NAME BIT(9)

struct mbi_fixed {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mbi_module {
	uint32_t mod_start, mod_end, string, reserved;
};

struct mbi_mmap_entry {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __attribute__((packed));

/* Reads a NUL-terminated string; false if unreadable or too long. */
static bool read_string(phys_read_fn read, void *opaque, paddr_t pa, char *dst, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (!read(opaque, pa + i, &dst[i], 1))
			return false;
		if (dst[i] == '\0')
			return true;
	}
	dst[max - 1] = '\0';
	return false;
}

enum err multiboot_info_parse(uint32_t magic, paddr_t mbi, phys_read_fn read, void *opaque,
			      struct boot_info *bi, char *why, size_t why_size)
{
	struct mbi_fixed f;

	memset(bi, 0, sizeof(*bi));
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
		snprintf(why, why_size,
			 "started with magic %#x, not by a multiboot v1 loader (expected %#x)", magic,
			 MULTIBOOT_BOOTLOADER_MAGIC);
		return E_INVAL;
	}
	if (!read(opaque, mbi, &f, sizeof(f))) {
		snprintf(why, why_size, "the multiboot information at %#lx is unreadable", mbi);
		return E_FAULT;
	}
	if ((f.flags & MBI_FLAG_CMDLINE) &&
	    !read_string(read, opaque, f.cmdline, bi->cmdline, sizeof(bi->cmdline))) {
		snprintf(why, why_size, "the command line is longer than %d bytes or unreadable",
			 BOOT_CMDLINE_MAX - 1);
		return E_RANGE;
	}
	if (f.flags & MBI_FLAG_LOADER_NAME)
		read_string(read, opaque, f.boot_loader_name, bi->loader_name,
			    sizeof(bi->loader_name)); /* informational; a cut name is fine */

	if (!(f.flags & MBI_FLAG_MMAP)) {
		snprintf(why, why_size, "the loader gave no memory map (multiboot flag 6)");
		return E_INVAL;
	}
	for (uint64_t off = 0; off + 4 <= f.mmap_length;) {
		struct mbi_mmap_entry e;

		if (!read(opaque, (paddr_t)f.mmap_addr + off, &e, sizeof(e))) {
			snprintf(why, why_size, "memory map entry at offset %lu is unreadable", off);
			return E_FAULT;
		}
		if (e.size < 20) {
			snprintf(why, why_size, "memory map entry at offset %lu has size %u (expected >= 20)",
				 off, e.size);
			return E_INVAL;
		}
		off += (uint64_t)e.size + 4;
		if (e.length == 0)
			continue;
		if (bi->mmap_count == BOOT_MAX_MMAP) {
			snprintf(why, why_size, "the memory map has more than %d entries", BOOT_MAX_MMAP);
			return E_RANGE;
		}
		/* An entry that runs past the top of the address space is cut
		 * there; one that starts at the very top is empty. */
		uint64_t end = e.base + e.length < e.base ? ~0ULL : e.base + e.length;

		if (end <= e.base)
			continue;
		bi->mmap[bi->mmap_count++] = (struct mem_range){ e.base, end, e.type };
	}
	if (bi->mmap_count == 0) {
		snprintf(why, why_size, "the memory map is empty");
		return E_INVAL;
	}

	if (!(f.flags & MBI_FLAG_MODS))
		f.mods_count = 0;
	if (f.mods_count > BOOT_MAX_MODULES) {
		snprintf(why, why_size, "%u modules given; at most %d are supported", f.mods_count,
			 BOOT_MAX_MODULES);
		return E_RANGE;
	}
	for (uint32_t i = 0; i < f.mods_count; i++) {
		struct mbi_module m;
		struct boot_module *bm = &bi->modules[i];

		if (!read(opaque, (paddr_t)f.mods_addr + i * sizeof(m), &m, sizeof(m))) {
			snprintf(why, why_size, "module %u's entry is unreadable", i);
			return E_FAULT;
		}
		if (m.mod_end < m.mod_start) {
			snprintf(why, why_size, "module %u ends (%#x) before it starts (%#x)", i,
				 m.mod_end, m.mod_start);
			return E_INVAL;
		}
		bm->start = m.mod_start;
		bm->end = m.mod_end;
		if (m.string && !read_string(read, opaque, m.string, bm->cmdline, sizeof(bm->cmdline))) {
			snprintf(why, why_size,
				 "module %u's command line is longer than %d bytes or unreadable", i,
				 BOOT_CMDLINE_MAX - 1);
			return E_RANGE;
		}
	}
	bi->module_count = f.mods_count;
	return E_OK;
}
