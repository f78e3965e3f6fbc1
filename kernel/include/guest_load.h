/* Loading the guest given as multiboot modules: a Linux bzImage (with its
 * initrd) or a multiboot v1 kernel (with its own modules).  Pure logic over
 * a guest-physical memory interface, so the host tests run the same code on
 * a fake memory. */
#ifndef SHOJI_GUEST_LOAD_H
#define SHOJI_GUEST_LOAD_H

#include "boot_info.h"
#include "vm.h"

/* Guest-physical memory as the loaders may touch it.  Each call returns
 * false if the range is not RAM the guest owns. */
struct guest_phys_ops {
	bool (*read)(void *opaque, paddr_t pa, void *dst, size_t n);
	bool (*write)(void *opaque, paddr_t pa, const void *src, size_t n);
	bool (*move)(void *opaque, paddr_t dst, paddr_t src, uint64_t n); /* memmove */
	bool (*zero)(void *opaque, paddr_t pa, uint64_t n);
	void *opaque;
};

struct guest_load_ctx {
	const struct guest_phys_ops *mem;
	const struct mem_range *map; /* the guest's memory map, Shoji reserved */
	unsigned map_count;
	char *why; /* a one-line reason when a load fails */
	size_t why_size;
};

/* A module as the boot loader left it in memory. */
struct guest_image {
	paddr_t start;
	uint64_t size;
	const char *cmdline; /* the module string: "<path> <arguments>" */
	const char *label;   /* for messages: "module 0 (/boot/vmlinuz)" */
};

/* Low memory the loaders use for what they hand the guest (GDT, Linux
 * boot_params and command line, multiboot information).  It must be
 * available RAM in the guest's map. */
#define GUEST_GDT_PA 0x7000
#define GUEST_BOOT_DATA_PA 0x8000
#define GUEST_BOOT_DATA_END 0x10000
#define GUEST_CODE_SELECTOR 0x10 /* Linux's __BOOT_CS */
#define GUEST_DATA_SELECTOR 0x18 /* Linux's __BOOT_DS */

/* The first bytes of a module are enough to tell the kinds apart. */
#define GUEST_PROBE_BYTES 8192
bool linux_image_detect(const uint8_t *head, size_t n);
bool multiboot_image_detect(const uint8_t *head, size_t n);

enum err linux_load(const struct guest_load_ctx *ctx, const struct guest_image *kernel,
		    const struct guest_image *initrd, struct vm_boot_state *out);
enum err multiboot_load(const struct guest_load_ctx *ctx, const struct guest_image *kernel,
			const struct guest_image *modules, unsigned module_count,
			struct vm_boot_state *out);

/* Moving module contents to where the guest wants them.  Sources and
 * destinations may overlap each other: copies_run orders the copies so no
 * copy destroys a source still needed, or fails naming the two it cannot
 * order.  zero_len bytes after each copy are cleared (ELF bss). */
struct copy_op {
	paddr_t dst, src;
	uint64_t len, zero_len;
	const char *what;
};
enum err copies_run(const struct guest_load_ctx *ctx, struct copy_op *ops, unsigned n);

/* Writes the flat GDT both boot protocols start with and fills the
 * segment part of the boot state. */
enum err guest_write_boot_gdt(const struct guest_load_ctx *ctx, struct vm_boot_state *out);

/* Formats a failure reason into ctx->why; returns `e` for convenience. */
enum err load_fail(const struct guest_load_ctx *ctx, enum err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
