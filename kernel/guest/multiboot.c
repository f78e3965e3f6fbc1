/* Starting a multiboot v1 kernel given as a module (Multiboot Specification
 * 0.6.96): loaded from its ELF32 or ELF64 program headers or from the
 * header's address fields, bss cleared, its own command line, modules and
 * memory map in a multiboot information structure. */
#include <stdio.h>
#include <string.h>

#include "e820.h"
#include "guest_load.h"
#include "region.h"

#define MB_HEADER_MAGIC 0x1BADB002
#define MB_BOOT_MAGIC 0x2BADB002
#define MB_SEARCH 8192
#define MB_FLAG_PAGE_ALIGN BIT(0)
#define MB_FLAG_MEMORY BIT(1)
#define MB_FLAG_VIDEO BIT(2)
#define MB_FLAG_ADDRESSES BIT(16)
#define MB_FLAGS_WE_HONOUR (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY)

#define MBI_MEM BIT(0)
#define MBI_CMDLINE BIT(2)
#define MBI_MODS BIT(3)
#define MBI_MMAP BIT(6)
#define MBI_LOADER_NAME BIT(9)

/* Where the information structure goes in the guest's low memory. */
#define MBI_PA GUEST_BOOT_DATA_PA
#define MBI_MMAP_PA (GUEST_BOOT_DATA_PA + 0x100)
#define MBI_MODS_PA (GUEST_BOOT_DATA_PA + 0xF00)
#define MBI_STRINGS_PA (GUEST_BOOT_DATA_PA + 0x1000)
#define MBI_MAX_MODULES 8

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct elf_ident {
	uint8_t magic[4], cls, data, version, pad[9];
	uint16_t type, machine;
};

