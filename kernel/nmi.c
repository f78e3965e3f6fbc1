/* NMIs the core takes itself.  The core runs with GIF clear on SVM, so an
 * NMI arriving in host mode normally stays pending and is delivered to the
 * guest by the hardware at VMRUN, with the guest's own NMI blocking intact.
 * Only in a deliberate GIF window (an SMI exit) can the core's handler
 * consume one; it is then re-raised as a self-NMI through the local APIC
 * (held pending by GIF, delivered at VMRUN).  NMIs collapse as on hardware:
 * several caught become one. */
#include "exit.h"
#include "log.h"
#include "mm.h"
#include "percpu.h"
#include "x86.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_X2APIC BIT(10)
#define ICR_NMI 0x400
#define ICR_ASSERT 0x4000

void nmi_reflect_pending(struct vcpu *v)
{
	struct pcpu *cpu = this_cpu();

	if (!cpu->nmi_count)
		return;
	__atomic_store_n(&cpu->nmi_count, 0, __ATOMIC_RELAXED);

	uint64_t apic = rdmsr(MSR_APIC_BASE);

	if (!(apic & APIC_BASE_ENABLE)) {
		log_warn("CPU %u: an NMI arrived while the guest's local APIC is off; dropped",
			 v->id);
		return;
	}
	if (apic & APIC_BASE_X2APIC) {
		uint64_t id = rdmsr(0x802);

		wrmsr(0x830, (id << 32) | ICR_NMI | ICR_ASSERT);
		return;
	}
	volatile uint32_t *regs = phys_to_virt(apic & 0x000FFFFFFFFFF000ULL);
	uint32_t id = regs[0x20 / 4] >> 24;

	regs[0x310 / 4] = id << 24;
	regs[0x300 / 4] = ICR_NMI | ICR_ASSERT;
}
