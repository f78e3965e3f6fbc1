/* The UEFI path's pure logic: the firmware memory map conversion, the
 * image header check (both in the loader), and turning the captured
 * firmware state into the guest's (the core). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "efi_mmap.h"
#include "efi_state.h"
#include "image_check.h"
#include "sha256.h"

enum { RES = 0, LD = 2, BSC = 3, BSD = 4, RTC = 5, RTD = 6, CONV = 7, NVS = 10, MMIO = 11 };

/* A firmware stride larger than the structure, as OVMF's (48 bytes). */
struct wide_desc {
	struct efi_mem_desc d;
	uint64_t extra;
};

static size_t fill(struct wide_desc *out, const uint64_t (*rows)[3], size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct wide_desc){ { (uint32_t)rows[i][0], 0, rows[i][1], 0, rows[i][2], 0 },
					     0xDEAD };
	return n * sizeof(out[0]);
}

static void test_mmap_convert_types_merge_and_sort(void **state)
{
	/* Out of order on purpose; loader, boot services and free memory
	 * adjacent; a runtime range and MMIO. */
	static const uint64_t rows[][3] = {
		{ CONV, 0x100000, 0x100 }, { BSD, 0x200000, 0x10 },  { LD, 0x210000, 0x10 },
		{ CONV, 0x0, 0xA0 },	   { RTD, 0x220000, 0x10 },  { NVS, 0x230000, 0x1 },
		{ MMIO, 0xFFC00000, 0x400 }, { RES, 0x231000, 0x1 },
	};
	struct wide_desc map[8];
	struct mem_range out[16];
	size_t size = fill(map, rows, 8);
	unsigned n;

	(void)state;
	n = efi_mmap_convert(map, size, sizeof(map[0]), false, out, 16);
	assert_int_equal(n, 5);
	assert_true(out[0].start == 0 && out[0].end == 0xA0000 && out[0].type == MEM_AVAILABLE);
	/* 1 MiB free + boot services + loader data merge into one range. */
	assert_true(out[1].start == 0x100000 && out[1].end == 0x220000 &&
		    out[1].type == MEM_AVAILABLE);
	assert_true(out[2].start == 0x220000 && out[2].end == 0x230000 &&
		    out[2].type == MEM_FIRMWARE);
	assert_true(out[3].start == 0x230000 && out[3].type == MEM_ACPI_NVS);
	/* The reserved page after NVS is firmware RAM of its own; MMIO is a hole. */
	assert_true(out[4].start == 0x231000 && out[4].end == 0x232000 &&
		    out[4].type == MEM_FIRMWARE);
	efi_mmap_convert(map, size, sizeof(map[0]), true, out, 16);
	/* free_only: boot services and loader memory are not free. */
	assert_true(out[1].start == 0x100000 && out[1].end == 0x200000 &&
		    out[1].type == MEM_AVAILABLE);
	assert_int_equal(out[2].type, MEM_RESERVED);
}

static void test_mmap_convert_limits(void **state)
{
	static const uint64_t rows[][3] = {
		{ CONV, 0x0, 0x10 }, { NVS, 0x10000, 0x10 }, { CONV, 0x20000, 0x10 },
		{ CONV, 0xFFFFFFFFFFFFF000ULL, 0x10 }, /* wraps: dropped */
		{ CONV, 0x40000, 0 },		      /* empty: dropped */
	};
	struct wide_desc map[5];
	struct mem_range out[2];
	size_t size = fill(map, rows, 5);

	(void)state;
	assert_int_equal(efi_mmap_convert(map, size, sizeof(map[0]), false, out, 2), 0);
	assert_int_equal(efi_mmap_convert(map, size, 8, false, out, 2), 0); /* stride too small */
	assert_int_equal(efi_mmap_convert(map, 2 * sizeof(map[0]), sizeof(map[0]), false, out, 2),
			 2);
}

static void make_image(uint8_t *img, size_t size, uint32_t file_size, uint32_t mem_size,
		       uint32_t entry)
{
	struct shoji_image_header h = { .efi_entry = entry, .file_size = file_size,
					.memory_size = mem_size };

	memset(img, 0xAA, size);
	memcpy(h.signature, SHOJI_IMAGE_SIGNATURE, sizeof(SHOJI_IMAGE_SIGNATURE));
	memcpy(img + SHOJI_IMAGE_HEADER_OFFSET, &h, sizeof(h));
}

