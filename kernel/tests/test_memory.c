/* Pure memory logic: choosing the reserved region, the guest's memory map,
 * page tables and guest page walks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "e820.h"
#include "fake_mem.h"
#include "gwalk.h"
#include "pagetable.h"
#include "region.h"

#define MiBx(x) ((uint64_t)(x) << 20)
#define GiBx(x) ((uint64_t)(x) << 30)

/* QEMU q35 with 512 MiB, as multiboot reports it. */
static const struct mem_range q35_512[] = {
	{ 0, 0x9FC00, 1 },		{ 0x9FC00, 0xA0000, 2 },
	{ 0xF0000, 0x100000, 2 },	{ 0x100000, 0x1FFDF000, 1 },
	{ 0x1FFDF000, 0x20000000, 2 },	{ 0xB0000000, 0xC0000000, 2 },
	{ 0xFED1C000, 0xFED20000, 2 },	{ 0xFFFC0000, 0x100000000ULL, 2 },
};

static void test_region_top_of_low_memory(void **state)
{
	struct mem_range avoid[] = { { 0, MiBx(1), 0 }, { MiBx(1), MiBx(2), 0 } };
	paddr_t p;

	(void)state;
	assert_int_equal(region_choose(q35_512, 8, avoid, 2, MiBx(32), MiBx(2), GiBx(4), &p), E_OK);
	assert_int_equal(p, 0x1DE00000); /* highest 2 MiB-aligned fit below 0x1FFDF000 */
}

static void test_region_walks_below_modules(void **state)
{
	/* A module sits where the region would go: take the space below it. */
	struct mem_range avoid[] = { { 0x1E000000, 0x1E100000, 0 } };
	paddr_t p;

	(void)state;
	assert_int_equal(region_choose(q35_512, 8, avoid, 1, MiBx(32), MiBx(2), GiBx(4), &p), E_OK);
	assert_int_equal(p, 0x1C000000);
	assert_true(p + MiBx(32) <= 0x1E000000);
}

static void test_region_respects_limit_and_fails_cleanly(void **state)
{
	const struct mem_range big[] = { { 0x100000, GiBx(8), 1 } };
	paddr_t p;

	(void)state;
	assert_int_equal(region_choose(big, 1, NULL, 0, MiBx(64), MiBx(2), GiBx(4), &p), E_OK);
	assert_int_equal(p, GiBx(4) - MiBx(64));
	assert_int_equal(region_choose(q35_512, 8, NULL, 0, GiBx(1), MiBx(2), GiBx(4), &p), E_NOMEM);
	assert_int_equal(region_choose(q35_512, 8, NULL, 0, 0, MiBx(2), GiBx(4), &p), E_INVAL);
	/* A reserved entry overlapping an available one wins. */
	const struct mem_range overlap[] = { { 0x100000, MiBx(64), 1 }, { MiBx(50), MiBx(54), 2 } };

	assert_int_equal(region_choose(overlap, 2, NULL, 0, MiBx(16), MiBx(2), GiBx(4), &p), E_OK);
	assert_int_equal(p, MiBx(34)); /* the highest fit below the reserved hole */
}

static void test_e820_carves_reserved_region(void **state)
{
	struct mem_range out[E820_MAX];
	unsigned n;

	(void)state;
	n = e820_build(q35_512, 8, 0x1DE00000, 0x1FE00000, out, E820_MAX);
	assert_int_equal(n, 10);
	assert_int_equal(out[3].start, 0x100000);
	assert_int_equal(out[3].end, 0x1DE00000);
	assert_int_equal(out[3].type, 1);
	assert_int_equal(out[4].start, 0x1DE00000); /* Shoji: reserved, not a hole */
	assert_int_equal(out[4].end, 0x1FE00000);
	assert_int_equal(out[4].type, 2);
	assert_int_equal(out[5].start, 0x1FE00000);
	assert_int_equal(out[5].end, 0x1FFDF000);
	assert_int_equal(out[5].type, 1);
	for (unsigned i = 1; i < n; i++)
		assert_true(out[i - 1].end <= out[i].start);
	assert_true(e820_is_available(out, n, 0x100000, 0x1DE00000));
	assert_false(e820_is_available(out, n, 0x1DD00000, 0x1DE00001));
	assert_false(e820_is_available(out, n, 0x500, 0x500));
}

