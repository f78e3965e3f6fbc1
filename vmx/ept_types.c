/* See ept_types.h. */
#include "ept_types.h"

int ept_leaf_type(const struct mtrr_state *s, uint64_t gpa, uint64_t size, unsigned phys_bits)
{
	/* With EPT the guest's own MTRRs are ignored (SDM Vol. 3C 29.3.7.2):
	 * the leaf's type, combined with the guest's PAT, is all there is, so
	 * it must carry the host's MTRR type for the host memory behind it. */
	int t = mtrr_range_type(s, gpa, size, phys_bits);

	return t == MTRR_MIXED ? -1 : t;
}

bool ept_plan_range(const struct mtrr_state *s, uint64_t start, uint64_t end, uint64_t max_page,
		    unsigned phys_bits, ept_leaf_fn leaf, void *ctx)
{
	/* The EPT leaf sizes, largest first (SDM Vol. 3C 29.3.2). */
	static const uint64_t sizes[] = { PAGE_1G, PAGE_2M, PAGE_SIZE };
	uint64_t a = ALIGN_DOWN(start, PAGE_SIZE);

	end = ALIGN_UP(end, PAGE_SIZE);
	while (a < end) {
		for (unsigned i = 0; i < ARRAY_SIZE(sizes); i++) {
			uint64_t size = sizes[i];
			bool last = size == PAGE_SIZE;

			if (!last && (size > max_page || (a & (size - 1)) || end - a < size))
				continue;

			int t = ept_leaf_type(s, a, size, phys_bits);

			if (t < 0 && !last)
				continue;
			if (!leaf(ctx, a, size, t))
				return false;
			a += size;
			break;
		}
	}
	return true;
}
