/* loadshoji.efi: starts Shoji from the EFI system partition and lets the
 * firmware carry on as its guest.
 *
 * It reads shoji.conf and shoji.bin from its own directory, parses the
 * configuration with the core's own parser (kernel/config.c), allocates
 * the reserved region as EfiReservedMemoryType (the OS neither maps it, as
 * it would runtime-services memory, nor saves it, as it would ACPI NVS),
 * copies the image there and calls its 64-bit entry with a hand-off
 * (include/efi_handoff.h).  That call returns in guest mode: Shoji has
 * taken every CPU and the firmware runs on as its guest.  Any error before
 * that leaves the machine as it was: the loader says why and returns an
 * error, and the firmware boots the OS without Shoji.  Started by the boot
 * manager as a boot option, the loader itself boots the option that
 * follows it (boot_next.c); started from the UEFI shell, it returns. */
#include <stdio.h>
#include <string.h>

#include "boot_next.h"
#include "config.h"
#include "efi_handoff.h"
#include "efi_mmap.h"
#include "efi_util.h"
#include "image_check.h"
#include "image_digest.h"
#include "region.h"
#include "sha256.h"

#define IMAGE_NAME "shoji.bin"
#define CONFIG_NAME "shoji.conf"
#define IMAGE_MAX MiB(2)

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

static EFI_SYSTEM_TABLE *sys;
/* The firmware's memory map; static so that reading it allocates nothing. */
static char mmap_buf[64 * 1024] __attribute__((aligned(8)));
static char config_text[CONFIG_MAX_FILE];

static EFI_STATUS pages_below_4g(EFI_MEMORY_TYPE type, uint64_t bytes, void **out)
{
	EFI_PHYSICAL_ADDRESS a = 0xFFFFFFFF;
	EFI_STATUS s = sys->BootServices->AllocatePages(AllocateMaxAddress, type,
							EFI_SIZE_TO_PAGES(bytes), &a);

	*out = (void *)(uintptr_t)a;
	return s;
}

/* The firmware's map, converted; 0 on failure. */
static unsigned mmap_get(bool free_only, struct mem_range *out, unsigned max)
{
	UINTN size = sizeof(mmap_buf), key, desc_size;
	UINT32 desc_version;
	EFI_STATUS s = sys->BootServices->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)mmap_buf,
						       &key, &desc_size, &desc_version);

	if (EFI_ERROR(s)) {
		say("error: cannot read the firmware's memory map (%s)", efi_status_name(s));
		return 0;
	}
	unsigned n = efi_mmap_convert(mmap_buf, size, desc_size, free_only, out, max);

	if (!n)
		say("error: the firmware's memory map has more than %u distinct ranges", max);
	return n;
}

static paddr_t acpi_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	paddr_t v1 = 0;

	for (UINTN i = 0; i < sys->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &sys->ConfigurationTable[i];

		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(acpi20)))
			return (uintptr_t)t->VendorTable;
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(acpi10)))
			v1 = (uintptr_t)t->VendorTable;
	}
	return v1;
}

/* shoji.conf: missing means the defaults; anything wrong is an error. */
static bool config_load(const struct loader_dir *dir, struct efi_handoff *h,
			struct shoji_config *cfg)
{
	struct config_error cerr;
	uint64_t size = 0;
	EFI_STATUS s = file_read(dir, CONFIG_NAME, config_text, sizeof(config_text), &size);

	snprintf(h->config_name, sizeof(h->config_name), "%s%s", dir->path, CONFIG_NAME);
	config_defaults(cfg);
	if (s == EFI_NOT_FOUND) {
		say("no %s: Shoji runs with the default configuration", h->config_name);
		return true;
	}
	if (EFI_ERROR(s)) {
		say("error: %s: cannot read it (%s)", h->config_name, efi_status_name(s));
		return false;
	}
	/* An overlong file is not read; the parser names its size. */
	if (config_parse_file(config_text, size, h->config_name, cfg, &cerr) != E_OK) {
		say("error: configuration: %s", cerr.msg);
		return false;
	}
	memcpy(h->config, config_text, size);
	h->config_len = (uint32_t)size;
	for (unsigned i = 0; i < cfg->applied_count; i++)
		say("config: %s=%s", cfg->applied[i].key, cfg->applied[i].value);
	return true;
}

/* Where the region goes: the highest 2 MiB-aligned free range below
 * 4 GiB (as on the multiboot path), allocated at exactly that address. */
static EFI_STATUS region_allocate(uint64_t size, paddr_t *base)
{
	static struct mem_range map[BOOT_MAX_MMAP * 2];
	const struct mem_range low = { 0, MiB(1), 0 }; /* real-mode and AP start-up code */
	unsigned n = mmap_get(true, map, ARRAY_SIZE(map));

	if (!n)
		return EFI_OUT_OF_RESOURCES;
	if (region_choose(map, n, &low, 1, size, PAGE_2M, GiB(4), base) != E_OK) {
		say("error: no free, 2 MiB-aligned %lu MiB below 4 GiB for Shoji's region; lower "
		    "vmm.memsize",
		    size >> 20);
		return EFI_OUT_OF_RESOURCES;
	}
	EFI_PHYSICAL_ADDRESS a = *base;
	EFI_STATUS s = sys->BootServices->AllocatePages(AllocateAddress, EfiReservedMemoryType,
							EFI_SIZE_TO_PAGES(size), &a);

	if (EFI_ERROR(s))
		say("error: cannot allocate %lu MiB at %#lx for Shoji (%s)", size >> 20, *base,
		    efi_status_name(s));
	return s;
}

