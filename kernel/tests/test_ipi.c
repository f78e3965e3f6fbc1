/* INIT/SIPI classification and destination resolution for every mode and
 * shorthand, and the MADT parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi.h"
#include "ipi.h"

/* Four CPUs, APIC IDs 0-3; logical IDs as Linux sets them in flat mode
 * (one bit each) unless a test changes them. */
static struct apic_identity cpus[4];

static void flat_cpus(void)
{
	for (unsigned i = 0; i < 4; i++)
		cpus[i] = (struct apic_identity){ i, (1u << i) << 24, 0xFFFFFFFF };
}

static struct icr make(uint8_t delivery, bool logical, uint8_t shorthand, uint32_t dest)
{
	return (struct icr){ 0x9A, delivery, logical, true, false, shorthand, dest };
}

static void test_encode_decode_round_trip(void **state)
{
	(void)state;
	/* Linux's INIT assert to APIC 1: high 0x01000000, low 0x0000C500. */
	struct icr i = icr_decode(0x0000C500ULL | 0x01000000ULL << 32, false);

	assert_int_equal(i.delivery, ICR_INIT);
	assert_true(i.assert);
	assert_true(i.level_triggered);
	assert_int_equal(i.dest, 1);
	assert_int_equal(icr_encode(&i, false), 0x0000C500ULL | 0x01000000ULL << 32);
	i = icr_decode(0x000C4600ULL | 0x20ULL << 32, true); /* all-but-self SIPI, x2APIC */
	assert_int_equal(i.delivery, ICR_SIPI);
	assert_int_equal(i.shorthand, ICR_ALL_BUT_SELF);
	assert_int_equal(i.vector, 0);
	assert_int_equal(i.dest, 0x20);
	assert_int_equal(icr_encode(&i, true), 0x000C4600ULL | 0x20ULL << 32);
}

static void test_classify_follows_the_sdm_table(void **state)
{
	(void)state;
	for (uint8_t sh = 0; sh < 4; sh++) {
		for (int logical = 0; logical < 2; logical++) {
			struct icr init = make(ICR_INIT, logical, sh, 1);
			struct icr sipi = make(ICR_SIPI, logical, sh, 1);
			enum ipi_action want_init = sh == ICR_SELF || sh == ICR_ALL ? IPI_INVALID : IPI_INIT;
			enum ipi_action want_sipi = sh == ICR_SELF || sh == ICR_ALL ? IPI_INVALID : IPI_SIPI;

			assert_int_equal(ipi_classify(&init), want_init);
			assert_int_equal(ipi_classify(&sipi), want_sipi);
		}
	}
	struct icr deassert = { 0, ICR_INIT, false, false, true, ICR_NO_SHORTHAND, 1 };

	assert_int_equal(ipi_classify(&deassert), IPI_DEASSERT);
	static const uint8_t others[] = { ICR_FIXED, ICR_LOWEST, ICR_SMI, ICR_NMI, ICR_EXTINT };

	for (unsigned i = 0; i < sizeof(others); i++) {
		struct icr f = make(others[i], false, ICR_SELF, 0);

		assert_int_equal(ipi_classify(&f), IPI_FORWARD);
	}
}

static void test_targets_physical_and_shorthands(void **state)
{
	struct icr i;

	(void)state;
	flat_cpus();
	i = make(ICR_INIT, false, ICR_NO_SHORTHAND, 2);
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x4);
	i.dest = 7; /* nobody */
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0);
	i.dest = 0xFF; /* broadcast includes the sender */
	assert_int_equal(ipi_targets(&i, false, 1, cpus, 4), 0xF);
	i.dest = 0; /* to the sender itself */
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x1);
	i = make(ICR_SIPI, false, ICR_ALL_BUT_SELF, 0);
	assert_int_equal(ipi_targets(&i, false, 2, cpus, 4), 0xB);
	i.shorthand = ICR_SELF;
	assert_int_equal(ipi_targets(&i, false, 2, cpus, 4), 0x4);
	i.shorthand = ICR_ALL;
	assert_int_equal(ipi_targets(&i, false, 2, cpus, 4), 0xF);
	/* x2APIC: 32-bit IDs, 0xFFFFFFFF broadcast. */
	i = make(ICR_INIT, false, ICR_NO_SHORTHAND, 3);
	assert_int_equal(ipi_targets(&i, true, 0, cpus, 4), 0x8);
	i.dest = 0xFF;
	assert_int_equal(ipi_targets(&i, true, 0, cpus, 4), 0);
	i.dest = 0xFFFFFFFF;
	assert_int_equal(ipi_targets(&i, true, 0, cpus, 4), 0xF);
}

