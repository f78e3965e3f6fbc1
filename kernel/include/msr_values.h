/* What values the emulated MSRs take: the TSC offset arithmetic behind
 * IA32_TIME_STAMP_COUNTER, IA32_TSC_ADJUST and IA32_TSC_DEADLINE, and the
 * bits a guest may set in IA32_DEBUGCTL and IA32_XSS.  Pure logic, shared
 * by both back ends through kernel/msr.c, host-tested. */
#ifndef SHOJI_MSR_VALUES_H
#define SHOJI_MSR_VALUES_H

#include "types.h"

/* One vCPU's view of its TSC: guest TSC = host TSC + offset (mod 2^64),
 * and the guest's IA32_TSC_ADJUST. */
struct tsc_view {
	uint64_t offset;
	uint64_t adjust;
};

/* A guest write of `value` to IA32_TIME_STAMP_COUNTER at host TSC
 * host_now: the guest's TSC reads `value` from now on, and TSC_ADJUST
 * moves by the same delta (SDM 17.17.3). */
void tsc_view_write_tsc(struct tsc_view *t, uint64_t value, uint64_t host_now);

/* A guest write of IA32_TSC_ADJUST: the TSC moves by the change. */
void tsc_view_write_adjust(struct tsc_view *t, uint64_t value);

/* The host IA32_TSC_DEADLINE for the guest's `deadline`: the host TSC at
 * which the guest's TSC reaches it.  0 (disarm) stays 0; a deadline the
 * guest's TSC has already passed becomes 1, which fires at once as on a
 * real CPU; one too far for the host TSC is clamped to the largest. */
uint64_t tsc_deadline_to_host(uint64_t deadline, uint64_t offset, uint64_t host_now);

/* IA32_DEBUGCTL bits a guest may set (SDM 17.4.1 and table 2-2, APM
 * 13.1.1.6), from CPUID leaves 1, 7 and 0xA as the guest sees them:
 * LBR and BTF always; TR, BTS, BTINT, BTS_OFF_OS/USR with DS; the
 * freeze-on-PMI bits with PDCM and architectural perfmon v2 or later;
 * RTM_DEBUG with RTM.  Everything else is #GP. */
uint64_t debugctl_valid_bits(uint32_t leaf1_ecx, uint32_t leaf1_edx, uint32_t leaf7_ebx,
			     uint32_t leafa_eax);

/* IA32_XSS bits a guest may set: those CPUID.(0xD,1) ECX (low half) and
 * EDX (high half) report as supported (SDM 13.3). */
static inline uint64_t xss_valid_bits(uint32_t leafd1_ecx, uint32_t leafd1_edx)
{
	return (uint64_t)leafd1_edx << 32 | leafd1_ecx;
}

#endif
