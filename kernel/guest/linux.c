/* Starting Linux through its x86 boot protocol, 32-bit entry
 * (Documentation/arch/x86/boot.rst: "32-bit boot protocol").  We place the
 * protected-mode kernel at its preferred address, the initrd at the top of
 * memory, and hand it boot_params with the memory map Shoji wants it to
 * see, the command line and the initrd. */
#include <stdio.h>
#include <string.h>

#include "e820.h"
#include "guest_load.h"
#include "region.h"

/* Offsets in the bzImage's setup header (and in boot_params). */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_SYSSIZE 0x1F4
#define HDR_BOOT_FLAG 0x1FE
#define HDR_JUMP_END 0x201
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define BP_E820_MAX 128

#define LOADFLAG_LOADED_HIGH 0x01
#define LINUX_MIN_VERSION 0x020A /* pref_address and init_size */
#define BOOT_PARAMS_PA GUEST_BOOT_DATA_PA
#define CMDLINE_PA (GUEST_BOOT_DATA_PA + 0x1000)
#define CMDLINE_MAX (GUEST_BOOT_DATA_END - CMDLINE_PA)

static uint16_t get16(const uint8_t *p, size_t off) { return (uint16_t)(p[off] | p[off + 1] << 8); }
static uint32_t get32(const uint8_t *p, size_t off) { return get16(p, off) | (uint32_t)get16(p, off + 2) << 16; }
static uint64_t get64(const uint8_t *p, size_t off) { return get32(p, off) | (uint64_t)get32(p, off + 4) << 32; }
static void put32(uint8_t *p, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, size_t off, uint64_t v)
{
	put32(p, off, (uint32_t)v);
	put32(p, off + 4, (uint32_t)(v >> 32));
}

bool linux_image_detect(const uint8_t *head, size_t n)
{
	return n >= 0x210 && get16(head, HDR_BOOT_FLAG) == 0xAA55 &&
	       memcmp(head + HDR_MAGIC, "HdrS", 4) == 0;
}

/* The command line for Linux: the module string without its first word
 * (the loader's name for the file). */
