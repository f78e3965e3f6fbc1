/* Dumps every CPUID leaf and subleaf and a list of MSRs, one "DUMP" line
 * each.  The runner boots it bare and under Shoji and compares the dumps
 * against the allow-list in ci/allow/ (what Shoji hides, and why).
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("cpuid-msr-dump");

/* Leaves whose answer depends on ECX: dump 64 subleaves of these. */
static const uint32_t subleaf_leaves[] = {
	0x4, 0x7, 0xB, 0xD, 0xF, 0x10, 0x12, 0x14, 0x17, 0x18, 0x1A, 0x1B, 0x1D, 0x1E,
	0x1F, 0x20, 0x23, 0x24, 0x8000001D, 0x80000020, 0x80000026,
};

/* MSRs whose value changes by itself (TSC, APERF, MPERF) are left out. */
static const uint32_t msrs[] = {
	0x1B, 0x3A, 0x3B, 0x48, 0x8B, 0xFE, 0x174, 0x175, 0x176, 0x179, 0x17A, 0x17B, 0x1A0,
	0x1D9, 0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207, 0x208, 0x209, 0x20A,
	0x20B, 0x20C, 0x20D, 0x20E, 0x20F, 0x250, 0x258, 0x259, 0x268, 0x269, 0x26A, 0x26B,
	0x26C, 0x26D, 0x26E, 0x26F, 0x277, 0x2FF, 0x400, 0x401, 0x402, 0x403, 0x480, 0x481,
	0x482, 0x483, 0x484, 0x485, 0x486, 0x487, 0x488, 0x489, 0x48A, 0x48B, 0x48C, 0x48D,
	0x48E, 0x48F, 0x490, 0x491, 0x6E0, 0x802, 0x803, 0xC0000080, 0xC0000081, 0xC0000082,
	0xC0000083, 0xC0000084, 0xC0000100, 0xC0000101, 0xC0000102, 0xC0000103, 0xC0010000,
	0xC0010004, 0xC0010010, 0xC0010015, 0xC0010016, 0xC0010017, 0xC0010018, 0xC0010019,
	0xC001001A, 0xC001001D, 0xC0010111, 0xC0010112, 0xC0010113, 0xC0010114, 0xC0010115,
	0xC0010116, 0xC0010117, 0xC0010118, 0xC0010140, 0xC0010141, 0xC0011022, 0xC0011029,
};

static bool has_subleaves(uint32_t leaf)
{
	for (unsigned i = 0; i < sizeof(subleaf_leaves) / sizeof(*subleaf_leaves); i++)
		if (subleaf_leaves[i] == leaf)
			return true;
	return false;
}

static void dump_leaf(uint32_t leaf)
{
	unsigned subs = has_subleaves(leaf) ? 64 : 2;

	for (uint32_t sub = 0; sub < subs; sub++) {
		uint32_t r[4];

		kit_cpuid(leaf, sub, r);
		kit_printf("DUMP cpuid.%08x.%08x = %08x %08x %08x %08x\n", leaf, sub, r[0], r[1], r[2],
			   r[3]);
	}
}

static uint32_t msr_index;
static uint64_t msr_value;

static void read_msr(void *arg)
{
	(void)arg;
	msr_value = kit_rdmsr(msr_index);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];

	(void)boot;
	kit_cpuid(0, 0, r);
	for (uint32_t leaf = 0; leaf <= r[0] && leaf < 0x40; leaf++)
		dump_leaf(leaf);
	/* The range hypervisors use: Shoji hides what may be below it. */
	for (uint32_t leaf = 0x40000000; leaf <= 0x40000010; leaf++)
		dump_leaf(leaf);
	kit_cpuid(0x80000000, 0, r);
	for (uint32_t leaf = 0x80000000; leaf <= r[0] && leaf < 0x80000040; leaf++)
		dump_leaf(leaf);
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(*msrs); i++) {
		msr_index = msrs[i];
		if (kit_catch(read_msr, NULL) < 0)
			kit_printf("DUMP msr.%08x = %016lx\n", msrs[i], msr_value);
		else
			kit_printf("DUMP msr.%08x = #GP\n", msrs[i]);
	}
	kit_success();
}
