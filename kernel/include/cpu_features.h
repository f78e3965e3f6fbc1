/* What the CPU we run on offers, read once at boot. */
#ifndef SHOJI_CPU_FEATURES_H
#define SHOJI_CPU_FEATURES_H

#include "insn.h"
#include "types.h"

struct cpu_features {
	enum insn_vendor vendor;
	char vendor_string[13];
	uint8_t phys_addr_bits;
	bool page_1g;
	bool tsc_adjust;
	uint64_t efer_writable; /* EFER bits a guest may write (SVME excluded) */
	uint64_t cr4_writable;  /* CR4 bits a guest may set (VMXE, SMXE excluded) */
};

extern struct cpu_features cpu_features;

void cpu_features_read(void);

#endif
