/* An NMI that becomes pending while the guest is in an STI interrupt
 * shadow arrives within a few guest instructions: the guest runs
 * `sti; cpuid` (the CPUID, in the shadow, exits; a test hook sends an NMI
 * in the entry window) and then counts loop iterations, each a handful of
 * instructions; the NMI must come within 10 instructions of the CPUID.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-shadow");

static volatile uint64_t count_at_nmi = ~0ULL;
static volatile unsigned nmis;

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	nmis++;
	return rip;
}

void test_main(const struct kit_boot *boot)
{
	uint64_t count = 0;

	kit_require_shoji(boot);
	kit_outb(0x21, 0xFF); /* IF will be set: keep the 8259s quiet */
	kit_outb(0xA1, 0xFF);
	kit_set_handler(2, on_nmi);
	/* Each iteration: 3 instructions (inc, cmp of nmis, jump). */
	__asm__ volatile("movl $0x4E4D4921, %%eax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "sti\n\t"
			 "cpuid\n"
			 "1: incq %0\n\t"
			 "cmpl $0, %1\n\t"
			 "jne 2f\n\t"
			 "cmpq $100000000, %0\n\t"
			 "jb 1b\n"
			 "2: cli"
			 : "+r"(count) : "m"(nmis) : "rax", "rbx", "rcx", "rdx", "memory");
	count_at_nmi = count;
	if (!nmis)
		kit_failure("no NMI after %lu iterations", count);
	if (count > 3) /* 3 iterations of 4 instructions at most: within 10 or so */
		kit_failure("the NMI came only after %lu loop iterations", count);
	kit_printf("nmi-shadow: the NMI came after %lu loop iteration(s)\n", count);
	kit_success();
}
