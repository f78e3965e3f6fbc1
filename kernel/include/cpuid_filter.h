/* What the guest sees of CPUID: the real CPU, minus what Shoji hides.
 * Pure logic, host-tested. */
#ifndef SHOJI_CPUID_FILTER_H
#define SHOJI_CPUID_FILTER_H

#include "types.h"

struct cpuid_result {
	uint32_t eax, ebx, ecx, edx;
};

/* r holds what the real CPU answered, executed by the core; guest_cr4 is
 * the guest's CR4 (some bits mirror the CR4 of whoever executes CPUID). */
void cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4, struct cpuid_result *r);

#endif