static void test_e820_sorts_merges_and_ranks(void **state)
{
	const struct mem_range messy[] = {
		{ MiBx(8), MiBx(16), 1 }, { 0, MiBx(4), 1 }, { MiBx(4), MiBx(8), 1 },
		{ MiBx(6), MiBx(7), 4 }, /* NVS inside RAM wins */
		{ MiBx(20), MiBx(24), 3 },
	};
	struct mem_range out[E820_MAX];
	unsigned n;

	(void)state;
	n = e820_build(messy, 5, 0, 0, out, E820_MAX);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].end, MiBx(6));
	assert_int_equal(out[1].type, 4);
	assert_int_equal(out[2].start, MiBx(7));
	assert_int_equal(out[2].end, MiBx(16)); /* merged */
	assert_int_equal(out[3].type, 3);       /* the hole 16-20 MiB stays a hole */
	assert_int_equal(e820_build(messy, 5, 0, 0, out, 2), 0); /* does not fit */
}

/* Page tables in a static pool; physical address = pointer value. */
static uint8_t pool[64][4096] __attribute__((aligned(4096)));
static unsigned pool_used;

static void *host_alloc(void *opaque, paddr_t *pa)
{
	(void)opaque;
	if (pool_used == 64)
		return NULL;
	void *p = pool[pool_used++];

	*pa = (uintptr_t)p;
	return p;
}

static void *host_va(void *opaque, paddr_t pa)
{
	(void)opaque;
	return (void *)(uintptr_t)pa;
}

static void test_pagetable_sizes_and_lookup(void **state)
{
	struct pt_ctx ctx = { host_alloc, host_va, NULL, 0 };
	paddr_t pa;
	uint64_t flags, size;

	(void)state;
	host_alloc(NULL, &ctx.root);
	assert_int_equal(pt_map(&ctx, 0xFFFF800000000000ULL, 0, GiBx(2), PTE_W, PAGE_1G), E_OK);
	assert_true(pt_lookup(&ctx, 0xFFFF800000000000ULL + GiBx(1) + 5, &pa, &flags, &size));
	assert_int_equal(pa, GiBx(1) + 5);
	assert_int_equal(size, PAGE_1G);
	assert_true(flags & PTE_PS);
	/* 2 MiB pages where 1 GiB is not aligned. */
	assert_int_equal(pt_map(&ctx, MiBx(2), MiBx(2), MiBx(4), PTE_W | PTE_U, PAGE_1G), E_OK);
	assert_true(pt_lookup(&ctx, MiBx(5), &pa, &flags, &size));
	assert_int_equal(size, PAGE_2M);
	assert_true(flags & PTE_U);
	/* 4 KiB pages, with NX. */
	assert_int_equal(pt_map(&ctx, 0xFFFFFFFFC0000000ULL, 0x1DE00000, 0x3000, PTE_NX, PAGE_SIZE),
			 E_OK);
	assert_true(pt_lookup(&ctx, 0xFFFFFFFFC0002123ULL, &pa, &flags, &size));
	assert_int_equal(pa, 0x1DE02123);
	assert_int_equal(size, PAGE_SIZE);
	assert_true(flags & PTE_NX);
	assert_false(pt_lookup(&ctx, 0xFFFFFFFFC0003000ULL, &pa, &flags, &size));
	/* A 4 KiB mapping inside an existing 2 MiB page is refused. */
	assert_int_equal(pt_map(&ctx, MiBx(2), 0, PAGE_SIZE, PTE_W, PAGE_SIZE), E_EXISTS);
	assert_int_equal(pt_map(&ctx, 1, 0, PAGE_SIZE, PTE_W, PAGE_SIZE), E_INVAL);
	/* Splitting: one read-only page inside the 1 GiB direct map. */
	uint64_t dm = 0xFFFF800000000000ULL;

	assert_int_equal(pt_map_4k_split(&ctx, dm + 0x7EE00000, 0x7EE00000, PTE_U), E_OK);
	assert_true(pt_lookup(&ctx, dm + 0x7EE00123, &pa, &flags, &size));
	assert_int_equal(pa, 0x7EE00123);
	assert_int_equal(size, PAGE_SIZE);
	assert_false(flags & PTE_W);
	assert_true(pt_lookup(&ctx, dm + 0x7EE01000, &pa, &flags, &size)); /* neighbours unchanged */
	assert_int_equal(pa, 0x7EE01000);
	assert_true(flags & PTE_W);
	assert_int_equal(size, PAGE_SIZE);
	assert_true(pt_lookup(&ctx, dm + 0x40000000, &pa, &flags, &size));
	assert_int_equal(pa, 0x40000000);
	assert_int_equal(size, PAGE_2M);
	assert_true(flags & PTE_W);
	assert_true(pt_lookup(&ctx, dm + 0x10000000, &pa, &flags, &size)); /* other GiB untouched */
	assert_int_equal(size, PAGE_1G);
	assert_int_equal(pt_map(&ctx, 0, 0, PAGE_SIZE, PTE_W, 12345), E_INVAL);
}

