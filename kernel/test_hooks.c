/* See test_hooks.h. */
#include "config.h"
#include "guest.h"
#include "lapic.h"
#include "mm.h"
#include "log.h"
#include "test_hooks.h"
#include "vcpus.h"

static paddr_t protected_page = ~(paddr_t)0;
static bool nmi_at_fault;

void test_hook_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf)
{
	if (leaf == TEST_LEAF_ENTRY_WINDOW_NMI &&
	    (core_config->test_hooks & CONFIG_TEST_ENTRY_WINDOW_NMI)) {
		log_info("test hook: CPU %u gets a self-NMI inside the next entry window", v->id);
		v->test_nmi_in_entry_window = true;
	}
	if (leaf == TEST_LEAF_POST_INTERRUPT &&
	    (core_config->test_hooks & CONFIG_TEST_POST_INTERRUPT)) {
		log_info("test hook: CPU %u: vector %#x posted for the guest", v->id, subleaf & 0xFF);
		vcpu_post_interrupt(v, (uint8_t)subleaf);
	}
	if ((leaf == TEST_LEAF_PROTECT_PAGE || leaf == TEST_LEAF_PROTECT_PAGE_NMI) &&
	    (core_config->test_hooks & CONFIG_TEST_PROTECT_PAGE) &&
	    gmem_is_ram((paddr_t)subleaf << 12, PAGE_SIZE)) {
		protected_page = (paddr_t)subleaf << 12;
		nmi_at_fault = leaf == TEST_LEAF_PROTECT_PAGE_NMI;
		if (vm_backend->protect_page(protected_page, false) != E_OK)
			protected_page = ~(paddr_t)0;
		log_info("test hook: CPU %u: guest page %#lx write-protected until its next write",
			 v->id, protected_page);
	}
}

bool test_hook_write_fault(struct vcpu *v, paddr_t gpa, bool in_delivery)
{
	if (protected_page == ~(paddr_t)0 || (gpa & ~(paddr_t)(PAGE_SIZE - 1)) != protected_page)
		return false;
	vm_backend->protect_page(protected_page, true);
	log_info("test hook: CPU %u wrote to the protected page at %#lx%s; writable again%s", v->id,
		 gpa, in_delivery ? " while delivering an event (delivered again)" : "",
		 nmi_at_fault ? "; a self-NMI is pending" : "");
	if (nmi_at_fault)
		lapic_send(v->apic_id, LAPIC_ICR_NMI);
	protected_page = ~(paddr_t)0;
	return true;
}
