/* Memory type range registers: the state of a CPU's MTRRs, the effective
 * type of a physical range under them, and the checks of a guest's WRMSR.
 * Pure logic, host-tested (vmx/tests); mtrr_host.c reads the real MSRs.
 * SDM Vol. 3A 12.11 ("Memory Type Range Registers"). */
#ifndef SHOJI_VMX_MTRR_H
#define SHOJI_VMX_MTRR_H

#include "types.h"

/* Memory type encodings (SDM Vol. 3A 12.11.2, Table 12-8).  EPT uses the
 * same encodings (SDM Vol. 3C 29.3.7), so ept_types.c passes them on. */
enum mtrr_type {
	MTRR_UC = 0,
	MTRR_WC = 1,
	MTRR_WT = 4,
	MTRR_WP = 5,
	MTRR_WB = 6,
};

/* mtrr_range_type's answer when the range holds more than one type. */
#define MTRR_MIXED (-1)

#define MSR_MTRRCAP 0xFE
#define MSR_MTRR_DEF_TYPE 0x2FF
#define MSR_MTRR_PHYSBASE0 0x200 /* PhysBase n is 0x200 + 2n, PhysMask n 0x201 + 2n */
#define MSR_MTRR_FIX64K_00000 0x250
#define MSR_MTRR_FIX16K_80000 0x258
#define MSR_MTRR_FIX16K_A0000 0x259
#define MSR_MTRR_FIX4K_C0000 0x268 /* ... through 0x26F (FIX4K_F8000) */

#define MTRRCAP_VCNT 0xFFULL
#define MTRRCAP_FIX BIT(8)
#define MTRRCAP_WC BIT(10)
#define MTRRCAP_SMRR BIT(11)
#define MTRR_DEF_FE BIT(10)
#define MTRR_DEF_E BIT(11)
#define MTRR_MASK_V BIT(11)

/* The fixed ranges cover [0, MTRR_FIXED_END); SDM Vol. 3A 12.11.2.2. */
#define MTRR_FIXED_END 0x100000ULL
#define MTRR_FIXED_MSRS 11

#define MTRR_VAR_MAX 16

/* A CPU's MTRRs as read (or as the guest last wrote them).  Set by
 * mtrr_read_host or mtrr_write; the caller serializes access. */
struct mtrr_state {
	uint64_t cap;      /* IA32_MTRRCAP (0xFE): VCNT, FIX, WC, SMRR */
	uint64_t def_type; /* IA32_MTRR_DEF_TYPE (0x2FF): type, FE (bit 10), E (bit 11) */
	uint64_t fixed[MTRR_FIXED_MSRS]; /* 0x250, 0x258, 0x259, 0x268..0x26F in that order */
	uint64_t base[MTRR_VAR_MAX], mask[MTRR_VAR_MAX]; /* 0x200 + 2n, 0x201 + 2n */
};

/* The effective memory type of every byte of [start, start + size), per
 * SDM Vol. 3A 12.11.4.1: E clear gives UC; with FE set the fixed ranges
 * decide below 1 MiB; otherwise matching variable ranges decide (UC wins,
 * WT over WB, any other disagreement is undefined and reported as UC),
 * and the default type applies where none matches.  Returns MTRR_MIXED if
 * the range is not uniform (the caller then splits it).
 *
 * Needs: size > 0 (size 0 is taken as 1), start + size <= 2^64, phys_bits
 * the CPU's MAXPHYADDR (CPUID 0x80000008 EAX[7:0]).  Address bits at and
 * above phys_bits take no part in matching, as in the hardware.
 * A type outside the five valid ones (only a state filled in by hand can
 * hold one) is taken as UC.
 * Cost: a few steps per variable-range boundary inside the range (at most
 * two per range when masks are contiguous, as the SDM recommends), never a
 * step per page.  Sparse (non-contiguous) masks are handled exactly; if
 * proving such a range uniform takes too long the answer is MTRR_MIXED,
 * which only makes the caller split further. */
int mtrr_range_type(const struct mtrr_state *s, uint64_t start, uint64_t size,
		    unsigned phys_bits);

/* Validates and applies a guest WRMSR to an MTRR MSR.  Returns false (the
 * caller injects #GP, leaving s unchanged) for: MTRRCAP (read-only), set
 * reserved bits, a type other than UC/WC/WT/WP/WB, WC without MTRRCAP.WC,
 * FE or a fixed-range MSR without MTRRCAP.FIX, a variable range at or
 * beyond VCNT, address bits at or above phys_bits, and MSRs that are not
 * MTRRs. */
bool mtrr_write(struct mtrr_state *s, uint32_t msr, uint64_t value, unsigned phys_bits);

/* Reads an MTRR MSR from s.  False (#GP) for MSRs that the state's MTRRCAP
 * says do not exist, and for MSRs that are not MTRRs. */
bool mtrr_read(const struct mtrr_state *s, uint32_t msr, uint64_t *value);

/* True if type is an MTRR encoding this CPU accepts: UC, WT, WP, WB, and
 * WC if cap has MTRRCAP_WC. */
bool mtrr_type_valid(unsigned type, uint64_t cap);

/* True for every MSR number mtrr_read/mtrr_write know (whether or not this
 * CPU has it): MTRRCAP, DEF_TYPE, the 11 fixed and 2 * MTRR_VAR_MAX
 * variable-range MSRs.  SMRR's MSRs are not among them. */
bool mtrr_is_mtrr_msr(uint32_t msr);

/* Fills s from the running CPU's MSRs (ring 0 only; vmx/mtrr_host.c).
 * Reads at most MTRR_VAR_MAX variable ranges and clamps cap's VCNT to it. */
void mtrr_read_host(struct mtrr_state *s);

#endif
