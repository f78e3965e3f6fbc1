/* Every byte value, against glibc in the C locale. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sl.h"

#define SAME(fn, c) assert_int_equal(!!sl_##fn(c), !!fn(c))

static void test_all_bytes(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		SAME(isdigit, c);
		SAME(isxdigit, c);
		SAME(isspace, c);
		SAME(isalpha, c);
		SAME(isalnum, c);
		SAME(isupper, c);
		SAME(islower, c);
		SAME(isprint, c);
		SAME(ispunct, c);
		assert_int_equal(sl_toupper(c), toupper(c));
		assert_int_equal(sl_tolower(c), tolower(c));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_all_bytes) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
