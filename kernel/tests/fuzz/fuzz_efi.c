/* The UEFI path's parsers on arbitrary input: the firmware memory map
 * conversion and the image header check (the loader), and the firmware
 * state built from a capture and a GDT (the core). */
#include <string.h>

#include "efi_mmap.h"
#include "efi_state.h"
#include "fuzz.h"
#include "image_check.h"

const struct fuzz_seed fuzz_seeds[] = {
	/* selector 0: one conventional descriptor */
	FUZZ_SEED("\x00\x30\x07\x00\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00"
		  "\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
	/* selector 2: a capture with CS 0x38 */
	FUZZ_SEED("\x02\x38\x00\x30\x00\x00\x00\x00\xff\xff\x00\x00\x00\x9a\xaf\x00"),
	{ NULL, 0 },
};

static const uint8_t *gdt_mem;
static size_t gdt_size;

static bool gdt_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa > gdt_size || n > gdt_size - pa)
		return false;
	memcpy(dst, gdt_mem + pa, n);
	return true;
}

static void fuzz_mmap(const uint8_t *data, size_t size)
{
	static struct mem_range out[16];
	size_t stride = size ? 40 + (data[0] & 0x1F) : 40;
	unsigned n = efi_mmap_convert(data + (size ? 1 : 0), size ? size - 1 : 0, stride,
				      size && (data[0] & 0x80), out, 16);

	fuzz_check(n <= 16);
	for (unsigned i = 0; i < n; i++) {
		fuzz_check(out[i].end > out[i].start);
		fuzz_check(out[i].type != 0);
		if (i)
			fuzz_check(out[i - 1].start <= out[i].start);
	}
}

static void fuzz_image(const uint8_t *data, size_t size)
{
	struct shoji_image_header h;
	char why[200] = "";

	if (image_check(data, size, 4096, 1 << 25, &h, why, sizeof(why)) == E_OK) {
		fuzz_check(h.file_size == size && h.memory_size >= h.file_size);
		fuzz_check(h.efi_entry < h.file_size);
	} else {
		fuzz_check(why[0] != '\0');
	}
}

static void fuzz_state(const uint8_t *data, size_t size)
{
	struct efi_capture cap;
	struct vm_cpu_state st;
	char why[200] = "";

	memset(&cap, 0, sizeof(cap));
	if (size >= 16) { /* selectors from the input, the rest is the GDT */
		memcpy(&cap.cs, data, 2);
		memcpy(&cap.ss, data + 2, 2);
		memcpy(&cap.tr, data + 4, 2);
		memcpy(&cap.ds, data + 6, 2);
	}
	gdt_mem = data;
	gdt_size = size;
	cap.gdtr.base = 0;
	cap.gdtr.limit = (uint16_t)(size ? size - 1 : 0);
	if (efi_state_build(&cap, 0, gdt_read, NULL, &st, why, sizeof(why)) == E_OK)
		fuzz_check(st.seg[VM_SEG_CS].attr & SEG_ATTR_L);
	else
		fuzz_check(why[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_mmap(data + 1, size - 1); break;
	case 1: fuzz_image(data + 1, size - 1); break;
	default: fuzz_state(data + 1, size - 1); break;
	}
	return 0;
}