static void test_image_check(void **state)
{
	static uint8_t img[8192];
	struct shoji_image_header h;
	char why[200];

	(void)state;
	make_image(img, sizeof(img), sizeof(img), 3 * sizeof(img), 0x1DB);
	assert_int_equal(image_check(img, sizeof(img), sizeof(img), 1 << 25, &h, why, sizeof(why)),
			 E_OK);
	assert_int_equal(h.efi_entry, 0x1DB);
	/* Truncated: the message gives both sizes. */
	assert_int_equal(image_check(img, 4096, sizeof(img), 1 << 25, &h, why, sizeof(why)),
			 E_INVAL);
	assert_non_null(strstr(why, "4096 bytes but its header says 8192: it is truncated"));
	/* Too large to have been read whole. */
	assert_int_equal(image_check(img, 1 << 22, 1 << 21, 1 << 25, &h, why, sizeof(why)),
			 E_RANGE);
	/* No signature. */
	img[SHOJI_IMAGE_HEADER_OFFSET] = 'X';
	assert_int_equal(image_check(img, sizeof(img), sizeof(img), 1 << 25, &h, why, sizeof(why)),
			 E_INVAL);
	assert_non_null(strstr(why, "not a Shoji image"));
	/* An entry outside the file, or an image larger than half the region. */
	make_image(img, sizeof(img), sizeof(img), 3 * sizeof(img), sizeof(img));
	assert_int_equal(image_check(img, sizeof(img), sizeof(img), 1 << 25, &h, why, sizeof(why)),
			 E_INVAL);
	make_image(img, sizeof(img), sizeof(img), 1 << 24, 0x100);
	assert_int_equal(image_check(img, sizeof(img), sizeof(img), 1 << 24, &h, why, sizeof(why)),
			 E_INVAL);
	/* Shorter than the header. */
	assert_int_equal(image_check(img, 16, sizeof(img), 1 << 25, &h, why, sizeof(why)), E_INVAL);
}

/* OVMF's GDT as a firmware might have it: null, 32-bit data and code,
 * 64-bit code at 0x38, data at 0x30, and a 64-bit TSS at 0x40. */
static uint64_t fake_gdt[10];

static bool gdt_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa < 0x1000 || pa + n > 0x1000 + sizeof(fake_gdt))
		return false;
	memcpy(dst, (const char *)fake_gdt + (pa - 0x1000), n);
	return true;
}

static void capture_init(struct efi_capture *cap)
{
	memset(cap, 0, sizeof(*cap));
	memset(fake_gdt, 0, sizeof(fake_gdt));
	fake_gdt[6] = 0x00CF92000000FFFFULL; /* 0x30: data */
	fake_gdt[7] = 0x00AF9A000000FFFFULL; /* 0x38: 64-bit code */
	/* 0x40: available 64-bit TSS, base 0x12345678_9ABCDEF0, limit 0x67. */
	fake_gdt[8] = 0x9A0089BCDEF00067ULL;
	fake_gdt[9] = 0x12345678ULL;
	cap->gdtr.limit = sizeof(fake_gdt) - 1;
	cap->gdtr.base = 0x1000;
	cap->idtr.limit = 0xFFF;
	cap->idtr.base = 0x2000;
	cap->cs = 0x38;
	cap->ss = cap->ds = cap->es = cap->fs = cap->gs = 0x30;
	cap->rbx = 1, cap->rbp = 2, cap->r12 = 3, cap->r15 = 6;
	cap->rsp = 0x7000;
	cap->rflags = 0x202;
	cap->cr0 = 0x80010033, cap->cr3 = 0x1FC01000, cap->cr4 = 0x668;
	cap->efer = 0xD00, cap->pat = 0x0007040600070406ULL;
	cap->fs_base = 0x1111, cap->gs_base = 0x2222;
}

