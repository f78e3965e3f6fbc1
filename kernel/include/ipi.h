/* The guest's interrupt command register: which IPIs Shoji must carry out
 * itself (INIT and SIPI never reach a real CPU) and to whom.  Pure logic,
 * host-tested (SDM Vol. 3A 11.6: ICR fields, shorthands, destination
 * modes, and the table of valid combinations). */
#ifndef SHOJI_IPI_H
#define SHOJI_IPI_H

#include "types.h"

enum icr_delivery {
	ICR_FIXED = 0, ICR_LOWEST = 1, ICR_SMI = 2, ICR_NMI = 4, ICR_INIT = 5, ICR_SIPI = 6,
	ICR_EXTINT = 7,
};

enum icr_shorthand { ICR_NO_SHORTHAND = 0, ICR_SELF = 1, ICR_ALL = 2, ICR_ALL_BUT_SELF = 3 };

struct icr {
	uint8_t vector;
	uint8_t delivery;      /* enum icr_delivery */
	bool logical;          /* destination mode */
	bool assert;           /* level: assert (1) or de-assert (0) */
	bool level_triggered;
	uint8_t shorthand;     /* enum icr_shorthand */
	uint32_t dest;         /* xAPIC: 8 bits; x2APIC: 32 bits */
};

/* xAPIC: low | (uint64_t)high << 32, with the destination in high bits
 * 24-31; x2APIC: the 64-bit ICR MSR, destination in bits 32-63. */
struct icr icr_decode(uint64_t value, bool x2apic);
uint64_t icr_encode(const struct icr *icr, bool x2apic);

enum ipi_action {
	IPI_FORWARD,        /* anything but INIT/SIPI: send it as the guest wrote it */
	IPI_INIT,
	IPI_SIPI,
	IPI_DEASSERT,       /* INIT level de-assert: nothing to do on modern CPUs */
	IPI_INVALID,        /* INIT or SIPI with a shorthand the SDM does not allow */
};

enum ipi_action ipi_classify(const struct icr *icr);

/* What a vCPU's local APIC says about who it is. */
struct apic_identity {
	uint32_t apic_id;
	uint32_t ldr;   /* logical destination register (x2APIC: derived from the ID) */
	uint32_t dfr;   /* xAPIC destination format: 0xFFFFFFFF flat, 0x0FFFFFFF cluster */
};

/* The vCPUs (indices into ids[0..n)) an IPI from `sender` reaches, as a
 * bit mask. */
uint64_t ipi_targets(const struct icr *icr, bool x2apic, unsigned sender,
		     const struct apic_identity *ids, unsigned n);

#endif
