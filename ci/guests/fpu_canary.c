/* FPU state across domains (issue #6 item 3): the guest keeps canary
 * values in xmm0-15 while the `numeric` domain, which the manifest grants
 * the FPU and which fills every xmm register, serves 1,000 calls.  The
 * canaries must be unchanged and every answer right.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("fpu-canary");

#define LEAF_CALL 0x4F444F4D
#define DOM_NUMERIC 3
#define MIX 1
#define CALLS 1000

static uint64_t canary[16][2] __attribute__((aligned(16)));
static uint64_t seen[16][2] __attribute__((aligned(16)));

/* The kit leaves SSE off: CR4.OSFXSR, CR0.MP on, CR0.EM off. */
static void sse_on(void)
{
	uint64_t cr0, cr4;

	__asm__ volatile("movq %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("movq %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("movq %0, %%cr0" : : "r"((cr0 | 2) & ~4UL));
	__asm__ volatile("movq %0, %%cr4" : : "r"(cr4 | (1UL << 9) | (1UL << 10)));
}

#define XMM_ALL(op, base)                                                                  \
	__asm__ volatile(op " 0(%0), %%xmm0\n\t" op " 16(%0), %%xmm1\n\t" op " 32(%0), %%xmm2\n\t" \
			 op " 48(%0), %%xmm3\n\t" op " 64(%0), %%xmm4\n\t" op " 80(%0), %%xmm5\n\t" \
			 op " 96(%0), %%xmm6\n\t" op " 112(%0), %%xmm7\n\t" op " 128(%0), %%xmm8\n\t" \
			 op " 144(%0), %%xmm9\n\t" op " 160(%0), %%xmm10\n\t" op " 176(%0), %%xmm11\n\t" \
			 op " 192(%0), %%xmm12\n\t" op " 208(%0), %%xmm13\n\t" op " 224(%0), %%xmm14\n\t" \
			 op " 240(%0), %%xmm15" : : "r"(base) : "memory")

static void xmm_store(uint64_t (*to)[2])
{
	__asm__ volatile("movdqa %%xmm0, 0(%0)\n\tmovdqa %%xmm1, 16(%0)\n\tmovdqa %%xmm2, 32(%0)\n\t"
			 "movdqa %%xmm3, 48(%0)\n\tmovdqa %%xmm4, 64(%0)\n\tmovdqa %%xmm5, 80(%0)\n\t"
			 "movdqa %%xmm6, 96(%0)\n\tmovdqa %%xmm7, 112(%0)\n\tmovdqa %%xmm8, 128(%0)\n\t"
			 "movdqa %%xmm9, 144(%0)\n\tmovdqa %%xmm10, 160(%0)\n\tmovdqa %%xmm11, 176(%0)\n\t"
			 "movdqa %%xmm12, 192(%0)\n\tmovdqa %%xmm13, 208(%0)\n\tmovdqa %%xmm14, 224(%0)\n\t"
			 "movdqa %%xmm15, 240(%0)" : : "r"(to) : "memory");
}

void test_main(const struct kit_boot *boot)
{
	kit_require_shoji(boot);
	sse_on();
	for (unsigned i = 0; i < 16; i++) {
		canary[i][0] = 0xC0DE000000000000ULL | i << 8 | 0x11;
		canary[i][1] = 0x5AFE000000000000ULL | i << 8 | 0x22;
	}
	XMM_ALL("movdqa", canary);
	for (unsigned n = 0; n < CALLS; n++) {
		uint32_t err, result, label, out1;

		/* mix(3, 4) = 43 (domains/numeric/numeric.c). */
		__asm__ volatile("cpuid"
				 : "=a"(err), "=b"(result), "=c"(label), "=d"(out1)
				 : "a"(LEAF_CALL), "b"(3), "c"(DOM_NUMERIC << 16 | MIX), "d"(4));
		if (err != 0 || label != 0 || result != 43)
			kit_failure("call %u: error %u, answer %u, result %u", n, err, label, result);
	}
	xmm_store(seen);
	for (unsigned i = 0; i < 16; i++)
		if (seen[i][0] != canary[i][0] || seen[i][1] != canary[i][1])
			kit_failure("xmm%u changed: %#lx:%#lx, was %#lx:%#lx", i, seen[i][1],
				    seen[i][0], canary[i][1], canary[i][0]);
	kit_printf("fpu-canary: xmm0-15 unchanged across %u calls of an FPU domain\n", CALLS);
	kit_success();
}
