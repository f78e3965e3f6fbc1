/* EPT leaves with their memory types (SDM 29.3.7: with EPT the guest's
 * accesses take the leaf's type combined with the guest PAT; the MTRRs no
 * longer apply, so the leaves must carry them).  The types come from the
 * host's MTRRs at boot, then from the MTRRs as the guest writes them: its
 * writes never reach the real MTRRs, which also type Shoji's memory.  One
 * set for all vCPUs, as an OS keeps its CPUs' MTRRs alike. */
#include "cpu_features.h"
#include "ept_types.h"
#include "mm.h"
#include "pagetable.h"
#include "vmx.h"
#include "x86.h"

static struct mtrr_state mtrrs; /* [ept_lock in ept.c after boot] */

void ept_types_init(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (r.edx & BIT(12)) {
		mtrr_read_host(&mtrrs);
		return;
	}
	/* No MTRRs: every access is write-back as far as they are concerned. */
	mtrrs = (struct mtrr_state){ .def_type = MTRR_DEF_E | MTRR_WB };
}

int ept_page_type(paddr_t gpa)
{
	return ept_leaf_type(&mtrrs, gpa & ~(uint64_t)(PAGE_SIZE - 1), PAGE_SIZE,
			     cpu_features.phys_addr_bits);
}

struct typed_map {
	struct pt_ctx *ept;
	uint64_t rights;
	enum err error;
};

static bool map_leaf(void *opaque, uint64_t gpa, uint64_t size, int type)
{
	struct typed_map *m = opaque;

	m->error = pt_map(m->ept, gpa, gpa, size, m->rights | ((uint64_t)type << 3), size);
	return m->error == E_OK;
}

enum err ept_map_typed(struct pt_ctx *ept, paddr_t start, paddr_t end, uint64_t rights,
		       uint64_t max_page)
{
	struct typed_map m = { ept, rights, E_OK };

	if (end <= start)
		return E_OK;
	ept_plan_range(&mtrrs, start, end, max_page, cpu_features.phys_addr_bits, map_leaf,
		       &m);
	return m.error;
}

/* The guest's view of the MTRRs; a write that takes effect (MTRRs on)
 * retypes the EPT.  While the guest has them off (E clear: all UC for it)
 * the old types stay, since OSes change MTRRs with caches disabled. */
enum err ept_mtrr_access(uint32_t msr, bool write, uint64_t *value, bool *retype)
{
	*retype = false;
	if (!write)
		return mtrr_read(&mtrrs, msr, value) ? E_OK : E_FAULT;
	if (!mtrr_write(&mtrrs, msr, *value, cpu_features.phys_addr_bits))
		return E_FAULT;
	*retype = (mtrrs.def_type & MTRR_DEF_E) != 0;
	return E_OK;
}

const struct mtrr_state *ept_mtrrs(void)
{
	return &mtrrs;
}