static void test_targets_logical(void **state)
{
	struct icr i = make(ICR_INIT, true, ICR_NO_SHORTHAND, 0x6);

	(void)state;
	flat_cpus();
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x6); /* flat: bits 1 and 2 */
	i.dest = 0xFF;
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0xF);
	/* Cluster model: clusters 1 and 2, two CPUs each. */
	for (unsigned c = 0; c < 4; c++)
		cpus[c] = (struct apic_identity){ c, ((1 + c / 2) << 28 | (1u << (c % 2)) << 24),
						  0x0FFFFFFF };
	i.dest = 0x13; /* cluster 1, members 0 and 1 */
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x3);
	i.dest = 0x22; /* cluster 2, member 1 */
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x8);
	i.dest = 0xF1; /* every cluster, member 0 */
	assert_int_equal(ipi_targets(&i, false, 0, cpus, 4), 0x5);
	/* x2APIC cluster-logical: LDR = cluster << 16 | 1 << (id & 15). */
	for (unsigned c = 0; c < 4; c++)
		cpus[c] = (struct apic_identity){ c * 16 + 1, c << 16 | 1u << 1, 0 };
	i.dest = 2u << 16 | 0x2;
	assert_int_equal(ipi_targets(&i, true, 0, cpus, 4), 0x4);
	i.dest = 0xFFFFFFFF;
	assert_int_equal(ipi_targets(&i, true, 0, cpus, 4), 0xF);
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void test_madt(void **state)
{
	uint8_t madt[200] = "APIC";
	size_t n = 44;
	struct cpu_list cpus_out;

	(void)state;
	/* Local APIC entries: ids 0 (enabled), 1 (enabled), 5 (disabled). */
	uint8_t ids[] = { 0, 1, 5 };

	for (unsigned i = 0; i < 3; i++) {
		uint8_t *e = madt + n;

		e[0] = 0;
		e[1] = 8;
		e[2] = (uint8_t)i;
		e[3] = ids[i];
		put_u32(e + 4, i == 2 ? 0 : 1);
		n += 8;
	}
	/* An x2APIC entry for id 300, and one repeating id 1. */
	uint8_t *e = madt + n;

	e[0] = 9;
	e[1] = 16;
	put_u32(e + 4, 300);
	put_u32(e + 8, 1);
	n += 16;
	e = madt + n;
	e[0] = 9;
	e[1] = 16;
	put_u32(e + 4, 1);
	put_u32(e + 8, 1);
	n += 16;
	put_u32(madt + 4, (uint32_t)n);
	assert_int_equal(madt_parse(madt, n, &cpus_out), E_OK);
	assert_int_equal(cpus_out.count, 3);
	assert_int_equal(cpus_out.apic_id[0], 0);
	assert_int_equal(cpus_out.apic_id[1], 1);
	assert_int_equal(cpus_out.apic_id[2], 300);
	/* A broken entry length stops the walk, keeping what was read. */
	madt[44 + 1] = 0;
	assert_int_equal(madt_parse(madt, n, &cpus_out), E_INVAL);
	assert_int_equal(madt_parse((const uint8_t *)"FACP", 4, &cpus_out), E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_decode_round_trip),
		cmocka_unit_test(test_classify_follows_the_sdm_table),
		cmocka_unit_test(test_targets_physical_and_shorthands),
		cmocka_unit_test(test_targets_logical),
		cmocka_unit_test(test_madt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