/* The image must be the one this loader was built with: its SHA-256 is
 * part of the (signed) loader, so Secure Boot's trust reaches Shoji. */
static bool digest_matches(const void *file, uint64_t size, char *why, size_t why_size)
{
	static const uint8_t expected[SHA256_DIGEST_SIZE] = SHOJI_IMAGE_SHA256;
	uint8_t got[SHA256_DIGEST_SIZE];
	char got_hex[17], want_hex[17];

	sha256(file, size, got);
	if (!memcmp(got, expected, sizeof(got)))
		return true;
	for (int i = 0; i < 8; i++) {
		snprintf(got_hex + 2 * i, 3, "%02x", got[i]);
		snprintf(want_hex + 2 * i, 3, "%02x", expected[i]);
	}
	snprintf(why, why_size,
		 "SHA-256 %s... differs from the image this loader was built with (%s...); "
		 "refusing an image the loader cannot vouch for",
		 got_hex, want_hex);
	return false;
}

static EFI_STATUS start_shoji(EFI_HANDLE image)
{
	struct loader_dir dir;
	struct shoji_config cfg;
	struct shoji_image_header hdr;
	struct efi_handoff *h;
	void *file;
	uint64_t size = 0;
	paddr_t base;
	char why[300];
	EFI_STATUS s;

	if (EFI_ERROR((s = dir_open(image, &dir, why, sizeof(why))))) {
		say("error: %s", why);
		return s;
	}
	if (EFI_ERROR((s = pages_below_4g(EfiLoaderData, sizeof(*h), (void **)&h)))) {
		say("error: no memory for the hand-off (%s)", efi_status_name(s));
		return s;
	}
	memset(h, 0, sizeof(*h));
	if (!config_load(&dir, h, &cfg))
		return EFI_LOAD_ERROR;

	if (EFI_ERROR((s = pages_below_4g(EfiLoaderData, IMAGE_MAX, &file))))
		return s;
	s = file_read(&dir, IMAGE_NAME, file, IMAGE_MAX, &size);
	if (EFI_ERROR(s)) {
		say("error: %s%s: cannot read it (%s); expected Shoji's image next to the loader",
		    dir.path, IMAGE_NAME, efi_status_name(s));
		return s;
	}
	if (image_check(file, size, IMAGE_MAX, cfg.memsize, &hdr, why, sizeof(why)) != E_OK) {
		say("error: %s%s: %s", dir.path, IMAGE_NAME, why);
		return EFI_LOAD_ERROR;
	}
	if (!digest_matches(file, size, why, sizeof(why))) {
		say("error: %s%s: %s", dir.path, IMAGE_NAME, why);
		return EFI_SECURITY_VIOLATION;
	}

	if (EFI_ERROR((s = region_allocate(cfg.memsize, &base))))
		return s;
	memcpy((void *)(uintptr_t)base, file, size);
	memset((char *)(uintptr_t)base + size, 0, hdr.memory_size - size);
	sys->BootServices->FreePages((uintptr_t)file, EFI_SIZE_TO_PAGES(IMAGE_MAX));

	h->magic = EFI_HANDOFF_MAGIC;
	h->version = EFI_HANDOFF_VERSION;
	h->size = sizeof(*h);
	h->region_start = base;
	h->region_size = cfg.memsize;
	h->acpi_rsdp = acpi_rsdp();
	strlcpy(h->loader_name, "loadshoji.efi", sizeof(h->loader_name));
	/* Last, so that it shows every allocation above. */
	if (!(h->mmap_count = mmap_get(false, h->mmap, BOOT_MAX_MMAP)))
		return EFI_OUT_OF_RESOURCES;

	say("starting Shoji (%lu MiB at %#lx)", cfg.memsize >> 20, base);
	uint64_t (*entry)(struct efi_handoff *) =
		(uint64_t (*)(struct efi_handoff *))(uintptr_t)(base + hdr.efi_entry);
	uint64_t r = entry(h);

	if (r != 0) {
		say("error: Shoji did not start: %s", h->error);
		sys->BootServices->FreePages(base, EFI_SIZE_TO_PAGES(cfg.memsize));
		return EFI_LOAD_ERROR;
	}
	say("Shoji is running; the firmware continues as its guest");
	return EFI_SUCCESS;
}

/* Called by gnu-efi's crt0 with the SysV convention (hence no EFIAPI). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	sys = st;
	con_init(st);
	EFI_STATUS s = start_shoji(image);

	if (EFI_ERROR(s)) {
		/* The boot manager goes on to the next option by itself. */
		say("Shoji was not started; the firmware continues without it");
		return s;
	}
	s = boot_next_option(image, st);
	return s == EFI_NOT_FOUND ? EFI_SUCCESS : s;
}
