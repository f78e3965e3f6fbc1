/* The TSC offset arithmetic (SDM 17.17.3: TSC and TSC_ADJUST move
 * together) and the DEBUGCTL/XSS valid-bit masks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "msr_values.h"

static void test_tsc_write_moves_adjust(void **state)
{
	struct tsc_view t = { 0, 0x1234 };

	(void)state;
	/* Host TSC 1000, the guest writes 5000: it reads 5000 now, and
	 * TSC_ADJUST went up by the 4000 the TSC jumped. */
	tsc_view_write_tsc(&t, 5000, 1000);
	assert_int_equal(1000 + t.offset, 5000);
	assert_int_equal(t.adjust, 0x1234 + 4000);
	/* Later (host 2000, guest 6000) it writes 100: both move back by 5900. */
	tsc_view_write_tsc(&t, 100, 2000);
	assert_int_equal(2000 + t.offset, 100);
	assert_int_equal(t.adjust, 0x1234 + 4000 - 5900);
}

static void test_adjust_write_moves_tsc(void **state)
{
	struct tsc_view t = { 0, 0 };

	(void)state;
	tsc_view_write_adjust(&t, 1ULL << 40);
	assert_int_equal(t.offset, 1ULL << 40);
	assert_int_equal(t.adjust, 1ULL << 40);
	/* Writing it back to its start undoes the move exactly. */
	tsc_view_write_adjust(&t, 0);
	assert_int_equal(t.offset, 0);
	/* Negative adjustments wrap as the 64-bit MSR does. */
	tsc_view_write_adjust(&t, (uint64_t)-5);
	assert_int_equal(t.offset, (uint64_t)-5);
	/* A TSC write after an ADJUST write keeps the relation: the TSC minus
	 * TSC_ADJUST is still the host's. */
	tsc_view_write_tsc(&t, 777, 10000);
	assert_int_equal(t.offset - t.adjust, 0);
}

static void test_deadline_translation(void **state)
{
	uint64_t off = 1ULL << 40;

	(void)state;
	assert_int_equal(tsc_deadline_to_host(0, off, 500), 0); /* disarm */
	/* Guest TSC now 2^40 + 500; a deadline 1000 ahead fires at host 1500. */
	assert_int_equal(tsc_deadline_to_host(off + 1500, off, 500), 1500);
	/* In the past for the guest (though far ahead for the host): at once. */
	assert_int_equal(tsc_deadline_to_host(400, off, 500), 1);
	assert_int_equal(tsc_deadline_to_host(off + 500, off, 500), 1);
	/* A negative offset: guest behind the host. */
	assert_int_equal(tsc_deadline_to_host(1500, (uint64_t)-1000, 2000), 2500);
	/* Beyond the host's 64 bits: never, not a wrap to "now". */
	assert_int_equal(tsc_deadline_to_host(UINT64_MAX, (uint64_t)-1000, UINT64_MAX - 5000),
			 UINT64_MAX);
}

static void test_debugctl_bits(void **state)
{
	(void)state;
	/* AMD (no DS, PDCM, RTM): LBR and BTF only; PB0-3 and the rest #GP. */
	assert_int_equal(debugctl_valid_bits(0, 0, 0, 0), 0x3);
	/* Skylake-like: DS, PDCM, perfmon v4, RTM. */
	assert_int_equal(debugctl_valid_bits(1u << 15, 1u << 21, 1u << 11, 4), 0x9FC3);
	/* PDCM with perfmon v1: no freeze bits. */
	assert_int_equal(debugctl_valid_bits(1u << 15, 0, 0, 1), 0x3);
	/* Bits 2-5 (P6's PB0-3) and 63:16 are never offered. */
	assert_int_equal(debugctl_valid_bits(~0u, ~0u, ~0u, 0xFF) & 0xFFFFFFFFFFFF603CULL, 0);
}

static void test_xss_bits(void **state)
{
	(void)state;
	assert_int_equal(xss_valid_bits(0x1900, 0), 0x1900);
	assert_int_equal(xss_valid_bits(0, 1), 1ULL << 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsc_write_moves_adjust),
		cmocka_unit_test(test_adjust_write_moves_tsc),
		cmocka_unit_test(test_deadline_translation),
		cmocka_unit_test(test_debugctl_bits),
		cmocka_unit_test(test_xss_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
