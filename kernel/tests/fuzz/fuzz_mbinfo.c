/* The multiboot information reader on arbitrary memory contents. */
#include <string.h>

#include "boot_info.h"
#include "fuzz.h"

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("\x4c\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x60\x00\x00\x00"
	"\x01\x00\x00\x00\x70\x00\x00\x00"),
	{ NULL, 0 },
};

static const uint8_t *memory;
static size_t memory_size;

static bool read_fuzz(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa > memory_size || n > memory_size - pa)
		return false;
	memcpy(dst, memory + pa, n);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;
	char why[200];

	memory = data;
	memory_size = size;
	why[0] = '\0';
	if (multiboot_info_parse(0x2BADB002, 0, read_fuzz, NULL, &bi, why, sizeof(why)) == E_OK) {
		fuzz_check(bi.mmap_count >= 1 && bi.mmap_count <= BOOT_MAX_MMAP);
		fuzz_check(bi.module_count <= BOOT_MAX_MODULES);
		for (unsigned i = 0; i < bi.module_count; i++)
			fuzz_check(bi.modules[i].end >= bi.modules[i].start);
		for (unsigned i = 0; i < bi.mmap_count; i++)
			fuzz_check(bi.mmap[i].end > bi.mmap[i].start);
	} else {
		fuzz_check(why[0] != '\0');
	}
	return 0;
}
