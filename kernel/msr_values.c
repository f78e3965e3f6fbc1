/* See include/msr_values.h. */
#include "msr_values.h"

void tsc_view_write_tsc(struct tsc_view *t, uint64_t value, uint64_t host_now)
{
	uint64_t offset = value - host_now;

	/* SDM 17.17.3: "if an execution of WRMSR to IA32_TIME_STAMP_COUNTER
	 * adds (or subtracts) value X from the TSC, the logical processor also
	 * adds (or subtracts) value X from the IA32_TSC_ADJUST MSR". */
	t->adjust += offset - t->offset;
	t->offset = offset;
}

void tsc_view_write_adjust(struct tsc_view *t, uint64_t value)
{
	t->offset += value - t->adjust;
	t->adjust = value;
}

uint64_t tsc_deadline_to_host(uint64_t deadline, uint64_t offset, uint64_t host_now)
{
	uint64_t guest_now = host_now + offset;

	if (deadline == 0)
		return 0;
	if (deadline <= guest_now)
		return 1;
	uint64_t wait = deadline - guest_now;

	return host_now + wait < host_now ? UINT64_MAX : host_now + wait;
}

#define DEBUGCTL_LBR BIT(0)
#define DEBUGCTL_BTF BIT(1)
#define DEBUGCTL_BTS_BITS (BIT(6) | BIT(7) | BIT(8) | BIT(9) | BIT(10))
#define DEBUGCTL_FREEZE_ON_PMI (BIT(11) | BIT(12))
#define DEBUGCTL_RTM BIT(15)

uint64_t debugctl_valid_bits(uint32_t leaf1_ecx, uint32_t leaf1_edx, uint32_t leaf7_ebx,
			     uint32_t leafa_eax)
{
	uint64_t valid = DEBUGCTL_LBR | DEBUGCTL_BTF;

	/* No vendor test: DS, PDCM, perfmon and RTM are Intel's bits and read
	 * 0 on AMD, whose DEBUGCTL has only LBR, BTF and the legacy PB0-3
	 * pins (not offered: nothing a guest needs them for). */
	if (leaf1_edx & BIT(21)) /* DS */
		valid |= DEBUGCTL_BTS_BITS;
	if ((leaf1_ecx & BIT(15)) && (leafa_eax & 0xFF) > 1) /* PDCM, perfmon v2+ */
		valid |= DEBUGCTL_FREEZE_ON_PMI;
	if (leaf7_ebx & BIT(11)) /* RTM */
		valid |= DEBUGCTL_RTM;
	return valid;
}
