/* A software interrupt whose delivery is cut short by an exit is delivered
 * again exactly once, returning after the INT: the guest runs INT 0x1F and
 * INT3 on a stack page that a test hook of Shoji's has write-protected, so
 * pushing the frame exits (a write fault during delivery).  On SVM without
 * next-RIP Shoji re-executes the instruction, on VT-x it re-injects it with
 * the instruction length; either way the handler runs once and the return
 * address is the instruction after.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("soft-int-reexec");

#define TEST_LEAF_PROTECT_PAGE 0x4F50524F

static uint8_t stack[2 * 4096] __attribute__((aligned(4096)));
static volatile unsigned hits;
static volatile uint64_t hit_rip;

static uint64_t on_vector(uint64_t rip, uint64_t rflags)
{
	(void)rflags;
	hits++;
	hit_rip = rip;
	return rip;
}

/* Runs `int $0x1f` (or int3) on `stack`'s top page after asking Shoji to
 * write-protect it; returns the address of the instruction after it. */
static uint64_t int_on_protected_stack(bool int3)
{
	uint64_t top = (uint64_t)stack + sizeof(stack), after;
	uint32_t r[4];

	kit_cpuid(TEST_LEAF_PROTECT_PAGE, (uint32_t)((top - 4096) >> 12), r);
	if (int3)
		__asm__ volatile("movq %%rsp, %%rbx\n\t"
				 "movq %1, %%rsp\n\t"
				 "int3\n\t"
				 "1: leaq 1b(%%rip), %0\n\t"
				 "movq %%rbx, %%rsp"
				 : "=r"(after) : "r"(top) : "rbx", "memory");
	else
		__asm__ volatile("movq %%rsp, %%rbx\n\t"
				 "movq %1, %%rsp\n\t"
				 "int $0x1f\n\t"
				 "1: leaq 1b(%%rip), %0\n\t"
				 "movq %%rbx, %%rsp"
				 : "=r"(after) : "r"(top) : "rbx", "memory");
	return after;
}

void test_main(const struct kit_boot *boot)
{
	kit_require_shoji(boot);
	kit_set_handler(0x1F, on_vector);
	kit_set_handler(3, on_vector);
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "INT3" : "INT 0x1F";
		uint64_t after;

		hits = 0;
		after = int_on_protected_stack(k == 1);
		if (hits != 1)
			kit_failure("%s on a write-protected stack ran its handler %u times", name, hits);
		if (hit_rip != after)
			kit_failure("%s returned to %#lx, not to the next instruction %#lx", name,
				    hit_rip, after);
		kit_printf("soft-int-reexec: %s delivered once, returned to the next instruction\n",
			   name);
	}
	kit_success();
}
