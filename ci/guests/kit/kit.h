/* The micro-guest kit: tiny multiboot guests, in the style of Xen's XTF,
 * that test one thing each and print one verdict line:
 *
 *     shoji-test <id>: SUCCESS
 *     shoji-test <id>: SKIP: <reason>
 *     shoji-test <id>: ERROR: <reason>     (the test itself went wrong)
 *     shoji-test <id>: FAILURE: <reason>   (what it tests is broken)
 *
 * Each test file defines KIT_TEST(id) and test_main(), and carries an
 * "Expect:" comment that ci/runner.py reads.  Guests run in 64-bit mode
 * with 0-4 GiB identity-mapped, and boot bare under QEMU as well as under
 * Shoji, so a test can compare the two. */
#ifndef SHOJI_KIT_H
#define SHOJI_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kit_module {
	uint64_t start, end;
	const char *cmdline;
};

struct kit_mmap_entry {
	uint64_t start, end;
	uint32_t type;
};

struct kit_boot {
	uint32_t magic;
	const char *cmdline;
	unsigned module_count;
	struct kit_module modules[8];
	unsigned mmap_count;
	struct kit_mmap_entry mmap[64];
};

extern const char kit_test_id[];
#define KIT_TEST(id) const char kit_test_id[] = id

void test_main(const struct kit_boot *boot);

void kit_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void kit_success(void);
_Noreturn void kit_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void kit_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void kit_failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void kit_exit(void);

/* Runs fn(arg); returns -1 if it returned normally, or the vector of the
 * exception it raised (the guest resumes after the call). */
int kit_catch(void (*fn)(void *arg), void *arg);
extern uint64_t kit_last_error_code;

/* For tests that attack Shoji: skips a bare run (the runner's "bare"
 * word), and fails if the guest sees SVM, which Shoji hides. */
void kit_require_shoji(const struct kit_boot *boot);

/* True if the command line holds the word. */
bool kit_cmdline_has(const struct kit_boot *boot, const char *word);

/* Handles `vector` (< 32, e.g. 2 for NMI) with fn(interrupted rip, its
 * rflags), which returns where to resume (rip itself: where it was),
 * instead of failing the test. */
typedef uint64_t (*kit_handler_fn)(uint64_t rip, uint64_t rflags);
void kit_set_handler(unsigned vector, kit_handler_fn fn);

/* Shoji hides itself; a guest can still tell by looking for its reserved
 * region: the 2 MiB-aligned reserved range of at least 16 MiB in low RAM. */
bool kit_find_shoji_region(const struct kit_boot *boot, uint64_t *start, uint64_t *end);

static inline void kit_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t kit_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void kit_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t kit_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t kit_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void kit_wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Marks a point for the instruction-counting plugin (tools/bench): a
 * harmless 8-byte NOP, nopl 0x4D4B00nn(%rax,%rax,1). */
#define KIT_MARK(n) __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, " #n ", 0x00, 0x4b, 0x4d")

#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14

#endif
