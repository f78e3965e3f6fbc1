/* NMIs and the STI interrupt shadow.
 * 1. An NMI made pending right after an instruction in the shadow exited
 *    and was completed (`sti; cpuid`, the entry-window hook sending the NMI)
 *    arrives within a few guest instructions.
 * 2. An NMI made pending while the shadowed instruction itself exits and
 *    is retried (`sti`, then a write to a page the protect-page hook
 *    write-protected; the hook sends the NMI) arrives after that
 *    instruction, not before it (SVM would inject it inside the shadow;
 *    Shoji single-steps past it instead; VT-x opens the NMI window), and
 *    before the next one; its frame carries no TF, and no #DB reaches the
 *    guest.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-shadow");

#define TEST_LEAF_PROTECT_PAGE_NMI 0x4F50524E
#define RFLAGS_TF (1u << 8)

static uint8_t page[4096] __attribute__((aligned(4096)));
static volatile unsigned nmis, dbs;
static volatile uint64_t nmi_rip, nmi_rflags;

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	nmis++;
	nmi_rip = rip;
	nmi_rflags = rflags;
	return rip;
}

static uint64_t on_db(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	dbs++;
	return rip;
}

static void after_completed_exit(void)
{
	uint64_t count = 0;

	/* Each iteration: 5 instructions at most (inc, cmp, jne, cmp, jb). */
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
	if (!nmis)
		kit_failure("no NMI after %lu iterations", count);
	if (count > 3)
		kit_failure("the NMI came only after %lu loop iterations", count);
	kit_printf("nmi-shadow: after sti; cpuid the NMI came after %lu loop iteration(s)\n",
		   count);
}

static void in_retried_shadow(void)
{
	uint64_t before, after, flags;
	uint32_t r[4];

	kit_cpuid(TEST_LEAF_PROTECT_PAGE_NMI, (uint32_t)((uint64_t)page >> 12), r);
	__asm__ volatile("leaq 1f(%%rip), %0\n\t"
			 "leaq 2f(%%rip), %1\n\t"
			 "sti\n"
			 "1: movl $1, %2\n" /* exits in the STI shadow, then is retried */
			 "2: nop\n\t"
			 "nop\n\t"
			 "cli\n\t"
			 "pushfq\n\t"
			 "popq %3"
			 : "=&r"(before), "=&r"(after), "=m"(page[0]), "=r"(flags) : : "memory");
	for (long i = 0; i < 10000000L && nmis < 2; i++)
		__asm__ volatile("" ::: "memory");
	if (nmis != 2)
		kit_failure("%u NMI(s) in all, expected 2", nmis);
	if (nmi_rip == before)
		kit_failure("the NMI came inside the STI shadow, before the write at %#lx", before);
	if (nmi_rip != after)
		kit_failure("the NMI came at %#lx, expected %#lx (right after the write)", nmi_rip,
			    after);
	if ((nmi_rflags & RFLAGS_TF) || (flags & RFLAGS_TF))
		kit_failure("TF visible to the guest (NMI frame %#lx, RFLAGS %#lx)", nmi_rflags,
			    flags);
	if (dbs)
		kit_failure("%u #DB(s) reached the guest", dbs);
	kit_printf("nmi-shadow: with the shadowed write retried the NMI came right after it\n");
}

void test_main(const struct kit_boot *boot)
{
	kit_require_shoji(boot);
	kit_outb(0x21, 0xFF); /* IF will be set: keep the 8259s quiet */
	kit_outb(0xA1, 0xFF);
	kit_set_handler(2, on_nmi);
	kit_set_handler(1, on_db);
	after_completed_exit();
	in_retried_shadow();
	kit_success();
}
