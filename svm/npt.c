/* Nested page tables (APM Vol. 2 15.25): the guest-physical space mapped
 * one-to-one, except Shoji's region, which every guest read sees as a page
 * of zeros and every guest write or fetch faults on.  Same format as the
 * core's own long-mode tables; entries carry U (NPT walks are user
 * accesses). */
#include "guest.h"
#include "mm.h"
#include "pagetable.h"
#include "svm.h"

static struct pt_ctx npt;

enum err svm_npt_build(const struct guest_memory_plan *plan, paddr_t *root)
{
	uint64_t big = plan->page_1g ? PAGE_1G : PAGE_2M;
	enum err e;

	if (!pt_ctx_init_region(&npt))
		return E_NOMEM;
	e = pt_map(&npt, 0, 0, plan->ghost_start, PTE_W | PTE_U, big);
	if (e == E_OK)
		e = pt_map(&npt, plan->ghost_end, plan->ghost_end,
			   plan->identity_end - plan->ghost_end, PTE_W | PTE_U, big);
	for (paddr_t pa = plan->ghost_start; e == E_OK && pa < plan->ghost_end; pa += PAGE_SIZE)
		e = pt_map(&npt, pa, plan->zero_page, PAGE_SIZE, PTE_U | PTE_NX, PAGE_SIZE);
	*root = npt.root;
	return e;
}

enum err svm_npt_map_identity(paddr_t gpa, uint64_t size)
{
	return pt_map(&npt, gpa, gpa, size, PTE_W | PTE_U, PAGE_2M);
}