static void test_state_from_capture(void **state)
{
	struct efi_capture cap;
	struct vm_cpu_state st;
	char why[200];

	(void)state;
	capture_init(&cap);
	assert_int_equal(efi_state_build(&cap, 0xABCD, gdt_read, NULL, &st, why, sizeof(why)), E_OK);
	assert_int_equal(st.rip, 0xABCD);
	assert_int_equal(st.rsp, 0x7008); /* as after RET */
	assert_int_equal(st.regs.rax, 0); /* EFI_SUCCESS */
	assert_int_equal(st.regs.rbx, 1);
	assert_int_equal(st.regs.r15, 6);
	assert_int_equal(st.rflags, 0x202);
	assert_int_equal(st.cr3, 0x1FC01000);
	assert_int_equal(st.efer, 0xD00);
	assert_int_equal(st.seg[VM_SEG_CS].selector, 0x38);
	assert_int_equal(st.seg[VM_SEG_CS].attr, 0xA9A); /* G, L, P, S, execute/read */
	assert_int_equal(st.seg[VM_SEG_SS].attr, 0xC92);
	assert_int_equal(st.seg[VM_SEG_SS].limit, 0xFFFFFFFF);
	assert_int_equal(st.seg[VM_SEG_FS].base, 0x1111);
	assert_int_equal(st.seg[VM_SEG_GS].base, 0x2222);
	assert_int_equal(st.seg[VM_SEG_GDTR].base, 0x1000);
	assert_int_equal(st.seg[VM_SEG_IDTR].limit, 0xFFF);
	/* No TR loaded: a busy 64-bit TSS for VMRUN. */
	assert_int_equal(st.seg[VM_SEG_TR].attr, 0x8B);
	/* With a TR: the 16-byte descriptor's whole base. */
	cap.tr = 0x40;
	assert_int_equal(efi_state_build(&cap, 0xABCD, gdt_read, NULL, &st, why, sizeof(why)), E_OK);
	assert_int_equal(st.seg[VM_SEG_TR].base, 0x123456789ABCDEF0ULL);
	assert_int_equal(st.seg[VM_SEG_TR].limit, 0x67);
	assert_int_equal(st.seg[VM_SEG_TR].attr, 0x89);
}

static void test_state_refuses_what_it_cannot_resume(void **state)
{
	struct efi_capture cap;
	struct vm_cpu_state st;
	char why[200];

	(void)state;
	capture_init(&cap);
	cap.cs = 0x30; /* a data segment as CS: not 64-bit code */
	assert_int_equal(efi_state_build(&cap, 0, gdt_read, NULL, &st, why, sizeof(why)), E_INVAL);
	assert_non_null(strstr(why, "not a 64-bit code segment"));
	capture_init(&cap);
	cap.ss = 0x58; /* beyond the GDT's limit */
	assert_int_equal(efi_state_build(&cap, 0, gdt_read, NULL, &st, why, sizeof(why)), E_FAULT);
	assert_non_null(strstr(why, "SS (0x58) lies outside its GDT"));
	capture_init(&cap);
	cap.ds = 0x34; /* an LDT selector */
	assert_int_equal(efi_state_build(&cap, 0, gdt_read, NULL, &st, why, sizeof(why)), E_UNSUPP);
	capture_init(&cap);
	cap.es = 0x08; /* a null descriptor that is not the null selector */
	assert_int_equal(efi_state_build(&cap, 0, gdt_read, NULL, &st, why, sizeof(why)), E_INVAL);
}

static void hex(const uint8_t *d, char *out)
{
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* FIPS 180-4 example vectors, plus lengths around the padding boundary. */
static void test_sha256(void **state)
{
	static const struct { const char *in; const char *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	static uint8_t million[1000000];
	uint8_t d[SHA256_DIGEST_SIZE];
	char h[65];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256(v[i].in, strlen(v[i].in), d);
		hex(d, h);
		assert_string_equal(h, v[i].hex);
	}
	memset(million, 'a', sizeof(million));
	sha256(million, sizeof(million), d);
	hex(d, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55, 56 and 64 bytes of 'a' (one or two padding blocks). */
	sha256(million, 55, d);
	hex(d, h);
	assert_string_equal(h, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	sha256(million, 56, d);
	hex(d, h);
	assert_string_equal(h, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	sha256(million, 64, d);
	hex(d, h);
	assert_string_equal(h, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mmap_convert_types_merge_and_sort),
		cmocka_unit_test(test_mmap_convert_limits),
		cmocka_unit_test(test_image_check),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_state_from_capture),
		cmocka_unit_test(test_state_refuses_what_it_cannot_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
