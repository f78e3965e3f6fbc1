/* Shoji's number conversions against glibc's, end pointers included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sl.h"

static const char *const inputs[] = {
	"0", "1", "-1", "+7", "  42", "\t-42xyz", "0x1f", "0X1F", "0x", "0xg", "017", "08", "09",
	"abc", "", "   ", "-", "+", "9223372036854775807", "9223372036854775808",
	"-9223372036854775808", "-9223372036854775809", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999", "-0", "0x7fffffffffffffff",
	"0xffffffffffffffff", "0x10000000000000000", "12 34", "z", "Z",
};

static void test_strtol_family_matches_glibc(void **state)
{
	static const int bases[] = { 0, 2, 8, 10, 16, 36 };

	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
		for (size_t b = 0; b < sizeof(bases) / sizeof(*bases); b++) {
			char *e1, *e2;

			long l1 = sl_strtol(inputs[i], &e1, bases[b]);
			long l2 = strtol(inputs[i], &e2, bases[b]);
			if (l1 != l2 || e1 != e2)
				fail_msg("strtol(\"%s\", %d): ours %ld +%td, glibc %ld +%td", inputs[i],
					 bases[b], l1, e1 - inputs[i], l2, e2 - inputs[i]);

			unsigned long long u1 = sl_strtoull(inputs[i], &e1, bases[b]);
			unsigned long long u2 = strtoull(inputs[i], &e2, bases[b]);
			if (u1 != u2 || e1 != e2)
				fail_msg("strtoull(\"%s\", %d): ours %llu +%td, glibc %llu +%td",
					 inputs[i], bases[b], u1, e1 - inputs[i], u2, e2 - inputs[i]);
			assert_true(sl_strtoul(inputs[i], NULL, bases[b]) ==
				    strtoul(inputs[i], NULL, bases[b]));
		}
	}
}

static void test_atoi(void **state)
{
	(void)state;
	assert_int_equal(sl_atoi("123"), 123);
	assert_int_equal(sl_atoi("  -45x"), -45);
	assert_int_equal(sl_atoi("x"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strtol_family_matches_glibc),
		cmocka_unit_test(test_atoi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
