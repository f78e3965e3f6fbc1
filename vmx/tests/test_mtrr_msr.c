/* mtrr_write refuses what the hardware #GPs on (SDM Vol. 3A 12.11.2,
 * 12.11.2.3) and leaves the state alone when it does; mtrr_read and
 * mtrr_is_mtrr_msr know exactly the MTRR MSRs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mtrr_ref.h"

#define PB 39

/* mtrr_write must fail and change nothing. */
static void refused(struct mtrr_state *s, uint32_t msr, uint64_t value)
{
	struct mtrr_state before = *s;

	if (mtrr_write(s, msr, value, PB))
		fail_msg("MSR %#x accepted %#llx", msr, (unsigned long long)value);
	assert_memory_equal(&before, s, sizeof(before));
}

static void accepted(struct mtrr_state *s, uint32_t msr, uint64_t value)
{
	uint64_t back;

	if (!mtrr_write(s, msr, value, PB))
		fail_msg("MSR %#x refused %#llx", msr, (unsigned long long)value);
	assert_true(mtrr_read(s, msr, &back));
	assert_int_equal(back, value);
}

static void test_which_msrs_are_mtrrs(void **state)
{
	static const uint32_t yes[] = { 0xFE, 0x2FF, 0x250, 0x258, 0x259, 0x268,
					0x26B, 0x26F, 0x200, 0x201, 0x21E, 0x21F };
	static const uint32_t no[] = { 0xFD, 0xFF, 0x1F2, 0x1F3, 0x1FF, 0x220, 0x251,
				       0x257, 0x25A, 0x267, 0x270, 0x277, 0x2FE, 0x300 };

	(void)state;
	for (unsigned i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(mtrr_is_mtrr_msr(yes[i]));
	for (unsigned i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(mtrr_is_mtrr_msr(no[i]));
}

static void test_def_type(void **state)
{
	struct mtrr_state s;

	(void)state;
	ref_state(&s, 8, MTRR_UC);
	accepted(&s, MSR_MTRR_DEF_TYPE, MTRR_WB | MTRR_DEF_E | MTRR_DEF_FE);
	accepted(&s, MSR_MTRR_DEF_TYPE, MTRR_WC);
	accepted(&s, MSR_MTRR_DEF_TYPE, 0);
	for (unsigned t = 2; t <= 3; t++)
		refused(&s, MSR_MTRR_DEF_TYPE, t | MTRR_DEF_E);
	for (unsigned t = 7; t <= 0xFF; t++)
		refused(&s, MSR_MTRR_DEF_TYPE, t | MTRR_DEF_E);
	refused(&s, MSR_MTRR_DEF_TYPE, BIT(8) | MTRR_DEF_E);
	refused(&s, MSR_MTRR_DEF_TYPE, BIT(9));
	for (unsigned b = 12; b < 64; b++)
		refused(&s, MSR_MTRR_DEF_TYPE, BIT(b) | MTRR_WB);
	/* No fixed ranges: nothing for FE to enable.  No WC: no WC type. */
	s.cap &= ~(MTRRCAP_FIX | MTRRCAP_WC);
	refused(&s, MSR_MTRR_DEF_TYPE, MTRR_DEF_FE | MTRR_DEF_E | MTRR_WB);
	refused(&s, MSR_MTRR_DEF_TYPE, MTRR_DEF_E | MTRR_WC);
	accepted(&s, MSR_MTRR_DEF_TYPE, MTRR_DEF_E | MTRR_WB);
}

static void test_fixed_msrs(void **state)
{
	struct mtrr_state s;
	uint64_t v;

	(void)state;
	ref_state(&s, 8, MTRR_UC);
	accepted(&s, MSR_MTRR_FIX64K_00000, 0x0606060606060606ULL);
	accepted(&s, MSR_MTRR_FIX16K_A0000, 0x0000000000000000ULL);
	accepted(&s, MSR_MTRR_FIX4K_C0000 + 7, 0x0504010006050401ULL);
	assert_int_equal(s.fixed[0], 0x0606060606060606ULL);
	assert_int_equal(s.fixed[10], 0x0504010006050401ULL);
	/* One bad byte anywhere spoils the write. */
	for (unsigned byte = 0; byte < 8; byte++) {
		refused(&s, MSR_MTRR_FIX16K_80000, 0x0606060606060606ULL ^ (4ULL << (8 * byte)));
		refused(&s, MSR_MTRR_FIX16K_80000, 0x0606060606060606ULL | (0x80ULL << (8 * byte)));
	}
	/* Without FIX the fixed MSRs do not exist. */
	s.cap &= ~MTRRCAP_FIX;
	refused(&s, MSR_MTRR_FIX64K_00000, 0);
	assert_false(mtrr_read(&s, MSR_MTRR_FIX64K_00000, &v));
	/* Without WC, no byte may be WC. */
	s.cap |= MTRRCAP_FIX;
	s.cap &= ~MTRRCAP_WC;
	refused(&s, MSR_MTRR_FIX4K_C0000, 0x0606060606060601ULL);
}

static void test_variable_msrs(void **state)
{
	struct mtrr_state s;
	uint64_t v;

	(void)state;
	ref_state(&s, 8, MTRR_UC);
	accepted(&s, 0x200, MTRR_WB);
	accepted(&s, 0x201, (BIT(PB) - GiB(2)) | MTRR_MASK_V);
	accepted(&s, 0x20E, (BIT(PB) - PAGE_SIZE) | MTRR_WC); /* range 7: the last */
	accepted(&s, 0x20F, 0);
	/* PhysBase: type valid, bits 11:8 and from MAXPHYADDR up reserved. */
	refused(&s, 0x200, 2);
	refused(&s, 0x200, 7);
	for (unsigned b = 8; b < 12; b++)
		refused(&s, 0x202, BIT(b) | MTRR_WB);
	for (unsigned b = PB; b < 64; b++)
		refused(&s, 0x202, BIT(b) | MTRR_WB);
	/* PhysMask: bits 10:0 and from MAXPHYADDR up reserved. */
	for (unsigned b = 0; b < 11; b++)
		refused(&s, 0x203, BIT(b) | MTRR_MASK_V);
	for (unsigned b = PB; b < 64; b++)
		refused(&s, 0x203, BIT(b) | MTRR_MASK_V);
	accepted(&s, 0x203, BIT(PB - 1) | BIT(12) | MTRR_MASK_V); /* sparse: allowed */
	/* Ranges at or beyond VCNT (8) do not exist, up to 0x21F and past. */
	for (uint32_t msr = 0x210; msr < 0x222; msr++) {
		refused(&s, msr, 0);
		assert_false(mtrr_read(&s, msr, &v));
	}
	s.cap &= ~MTRRCAP_WC;
	refused(&s, 0x204, MTRR_WC);
}

static void test_read_only_and_foreign(void **state)
{
	struct mtrr_state s;
	uint64_t v;

	(void)state;
	ref_state(&s, 8, MTRR_WB);
	refused(&s, MSR_MTRRCAP, s.cap);
	assert_true(mtrr_read(&s, MSR_MTRRCAP, &v));
	assert_int_equal(v, 8 | MTRRCAP_FIX | MTRRCAP_WC);
	assert_true(mtrr_read(&s, MSR_MTRR_DEF_TYPE, &v));
	assert_int_equal(v, MTRR_WB | MTRR_DEF_E);
	refused(&s, 0x1F2, 0); /* SMRR: not ours */
	refused(&s, 0x277, 0); /* PAT */
	assert_false(mtrr_read(&s, 0x277, &v));
}

/* What a guest writes is what mtrr_range_type then sees. */
static void test_writes_take_effect(void **state)
{
	struct mtrr_state s;

	(void)state;
	ref_state(&s, 8, MTRR_UC);
	s.def_type = 0;
	assert_true(mtrr_write(&s, 0x200, MTRR_WB, PB));
	assert_true(mtrr_write(&s, 0x201, (BIT(PB) - GiB(1)) | MTRR_MASK_V, PB));
	assert_int_equal(mtrr_range_type(&s, 0, GiB(1), PB), MTRR_UC); /* E still clear */
	assert_true(mtrr_write(&s, MSR_MTRR_DEF_TYPE, MTRR_DEF_E | MTRR_UC, PB));
	assert_int_equal(mtrr_range_type(&s, 0, GiB(1), PB), MTRR_WB);
	assert_int_equal(mtrr_range_type(&s, GiB(1), GiB(1), PB), MTRR_UC);
	assert_true(mtrr_write(&s, 0x201, BIT(PB) - GiB(1), PB)); /* V off */
	assert_int_equal(mtrr_range_type(&s, 0, GiB(1), PB), MTRR_UC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_which_msrs_are_mtrrs),
		cmocka_unit_test(test_def_type),
		cmocka_unit_test(test_fixed_msrs),
		cmocka_unit_test(test_variable_msrs),
		cmocka_unit_test(test_read_only_and_foreign),
		cmocka_unit_test(test_writes_take_effect),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