/* Guest page walks over a fake memory of 16 MiB. */
static struct fake_mem mem;

static void put64(uint64_t pa, uint64_t v) { memcpy(fake_at(&mem, pa), &v, 8); }
static void put32(uint64_t pa, uint32_t v) { memcpy(fake_at(&mem, pa), &v, 4); }

static void test_pagetable_unmap(void **state)
{
	struct pt_ctx ctx = { host_alloc, host_va, NULL, 0 };
	paddr_t pa;
	uint64_t flags, size;

	(void)state;
	host_alloc(NULL, &ctx.root);
	assert_int_equal(pt_map(&ctx, 0x10000000000ULL, 0x200000, 0x3000, PTE_U | PTE_W, PAGE_SIZE),
			 E_OK);
	/* The middle page goes, its neighbours stay; an unmapped page is skipped. */
	assert_int_equal(pt_unmap(&ctx, 0x10000001000ULL, PAGE_SIZE), E_OK);
	assert_false(pt_lookup(&ctx, 0x10000001000ULL, &pa, &flags, &size));
	assert_true(pt_lookup(&ctx, 0x10000000000ULL, &pa, &flags, &size));
	assert_int_equal(pa, 0x200000);
	assert_true(pt_lookup(&ctx, 0x10000002000ULL, &pa, &flags, &size));
	assert_int_equal(pt_unmap(&ctx, 0x10000000000ULL, 0x4000), E_OK);
	assert_false(pt_lookup(&ctx, 0x10000000000ULL, &pa, &flags, &size));
	assert_false(pt_lookup(&ctx, 0x10000002000ULL, &pa, &flags, &size));
	/* Nothing there at all, unaligned input, a large page in the way. */
	assert_int_equal(pt_unmap(&ctx, 0x20000000000ULL, PAGE_SIZE), E_OK);
	assert_int_equal(pt_unmap(&ctx, 0x10000000010ULL, PAGE_SIZE), E_INVAL);
	assert_int_equal(pt_map(&ctx, MiBx(2), MiBx(2), MiBx(2), PTE_W, PAGE_2M), E_OK);
	assert_int_equal(pt_unmap(&ctx, MiBx(2), PAGE_SIZE), E_EXISTS);
	assert_true(pt_lookup(&ctx, MiBx(2), &pa, &flags, &size));
}

