/* Shoji freestanding libc: assert() calls the environment's failure hook
 * (the core panics; a domain crashes and is restarted). */
#ifndef SHOJI_LIBC_ASSERT_H
#define SHOJI_LIBC_ASSERT_H

_Noreturn void __assert_fail_shoji(const char *expr, const char *file, int line,
				   const char *func);

#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail_shoji(#e, __FILE__, __LINE__, __func__))
#endif

#define static_assert _Static_assert

#endif
