/* Extended page tables (SDM 29.3): the guest-physical space mapped
 * one-to-one, except Shoji's region, which every guest read sees as a page
 * of zeros and every guest write or fetch faults on.
 *
 * An EPT entry has the shape of a long-mode page-table entry with other
 * meanings for the low bits: bit 0 (P) is read, bit 1 (W) write, bit 2 (U)
 * execute, bits 3-5 the leaf's memory type, bit 7 a large page.  So the
 * core's table builder (mm/pagetable.c) builds EPT too: its intermediate
 * entries (P|W|U) are read/write/execute, and the flags below make leaves. */
#include "ept_types.h"
#include "guest.h"
#include "cpu_features.h"
#include "log.h"
#include "mm.h"
#include "pagetable.h"
#include "spinlock.h"
#include "vmx.h"

#define EPT_R PTE_P
#define EPT_W PTE_W
#define EPT_X PTE_U
#define EPT_TYPE(t) ((uint64_t)(t) << 3)
#define EPT_TYPE_WB 6

static struct pt_ctx ept;
static struct spinlock ept_lock; /* any CPU may change the shared tables */
volatile uint64_t vmx_ept_generation;

/* The memory type of each leaf comes from the MTRRs (ept_types.c). */
static enum err map_typed(paddr_t start, paddr_t end, uint64_t rights, uint64_t max_page)
{
	return ept_map_typed(&ept, start, end, rights, max_page);
}

enum err vmx_ept_build(const struct guest_memory_plan *plan, paddr_t *root)
{
	uint64_t big = plan->page_1g ? PAGE_1G : PAGE_2M;
	enum err e;

	if (!pt_ctx_init_region(&ept))
		return E_NOMEM;
	ept_types_init();
	e = map_typed(0, plan->ghost_start, EPT_R | EPT_W | EPT_X, big);
	if (e == E_OK)
		e = map_typed(plan->ghost_end, plan->identity_end, EPT_R | EPT_W | EPT_X, big);
	/* Shoji's region: read-only zeros, never executable. */
	for (paddr_t pa = plan->ghost_start; e == E_OK && pa < plan->ghost_end; pa += PAGE_SIZE)
		e = pt_map(&ept, pa, plan->zero_page, PAGE_SIZE, EPT_R | EPT_TYPE(EPT_TYPE_WB),
			   PAGE_SIZE);
	/* The xAPIC page: read-only, so the guest's ICR writes exit. */
	if (e == E_OK && plan->trap_page)
		e = vmx_ept_protect(plan->trap_page, false);
	*root = ept.root;
	return e;
}

enum err vmx_ept_map_identity(paddr_t gpa, uint64_t size)
{
	spin_lock(&ept_lock);
	enum err e = map_typed(gpa, gpa + size, EPT_R | EPT_W | EPT_X, PAGE_2M);

	spin_unlock(&ept_lock);
	return e;
}

enum err vmx_ept_protect(paddr_t gpa, bool writable)
{
	paddr_t pa;
	uint64_t flags, size;

	spin_lock(&ept_lock);
	/* Keep the page's memory type; change only the write right. */
	uint64_t type = pt_lookup(&ept, gpa, &pa, &flags, &size) ? flags & EPT_TYPE(7)
								    : EPT_TYPE(ept_page_type(gpa));
	enum err e = pt_map_4k_split(&ept, gpa, gpa, EPT_X | type | (writable ? EPT_W : 0));

	__atomic_add_fetch(&vmx_ept_generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&ept_lock);
	return e;
}

/* Sets the type of every identity leaf below `table` from the MTRRs,
 * splitting a large leaf the MTRRs no longer give one type.  Leaves that
 * map elsewhere (Shoji's region reads a zero page) keep theirs. */
static enum err retype(uint64_t *table, unsigned level, uint64_t base)
{
	static const unsigned shift[4] = { 12, 21, 30, 39 };

	for (unsigned i = 0; i < 512; i++) {
		uint64_t *entry = &table[i], gpa = base + ((uint64_t)i << shift[level]);
		uint64_t size = 1ULL << shift[level];

		if (!(*entry & (EPT_R | EPT_W | EPT_X)))
			continue;
		if (level > 0 && !(*entry & PTE_PS)) {
			enum err e = retype(ept.table_va(ept.opaque, *entry & PTE_ADDR_MASK), level - 1,
					    gpa);

			if (e != E_OK)
				return e;
			continue;
		}
		if ((*entry & PTE_ADDR_MASK & ~(size - 1)) != gpa)
			continue;
		int type = ept_leaf_type(ept_mtrrs(), gpa, size, cpu_features.phys_addr_bits);

		if (type >= 0) {
			*entry = (*entry & ~EPT_TYPE(7)) | EPT_TYPE(type);
			continue;
		}
		/* Split into the next size down, same rights, then type those. */
		uint64_t keep = *entry & ~PTE_ADDR_MASK & ~PTE_PS, child = size >> 9;
		paddr_t tpa;
		uint64_t *t = ept.alloc_table(ept.opaque, &tpa);

		if (!t)
			return E_NOMEM;
		for (unsigned j = 0; j < 512; j++)
			t[j] = (gpa + j * child) | keep | (level > 1 ? PTE_PS : 0);
		*entry = tpa | EPT_R | EPT_W | EPT_X;
		enum err e = retype(t, level - 1, gpa);

		if (e != E_OK)
			return e;
	}
	return E_OK;
}

enum err vmx_mtrr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *value)
{
	bool changed;

	spin_lock(&ept_lock);
	enum err e = ept_mtrr_access(msr, write, value, &changed);

	if (e == E_OK && changed) {
		uint64_t def_type;

		e = retype(ept.table_va(ept.opaque, ept.root), 3, 0);
		__atomic_add_fetch(&vmx_ept_generation, 1, __ATOMIC_RELEASE);
		ept_mtrr_access(0x2FF, false, &def_type, &changed);
		log_info("guest MTRRs in effect (IA32_MTRR_DEF_TYPE %#lx): EPT memory types retyped",
			 def_type);
		if (e != E_OK)
			log_error("CPU %u: out of memory retyping the EPT after the guest wrote MTRR "
				  "%#x; some pages keep their old memory type",
				  v->id, msr);
		e = E_OK; /* the write itself was good */
	}
	spin_unlock(&ept_lock);
	return e;
}
