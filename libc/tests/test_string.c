/* Shoji's string functions against glibc's, over many sizes and offsets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sl.h"

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + (i >> 3));
}

static void test_memcpy_memset_all_alignments(void **state)
{
	unsigned char src[300], a[300], b[300];

	(void)state;
	fill(src, sizeof(src), 1);
	for (size_t so = 0; so < 9; so++)
		for (size_t doff = 0; doff < 9; doff++)
			for (size_t n = 0; n < 260; n += (n < 40 ? 1 : 13)) {
				memset(a, 0xAA, sizeof(a));
				memset(b, 0xAA, sizeof(b));
				assert_ptr_equal(sl_memcpy(a + doff, src + so, n), a + doff);
				memcpy(b + doff, src + so, n);
				assert_memory_equal(a, b, sizeof(a));
				assert_ptr_equal(sl_memset(a + doff, (int)(n & 0xff), n), a + doff);
				memset(b + doff, (int)(n & 0xff), n);
				assert_memory_equal(a, b, sizeof(a));
			}
}

static void test_memmove_overlaps_both_ways(void **state)
{
	unsigned char a[200], b[200];

	(void)state;
	for (int from = 0; from < 40; from += 3)
		for (int to = 0; to < 40; to += 5)
			for (size_t n = 0; n < 150; n += 7) {
				fill(a, sizeof(a), 3);
				fill(b, sizeof(b), 3);
				sl_memmove(a + to, a + from, n);
				memmove(b + to, b + from, n);
				assert_memory_equal(a, b, sizeof(a));
			}
}

static int sign(int v) { return (v > 0) - (v < 0); }

static void test_compare_functions(void **state)
{
	static const char *const words[] = { "", "a", "ab", "abc", "abd", "b", "\xff", "a\xff",
					     "hello world", "hello" };

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++) {
		assert_int_equal(sl_strlen(words[i]), strlen(words[i]));
		for (size_t j = 0; j < sizeof(words) / sizeof(*words); j++) {
			assert_int_equal(sign(sl_strcmp(words[i], words[j])),
					 sign(strcmp(words[i], words[j])));
			for (size_t n = 0; n < 6; n++)
				assert_int_equal(sign(sl_strncmp(words[i], words[j], n)),
						 sign(strncmp(words[i], words[j], n)));
			size_t n = strlen(words[i]) < strlen(words[j]) ? strlen(words[i])
								       : strlen(words[j]);
			assert_int_equal(sign(sl_memcmp(words[i], words[j], n)),
					 sign(memcmp(words[i], words[j], n)));
			assert_ptr_equal(sl_strstr(words[i], words[j]), strstr(words[i], words[j]));
			assert_int_equal(sl_strspn(words[i], words[j]), strspn(words[i], words[j]));
			assert_int_equal(sl_strcspn(words[i], words[j]), strcspn(words[i], words[j]));
		}
	}
}

static void test_search_functions(void **state)
{
	const char *s = "config: vmm.memsize=64M";

	(void)state;
	for (int c = 0; c < 256; c++) {
		assert_ptr_equal(sl_strchr(s, c), strchr(s, c));
		assert_ptr_equal(sl_strrchr(s, c), strrchr(s, c));
		assert_ptr_equal(sl_memchr(s, c, strlen(s)), memchr(s, c, strlen(s)));
	}
	assert_int_equal(sl_strnlen(s, 5), 5);
	assert_int_equal(sl_strnlen(s, 500), strlen(s));
}

static void test_strlcpy_truncates_and_terminates(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(sl_strlcpy(buf, "hello", sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(sl_strlcpy(buf, "hello world", sizeof(buf)), 11);
	assert_string_equal(buf, "hello w");
	buf[0] = 'x';
	assert_int_equal(sl_strlcpy(buf, "abc", 0), 3);
	assert_int_equal(buf[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_memset_all_alignments),
		cmocka_unit_test(test_memmove_overlaps_both_ways),
		cmocka_unit_test(test_compare_functions),
		cmocka_unit_test(test_search_functions),
		cmocka_unit_test(test_strlcpy_truncates_and_terminates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
