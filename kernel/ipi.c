/* See include/ipi.h. */
#include "ipi.h"

struct icr icr_decode(uint64_t value, bool x2apic)
{
	return (struct icr){
		.vector = (uint8_t)value,
		.delivery = (uint8_t)(value >> 8 & 7),
		.logical = value & BIT(11),
		.assert = value & BIT(14),
		.level_triggered = value & BIT(15),
		.shorthand = (uint8_t)(value >> 18 & 3),
		.dest = x2apic ? (uint32_t)(value >> 32) : (uint32_t)(value >> 56),
	};
}

uint64_t icr_encode(const struct icr *icr, bool x2apic)
{
	uint64_t v = icr->vector | (uint64_t)(icr->delivery & 7) << 8 |
		     (icr->logical ? BIT(11) : 0) | (icr->assert ? BIT(14) : 0) |
		     (icr->level_triggered ? BIT(15) : 0) | (uint64_t)(icr->shorthand & 3) << 18;

	return v | (x2apic ? (uint64_t)icr->dest << 32 : (uint64_t)(icr->dest & 0xFF) << 56);
}

enum ipi_action ipi_classify(const struct icr *icr)
{
	if (icr->delivery != ICR_INIT && icr->delivery != ICR_SIPI)
		return IPI_FORWARD;
	/* SDM table "Valid Combinations for the Local xAPIC ICR": INIT and
	 * Start-Up go with no shorthand or all-excluding-self only. */
	if (icr->shorthand == ICR_SELF || icr->shorthand == ICR_ALL)
		return IPI_INVALID;
	if (icr->delivery == ICR_INIT && icr->level_triggered && !icr->assert)
		return IPI_DEASSERT;
	return icr->delivery == ICR_INIT ? IPI_INIT : IPI_SIPI;
}

static bool logical_match(uint32_t dest, const struct apic_identity *id, bool x2apic)
{
	if (x2apic) {
		if (dest == 0xFFFFFFFF)
			return true;
		return (dest >> 16) == (id->ldr >> 16) && (dest & id->ldr & 0xFFFF);
	}
	uint8_t d = (uint8_t)dest, ldr = (uint8_t)(id->ldr >> 24);

	if (d == 0xFF)
		return true;
	if ((id->dfr >> 28) == 0xF) /* flat model: a bit per CPU */
		return (d & ldr) != 0;
	/* Cluster model: cluster in the high nibble (15: all), members low. */
	return ((d >> 4) == 0xF || (d >> 4) == (ldr >> 4)) && (d & ldr & 0xF);
}

uint64_t ipi_targets(const struct icr *icr, bool x2apic, unsigned sender,
		     const struct apic_identity *ids, unsigned n)
{
	uint64_t all = n >= 64 ? ~0ULL : (1ULL << n) - 1;
	uint64_t self = sender < n ? 1ULL << sender : 0;
	uint64_t mask = 0;

	switch (icr->shorthand) {
	case ICR_SELF: return self;
	case ICR_ALL: return all;
	case ICR_ALL_BUT_SELF: return all & ~self;
	}
	uint32_t broadcast = x2apic ? 0xFFFFFFFF : 0xFF;

	for (unsigned i = 0; i < n && i < 64; i++) {
		bool hit = icr->logical ? logical_match(icr->dest, &ids[i], x2apic)
					: (icr->dest == broadcast || icr->dest == ids[i].apic_id);

		if (hit)
			mask |= 1ULL << i;
	}
	return mask;
}
