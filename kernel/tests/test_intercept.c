/* The intercept tables (every rule has a reason, none twice) and the CPUID
 * and A20 filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cpuid_filter.h"
#include "intercept.h"
#include "ioport_filter.h"

static void test_rules_are_reviewed(void **state)
{
	(void)state;
	for (unsigned i = 0; i < msr_rule_count; i++) {
		assert_true(strlen(msr_rules[i].reason) > 10);
		assert_true(msr_rules[i].trap_read || msr_rules[i].trap_write);
		assert_ptr_equal(msr_rule_find(msr_rules[i].msr), &msr_rules[i]);
		for (unsigned j = 0; j < i; j++)
			assert_int_not_equal(msr_rules[i].msr, msr_rules[j].msr);
	}
	for (unsigned i = 0; i < io_rule_count; i++) {
		assert_true(strlen(io_rules[i].reason) > 10);
		assert_ptr_equal(io_rule_find(io_rules[i].port), &io_rules[i]);
	}
	/* What the issue names must be here. */
	static const uint32_t required[] = { 0x10, 0x1B, 0x3B, 0x6E0, 0x1D9, 0xDA0, 0xC0000080, 0xC0010010, 0xC001001A,
					     0xC001001D, 0xC0010114, 0xC0010117 };

	for (unsigned i = 0; i < sizeof(required) / sizeof(*required); i++)
		if (!msr_rule_find(required[i]))
			fail_msg("MSR %#x is not intercepted", required[i]);
	assert_null(msr_rule_find(0xC0000100)); /* FS_BASE: the guest's own */
	assert_non_null(io_rule_find(0x92));
	assert_null(io_rule_find(0x3F8));
}

static void test_cpuid_hides_what_shoji_owns(void **state)
{
	struct cpuid_result r;

	(void)state;
	r = (struct cpuid_result){ 0x40000001, 0x54474354, 0x43544743, 0x47435447 };
	cpuid_filter(0x40000000, 0, 0, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = (struct cpuid_result){ 1, 2, 0xFFFFFFFF, 4 };
	cpuid_filter(1, 0, 0, &r);
	assert_int_equal(r.ecx, 0xFFFFFFFF & ~(0x20u | 0x40u | (1u << 27))); /* VMX, SMX, OSXSAVE */
	r = (struct cpuid_result){ 1, 2, 0, 4 };
	cpuid_filter(1, 0, 1u << 18, &r); /* guest CR4.OSXSAVE on */
	assert_int_equal(r.ecx, 1u << 27);
	r = (struct cpuid_result){ 0, 0, 0xFFFFFFFF, 0xFFFFFFFF };
	cpuid_filter(0x80000001, 0, 0, &r);
	assert_int_equal(r.ecx, 0xFFFFFFFB);
	assert_int_equal(r.edx, 0xFFFFFFFF); /* NX, LM untouched */
	r = (struct cpuid_result){ 1, 16, 0, 0x10010001 };
	cpuid_filter(0x8000000A, 0, 0, &r);
	assert_int_equal(r.eax | r.ebx | r.ecx | r.edx, 0);
	r = (struct cpuid_result){ 0xD, 0x68747541, 0x444D4163, 0x69746E65 };
	cpuid_filter(0, 0, 0, &r);
	assert_int_equal(r.ebx, 0x68747541); /* everything else is the CPU's */
}

static void test_a20_stays_on(void **state)
{
	struct kbc_state kbc = { 0 };
	bool changed;

	(void)state;
	assert_int_equal(io_filter_out(&kbc, 0x92, 1, 0x00, &changed), 0x02);
	assert_true(changed);
	assert_int_equal(io_filter_out(&kbc, 0x92, 1, 0x03, &changed), 0x03);
	assert_false(changed);
	/* A 16-bit write at 0x91 reaches 0x92 with its high byte. */
	assert_int_equal(io_filter_out(&kbc, 0x91, 2, 0x0000, &changed), 0x0200);
	assert_true(changed);
	/* Keyboard controller: D1 then data. */
	assert_int_equal(io_filter_out(&kbc, 0x64, 1, 0xD1, &changed), 0xD1);
	assert_false(changed);
	assert_int_equal(io_filter_out(&kbc, 0x60, 1, 0xDD, &changed), 0xDF);
	assert_true(changed);
	/* Data without D1 before it is untouched (a keyboard command). */
	assert_int_equal(io_filter_out(&kbc, 0x60, 1, 0xED, &changed), 0xED);
	assert_false(changed);
	/* Command DD (A20 off) becomes DF (A20 on). */
	assert_int_equal(io_filter_out(&kbc, 0x64, 1, 0xDD, &changed), 0xDF);
	assert_true(changed);
	/* Another command cancels a pending D1. */
	io_filter_out(&kbc, 0x64, 1, 0xD1, &changed);
	io_filter_out(&kbc, 0x64, 1, 0xAE, &changed);
	assert_int_equal(io_filter_out(&kbc, 0x60, 1, 0x00, &changed), 0x00);
	assert_int_equal(io_filter_out(&kbc, 0x80, 1, 0x55, &changed), 0x55);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_are_reviewed),
		cmocka_unit_test(test_cpuid_hides_what_shoji_owns),
		cmocka_unit_test(test_a20_stays_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
