/* Calling Shoji's domains from a micro-guest through the domain-call test
 * hook (kernel/include/test_hooks.h; the scenario sets
 * vmm.test_hook=domain-call).  Words are 32 bits each way: CPUID's
 * registers. */
#ifndef KIT_DOMCALL_H
#define KIT_DOMCALL_H

#include <stdint.h>

#define DOMCALL_LEAF_CALL 0x4F444F4D
#define DOMCALL_LEAF_INFO 0x4F444F49
#define DOMCALL_LEAF_REVOKE 0x4F444F52
#define DOMCALL_LEAF_HOLDER 0x4F444F48
#define DOMCALL_LEAF_ADDRESS 0x4F444F41
#define DOMCALL_LEAF_CHECKSUM 0x4F444F53

/* kernel/include/errors.h */
#define DOMCALL_E_OK 0
#define DOMCALL_E_INVAL 1
#define DOMCALL_E_DEAD 9
#define DOMCALL_E_BUSY 10

/* err: the call's own result; label: the callee's answer (after E_DEAD,
 * its new generation); out0, out1: its first two out words. */
struct domcall_answer {
	uint32_t err, out0, label, out1;
};

static inline struct domcall_answer domcall(unsigned dom, unsigned label, uint32_t in0,
					    uint32_t in1)
{
	struct domcall_answer a;

	__asm__ volatile("cpuid"
			 : "=a"(a.err), "=b"(a.out0), "=c"(a.label), "=d"(a.out1)
			 : "a"(DOMCALL_LEAF_CALL), "b"(in0), "c"(dom << 16 | label), "d"(in1)
			 : "memory");
	return a;
}

#endif
