/* What the guest may not do directly: the MSRs and I/O ports the core
 * intercepts, each with its reason.  One reviewed table per kind; the back
 * ends turn them into their hardware bitmaps (svm/msrpm.c, svm/iopm.c) and
 * kernel/msr.c, kernel/ioport.c carry out the emulation.  Pure data, checked
 * by host tests. */
#ifndef SHOJI_INTERCEPT_H
#define SHOJI_INTERCEPT_H

#include "types.h"

enum msr_emul {
	MSR_EMUL_EFER,        /* SVME kept set and hidden; reserved bits #GP */
	MSR_EMUL_TSC,         /* a write moves this vCPU's TSC offset */
	MSR_EMUL_TSC_ADJUST,  /* emulated through the TSC offset */
	MSR_EMUL_TSC_DEADLINE, /* translated by the TSC offset */
	MSR_EMUL_DEBUGCTL,    /* reserved bits #GP; VT-x: into the VMCS guest field */
	MSR_EMUL_XSS,         /* only the bits CPUID.(0xD,1) reports; others #GP */
	MSR_EMUL_APIC_BASE,   /* written through, unless aimed at Shoji's memory */
	MSR_EMUL_READ_ONLY,   /* reads pass through, writes #GP */
	MSR_EMUL_VM_CR,       /* reads "SVM disabled and locked", writes #GP */
	MSR_EMUL_ZERO_RO,     /* reads 0, writes #GP */
	MSR_EMUL_X2APIC_ICR,  /* INIT/SIPI emulated, other IPIs sent as written */
	MSR_EMUL_MTRR,        /* the back end's (VT-x: kept apart, EPT follows) */
	MSR_EMUL_ABSENT,      /* reads and writes #GP, as on a CPU without it */
	MSR_EMUL_FEATURE_CONTROL, /* locked, with VMXON disabled; writes #GP */
};


struct msr_rule {
	uint32_t msr;
	const char *name;
	bool trap_read, trap_write;
	enum msr_emul emul;
	const char *reason;
};

extern const struct msr_rule msr_rules[];
extern const unsigned msr_rule_count;
const struct msr_rule *msr_rule_find(uint32_t msr);

enum io_emul {
	IO_EMUL_KBC_DATA, /* keyboard controller data: A20 bit forced on after D1 */
	IO_EMUL_KBC_CMD,  /* keyboard controller command: A20-off commands dropped */
	IO_EMUL_PORT92,   /* system control port A: A20 bit forced on */
};

struct io_rule {
	uint16_t port;
	const char *name;
	enum io_emul emul;
	const char *reason;
};

extern const struct io_rule io_rules[];
extern const unsigned io_rule_count;
const struct io_rule *io_rule_find(uint16_t port);

#endif
