/* An NMI pending while an exception cut short by an exit is delivered
 * again: the guest faults (#GP on a non-canonical read) on a stack page a
 * test hook write-protected, so the frame push exits; the hook also sends
 * the CPU an NMI.  The #GP must be delivered once and the NMI taken at the
 * first moment the guest can take it: on VT-x (NMI-window exit) before the
 * #GP handler's first instruction, on SVM no later than that handler's
 * return; and no frame carries TF (Shoji never single-steps for this).
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("nmi-reinject");

#define TEST_LEAF_PROTECT_PAGE_NMI 0x4F50524E
#define RFLAGS_TF (1u << 8)

extern char kit_trap_13[];

static uint8_t stack[2 * 4096] __attribute__((aligned(4096)));
static volatile unsigned nmis, gps, tf_frames;
static volatile uint64_t nmi_rip, gp_resume;
static volatile unsigned nmis_before_gp_return;

static uint64_t on_nmi(uint64_t rip, uint64_t rflags)
{
	nmis++;
	nmi_rip = rip;
	tf_frames += !!(rflags & RFLAGS_TF);
	return rip;
}

static uint64_t on_gp(uint64_t rip, uint64_t rflags)
{
	(void)rip;
	gps++;
	tf_frames += !!(rflags & RFLAGS_TF);
	nmis_before_gp_return = nmis;
	return gp_resume;
}

void test_main(const struct kit_boot *boot)
{
	uint64_t top = (uint64_t)stack + sizeof(stack);
	uint32_t r[4], vendor;

	kit_require_shoji(boot);
	kit_set_handler(2, on_nmi);
	kit_set_handler(13, on_gp);
	kit_cpuid(0, 0, r);
	vendor = r[1]; /* "Genu" or "Auth" */
	kit_cpuid(TEST_LEAF_PROTECT_PAGE_NMI, (uint32_t)((top - 4096) >> 12), r);
	/* The #GP handler resumes at 3: (gp_resume), still on the test stack. */
	__asm__ volatile("leaq 3f(%%rip), %%rcx\n\t"
			 "movq %%rcx, %1\n\t"
			 "movq %%rsp, %%rbx\n\t"
			 "movq %0, %%rsp\n\t"
			 "movq $0x8000000000000000, %%rax\n\t"
			 "movq (%%rax), %%rax\n" /* #GP: non-canonical */
			 "3: movq %%rbx, %%rsp"
			 : : "r"(top), "m"(gp_resume) : "rax", "rbx", "rcx", "memory");
	for (long i = 0; i < 100000000L && !nmis; i++)
		__asm__ volatile("" ::: "memory");
	if (gps != 1)
		kit_failure("the #GP handler ran %u times", gps);
	if (nmis != 1)
		kit_failure("%u NMIs arrived, expected 1", nmis);
	if (tf_frames)
		kit_failure("%u exception frames carried TF", tf_frames);
	if (nmi_rip != (uint64_t)kit_trap_13 && vendor == 0x756E6547 /* Intel */)
		kit_failure("on VT-x the NMI came at %#lx, not before the #GP handler's first "
			    "instruction %#lx", nmi_rip, (uint64_t)kit_trap_13);
	if (!nmis_before_gp_return)
		kit_failure("the NMI came only after the #GP handler returned (at %#lx)", nmi_rip);
	kit_printf("nmi-reinject: #GP delivered once; the NMI came at %#lx (#GP handler at %#lx)\n",
		   nmi_rip, (uint64_t)kit_trap_13);
	kit_success();
}
