/* The guest's MTRRs: what it writes it reads back, a reserved type or a
 * reserved bit is #GP, and writing them changes nothing for Shoji.  On
 * VT-x Shoji keeps the guest's values apart and retypes the EPT from them
 * (the scenario checks Shoji's log); on SVM they pass through.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("mtrr");

#define MTRRCAP 0xFE
#define DEF_TYPE 0x2FF
#define PHYSBASE(n) (0x200 + 2 * (n))
#define PHYSMASK(n) (0x201 + 2 * (n))
#define FIX4K_C0000 0x268

static uint32_t msr;
static uint64_t value;
static void do_write(void *a) { (void)a; kit_wrmsr(msr, value); }

static int try_write(uint32_t m, uint64_t v)
{
	msr = m;
	value = v;
	return kit_catch(do_write, NULL);
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	int vec;

	(void)boot;
	kit_cpuid(1, 0, r);
	if (!(r[3] & (1u << 12)))
		kit_skip("this CPU has no MTRRs");
	uint64_t cap = kit_rdmsr(MTRRCAP), def = kit_rdmsr(DEF_TYPE);
	unsigned vcnt = cap & 0xFF, n;

	if (vcnt == 0)
		kit_skip("no variable-range MTRRs");
	/* A free variable range (V clear), or the last one. */
	for (n = 0; n < vcnt - 1 && (kit_rdmsr(PHYSMASK(n)) & (1u << 11)); n++)
		;
	uint64_t old_base = kit_rdmsr(PHYSBASE(n)), old_mask = kit_rdmsr(PHYSMASK(n));

	/* 2 MiB of write-through at 8 MiB: valid, and read back as written. */
	if (try_write(PHYSBASE(n), 0x800000 | 4) >= 0 ||
	    try_write(PHYSMASK(n), 0xFFFE00000ULL | (1u << 11)) >= 0)
		kit_failure("a valid variable-range MTRR write faulted");
	if (kit_rdmsr(PHYSBASE(n)) != (0x800000 | 4) ||
	    kit_rdmsr(PHYSMASK(n)) != (0xFFFE00000ULL | (1u << 11)))
		kit_failure("MTRR %u reads %#lx/%#lx, not what was written", n,
			    kit_rdmsr(PHYSBASE(n)), kit_rdmsr(PHYSMASK(n)));
	/* Reserved types 2, 3 and 7, and a reserved bit, are #GP. */
	if ((vec = try_write(PHYSBASE(n), 0x800000 | 2)) != VEC_GP)
		kit_failure("MTRR type 2 gave vector %d, expected #GP", vec);
	if ((vec = try_write(DEF_TYPE, (def & ~0xFFULL) | 7)) != VEC_GP)
		kit_failure("default type 7 gave vector %d, expected #GP", vec);
	if ((vec = try_write(PHYSBASE(n), 0x800000 | 6 | (1u << 9))) != VEC_GP)
		kit_failure("a reserved bit in PHYSBASE gave vector %d, expected #GP", vec);
	if ((cap & (1u << 8)) && (vec = try_write(FIX4K_C0000, 0x0303030303030303ULL)) != VEC_GP)
		kit_failure("fixed-range type 3 gave vector %d, expected #GP", vec);
	/* Rewrite the default type (MTRRs on): the guest's new set takes effect. */
	if (try_write(DEF_TYPE, def) >= 0 || kit_rdmsr(DEF_TYPE) != def)
		kit_failure("rewriting IA32_MTRR_DEF_TYPE (%#lx) failed", def);
	if (try_write(PHYSMASK(n), old_mask) >= 0 || try_write(PHYSBASE(n), old_base) >= 0 ||
	    try_write(DEF_TYPE, def) >= 0)
		kit_failure("restoring MTRR %u failed", n);
	kit_printf("mtrr: variable range %u of %u written, read back, restored\n", n, vcnt);
	kit_success();
}
