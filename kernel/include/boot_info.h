/* What the boot loader told us, copied out of its structures before
 * anything can overwrite them.  Filled by kernel/boot/multiboot_info.c
 * (and by the UEFI loader's hand-off later). */
#ifndef SHOJI_BOOT_INFO_H
#define SHOJI_BOOT_INFO_H

#include "errors.h"
#include "types.h"

#define BOOT_MAX_MMAP 128
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 2048

/* E820 / multiboot memory types. */
enum mem_type {
	MEM_AVAILABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
	/* Not an E820 type: RAM the UEFI firmware keeps for itself (runtime
	 * services, EfiReservedMemoryType).  Reserved for the OS, but RAM the
	 * core may read on the guest's behalf (the firmware runs there). */
	MEM_FIRMWARE = 0x1000,
};

struct vm_cpu_state;

struct mem_range {
	uint64_t start, end; /* [start, end) */
	uint32_t type;
};

struct boot_module {
	paddr_t start, end;
	char cmdline[BOOT_CMDLINE_MAX];
};

struct boot_info {
	char cmdline[BOOT_CMDLINE_MAX]; /* Shoji's own */
	char loader_name[64];
	struct mem_range mmap[BOOT_MAX_MMAP];
	unsigned mmap_count;
	struct boot_module modules[BOOT_MAX_MODULES];
	unsigned module_count;
	paddr_t acpi_rsdp;              /* given by the loader (UEFI), or 0: search */
	/* UEFI: the firmware's CPU as it called Shoji; the guest resumes it
	 * (there are no modules then).  NULL on the multiboot path. */
	const struct vm_cpu_state *resume;
};

/* Copies n bytes of physical memory at pa into dst; false if pa is not
 * readable.  The kernel reads through the direct map; tests fake it. */
typedef bool (*phys_read_fn)(void *opaque, paddr_t pa, void *dst, size_t n);

/* Parses a multiboot v1 information structure into bi.  Returns E_OK, or
 * an error with a one-line reason in `why`. */
enum err multiboot_info_parse(uint32_t magic, paddr_t mbi, phys_read_fn read, void *opaque,
			      struct boot_info *bi, char *why, size_t why_size);

#endif
