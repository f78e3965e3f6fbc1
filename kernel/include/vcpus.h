/* All guest CPUs (one per physical CPU), and how INIT and SIPI move them
 * between running and waiting inside Shoji.  INIT and SIPI never reach a
 * real CPU: the guest's are trapped (kernel/apic_trap.c) and carried out
 * here, in software, the same way on every back end. */
#ifndef SHOJI_VCPUS_H
#define SHOJI_VCPUS_H

#include "acpi.h"
#include "ipi.h"
#include "vm.h"

extern struct vcpu vcpus[MAX_CPUS];
extern unsigned vcpu_count;

/* Registers the calling CPU's vCPU (index = its CPU index). */
struct vcpu *vcpu_register(uint32_t index, uint32_t apic_id, enum vcpu_state state);

/* Carries out a guest's write of its interrupt command register: INIT
 * and SIPI are emulated, anything else is sent as written (raw_icr). */
void vcpu_send_ipi(struct vcpu *sender, uint64_t raw_icr, bool x2apic);

/* At the top of the run loop: handles INIT/SIPI requests, waits inside
 * Shoji while the vCPU waits for SIPI, and accounts NMIs the CPU took.
 * `last` is the exit just handled (an INIT cancels its completion). */
void vcpu_handle_requests(struct vcpu *v, struct vm_exit *last);

/* Before each entry (`last` the exit just handled): injects a pending
 * guest NMI when the guest can take it, else asks for an NMI window. */
void vcpu_deliver_nmi(struct vcpu *v, const struct vm_exit *last);

/* Makes external interrupt `vector` pending for the guest of vCPU v: it is
 * injected at the first entry where the guest can take it.  Callable only
 * on v's own CPU, from the run loop or from the host interrupt path (the
 * vector then stays in service in the local APIC until the guest's EOI). */
void vcpu_post_interrupt(struct vcpu *v, uint8_t vector);

/* Sends CPU `index` a kick (an NMI that is not the guest's): it leaves the
 * guest, or its NMI handler runs where it is, in a domain too. */
void vcpu_kick_index(uint32_t index);

/* Before each entry, after vcpu_deliver_nmi (an NMI or an event queued
 * again goes first): injects the highest pending external interrupt if
 * the guest can take it, else asks for an interrupt window. */
void vcpu_deliver_interrupts(struct vcpu *v, const struct vm_exit *last);

#endif
