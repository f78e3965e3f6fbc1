/* Shoji's snprintf against glibc's for every conversion, flag, width,
 * precision and length modifier the code may use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sl.h"

#define CHECK(fmt, ...)                                                          \
	do {                                                                     \
		char ours[256], theirs[256];                                     \
		int n1 = sl_snprintf(ours, sizeof(ours), fmt, __VA_ARGS__);      \
		int n2 = snprintf(theirs, sizeof(theirs), fmt, __VA_ARGS__);     \
		if (strcmp(ours, theirs) != 0 || n1 != n2)                       \
			fail_msg("format \"%s\": ours \"%s\" (%d), glibc \"%s\" (%d)", \
				 fmt, ours, n1, theirs, n2);                     \
	} while (0)

static void test_integers(void **state)
{
	static const long long values[] = { 0, 1, -1, 7, 42, -42, 255, 4096, 2147483647,
					    -2147483647LL - 1, 123456789012LL, -9223372036854775807LL - 1,
					    9223372036854775807LL };
	static const char *const int_formats[] = { "%d", "%5d", "%-5d|", "%05d", "%+d", "% d",
						   "%.3d", "%8.3d", "%-8.3d|", "%.0d", "%i" };
	static const char *const uint_formats[] = { "%u", "%x", "%X", "%o", "%#x", "%#X", "%#o",
						    "%08x", "%-8x|", "%.5x", "%#.5x", "%#08x", "%.0x" };

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(*values); i++) {
		for (size_t f = 0; f < sizeof(int_formats) / sizeof(*int_formats); f++)
			CHECK(int_formats[f], (int)values[i]);
		for (size_t f = 0; f < sizeof(uint_formats) / sizeof(*uint_formats); f++)
			CHECK(uint_formats[f], (unsigned)values[i]);
		CHECK("%ld %lx %lu", (long)values[i], (unsigned long)values[i], (unsigned long)values[i]);
		CHECK("%lld %llx %016llx", values[i], (unsigned long long)values[i],
		      (unsigned long long)values[i]);
		CHECK("%zu %zx %jd %td", (size_t)values[i], (size_t)values[i], (intmax_t)values[i],
		      (ptrdiff_t)values[i]);
		CHECK("%hd %hu %hhd %hhx", (short)values[i], (unsigned short)values[i],
		      (signed char)values[i], (unsigned char)values[i]);
	}
}

static void test_strings_chars_and_stars(void **state)
{
	(void)state;
	CHECK("%s|%10s|%-10s|%.2s|%5.1s|", "abc", "abc", "abc", "abc", "abc");
	CHECK("%c%c%5c%-3c|", 'a', 'Z', 'q', 'x');
	CHECK("%*d|%-*d|%.*d|%*.*s|", 6, 42, 6, 42, 4, 7, 8, 2, "hello");
	CHECK("%*d|", -6, 42);
	CHECK("100%% %s", "done");
	CHECK("%p", (void *)0x1234abcdULL);
	CHECK("%s", "");
}

static void test_truncation_reports_full_length(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(sl_snprintf(buf, sizeof(buf), "%s-%d", "abcdef", 12345), 12);
	assert_string_equal(buf, "abcdef-");
	assert_int_equal(sl_snprintf(buf, 1, "xyz"), 3);
	assert_string_equal(buf, "");
	assert_int_equal(sl_snprintf(NULL, 0, "%d", 1000), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings_chars_and_stars),
		cmocka_unit_test(test_truncation_reports_full_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
