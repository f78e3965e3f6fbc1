/* The FPU example (ipc/interfaces/numeric.toml): a domain the manifest
 * grants the FPU, built with SSE.  `mix` fills all sixteen xmm registers,
 * so a test can see that the guest's survive it. */
#include "domain.h"
#include "numeric_server.h"

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	return numeric_dispatch(badge, m);
}

enum err numeric_serve_mix(uint64_t badge, uint64_t a, uint64_t b, uint64_t *out_result)
{
	double x = (double)a, y = (double)b, acc = 0;

	(void)badge;
	/* Sixteen live values: the compiler keeps them in xmm0-15. */
	__asm__ volatile("movq %0, %%xmm0\n\t"
			 "movddup %%xmm0, %%xmm1\n\t"
			 "movapd %%xmm1, %%xmm2\n\tmovapd %%xmm1, %%xmm3\n\t"
			 "movapd %%xmm1, %%xmm4\n\tmovapd %%xmm1, %%xmm5\n\t"
			 "movapd %%xmm1, %%xmm6\n\tmovapd %%xmm1, %%xmm7\n\t"
			 "movapd %%xmm1, %%xmm8\n\tmovapd %%xmm1, %%xmm9\n\t"
			 "movapd %%xmm1, %%xmm10\n\tmovapd %%xmm1, %%xmm11\n\t"
			 "movapd %%xmm1, %%xmm12\n\tmovapd %%xmm1, %%xmm13\n\t"
			 "movapd %%xmm1, %%xmm14\n\tmovapd %%xmm1, %%xmm15"
			 : : "r"(x)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	for (int i = 0; i < 4; i++)
		acc = acc * 0.5 + x * x + 3.0 * y + (double)i;
	*out_result = (uint64_t)acc;
	return E_OK;
}
