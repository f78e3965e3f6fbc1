/* The first C code on the UEFI path (kernel/boot/efi_entry.S came here on
 * the boot page tables): copy what the loader handed over, apply
 * shoji.conf, build the core's page tables around the image where the
 * loader put it, and go on in kernel/main.c with the firmware's captured
 * state as the guest to resume.  Until the point of no return a failure
 * goes back to the firmware (efi_return_to_firmware), which then boots the
 * OS without Shoji. */
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "efi_handoff.h"
#include "efi_state.h"
#include "log.h"
#include "mm.h"
#include "pagetable.h"
#include "serial.h"

static struct boot_info boot_info;
static struct shoji_config boot_config;
static struct vm_cpu_state firmware_state;
static paddr_t handoff_pa;

extern uint64_t boot_pt_high[];

void boot_main_efi(paddr_t handoff);

/* The boot tables map 0..4 GiB at the direct map. */
static bool low_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa >= GiB(4) || n > GiB(4) - pa)
		return false;
	memcpy(dst, phys_to_virt(pa), n);
	return true;
}

static _Noreturn void efi_fail(const char *msg)
{
	struct efi_handoff *h = phys_to_virt(handoff_pa);

	strlcpy(h->error, msg, sizeof(h->error));
	efi_return_to_firmware(EFI_HANDOFF_FAILED, shoji_region.image_start);
}

void boot_main_efi(paddr_t handoff)
{
	const struct efi_handoff *h = phys_to_virt(handoff);
	struct config_error cerr;
	char why[256];
	uint64_t return_rip;

	/* Where the image runs: the first page the boot tables map it from. */
	shoji_region.image_start = boot_pt_high[0] & PTE_ADDR_MASK;
	handoff_pa = handoff;
	boot_fatal_return = efi_fail;
	serial_init(0x3F8);
	if (handoff >= GiB(4) - sizeof(*h) || h->magic != EFI_HANDOFF_MAGIC ||
	    h->version != EFI_HANDOFF_VERSION || h->size != sizeof(*h))
		boot_fatal("boot loader: the hand-off at %#lx is not Shoji's version %d "
			   "(magic, version or size differ); the loader and shoji.bin are from "
			   "different builds",
			   handoff, EFI_HANDOFF_VERSION);
	if (h->region_start != shoji_region.image_start || h->mmap_count > BOOT_MAX_MMAP ||
	    h->config_len > CONFIG_MAX_FILE)
		boot_fatal("boot loader: inconsistent hand-off (region %#lx, image at %#lx, "
			   "%u map entries, %u bytes of configuration)",
			   h->region_start, shoji_region.image_start, h->mmap_count, h->config_len);

	memcpy(boot_info.mmap, h->mmap, h->mmap_count * sizeof(h->mmap[0]));
	boot_info.mmap_count = h->mmap_count;
	memcpy(boot_info.loader_name, h->loader_name, sizeof(boot_info.loader_name));
	boot_info.loader_name[sizeof(boot_info.loader_name) - 1] = '\0';
	boot_info.acpi_rsdp = h->acpi_rsdp;

	/* The loader parsed the same text with the same parser; this second
	 * parse cannot differ, but the core never trusts that it did. */
	char name[sizeof(h->config_name)];

	memcpy(name, h->config_name, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	config_defaults(&boot_config);
	if (config_parse_file(h->config, h->config_len, name, &boot_config, &cerr) != E_OK)
		boot_fatal("configuration: %s", cerr.msg);
	serial_init(boot_config.serial_port);
	log_set_level((enum log_level)boot_config.loglevel);
	log_info("Shoji starting, loaded by %s from UEFI", boot_info.loader_name);
	for (unsigned i = 0; i < boot_config.applied_count; i++)
		log_info("config: %s=%s applied", boot_config.applied[i].key,
			 boot_config.applied[i].value);
	if (boot_config.memsize != h->region_size)
		boot_fatal("boot loader: the region is %lu MiB but vmm.memsize says %lu MiB",
			   h->region_size >> 20, boot_config.memsize >> 20);

	if (!low_read(NULL, efi_capture.rsp, &return_rip, sizeof(return_rip)))
		boot_fatal("the firmware's stack (%#lx) is not below 4 GiB", efi_capture.rsp);
	if (efi_state_build(&efi_capture, return_rip, low_read, NULL, &firmware_state, why,
			    sizeof(why)) != E_OK)
		boot_fatal("cannot take over the firmware: %s", why);
	boot_info.resume = &firmware_state;

	region_adopt(&boot_info, h->region_start, h->region_size);
	core_start(&boot_info, &boot_config);
}
