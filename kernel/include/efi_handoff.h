/* The contract between the UEFI loader (kernel/boot/efi/) and the core's
 * 64-bit entry (kernel/boot/efi_entry.S, efi_boot.c).
 *
 * The loader reads shoji.bin, checks its image header, copies it to the
 * start of the reserved region it allocated (EfiReservedMemoryType,
 * 2 MiB-aligned, below 4 GiB), zeroes the rest of the image (bss), fills
 * a struct efi_handoff below 4 GiB and calls
 *
 *     uint64_t status = entry(struct efi_handoff *handoff);   (SysV ABI)
 *
 * at region start + image header's entry offset, in the firmware's long
 * mode (its page tables map memory one-to-one).  The call returns twice
 * over in a sense: with 0 in guest mode, the firmware now Shoji's guest;
 * or with EFI_HANDOFF_FAILED before Shoji changed anything the firmware
 * needs, with the reason in handoff->error. */
#ifndef SHOJI_EFI_HANDOFF_H
#define SHOJI_EFI_HANDOFF_H

#include "boot_info.h"
#include "config.h"

/* The image header, right after the multiboot header (kernel/boot/
 * multiboot.S): the signature, then three 32-bit fields. */
#define SHOJI_IMAGE_SIGNATURE "SHOJI-IMAGE-V1"
#define SHOJI_IMAGE_HEADER_OFFSET 0x20 /* the signature's offset in shoji.bin */
#define SHOJI_IMAGE_HEADER_SEARCH 0x40 /* the header lies within this */

struct shoji_image_header {
	char signature[16];     /* SHOJI_IMAGE_SIGNATURE, NUL-padded */
	uint32_t efi_entry;     /* offset of the 64-bit UEFI entry */
	uint32_t file_size;     /* bytes of shoji.bin */
	uint32_t memory_size;   /* bytes the image takes, bss included */
	uint32_t reserved;
};

#define EFI_HANDOFF_MAGIC 0x464F48494A4F4853ULL /* "SHOJIHOF" */
#define EFI_HANDOFF_VERSION 1
/* What the entry returns when Shoji did not start (an EFI error code:
 * EFI_LOAD_ERROR, high bit set). */
#define EFI_HANDOFF_FAILED 0x8000000000000001ULL

struct efi_handoff {
	uint64_t magic;            /* EFI_HANDOFF_MAGIC */
	uint32_t version, size;    /* EFI_HANDOFF_VERSION, sizeof(struct efi_handoff) */
	paddr_t region_start;      /* the reserved region, 2 MiB aligned */
	uint64_t region_size;      /* = vmm.memsize */
	paddr_t acpi_rsdp;         /* from the configuration table, 0 if none */
	char loader_name[64];
	/* The firmware's memory map, converted (kernel/boot/efi/mmap.c):
	 * boot-services and loader memory count as available. */
	struct mem_range mmap[BOOT_MAX_MMAP];
	uint32_t mmap_count;
	/* shoji.conf as read (the loader has parsed it with the same parser). */
	char config_name[64];
	uint32_t config_len;
	char config[CONFIG_MAX_FILE];
	/* Written by Shoji when it returns EFI_HANDOFF_FAILED. */
	char error[400];
};

#endif