static void test_gwalk_all_modes(void **state)
{
	struct gwalk_regs r = { 0 };
	paddr_t gpa;

	(void)state;
	fake_init(&mem, 0, MiBx(16));
	/* Paging off: linear = physical, 32 bits. */
	assert_int_equal(gwalk_translate(&r, 0x123456789ULL, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0x23456789);

	/* 32-bit paging: PD at 0x1000, a 4 KiB page and a 4 MiB page. */
	r = (struct gwalk_regs){ .cr0 = 1u << 31, .cr3 = 0x1000, .cr4 = 1u << 4 };
	put32(0x1000 + 1 * 4, 0x2000 | 1);          /* 4..8 MiB via PT at 0x2000 */
	put32(0x2000 + 3 * 4, 0x00ABC000 | 1);      /* page 3 */
	put32(0x1000 + 2 * 4, 0x00C00000 | 0x81);   /* 8..12 MiB: 4 MiB page at 12 MiB */
	assert_int_equal(gwalk_translate(&r, 0x403123, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0xABC123);
	assert_int_equal(gwalk_translate(&r, 0x812345, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0xC12345);
	assert_int_equal(gwalk_translate(&r, 0xC00000, fake_read, &mem, &gpa, NULL), E_FAULT);

	/* PAE: PDPT at 0x3000 (32-byte aligned), PD at 0x4000, 2 MiB page. */
	r = (struct gwalk_regs){ .cr0 = 1u << 31, .cr3 = 0x3000, .cr4 = 1u << 5 };
	put64(0x3000 + 1 * 8, 0x4000 | 1);          /* 1..2 GiB */
	put64(0x4000 + 5 * 8, 0x00600000 | 0x81);   /* 2 MiB page at 6 MiB */
	assert_int_equal(gwalk_translate(&r, GiBx(1) + 5 * MiBx(2) + 0x777, fake_read, &mem, &gpa, NULL),
			 E_OK);
	assert_int_equal(gpa, 0x600777);

	/* 4-level: PML4 0x5000, PDPT 0x6000 with a 1 GiB page, PD 0x7000, PT 0x8000. */
	r = (struct gwalk_regs){ .cr0 = 1u << 31, .cr3 = 0x5000, .cr4 = 1u << 5, .efer = 1u << 10 };
	uint64_t va = 0xFFFF888000000000ULL;
	put64(0x5000 + ((va >> 39) & 511) * 8, 0x6000 | 1);
	put64(0x6000 + ((va >> 30) & 511) * 8, 0x40000000ULL | 0x81);
	put64(0x6000 + (((va >> 30) + 1) & 511) * 8, 0x7000 | 1);
	put64(0x7000, 0x8000 | 1);
	put64(0x8000 + 2 * 8, 0xDEF000 | 1 | (1ULL << 63));
	assert_int_equal(gwalk_translate(&r, va + 0x1234, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0x40001234);
	assert_int_equal(gwalk_translate(&r, va + GiBx(1) + 0x2abc, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0xDEFabc);
	/* 5-level: one more table on top. */
	r.cr4 |= 1u << 12;
	r.cr3 = 0x9000;
	put64(0x9000 + ((va >> 48) & 511) * 8, 0x5000 | 1);
	assert_int_equal(gwalk_translate(&r, va + 0x1234, fake_read, &mem, &gpa, NULL), E_OK);
	assert_int_equal(gpa, 0x40001234);
	/* The trace lists the entries read, top level first. */
	struct gwalk_trace trace;

	assert_int_equal(gwalk_translate(&r, va + 0x1234, fake_read, &mem, &gpa, &trace), E_OK);
	assert_int_equal(trace.count, 3); /* PML5, PML4, PDPT (a 1 GiB page) */
	assert_int_equal(trace.pa[0], 0x9000 + ((va >> 48) & 511) * 8);
	assert_int_equal(trace.value[2], 0x40000000ULL | 0x81);
	assert_int_equal(trace.size[1], 8);
	/* Tables outside memory fault, they do not crash. */
	r.cr3 = MiBx(64);
	assert_int_equal(gwalk_translate(&r, va, fake_read, &mem, &gpa, NULL), E_FAULT);
	free(mem.bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_region_top_of_low_memory),
		cmocka_unit_test(test_region_walks_below_modules),
		cmocka_unit_test(test_region_respects_limit_and_fails_cleanly),
		cmocka_unit_test(test_e820_carves_reserved_region),
		cmocka_unit_test(test_e820_sorts_merges_and_ranks),
		cmocka_unit_test(test_pagetable_sizes_and_lookup),
		cmocka_unit_test(test_pagetable_unmap),
		cmocka_unit_test(test_gwalk_all_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