static const char *skip_first_word(const char *s)
{
	while (*s == ' ')
		s++;
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

/* Finds the lowest kernel_alignment-aligned load address from pref upwards
 * with init_size bytes of available memory that miss the avoid ranges. */
static bool choose_kernel_address(const struct guest_load_ctx *ctx, uint64_t pref, uint64_t align,
				  uint64_t need, paddr_t *out)
{
	for (unsigned i = 0; i < ctx->map_count; i++) {
		const struct mem_range *r = &ctx->map[i];

		if (r->type != MEM_AVAILABLE)
			continue;
		uint64_t p = ALIGN_UP(MAX(r->start, pref), align);

		if (p >= GUEST_BOOT_DATA_END && p + need <= r->end && p + need > p) {
			*out = p;
			return true;
		}
	}
	return false;
}

enum err linux_load(const struct guest_load_ctx *ctx, const struct guest_image *kernel,
		    const struct guest_image *initrd, struct vm_boot_state *out)
{
	uint8_t hdr[0x300]; /* the setup header lies within the first 0x300 bytes */
	uint8_t bp[4096];

	if (kernel->size < sizeof(hdr) ||
	    !ctx->mem->read(ctx->mem->opaque, kernel->start, hdr, sizeof(hdr)))
		return load_fail(ctx, E_INVAL, "%s is too short to be a Linux kernel (%lu bytes)",
				 kernel->label, kernel->size);
	uint16_t version = get16(hdr, HDR_VERSION);

	if (version < LINUX_MIN_VERSION)
		return load_fail(ctx, E_UNSUPP,
				 "%s uses Linux boot protocol %u.%02u; Shoji needs 2.10 or newer",
				 kernel->label, version >> 8, version & 0xff);
	if (!(hdr[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return load_fail(ctx, E_UNSUPP, "%s is a zImage (loaded low); Shoji needs a bzImage",
				 kernel->label);
	uint64_t setup_bytes = (uint64_t)((hdr[HDR_SETUP_SECTS] ? hdr[HDR_SETUP_SECTS] : 4) + 1) * 512;
	uint64_t header_end = 0x202 + (uint64_t)hdr[HDR_JUMP_END];

	if (setup_bytes >= kernel->size)
		return load_fail(ctx, E_INVAL,
				 "%s is truncated: its setup code alone is %lu bytes, the module %lu",
				 kernel->label, setup_bytes, kernel->size);
	if (header_end > BP_E820_TABLE)
		return load_fail(ctx, E_INVAL, "%s has a setup header ending at %#lx, past its room",
				 kernel->label, header_end);
	/* syssize: the protected-mode code in 16-byte units (32 bits since
	 * protocol 2.04). */
	uint64_t syssize = (uint64_t)get32(hdr, HDR_SYSSIZE) * 16;

	if (kernel->size < setup_bytes + syssize)
		return load_fail(ctx, E_INVAL,
				 "%s is truncated: %lu bytes, but its header says %lu",
				 kernel->label, kernel->size, setup_bytes + syssize);
	uint64_t pm_size = kernel->size - setup_bytes;
	uint64_t init_size = MAX((uint64_t)get32(hdr, HDR_INIT_SIZE), pm_size);
	uint64_t align = get32(hdr, HDR_KERNEL_ALIGNMENT);
	bool relocatable = hdr[HDR_RELOCATABLE] != 0;
	uint64_t pref = relocatable ? get64(hdr, HDR_PREF_ADDRESS) : 0x100000;
	paddr_t load;

	if (!relocatable || align < PAGE_SIZE || (align & (align - 1)))
		align = PAGE_SIZE;
	if (!relocatable) {
		load = 0x100000;
		if (!e820_is_available(ctx->map, ctx->map_count, load, load + init_size))
			load = 0;
	} else if (!choose_kernel_address(ctx, pref, align, init_size, &load)) {
		load = 0;
	}
	if (!load)
		return load_fail(ctx, E_NOMEM,
				 "%s needs %lu MiB of RAM from %#lx (its init_size) and the guest has "
				 "no such range; give the machine more memory",
				 kernel->label, (init_size + MiB(1) - 1) >> 20, pref);

	struct copy_op ops[2] = {
		{ load, kernel->start + setup_bytes, pm_size, 0, "the Linux kernel" },
	};
	unsigned nops = 1;
	paddr_t initrd_at = 0;

	if (initrd && initrd->size) {
		uint64_t max = get32(hdr, HDR_INITRD_ADDR_MAX);
		struct mem_range avoid[2] = {
			{ 0, GUEST_BOOT_DATA_END, 0 },
			{ load, load + init_size, 0 },
		};

		if (region_choose(ctx->map, ctx->map_count, avoid, 2, ALIGN_UP(initrd->size, PAGE_SIZE),
				  PAGE_SIZE, MIN(max + 1, GiB(4)), &initrd_at) != E_OK)
			return load_fail(ctx, E_NOMEM,
					 "no room for %s (%lu KiB) below %#lx beside the kernel; give "
					 "the machine more memory",
					 initrd->label, initrd->size >> 10, max);
		ops[nops++] = (struct copy_op){ initrd_at, initrd->start, initrd->size, 0, "the initrd" };
	}
	enum err e = copies_run(ctx, ops, nops);

	if (e != E_OK)
		return e;

	/* boot_params: the setup header as the kernel has it, plus our fields. */
	const char *cmdline = skip_first_word(kernel->cmdline);
	size_t cmdline_len = strlen(cmdline);
	uint32_t cmdline_max = version >= 0x0206 ? get32(hdr, HDR_CMDLINE_SIZE) : 255;

	if (cmdline_len >= CMDLINE_MAX || cmdline_len > cmdline_max)
		return load_fail(ctx, E_RANGE, "the Linux command line is %zu bytes; at most %u fit",
				 cmdline_len, MIN(cmdline_max, (uint32_t)CMDLINE_MAX - 1));
	memset(bp, 0, sizeof(bp));
	memcpy(bp + HDR_SETUP_SECTS, hdr + HDR_SETUP_SECTS, header_end - HDR_SETUP_SECTS);
	bp[HDR_TYPE_OF_LOADER] = 0xFF; /* "undefined": we have no assigned loader id */
	put32(bp, HDR_CODE32_START, (uint32_t)load);
	put32(bp, HDR_CMD_LINE_PTR, CMDLINE_PA);
	put32(bp, HDR_RAMDISK_IMAGE, (uint32_t)initrd_at);
	put32(bp, HDR_RAMDISK_SIZE, initrd_at ? (uint32_t)initrd->size : 0);
	if (ctx->map_count > BP_E820_MAX)
		return load_fail(ctx, E_RANGE, "the memory map has %u entries; Linux takes %d",
				 ctx->map_count, BP_E820_MAX);
	bp[BP_E820_ENTRIES] = (uint8_t)ctx->map_count;
	for (unsigned i = 0; i < ctx->map_count; i++) {
		size_t off = BP_E820_TABLE + 20 * i;

		put64(bp, off, ctx->map[i].start);
		put64(bp, off + 8, ctx->map[i].end - ctx->map[i].start);
		put32(bp, off + 16, ctx->map[i].type);
	}
	e = guest_write_boot_gdt(ctx, out);
	if (e != E_OK)
		return e;
	if (!ctx->mem->write(ctx->mem->opaque, BOOT_PARAMS_PA, bp, sizeof(bp)) ||
	    !ctx->mem->write(ctx->mem->opaque, CMDLINE_PA, cmdline, cmdline_len + 1))
		return load_fail(ctx, E_FAULT, "cannot write Linux's boot parameters");

	/* boot.rst, 32-bit boot protocol: %esi = boot_params, %ebp, %edi and
	 * %ebx zero, interrupts off, flat __BOOT_CS/__BOOT_DS. */
	out->eip = (uint32_t)load;
	out->esi = BOOT_PARAMS_PA;
	out->esp = BOOT_PARAMS_PA; /* Linux sets its own stack at once */
	out->eax = out->ebx = 0;
	return E_OK;
}
