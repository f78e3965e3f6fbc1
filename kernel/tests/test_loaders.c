/* Loading guests (Linux boot protocol, multiboot ELF32/ELF64/address
 * fields) into a fake 64 MiB machine, checking what the guest is handed,
 * and that bad images are refused with their reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fake_mem.h"
#include "guest_load.h"

#define M(x) ((uint64_t)(x) << 20)

/* 64 MiB machine; Shoji's region at 48-56 MiB is reserved. */
static const struct mem_range map[] = {
	{ 0, 0x9FC00, 1 }, { 0x9FC00, 0x100000, 2 }, { 0x100000, M(48), 1 },
	{ M(48), M(56), 2 }, { M(56), M(64), 1 },
};

static struct fake_mem mem;
static struct guest_phys_ops ops;
static char why[300];
static struct guest_load_ctx ctx;

static int setup(void **state)
{
	(void)state;
	fake_init(&mem, 0, M(64));
	ops = fake_ops(&mem);
	ctx = (struct guest_load_ctx){ &ops, map, 5, why, sizeof(why) };
	why[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(mem.bytes);
	return 0;
}

static void w16(uint64_t pa, uint16_t v) { memcpy(fake_at(&mem, pa), &v, 2); }
static void w32(uint64_t pa, uint32_t v) { memcpy(fake_at(&mem, pa), &v, 4); }
static void w64(uint64_t pa, uint64_t v) { memcpy(fake_at(&mem, pa), &v, 8); }
static uint32_t r32(uint64_t pa) { uint32_t v; memcpy(&v, fake_at(&mem, pa), 4); return v; }
static uint64_t r64(uint64_t pa) { uint64_t v; memcpy(&v, fake_at(&mem, pa), 8); return v; }

static void pattern(uint64_t pa, uint64_t n, unsigned seed)
{
	for (uint64_t i = 0; i < n; i++)
		*fake_at(&mem, pa + i) = (uint8_t)(i * seed + (i >> 9));
}

static bool has_pattern(uint64_t pa, uint64_t n, unsigned seed)
{
	for (uint64_t i = 0; i < n; i++)
		if (*fake_at(&mem, pa + i) != (uint8_t)(i * seed + (i >> 9)))
			return false;
	return true;
}

#define SETUP_BYTES 2560 /* setup_sects 4 */
#define PM_BYTES 65536

/* A minimal bzImage at `at`: setup header (protocol 2.15) + payload. */
static struct guest_image make_bzimage(uint64_t at, uint32_t init_size)
{
	memset(fake_at(&mem, at), 0, SETUP_BYTES);
	*fake_at(&mem, at + 0x1F1) = 4;
	w32(at + 0x1F4, PM_BYTES / 16);
	w16(at + 0x1FE, 0xAA55);
	*fake_at(&mem, at + 0x200) = 0xEB;
	*fake_at(&mem, at + 0x201) = 0x66;
	memcpy(fake_at(&mem, at + 0x202), "HdrS", 4);
	w16(at + 0x206, 0x020F);
	*fake_at(&mem, at + 0x211) = 0x01;
	w32(at + 0x22C, 0x7FFFFFFF);
	w32(at + 0x230, 0x200000);
	*fake_at(&mem, at + 0x234) = 1;
	w32(at + 0x238, 2047);
	w64(at + 0x258, 0x1000000);
	w32(at + 0x260, init_size);
	pattern(at + SETUP_BYTES, PM_BYTES, 3);
	return (struct guest_image){ at, SETUP_BYTES + PM_BYTES,
				     "/boot/vmlinuz console=ttyS0 quiet", "module 0 (/boot/vmlinuz)" };
}

static void test_linux_loads_at_preferred_address(void **state)
{
	struct guest_image k = make_bzimage(M(2), M(1));
	struct guest_image initrd = { M(3), 100 * 1024, "/boot/initrd", "module 1 (/boot/initrd)" };
	struct vm_boot_state boot;

	(void)state;
	pattern(initrd.start, initrd.size, 5);
	assert_true(linux_image_detect(fake_at(&mem, k.start), 4096));
	if (linux_load(&ctx, &k, &initrd, &boot) != E_OK)
		fail_msg("linux_load: %s", why);
	assert_int_equal(boot.eip, M(16));
	assert_int_equal(boot.esi, GUEST_BOOT_DATA_PA);
	assert_int_equal(boot.code_selector, 0x10);
	assert_int_equal(boot.data_selector, 0x18);
	assert_true(has_pattern(M(16), PM_BYTES, 3));
	/* The initrd goes to the top of available memory, above the region. */
	uint64_t bp = GUEST_BOOT_DATA_PA;
	uint32_t initrd_at = r32(bp + 0x218);

	assert_int_equal(initrd_at, M(64) - 100 * 1024);
	assert_int_equal(r32(bp + 0x21C), 100 * 1024);
	assert_true(has_pattern(initrd_at, initrd.size, 5));
	assert_int_equal(*fake_at(&mem, bp + 0x210), 0xFF);
	assert_int_equal(r32(bp + 0x214), M(16));
	assert_string_equal((char *)fake_at(&mem, r32(bp + 0x228)), "console=ttyS0 quiet");
	assert_memory_equal(fake_at(&mem, bp + 0x202), "HdrS", 4);
	/* The memory map Linux gets: five entries, Shoji's region reserved. */
	assert_int_equal(*fake_at(&mem, bp + 0x1E8), 5);
	assert_int_equal(r64(bp + 0x2D0 + 3 * 20), M(48));
	assert_int_equal(r64(bp + 0x2D0 + 3 * 20 + 8), M(8));
	assert_int_equal(r32(bp + 0x2D0 + 3 * 20 + 16), 2);
}

static void test_linux_copies_in_a_safe_order(void **state)
{
	/* The initrd module lies where the kernel must go: it has to be moved
	 * away before the kernel is copied over it. */
	struct guest_image k = make_bzimage(M(2), M(1));
	struct guest_image initrd = { M(16), 200 * 1024, "/initrd", "module 1 (/initrd)" };
	struct vm_boot_state boot;

	(void)state;
	pattern(initrd.start, initrd.size, 7);
	if (linux_load(&ctx, &k, &initrd, &boot) != E_OK)
		fail_msg("linux_load: %s", why);
	assert_true(has_pattern(M(16), PM_BYTES, 3));
	assert_true(has_pattern(r32(GUEST_BOOT_DATA_PA + 0x218), initrd.size, 7));
}

static void test_linux_refusals(void **state)
{
	struct vm_boot_state boot;
	struct guest_image k;

	(void)state;
	k = make_bzimage(M(2), M(100));
	assert_int_equal(linux_load(&ctx, &k, NULL, &boot), E_NOMEM);
	assert_string_equal(why, "module 0 (/boot/vmlinuz) needs 100 MiB of RAM from 0x1000000 (its "
				 "init_size) and the guest has no such range; give the machine more memory");
	k = make_bzimage(M(2), M(1));
	k.size -= 4096;
	assert_int_equal(linux_load(&ctx, &k, NULL, &boot), E_INVAL);
	assert_non_null(strstr(why, "is truncated: 64000 bytes, but its header says 68096"));
	k = make_bzimage(M(2), M(1));
	w16(k.start + 0x206, 0x0209);
	assert_int_equal(linux_load(&ctx, &k, NULL, &boot), E_UNSUPP);
	assert_non_null(strstr(why, "boot protocol 2.09; Shoji needs 2.10 or newer"));
	k = make_bzimage(M(2), M(1));
	*fake_at(&mem, k.start + 0x211) = 0;
	assert_int_equal(linux_load(&ctx, &k, NULL, &boot), E_UNSUPP);
	k = make_bzimage(M(2), M(1));
	struct guest_image huge_initrd = { M(3), M(40), "/initrd", "module 1 (/initrd)" };

	assert_int_equal(linux_load(&ctx, &k, &huge_initrd, &boot), E_NOMEM);
	assert_non_null(strstr(why, "no room for module 1 (/initrd)"));
	k = make_bzimage(M(2), M(1));
	static char long_cmdline[3000];

	memset(long_cmdline, 'a', sizeof(long_cmdline) - 1);
	k.cmdline = long_cmdline;
	memcpy(long_cmdline, "x ", 2);
	assert_int_equal(linux_load(&ctx, &k, NULL, &boot), E_RANGE);
	assert_non_null(strstr(why, "command line is 2997 bytes; at most 2047 fit"));
}

/* ELF images for the multiboot loader. */
struct elf_seg {
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void make_elf(uint64_t at, bool elf64, const struct elf_seg *segs, unsigned n,
		     uint64_t entry, uint32_t mb_flags)
{
	uint8_t *p = fake_at(&mem, at);

	memset(p, 0, 0x1000);
	memcpy(p, "\177ELF", 4);
	p[4] = elf64 ? 2 : 1;
	p[5] = 1;
	p[6] = 1;
	w16(at + 16, 2);
	w16(at + 18, elf64 ? 62 : 3);
	if (elf64) {
		w64(at + 24, entry);
		w64(at + 32, 64); /* phoff */
		w16(at + 54, 56);
		w16(at + 56, (uint16_t)n);
		for (unsigned i = 0; i < n; i++) {
			uint64_t ph = at + 64 + 56 * i;

			w32(ph, 1);
			w64(ph + 8, segs[i].offset);
			w64(ph + 16, segs[i].vaddr);
			w64(ph + 24, segs[i].paddr);
			w64(ph + 32, segs[i].filesz);
			w64(ph + 40, segs[i].memsz);
		}
	} else {
		w32(at + 24, (uint32_t)entry);
		w32(at + 28, 52);
		w16(at + 42, 32);
		w16(at + 44, (uint16_t)n);
		for (unsigned i = 0; i < n; i++) {
			uint64_t ph = at + 52 + 32 * i;

			w32(ph, 1);
			w32(ph + 4, (uint32_t)segs[i].offset);
			w32(ph + 8, (uint32_t)segs[i].vaddr);
			w32(ph + 12, (uint32_t)segs[i].paddr);
			w32(ph + 16, (uint32_t)segs[i].filesz);
			w32(ph + 20, (uint32_t)segs[i].memsz);
		}
	}
	/* The multiboot header, without address fields. */
	w32(at + 0x400, 0x1BADB002);
	w32(at + 0x404, mb_flags);
	w32(at + 0x408, (uint32_t)-(0x1BADB002 + mb_flags));
}

static void check_multiboot(bool elf64)
{
	const struct elf_seg segs[] = {
		{ 0x1000, elf64 ? 0xFFFFFFFF80100000ULL : 0x100000, 0x100000, 0x1000, 0x1000 },
		{ 0x2000, elf64 ? 0xFFFFFFFF80101000ULL : 0x101000, 0x101000, 0x100, 0x3000 },
	};
	uint64_t k = M(4);
	struct guest_image kernel = { k, 0x2100, "/boot/test.elf arg1 arg2", "module 0" };
	struct guest_image mods[2] = {
		{ M(5), 5000, "/m1 first", "module 1" },
		{ M(6), 9000, "/m2 second", "module 2" },
	};
	struct vm_boot_state boot;

	make_elf(k, elf64, segs, 2, elf64 ? 0xFFFFFFFF80100010ULL : 0x100010, 3);
	pattern(k + 0x1000, 0x1100, 11);
	pattern(mods[0].start, mods[0].size, 13);
	pattern(mods[1].start, mods[1].size, 17);
	memset(fake_at(&mem, 0x100000), 0xFF, 0x4000); /* bss must come out zero */
	assert_true(multiboot_image_detect(fake_at(&mem, k), 8192));
	if (multiboot_load(&ctx, &kernel, mods, 2, &boot) != E_OK)
		fail_msg("multiboot_load: %s", why);
	assert_int_equal(boot.eip, 0x100010); /* virtual entry translated */
	assert_int_equal(boot.eax, 0x2BADB002);
	assert_true(has_pattern(0x100000, 0x1000, 11));
	for (unsigned i = 0; i < 0x100; i++)
		assert_int_equal(*fake_at(&mem, 0x101000 + i), *fake_at(&mem, k + 0x2000 + i));
	for (unsigned i = 0x100; i < 0x3000; i++)
		assert_int_equal(*fake_at(&mem, 0x101000 + i), 0);

	uint64_t mbi = boot.ebx;
	uint32_t flags = r32(mbi);

	assert_int_equal(flags & 0x24D, 0x24D); /* mem, cmdline, mods, mmap, loader name */
	assert_int_equal(r32(mbi + 4), 0x9FC00 >> 10);
	assert_int_equal(r32(mbi + 8), (M(48) - M(1)) >> 10);
	assert_string_equal((char *)fake_at(&mem, r32(mbi + 16)), "/boot/test.elf arg1 arg2");
	assert_string_equal((char *)fake_at(&mem, r32(mbi + 64)), "Shoji");
	assert_int_equal(r32(mbi + 20), 2);
	uint64_t list = r32(mbi + 24);

	for (unsigned i = 0; i < 2; i++) {
		uint32_t start = r32(list + 16 * i), end = r32(list + 16 * i + 4);

		assert_int_equal(start & 0xFFF, 0);
		assert_int_equal(end - start, mods[i].size);
		assert_true(has_pattern(start, mods[i].size, i ? 17 : 13));
		assert_true(start >= M(56) || end <= M(48)); /* not in Shoji's region */
		assert_string_equal((char *)fake_at(&mem, r32(list + 16 * i + 8)), mods[i].cmdline);
	}
	assert_int_equal(r32(mbi + 44), 5 * 24);
	uint64_t mm = r32(mbi + 48);

	assert_int_equal(r32(mm), 20);
	assert_int_equal(r64(mm + 3 * 24 + 4), M(48));
	assert_int_equal(r32(mm + 3 * 24 + 20), 2);
}

static void test_multiboot_elf32(void **state) { (void)state; check_multiboot(false); }
static void test_multiboot_elf64(void **state) { (void)state; check_multiboot(true); }

static void test_multiboot_address_fields(void **state)
{
	uint64_t k = M(4);
	struct guest_image kernel = { k, 0x3000, "/kludge", "module 0 (/kludge)" };
	struct vm_boot_state boot;

	(void)state;
	memset(fake_at(&mem, k), 0, 0x3000);
	pattern(k, 0x3000, 19);
	/* Header at file offset 0x40 describing: load at 0x200000, header_addr
	 * 0x200040, 0x2000 bytes, bss to 0x204000, entry 0x200100. */
	uint32_t h[8] = { 0x1BADB002, 0x10003, (uint32_t)-(0x1BADB002 + 0x10003), 0x200040,
			  0x200000, 0x202000, 0x204000, 0x200100 };

	memcpy(fake_at(&mem, k + 0x40), h, sizeof(h));
	pattern(k + 0x40 + sizeof(h), 0x1000, 23);
	if (multiboot_load(&ctx, &kernel, NULL, 0, &boot) != E_OK)
		fail_msg("multiboot_load: %s", why);
	assert_int_equal(boot.eip, 0x200100);
	assert_memory_equal(fake_at(&mem, 0x200040), h, sizeof(h));
	assert_int_equal(*fake_at(&mem, 0x203FFF), 0);
}

static void test_multiboot_refusals(void **state)
{
	uint64_t k = M(4);
	struct guest_image kernel = { k, 0x2100, "/bad", "module 0 (/bad)" };
	struct vm_boot_state boot;
	struct elf_seg seg = { 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 };

	(void)state;
	make_elf(k, false, &seg, 1, 0x100000, 3 | 4); /* wants a video mode */
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_UNSUPP);
	assert_non_null(strstr(why, "requires multiboot features 0x4"));

	seg.paddr = 0xFFFFF000;
	seg.memsz = 0x2000;
	make_elf(k, false, &seg, 1, 0x100000, 3);
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_RANGE);
	assert_non_null(strstr(why, "above 4 GiB"));

	seg = (struct elf_seg){ 0x1000, M(47), M(47), 0x1000, M(2) }; /* into Shoji's region */
	make_elf(k, false, &seg, 1, M(47), 3);
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_RANGE);
	assert_non_null(strstr(why, "which is not available RAM of the guest"));

	seg = (struct elf_seg){ 0x1000, 0x100000, 0x100000, 0x5000, 0x5000 }; /* past the file */
	make_elf(k, false, &seg, 1, 0x100000, 3);
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_INVAL);
	assert_non_null(strstr(why, "lies outside the file"));

	seg = (struct elf_seg){ 0x1000, 0x8000, 0x8000, 0x100, 0x100 }; /* over the boot data */
	make_elf(k, false, &seg, 1, 0x8000, 3);
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_RANGE);

	memset(fake_at(&mem, k), 0, 0x2100);
	assert_false(multiboot_image_detect(fake_at(&mem, k), 8192));
	assert_int_equal(multiboot_load(&ctx, &kernel, NULL, 0, &boot), E_INVAL);
	assert_non_null(strstr(why, "has no multiboot header"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_loads_at_preferred_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_copies_in_a_safe_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_elf32, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_elf64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_address_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
