/* Nested page faults.  The nested tables map everything one-to-one except
 * Shoji's region, which reads as zeros; beyond the eagerly mapped range
 * (high MMIO) pages are mapped on first touch. */
#include "apic_trap.h"
#include "config.h"
#include "test_hooks.h"
#include "exit.h"
#include "guest.h"
#include "log.h"
#include "mm.h"

#define VEC_GP 13

static unsigned ghost_reports;

void vmexit_nested_fault(struct vcpu *v, struct vm_exit *e)
{
	paddr_t gpa = e->npf.gpa;
	uint64_t rip = e->rip;

	if (e->npf.write && e->npf.present && apic_page_trapped(gpa & ~(PAGE_SIZE - 1))) {
		if (e->in_delivery) /* an event's delivery writing into the APIC page */
			guest_stop(v, "an interrupt or exception frame was pushed onto the local APIC "
				      "page at %#lx",
				   gpa);
		apic_page_write(v, e);
		return;
	}
	if (in_shoji_region(gpa)) {
		if (e->in_delivery)
			guest_stop(v, "delivering an interrupt or exception touched Shoji's memory at "
				      "%#lx (the guest's stack or tables are there)",
				   gpa);
		/* Reads never fault (they see zeros); writes and fetches do. */
		if (ghost_reports++ < 10 || ghost_reports % 1000 == 0)
			log_warn("guest %s Shoji's memory at %#lx (rip %#lx); %s",
				 e->npf.fetch ? "jumped into" : "wrote to", gpa, rip,
				 e->npf.fetch ? "#GP" : "the write is dropped");
		if (e->npf.fetch)
			vm_backend->inject_exception(v, VEC_GP, true, 0);
		else
			vcpu_skip_insn(v, e);
		return;
	}
	if (__builtin_expect(core_config->test_hooks != 0, 0) && e->npf.write && e->npf.present &&
	    test_hook_write_fault(v, gpa, e->in_delivery))
		return; /* the write, or the event's delivery, is tried again */
	if (!e->npf.present) {
		enum err r = vm_backend->map_identity(v, ALIGN_DOWN(gpa, PAGE_2M), PAGE_2M);

		if (r != E_OK)
			guest_stop(v, "cannot map guest-physical %#lx (%s)", gpa, err_name(r));
		return;
	}
	guest_stop(v, "unexpected nested page fault at %#lx (%s%s%s)", gpa,
		   e->npf.read ? "read" : "", e->npf.write ? "write" : "", e->npf.fetch ? "fetch" : "");
}
