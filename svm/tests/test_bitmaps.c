/* SVM's MSR and I/O permission maps hold exactly the bits of the core's
 * intercept tables, at the positions the APM gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bitmaps.h"

static void test_msrpm_has_exactly_the_rules(void **state)
{
	static uint8_t msrpm[SVM_MSRPM_SIZE];
	unsigned byte, bit, set = 0;
	uint32_t bad;

	(void)state;
	assert_int_equal(svm_msrpm_build(msrpm, msr_rules, msr_rule_count, &bad), E_OK);
	/* APM Vol. 2 15.11: MSR 0xC0000080 is byte 0x820, bits 0-1. */
	assert_true(svm_msrpm_position(0xC0000080, &byte, &bit));
	assert_int_equal(byte, 0x820);
	assert_int_equal(bit, 0);
	assert_true(svm_msrpm_position(0xC0010117, &byte, &bit));
	assert_int_equal(byte, 0x1000 + 0x117 / 4);
	assert_int_equal(bit, 2 * (0x117 % 4));
	assert_false(svm_msrpm_position(0x40000000, &byte, &bit));
	for (unsigned i = 0; i < msr_rule_count; i++) {
		assert_true(svm_msrpm_position(msr_rules[i].msr, &byte, &bit));
		assert_int_equal(!!(msrpm[byte] & (1u << bit)), msr_rules[i].trap_read);
		assert_int_equal(!!(msrpm[byte] & (2u << bit)), msr_rules[i].trap_write);
	}
	for (unsigned i = 0; i < SVM_MSRPM_SIZE; i++)
		set += (unsigned)__builtin_popcount(msrpm[i]);
	unsigned expected = 0;

	for (unsigned i = 0; i < msr_rule_count; i++)
		expected += msr_rules[i].trap_read + msr_rules[i].trap_write;
	assert_int_equal(set, expected);

	struct msr_rule unreachable = { 0x40000000, "x", true, true, MSR_EMUL_READ_ONLY, "x" };

	assert_int_equal(svm_msrpm_build(msrpm, &unreachable, 1, &bad), E_RANGE);
	assert_int_equal(bad, 0x40000000);
}

static void test_iopm_has_exactly_the_ports(void **state)
{
	static uint8_t iopm[SVM_IOPM_SIZE];
	unsigned set = 0;

	(void)state;
	svm_iopm_build(iopm, io_rules, io_rule_count);
	for (unsigned port = 0; port < 65536; port++) {
		bool trapped = iopm[port / 8] & (1u << (port % 8));

		assert_int_equal(trapped, io_rule_find((uint16_t)port) != NULL);
		set += trapped;
	}
	assert_int_equal(set, io_rule_count);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msrpm_has_exactly_the_rules),
		cmocka_unit_test(test_iopm_has_exactly_the_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
