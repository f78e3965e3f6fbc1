/* See mtrr.h.  The effective type of a physical range under the MTRRs,
 * SDM Vol. 3A 12.11.4.1, found without visiting the range page by page. */
#include "mtrr.h"

#define PAGE_MASK (PAGE_SIZE - 1)
#define NO_TYPE (-2) /* a fold that has not seen a page yet */

/* Work bound for proving one range uniform: contiguous masks need at most
 * about 2 * 52 steps per variable range; only sparse masks crafted by a
 * guest could need more (the randomized tests never do), and they get
 * MTRR_MIXED rather than ring-0 time. */
#define VAR_BUDGET 16384

/* The variable ranges as the lookup needs them: only the valid ones, the
 * masks cut to address bits 12..phys_bits-1 (the only bits the hardware
 * compares), and base pre-masked. */
struct var_view {
	unsigned n;
	int def;                      /* IA32_MTRR_DEF_TYPE's type */
	unsigned budget;              /* steps left, see VAR_BUDGET */
	uint64_t mask[MTRR_VAR_MAX];
	uint64_t match[MTRR_VAR_MAX]; /* base & mask */
	uint8_t type[MTRR_VAR_MAX];
};

/* A state filled by hand (not through mtrr_write) may hold encodings the
 * hardware would have refused; take those as UC, the safe type. */
static int type_sane(uint64_t t)
{
	t &= 0xFF;
	return mtrr_type_valid((unsigned)t, MTRRCAP_WC) ? (int)t : MTRR_UC;
}

/* Types as a bit set, bit t for type t, so the precedence reads as set
 * operations. */
#define TSET(t) (1u << (t))

/* SDM Vol. 3A 12.11.4.1: the type of an address matched by the variable
 * ranges whose types are in set (none: the default type). */
static int var_combine(unsigned set, int def)
{
	if (set == 0)
		return def;
	if ((set & (set - 1)) == 0)
		return __builtin_ctz(set);
	if (set == (TSET(MTRR_WT) | TSET(MTRR_WB)))
		return MTRR_WT;
	/* UC among them wins; every other overlap is undefined: UC is the
	 * one type that cannot be wrong for the hardware behind it. */
	return MTRR_UC;
}

/* True if matching any subset of the partial types leaves full's type t. */
static bool partials_irrelevant(unsigned full, unsigned partial, int def, int t)
{
	for (unsigned sub = partial; sub; sub = (sub - 1) & partial)
		if (var_combine(full | sub, def) != t)
			return false;
	return true;
}

/* The type of the aligned block [a, a + 2^k) under the variable ranges, or
 * MTRR_MIXED.  Within the block a range matches everywhere (no mask bit
 * below k), nowhere (its bits above k differ from a's), or in part; only
 * ranges in part can make the block non-uniform.  The block's pattern of
 * types depends only on the offset bits those ranges compare, so it
 * repeats every 2^(h + 1) bytes, h the highest such bit: splitting that
 * first period at h, and never at bits no range looks at, keeps sparse
 * masks from costing a step per alias. */
static int var_block_type(struct var_view *v, uint64_t a, unsigned k)
{
	uint64_t low = BIT(k) - 1, split = 0;
	unsigned full = 0, partial = 0;

	if (v->budget == 0)
		return MTRR_MIXED;
	v->budget--;
	for (unsigned i = 0; i < v->n; i++) {
		uint64_t high = v->mask[i] & ~low;

		if ((a & high) != (v->match[i] & high))
			continue;
		if (v->mask[i] & low) {
			partial |= TSET(v->type[i]);
			split |= v->mask[i] & low;
		} else {
			full |= TSET(v->type[i]);
		}
	}

	int t = var_combine(full, v->def);

	if (!partial || partials_irrelevant(full, partial, v->def, t))
		return t;

	/* split has a bit at or above 12 (masks hold no lower bits), so the
	 * halves are whole pages and the recursion ends. */
	unsigned h = 63 - (unsigned)__builtin_clzll(split);
	int lo = var_block_type(v, a, h);

	if (lo == MTRR_MIXED)
		return MTRR_MIXED;
	return var_block_type(v, a + BIT(h), h) == lo ? lo : MTRR_MIXED;
}

/* True if range j's type, wherever it overlaps range i's, leaves the
 * result what j alone would make it: UC absorbs everything, a type
 * absorbs itself, and WT absorbs WB (var_combine). */
static bool type_absorbs(int tj, int ti)
{
	return tj == MTRR_UC || tj == ti || (tj == MTRR_WT && ti == MTRR_WB);
}

/* True if range j matches wherever range i does (j compares a subset of
 * i's bits, with i's values) and absorbs i's type: then i changes no
 * address's type. */
