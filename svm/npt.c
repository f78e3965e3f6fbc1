/* Nested page tables (APM Vol. 2 15.25): the guest-physical space mapped
 * one-to-one, except Shoji's region, which every guest read sees as a page
 * of zeros and every guest write or fetch faults on.  Same format as the
 * core's own long-mode tables; entries carry U (NPT walks are user
 * accesses). */
#include "guest.h"
#include "mm.h"
#include "pagetable.h"
#include "spinlock.h"
#include "svm.h"

static struct pt_ctx npt;
static struct spinlock npt_lock; /* any CPU may change the shared tables */
volatile uint64_t svm_npt_generation;

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
	/* The xAPIC page: read-only, so the guest's ICR writes exit. */
	if (e == E_OK && plan->trap_page)
		e = pt_map_4k_split(&npt, plan->trap_page, plan->trap_page, PTE_U);
	*root = npt.root;
	return e;
}

enum err svm_npt_map_identity(paddr_t gpa, uint64_t size)
{
	spin_lock(&npt_lock);
	enum err e = pt_map(&npt, gpa, gpa, size, PTE_W | PTE_U, PAGE_2M);

	spin_unlock(&npt_lock);
	return e;
}

enum err svm_npt_protect(paddr_t gpa, bool writable)
{
	spin_lock(&npt_lock);
	enum err e = pt_map_4k_split(&npt, gpa, gpa, PTE_U | (writable ? PTE_W : 0));

	__atomic_add_fetch(&svm_npt_generation, 1, __ATOMIC_RELEASE);
	spin_unlock(&npt_lock);
	return e;
}
