#ifndef SHOJI_APIC_TRAP_H
#define SHOJI_APIC_TRAP_H

#include "vm.h"

/* True if `page` is the xAPIC register page of some vCPU: its writes are
 * trapped (it is read-only in the nested tables). */
bool apic_page_trapped(paddr_t page);

/* A guest write to its xAPIC page (a nested page fault on it): decodes
 * the store, carries it out, and emulates INIT/SIPI on ICR writes. */
void apic_page_write(struct vcpu *v, struct vm_exit *e);

/* A guest write of the x2APIC ICR MSR (0x830); E_FAULT outside x2APIC
 * mode. */
enum err apic_x2apic_icr_write(struct vcpu *v, uint64_t value);

/* A guest write of IA32_APIC_BASE that is allowed: follows a moved xAPIC
 * page.  Returns E_FAULT to refuse it. */
enum err apic_base_write(struct vcpu *v, uint64_t value);

#endif