static bool var_shadows(const struct var_view *v, unsigned j, unsigned i)
{
	return !(v->mask[j] & ~v->mask[i]) && (v->match[i] & v->mask[j]) == v->match[j] &&
	       type_absorbs(v->type[j], v->type[i]);
}

/* Drops the shadowed ranges.  They are what makes sparse masks look
 * non-uniform to var_block_type, so dropping them keeps it exact and
 * quick.  Each dropped range is shadowed by a kept one (by one that is
 * kept, or dropped later for one that shadows it in turn); ranges equal
 * to each other keep their last. */
static void var_view_drop_shadowed(struct var_view *v)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < v->n; i++) {
		bool shadowed = false;

		/* Entries below kept are compacted survivors, above i the
		 * ranges still to look at. */
		for (unsigned j = 0; j < v->n && !shadowed; j++)
			shadowed = (j < kept || j > i) && var_shadows(v, j, i);
		if (shadowed)
			continue;
		v->mask[kept] = v->mask[i];
		v->match[kept] = v->match[i];
		v->type[kept] = v->type[i];
		kept++;
	}
	v->n = kept;
}

static void var_view_init(struct var_view *v, const struct mtrr_state *s, unsigned phys_bits)
{
	uint64_t addr = (phys_bits >= 64 ? ~0ULL : BIT(phys_bits) - 1) & ~PAGE_MASK;
	unsigned vcnt = (unsigned)MIN(s->cap & MTRRCAP_VCNT, MTRR_VAR_MAX);

	v->n = 0;
	v->def = type_sane(s->def_type);
	v->budget = VAR_BUDGET;
	for (unsigned i = 0; i < vcnt; i++) {
		if (!(s->mask[i] & MTRR_MASK_V))
			continue;
		v->mask[v->n] = s->mask[i] & addr;
		v->match[v->n] = s->base[i] & v->mask[v->n];
		v->type[v->n] = (uint8_t)type_sane(s->base[i]);
		v->n++;
	}
	var_view_drop_shadowed(v);
}

/* SDM Vol. 3A 12.11.2.2: the fixed-range MSRs in address order, each
 * holding eight one-byte types for eight granules, lowest byte first. */
static const struct {
	uint64_t first, granule;
	unsigned msr; /* index into mtrr_state.fixed of the region's first MSR */
} fixed_regions[] = {
	{ 0x00000, KiB(64), 0 }, /* FIX64K_00000 */
	{ 0x80000, KiB(16), 1 }, /* FIX16K_80000, FIX16K_A0000 */
	{ 0xC0000, KiB(4), 3 },  /* FIX4K_C0000 .. FIX4K_F8000 */
};

/* The type of addr (below 1 MiB) under the fixed ranges; *next is the
 * end of its granule. */
static int fixed_type(const struct mtrr_state *s, uint64_t addr, uint64_t *next)
{
	unsigned r = ARRAY_SIZE(fixed_regions) - 1;

	while (addr < fixed_regions[r].first)
		r--;

	uint64_t granule = fixed_regions[r].granule;
	uint64_t index = (addr - fixed_regions[r].first) / granule;
	uint64_t msr = fixed_regions[r].msr + index / 8;

	*next = fixed_regions[r].first + (index + 1) * granule;
	return type_sane(s->fixed[msr] >> (8 * (index % 8)));
}

/* Adds one piece's type to *acc; false once the pieces disagree. */
static bool fold(int *acc, int t)
{
	if (*acc == NO_TYPE)
		*acc = t;
	return t != MTRR_MIXED && *acc == t;
}

int mtrr_range_type(const struct mtrr_state *s, uint64_t start, uint64_t size,
		    unsigned phys_bits)
{
	/* MTRRs map whole pages, so round out to pages; last is inclusive
	 * so a range ending at 2^64 needs no special case. */
	uint64_t a = start & ~PAGE_MASK;
	uint64_t last = (start + (size ? size - 1 : 0)) | PAGE_MASK;
	int acc = NO_TYPE;

	if (!(s->def_type & MTRR_DEF_E))
		return MTRR_UC;
	if ((s->def_type & MTRR_DEF_FE) && a < MTRR_FIXED_END) {
		uint64_t next;

		for (; a <= last && a < MTRR_FIXED_END; a = next)
			if (!fold(&acc, fixed_type(s, a, &next)))
				return MTRR_MIXED;
		if (a > last)
			return acc;
	}

	struct var_view v;

	var_view_init(&v, s, phys_bits);
	/* Cut [a, last] into the largest aligned blocks. */
	for (;;) {
		unsigned k = a ? (unsigned)__builtin_ctzll(a) : 63;

		while (BIT(k) - 1 > last - a)
			k--;
		if (!fold(&acc, var_block_type(&v, a, k)))
			return MTRR_MIXED;
		if (last - a == BIT(k) - 1)
			return acc;
		a += BIT(k);
	}
}
