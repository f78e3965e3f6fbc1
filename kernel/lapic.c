/* The calling CPU's local APIC (SDM Vol. 3A chapter 11).  The guest owns
 * it; the core touches it only to send its own IPIs (INIT/SIPI emulation
 * and kicks) and to carry out an emulated INIT. */
#include "lapic.h"
#include "vm.h"
#include "log.h"
#include "mm.h"
#include "percpu.h"
#include "x86.h"

#define ICR_DELIVERY_PENDING BIT(12)
#define X2APIC_MSR(reg) (0x800 + ((reg) >> 4))

static bool x2apic_mode(uint64_t base)
{
	return base & APIC_BASE_X2APIC;
}

static volatile uint32_t *xapic_reg(uint64_t base, unsigned reg)
{
	return phys_to_virt((base & APIC_BASE_ADDR_MASK) + reg);
}

uint32_t lapic_read(unsigned reg)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	return x2apic_mode(base) ? (uint32_t)rdmsr(X2APIC_MSR(reg)) : *xapic_reg(base, reg);
}

void lapic_write(unsigned reg, uint32_t value)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (x2apic_mode(base))
		wrmsr(X2APIC_MSR(reg), value);
	else
		*xapic_reg(base, reg) = value;
}

uint32_t lapic_id(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	return x2apic_mode(base) ? (uint32_t)rdmsr(X2APIC_MSR(LAPIC_ID)) : *xapic_reg(base, LAPIC_ID) >> 24;
}

static void xapic_wait_idle(uint64_t base)
{
	for (unsigned i = 0; i < 1000000 && (*xapic_reg(base, LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING); i++)
		cpu_relax();
}

volatile uint32_t *lapic_prepare_self_ipi(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE) || x2apic_mode(base))
		return NULL;
	xapic_wait_idle(base);
	*xapic_reg(base, LAPIC_ICR_HIGH) = lapic_id() << 24;
	return xapic_reg(base, LAPIC_ICR_LOW);
}

enum err lapic_send(uint32_t apic_id, uint32_t icr_low)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		return E_UNSUPP;
	if (x2apic_mode(base)) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LOW), (uint64_t)apic_id << 32 | icr_low);
		return E_OK;
	}
	/* The guest may have written ICR high and not yet ICR low; keep its
	 * value (its ICR low write is trapped and rewrites high first). */
	uint32_t guest_high = *xapic_reg(base, LAPIC_ICR_HIGH);

	xapic_wait_idle(base);
	*xapic_reg(base, LAPIC_ICR_HIGH) = apic_id << 24;
	*xapic_reg(base, LAPIC_ICR_LOW) = icr_low;
	xapic_wait_idle(base);
	*xapic_reg(base, LAPIC_ICR_HIGH) = guest_high;
	return E_OK;
}

void lapic_write_icr(uint64_t value, bool x2apic)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (x2apic) {
		wrmsr(X2APIC_MSR(LAPIC_ICR_LOW), value);
		return;
	}
	*xapic_reg(base, LAPIC_ICR_HIGH) = (uint32_t)(value >> 32);
	*xapic_reg(base, LAPIC_ICR_LOW) = (uint32_t)value;
}

/* Takes any interrupt the APIC holds pending and ends any in service, so
 * the APIC is as empty as after a real INIT.  Runs with the core's IDT,
 * whose vectors 32-255 only count such interrupts (trap.c). */
static void drain_interrupts(void)
{
	bool busy = true;

	/* A software-disabled APIC holds what is pending: enable it for the
	 * drain (the guest may have disabled it on its way offline). */
	lapic_write(LAPIC_SVR, 0x1FF);
	lapic_write(LAPIC_TPR, 0);
	this_cpu()->draining = true;
	for (int round = 0; round < 256 && busy; round++) {
		busy = false;
		/* Interrupts open for a moment: the core runs with them held
		 * (IF clear, and on SVM GIF too). */
		vm_backend->host_allow_events(true);
		__asm__ volatile("sti; nop; nop; cli" ::: "memory");
		vm_backend->host_allow_events(false);
		for (unsigned i = 0; i < 8; i++)
			busy |= (lapic_read(LAPIC_IRR + 0x10 * i) | lapic_read(LAPIC_ISR + 0x10 * i)) != 0;
		for (unsigned i = 0; i < 8; i++)
			if (lapic_read(LAPIC_ISR + 0x10 * i))
				lapic_write(LAPIC_EOI, 0);
	}
	this_cpu()->draining = false;
	if (busy)
		log_warn("CPU APIC %u: interrupts still pending after INIT", lapic_id());
}

void lapic_init_reset(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_ENABLE))
		return; /* globally disabled: nothing is delivered anyway */
	lapic_write(LAPIC_TIMER_INIT, 0);
	for (unsigned reg = LAPIC_LVT_TIMER; reg <= LAPIC_LVT_ERROR; reg += 0x10)
		lapic_write(reg, BIT(16)); /* masked */
	if (!x2apic_mode(base)) {
		lapic_write(LAPIC_LDR, 0);
		lapic_write(LAPIC_DFR, 0xFFFFFFFF);
	}
	drain_interrupts();
	lapic_write(LAPIC_SVR, 0xFF); /* software disabled, spurious vector 0xFF */
	lapic_write(LAPIC_TIMER_DIVIDE, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
}
