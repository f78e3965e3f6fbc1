/* Extended page tables (SDM 29.3): the guest-physical space mapped
 * one-to-one, except Shoji's region, which every guest read sees as a page
 * of zeros and every guest write or fetch faults on.
 *
 * An EPT entry has the shape of a long-mode page-table entry with other
 * meanings for the low bits: bit 0 (P) is read, bit 1 (W) write, bit 2 (U)
 * execute, bits 3-5 the leaf's memory type, bit 7 a large page.  So the
 * core's table builder (mm/pagetable.c) builds EPT too: its intermediate
 * entries (P|W|U) are read/write/execute, and the flags below make leaves. */
#include "guest.h"
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