struct elf32_header {
	struct elf_ident id;
	uint32_t version, entry, phoff, shoff, flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_header {
	struct elf_ident id;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf32_phdr {
	uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define MAX_SEGMENTS 16

struct segment {
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

/* Returns the offset of a valid header in the first bytes, or -1. */
static long find_header(const uint8_t *head, size_t n, struct mb_header *h)
{
	for (size_t off = 0; off + 12 <= MIN(n, (size_t)MB_SEARCH); off += 4) {
		memset(h, 0, sizeof(*h));
		memcpy(h, head + off, MIN(sizeof(*h), n - off));
		if (h->magic == MB_HEADER_MAGIC && h->magic + h->flags + h->checksum == 0)
			return (long)off;
	}
	return -1;
}

bool multiboot_image_detect(const uint8_t *head, size_t n)
{
	struct mb_header h;

	return find_header(head, n, &h) >= 0;
}

/* Reads the PT_LOAD segments of an ELF32 or ELF64 image; *entry gets the
 * entry point as a physical address. */
static enum err read_elf_segments(const struct guest_load_ctx *ctx, const struct guest_image *k,
				  const uint8_t *head, size_t head_len, struct segment *segs,
				  unsigned *count, uint64_t *entry)
{
	const struct elf_ident *id = (const void *)head;
	uint64_t phoff, phnum, phentsize;

	if (head_len < sizeof(struct elf64_header) || memcmp(id->magic, "\177ELF", 4) != 0)
		return load_fail(ctx, E_INVAL,
				 "%s has a multiboot header without address fields, so it must be "
				 "ELF, and it is not",
				 k->label);
	if (id->data != 1 || id->type != 2 || !((id->cls == 1 && id->machine == 3) ||
						(id->cls == 2 && id->machine == 62)))
		return load_fail(ctx, E_INVAL,
				 "%s is not a little-endian x86 ELF executable (class %u, type %u, "
				 "machine %u)",
				 k->label, id->cls, id->type, id->machine);
	if (id->cls == 1) {
		const struct elf32_header *h = (const void *)head;

		phoff = h->phoff;
		phnum = h->phnum;
		phentsize = h->phentsize;
		*entry = h->entry;
	} else {
		const struct elf64_header *h = (const void *)head;

		phoff = h->phoff;
		phnum = h->phnum;
		phentsize = h->phentsize;
		*entry = h->entry;
	}
	size_t want = id->cls == 1 ? sizeof(struct elf32_phdr) : sizeof(struct elf64_phdr);

	if (phentsize < want || phnum == 0 || phnum > 64 || phoff > k->size ||
	    phnum * phentsize > k->size - phoff)
		return load_fail(ctx, E_INVAL, "%s has a corrupt program header table", k->label);
	*count = 0;
	for (uint64_t i = 0; i < phnum; i++) {
		union { struct elf32_phdr p32; struct elf64_phdr p64; } ph;
		struct segment s;
		uint32_t type;

		if (!ctx->mem->read(ctx->mem->opaque, k->start + phoff + i * phentsize, &ph, want))
			return load_fail(ctx, E_FAULT, "%s: cannot read its program headers", k->label);
		if (id->cls == 1) {
			type = ph.p32.type;
			s = (struct segment){ ph.p32.offset, ph.p32.vaddr, ph.p32.paddr, ph.p32.filesz,
					      ph.p32.memsz };
		} else {
			type = ph.p64.type;
			s = (struct segment){ ph.p64.offset, ph.p64.vaddr, ph.p64.paddr, ph.p64.filesz,
					      ph.p64.memsz };
		}
		if (type != PT_LOAD || s.memsz == 0)
			continue;
		if (s.filesz > s.memsz || s.offset > k->size || s.filesz > k->size - s.offset)
			return load_fail(ctx, E_INVAL,
					 "%s: segment %lu lies outside the file (offset %#lx, size %#lx)",
					 k->label, i, s.offset, s.filesz);
		if (s.paddr >= GiB(4) || s.memsz > GiB(4) - s.paddr)
			return load_fail(ctx, E_RANGE,
					 "%s: segment %lu is at %#lx-%#lx, above 4 GiB where multiboot "
					 "cannot load",
					 k->label, i, s.paddr, s.paddr + s.memsz - 1);
		if (*count == MAX_SEGMENTS)
			return load_fail(ctx, E_RANGE, "%s has more than %d loadable segments", k->label,
					 MAX_SEGMENTS);
		segs[(*count)++] = s;
	}
	if (*count == 0)
		return load_fail(ctx, E_INVAL, "%s has no loadable segment", k->label);
	/* The entry may be given as a virtual address: translate it through
	 * the segment holding it, as GRUB does. */
	for (unsigned i = 0; i < *count; i++)
		if (*entry >= segs[i].vaddr && *entry < segs[i].vaddr + segs[i].memsz)
			*entry = *entry - segs[i].vaddr + segs[i].paddr;
	return E_OK;
}

/* The segment described by the header's address fields (flag 16). */
static enum err read_address_fields(const struct guest_load_ctx *ctx, const struct guest_image *k,
				    const struct mb_header *h, long header_off, struct segment *s,
				    uint64_t *entry)
{
	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > (uint64_t)header_off)
		return load_fail(ctx, E_INVAL, "%s: its multiboot load address is after its header",
				 k->label);
	uint64_t offset = (uint64_t)header_off - (h->header_addr - h->load_addr);
	uint64_t filesz = h->load_end_addr ? (uint64_t)h->load_end_addr - h->load_addr
					   : k->size - offset;
	uint64_t memsz = h->bss_end_addr ? (uint64_t)h->bss_end_addr - h->load_addr : filesz;

	if (h->load_end_addr && h->load_end_addr < h->load_addr)
		return load_fail(ctx, E_INVAL, "%s: load_end_addr is below load_addr", k->label);
	if (filesz > k->size - offset)
		return load_fail(ctx, E_INVAL, "%s is truncated: %lu bytes from its load address, "
				 "the header asks for %lu", k->label, k->size - offset, filesz);
	if (memsz < filesz)
		return load_fail(ctx, E_INVAL, "%s: bss_end_addr is below load_end_addr", k->label);
	*s = (struct segment){ offset, h->load_addr, h->load_addr, filesz, memsz };
	*entry = h->entry_addr;
	return E_OK;
}

struct mbi_out {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name, apm_table;
};

struct mbi_mmap_out {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __attribute__((packed));

/* Appends a string to the strings area; returns its address or 0. */
static uint32_t put_string(const struct guest_load_ctx *ctx, paddr_t *cursor, const char *s)
{
	size_t n = strlen(s) + 1;
	paddr_t at = *cursor;

	if (at + n > GUEST_BOOT_DATA_END || !ctx->mem->write(ctx->mem->opaque, at, s, n))
		return 0;
	*cursor += n;
	return (uint32_t)at;
}

static enum err write_info(const struct guest_load_ctx *ctx, const struct guest_image *k,
			   const struct guest_image *mods, const paddr_t *mod_at, unsigned nmods)
{
	struct mbi_out mbi = { 0 };
	paddr_t strings = MBI_STRINGS_PA;

	mbi.flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
	for (unsigned i = 0; i < ctx->map_count; i++) {
		const struct mem_range *r = &ctx->map[i];

		if (r->type != MEM_AVAILABLE)
			continue;
		if (r->start == 0)
			mbi.mem_lower = (uint32_t)(MIN(r->end, 0xA0000ULL) >> 10);
		if (r->start <= MiB(1) && r->end > MiB(1))
			mbi.mem_upper = (uint32_t)((MIN(r->end, GiB(4)) - MiB(1)) >> 10);
	}
	mbi.cmdline = put_string(ctx, &strings, k->cmdline);
	mbi.boot_loader_name = put_string(ctx, &strings, "Shoji");
	for (unsigned i = 0; i < nmods; i++) {
		uint32_t entry[4] = { (uint32_t)mod_at[i], (uint32_t)(mod_at[i] + mods[i].size),
				      put_string(ctx, &strings, mods[i].cmdline), 0 };

		if (!entry[2] || !ctx->mem->write(ctx->mem->opaque, MBI_MODS_PA + 16 * i, entry,
						  sizeof(entry)))
			return load_fail(ctx, E_RANGE, "the module strings do not fit in %#x-%#x",
					 MBI_STRINGS_PA, GUEST_BOOT_DATA_END - 1);
	}
	mbi.mods_count = nmods;
	mbi.mods_addr = MBI_MODS_PA;
	if (!mbi.cmdline || !mbi.boot_loader_name)
		return load_fail(ctx, E_RANGE, "the guest's command line does not fit in %#x-%#x",
				 MBI_STRINGS_PA, GUEST_BOOT_DATA_END - 1);
	for (unsigned i = 0; i < ctx->map_count; i++) {
		struct mbi_mmap_out e = { 20, ctx->map[i].start, ctx->map[i].end - ctx->map[i].start,
					  ctx->map[i].type };

		if (MBI_MMAP_PA + 24 * (i + 1) > MBI_MODS_PA ||
		    !ctx->mem->write(ctx->mem->opaque, MBI_MMAP_PA + 24 * i, &e, sizeof(e)))
			return load_fail(ctx, E_RANGE, "the memory map has too many entries (%u)",
					 ctx->map_count);
	}
	mbi.mmap_addr = MBI_MMAP_PA;
	mbi.mmap_length = 24 * ctx->map_count;
	if (!ctx->mem->write(ctx->mem->opaque, MBI_PA, &mbi, sizeof(mbi)))
		return load_fail(ctx, E_FAULT, "cannot write the multiboot information");
	return E_OK;
}

enum err multiboot_load(const struct guest_load_ctx *ctx, const struct guest_image *kernel,
			const struct guest_image *modules, unsigned module_count,
			struct vm_boot_state *out)
{
	uint8_t head[MB_SEARCH];
	size_t head_len = (size_t)MIN(kernel->size, (uint64_t)sizeof(head));
	struct mb_header h;
	struct segment segs[MAX_SEGMENTS];
	unsigned nsegs = 0;
	uint64_t entry = 0;
	enum err e;

	if (!ctx->mem->read(ctx->mem->opaque, kernel->start, head, head_len))
		return load_fail(ctx, E_FAULT, "%s is unreadable", kernel->label);
	long header_off = find_header(head, head_len, &h);

	if (header_off < 0)
		return load_fail(ctx, E_INVAL, "%s has no multiboot header", kernel->label);
	if ((h.flags & 0xFFFF) & ~MB_FLAGS_WE_HONOUR)
		return load_fail(ctx, E_UNSUPP,
				 "%s requires multiboot features %#x (video mode or others) that "
				 "Shoji does not provide",
				 kernel->label, (unsigned)((h.flags & 0xFFFF) & ~MB_FLAGS_WE_HONOUR));
	if (module_count > MBI_MAX_MODULES)
		return load_fail(ctx, E_RANGE, "%u modules for the guest; at most %d", module_count,
				 MBI_MAX_MODULES);

	if (h.flags & MB_FLAG_ADDRESSES) {
		if ((size_t)header_off + sizeof(h) > head_len)
			return load_fail(ctx, E_INVAL, "%s: its multiboot header is cut off",
					 kernel->label);
		e = read_address_fields(ctx, kernel, &h, header_off, &segs[0], &entry);
		nsegs = 1;
	} else {
		e = read_elf_segments(ctx, kernel, head, head_len, segs, &nsegs, &entry);
	}
	if (e != E_OK)
		return e;

	/* Segments, then the modules at the top of memory, page aligned. */
	struct copy_op ops[MAX_SEGMENTS + MBI_MAX_MODULES];
	struct mem_range avoid[MAX_SEGMENTS + MBI_MAX_MODULES + 1];
	paddr_t mod_at[MBI_MAX_MODULES];
	unsigned nops = 0, navoid = 0;

	avoid[navoid++] = (struct mem_range){ 0, GUEST_BOOT_DATA_END, 0 };
	for (unsigned i = 0; i < nsegs; i++) {
		if (segs[i].paddr < GUEST_BOOT_DATA_END)
			return load_fail(ctx, E_RANGE,
					 "%s loads at %#lx, below %#x where Shoji puts its boot data",
					 kernel->label, segs[i].paddr, GUEST_BOOT_DATA_END);
		ops[nops++] = (struct copy_op){ segs[i].paddr, kernel->start + segs[i].offset,
						segs[i].filesz, segs[i].memsz - segs[i].filesz,
						"a segment of the guest kernel" };
		avoid[navoid++] = (struct mem_range){ segs[i].paddr, segs[i].paddr + segs[i].memsz, 0 };
	}
	for (unsigned i = 0; i < module_count; i++) {
		if (region_choose(ctx->map, ctx->map_count, avoid, navoid,
				  ALIGN_UP(MAX(modules[i].size, 1), PAGE_SIZE), PAGE_SIZE, GiB(4),
				  &mod_at[i]) != E_OK)
			return load_fail(ctx, E_NOMEM, "no room for %s (%lu KiB) in the guest's memory",
					 modules[i].label, modules[i].size >> 10);
		ops[nops++] = (struct copy_op){ mod_at[i], modules[i].start, modules[i].size, 0,
						modules[i].label };
		avoid[navoid++] = (struct mem_range){ mod_at[i],
						      mod_at[i] + ALIGN_UP(modules[i].size, PAGE_SIZE), 0 };
	}
	e = copies_run(ctx, ops, nops);
	if (e != E_OK)
		return e;
	e = guest_write_boot_gdt(ctx, out);
	if (e != E_OK)
		return e;
	e = write_info(ctx, kernel, modules, mod_at, module_count);
	if (e != E_OK)
		return e;
	if (entry >= GiB(4))
		return load_fail(ctx, E_RANGE, "%s has its entry point at %#lx, above 4 GiB",
				 kernel->label, entry);
	out->eip = (uint32_t)entry;
	out->eax = MB_BOOT_MAGIC;
	out->ebx = MBI_PA;
	out->esi = 0;
	out->esp = 0; /* multiboot: the kernel sets up its own stack */
	return E_OK;
}
