/* The domains' allocator: random sequences of malloc/calloc/realloc/free,
 * checking alignment, disjointness, content, and that everything is given
 * back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sl.h"

#define SLOTS 64

struct slot {
	unsigned char *p;
	size_t size;
	unsigned char tag;
};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void check_slot(const struct slot *s)
{
	for (size_t i = 0; i < s->size; i++)
		if (s->p[i] != s->tag)
			fail_msg("block %p byte %zu changed", (void *)s->p, i);
}

static void test_random_sequences(void **state)
{
	static unsigned char arena[1 << 18];
	struct slot slots[SLOTS] = { 0 };

	(void)state;
	sl_malloc_init(arena + 3, sizeof(arena) - 3); /* unaligned on purpose */
	size_t initial = sl_malloc_free_bytes();

	assert_true(initial > sizeof(arena) - 64);
	for (int step = 0; step < 20000; step++) {
		struct slot *s = &slots[rng() % SLOTS];

		if (s->p) {
			check_slot(s);
			if (rng() % 3 == 0) {
				size_t size = rng() % 3000 + 1;
				unsigned char *q = sl_realloc(s->p, size);

				if (q) {
					size_t keep = size < s->size ? size : s->size;

					for (size_t i = 0; i < keep; i++)
						assert_int_equal(q[i], s->tag);
					memset(q, s->tag, size);
					s->p = q;
					s->size = size;
				}
			} else {
				sl_free(s->p);
				s->p = NULL;
			}
			continue;
		}
		size_t size = rng() % 4000 + 1;

		s->p = rng() % 2 ? sl_malloc(size) : sl_calloc(size, 1);
		if (!s->p)
			continue;
		assert_int_equal((uintptr_t)s->p % 16, 0);
		assert_true(s->p >= arena && s->p + size <= arena + sizeof(arena));
		s->size = size;
		s->tag = (unsigned char)(rng() | 1);
		memset(s->p, s->tag, size);
	}
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].p) {
			check_slot(&slots[i]);
			sl_free(slots[i].p);
		}
	}
	assert_int_equal(sl_malloc_free_bytes(), initial);
	/* Coalescing: the whole arena is one block again. */
	void *big = sl_malloc(initial - 64);

	assert_non_null(big);
	sl_free(big);
}

static void test_edge_cases(void **state)
{
	static unsigned char arena[4096];

	(void)state;
	sl_malloc_init(arena, sizeof(arena));
	assert_null(sl_malloc(0));
	assert_null(sl_malloc(1 << 20));
	assert_null(sl_calloc(SIZE_MAX / 2, 4));
	sl_free(NULL);
	void *p = sl_realloc(NULL, 10);

	assert_non_null(p);
	assert_null(sl_realloc(p, 0));
	sl_malloc_init(arena, 8); /* too small: everything fails */
	assert_null(sl_malloc(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_edge_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
