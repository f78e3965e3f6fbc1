/* Reading the multiboot information our loader hands us. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "boot_info.h"
#include "fake_mem.h"

static struct fake_mem mem;
static struct boot_info bi;
static char why[256];

static void w32(uint64_t pa, uint32_t v) { memcpy(fake_at(&mem, pa), &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(fake_at(&mem, pa), &v, 8); }

/* An information structure at 0x9000 with a command line, two modules and
 * a three-entry memory map. */
static void build_mbi(void)
{
	memset(mem.bytes, 0, mem.size);
	w32(0x9000, (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
	w32(0x9000 + 16, 0xA000);
	strcpy((char *)fake_at(&mem, 0xA000), "/boot/shoji.bin vmm.loglevel=debug");
	w32(0x9000 + 20, 2);
	w32(0x9000 + 24, 0xB000);
	w32(0xB000, 0x200000);
	w32(0xB004, 0x300000);
	w32(0xB008, 0xA100);
	w32(0xB010, 0x300000);
	w32(0xB014, 0x300100);
	w32(0xB018, 0);
	strcpy((char *)fake_at(&mem, 0xA100), "/vmlinuz console=ttyS0");
	w32(0x9000 + 44, 3 * 24);
	w32(0x9000 + 48, 0xC000);
	for (int i = 0; i < 3; i++) {
		uint64_t e = 0xC000 + 24 * i;

		w32(e, 20);
		w64(e + 4, i == 0 ? 0 : i == 1 ? 0x9FC00 : 0x100000);
		w64(e + 12, i == 0 ? 0x9FC00 : i == 1 ? 0x400 : 0x1FF00000);
		w32(e + 20, i == 1 ? 2 : 1);
	}
	w32(0x9000 + 64, 0xA200);
	strcpy((char *)fake_at(&mem, 0xA200), "GRUB 2.06");
}

static void test_parse_good(void **state)
{
	(void)state;
	fake_init(&mem, 0, 1 << 20);
	build_mbi();
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_OK);
	assert_string_equal(bi.cmdline, "/boot/shoji.bin vmm.loglevel=debug");
	assert_string_equal(bi.loader_name, "GRUB 2.06");
	assert_int_equal(bi.module_count, 2);
	assert_int_equal(bi.modules[0].start, 0x200000);
	assert_int_equal(bi.modules[0].end, 0x300000);
	assert_string_equal(bi.modules[0].cmdline, "/vmlinuz console=ttyS0");
	assert_string_equal(bi.modules[1].cmdline, "");
	assert_int_equal(bi.mmap_count, 3);
	assert_int_equal(bi.mmap[2].start, 0x100000);
	assert_int_equal(bi.mmap[2].end, 0x20000000);
	free(mem.bytes);
}

static void test_parse_errors(void **state)
{
	(void)state;
	fake_init(&mem, 0, 1 << 20);
	build_mbi();
	assert_int_equal(multiboot_info_parse(0x12345678, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_INVAL);
	assert_non_null(strstr(why, "not by a multiboot v1 loader"));
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x7FFFFFF0, fake_read, &mem, &bi, why,
					      sizeof(why)), E_FAULT);
	w32(0x9000 + 20, 100);
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_RANGE);
	assert_non_null(strstr(why, "100 modules given; at most 8"));
	build_mbi();
	w32(0xB004, 0x100000); /* ends before it starts */
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_INVAL);
	build_mbi();
	w32(0x9000, (1u << 2)); /* no memory map */
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_INVAL);
	assert_non_null(strstr(why, "no memory map"));
	build_mbi();
	w32(0xC000, 4); /* an entry that claims to be too small */
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_INVAL);
	build_mbi();
	memset(fake_at(&mem, 0xA000), 'x', 4096); /* unterminated command line */
	assert_int_equal(multiboot_info_parse(0x2BADB002, 0x9000, fake_read, &mem, &bi, why,
					      sizeof(why)), E_RANGE);
	free(mem.bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
