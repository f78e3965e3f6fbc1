/* EPT memory types of leaves, from the MTRRs, and the plan of leaves for
 * a range: large pages where the type is uniform, split exactly where the
 * MTRRs change type.  Pure logic, host-tested (vmx/tests). */
#ifndef SHOJI_VMX_EPT_TYPES_H
#define SHOJI_VMX_EPT_TYPES_H

#include "mtrr.h"

/* EPT leaf memory types, bits 5:3 of a leaf (SDM Vol. 3C 29.3.7): the MTRR
 * encodings. */
#define EPT_MT_UC MTRR_UC
#define EPT_MT_WC MTRR_WC
#define EPT_MT_WT MTRR_WT
#define EPT_MT_WP MTRR_WP
#define EPT_MT_WB MTRR_WB

/* The EPT memory type for a leaf mapping [gpa, gpa + size) to the same host
 * addresses (s: the host's MTRRs), or -1 if the MTRRs give the range more
 * than one type and the leaf must be split.  A 4 KiB leaf never needs
 * splitting: no MTRR is finer than a page. */
int ept_leaf_type(const struct mtrr_state *s, uint64_t gpa, uint64_t size, unsigned phys_bits);

/* Called once per leaf, in address order; returning false stops the plan
 * (say, when the caller is out of page-table pages). */
typedef bool (*ept_leaf_fn)(void *ctx, uint64_t gpa, uint64_t size, int type);

/* Plans the leaves of [start, end) (rounded out to pages): each leaf is the
 * largest of 1 GiB, 2 MiB and 4 KiB that is aligned, fits in what is left,
 * is at most max_page, and has one type under s.  The leaves cover every
 * page of the range exactly once.  Returns false if leaf stopped it.
 * Cost: one mtrr_range_type per leaf and per refused larger page. */
bool ept_plan_range(const struct mtrr_state *s, uint64_t start, uint64_t end, uint64_t max_page,
		    unsigned phys_bits, ept_leaf_fn leaf, void *ctx);

#endif
