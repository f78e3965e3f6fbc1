/* Trapping the guest's interrupt command register, so that no guest INIT
 * or SIPI reaches a real CPU (on QEMU's SVM an INIT resets the CPU out of
 * SVM; SPEC.md "INIT and SIPI never reach a real CPU").
 *
 * xAPIC: the register page is read-only in the nested tables; reads run
 * at full speed, each write exits and is decoded here (QEMU has no decode
 * assists).  x2APIC: the ICR MSR 0x830 is intercepted.  Writes other than
 * ICR low are passed to the real register as written. */
#include "apic_trap.h"
#include "exit.h"
#include "lapic.h"
#include "log.h"
#include "mm.h"
#include "vcpus.h"
#include "x86.h"

static paddr_t xapic_page(const struct vcpu *v)
{
	uint64_t b = v->apic_base;

	return (b & APIC_BASE_ENABLE) && !(b & APIC_BASE_X2APIC) ? b & APIC_BASE_ADDR_MASK : 0;
}

bool apic_page_trapped(paddr_t page)
{
	for (unsigned i = 0; i < vcpu_count; i++)
		if (vcpus[i].cpu && xapic_page(&vcpus[i]) == page)
			return true;
	return false;
}

static void emulate_write(struct vcpu *v, paddr_t page, unsigned offset, uint32_t value)
{
	volatile uint32_t *reg = phys_to_virt(page + offset);

	if (page != xapic_page(v)) {
		*reg = value; /* another vCPU's APIC page: for this CPU, plain memory */
		return;
	}
	switch (offset) {
	case LAPIC_ICR_HIGH:
		spin_lock(&v->lock);
		v->icr_high = value;
		spin_unlock(&v->lock);
		*reg = value;
		return;
	case LAPIC_ICR_LOW:
		vcpu_send_ipi(v, (uint64_t)v->icr_high << 32 | value, false);
		return;
	case LAPIC_LDR:
		spin_lock(&v->lock);
		v->ldr = value;
		spin_unlock(&v->lock);
		break;
	case LAPIC_DFR:
		spin_lock(&v->lock);
		v->dfr = value;
		spin_unlock(&v->lock);
		break;
	case LAPIC_TIMER_INIT:
		/* When the guest started its count: the budget code needs it to
		 * tell a count that ran out just now from one long done
		 * (kernel/dom/budget.c). */
		v->timer_armed_tsc = rdtsc();
		v->timer_armed_count = value;
		v->timer_expiry_posted = false;
		break;
	}
	*reg = value;
}

void apic_page_write(struct vcpu *v, struct vm_exit *e)
{
	struct insn in;
	unsigned offset = (unsigned)(e->npf.gpa & (PAGE_SIZE - 1));
	paddr_t page = e->npf.gpa & ~(PAGE_SIZE - 1);

	if (guest_decode_insn(v, e->rip, &in) != E_OK) {
		log_warn("CPU %u: cannot decode the write to its local APIC at rip %#lx; #GP", v->id,
			 e->rip);
		vcpu_inject_gp(v);
		return;
	}
	unsigned reg = (unsigned)((in.rex & 4) << 1 | (in.modrm >> 3 & 7));
	uint32_t value;

	/* The stores a guest uses on APIC registers: MOV r/m32, r32 (89);
	 * MOV r/m32, imm32 (C7 /0); MOV moffs32, EAX (A3, for an absolute
	 * address); XCHG r/m32, r32 (87, Linux on some CPUs).  All 32-bit:
	 * APIC registers are dwords. */
	if (in.map == MAP_ONE && in.opcode == 0xA3 && in.operand_size == 4) {
		value = (uint32_t)v->regs.rax;
	} else if (in.map == MAP_ONE && (in.opcode == 0x89 || in.opcode == 0x87) &&
		   in.operand_size == 4) {
		value = (uint32_t)vm_backend->get_reg(v, vm_reg_by_number[reg]);
		if (in.opcode == 0x87) /* the register gets the old value */
			vm_backend->set_reg(v, vm_reg_by_number[reg],
					    *(volatile uint32_t *)phys_to_virt(page + offset));
	} else if (in.map == MAP_ONE && in.opcode == 0xC7 && (in.modrm >> 3 & 7) == 0 &&
		   in.operand_size == 4) {
		value = (uint32_t)in.imm;
	} else {
		log_warn("CPU %u: unsupported write to its local APIC (opcode %#x, %u bytes) at rip "
			 "%#lx; #GP",
			 v->id, in.opcode, in.operand_size, e->rip);
		vcpu_inject_gp(v);
		return;
	}
	e->insn_len = in.length;
	emulate_write(v, page, offset & ~3u, value);
	vcpu_skip_insn(v, e);
}

enum err apic_x2apic_icr_write(struct vcpu *v, uint64_t value)
{
	if (!(v->apic_base & APIC_BASE_X2APIC))
		return E_FAULT; /* not in x2APIC mode: the MSR does not exist */
	vcpu_send_ipi(v, value, true);
	return E_OK;
}

enum err apic_base_write(struct vcpu *v, uint64_t value)
{
	paddr_t page = value & APIC_BASE_ADDR_MASK;

	if (ranges_overlap(page, page + PAGE_SIZE, shoji_region.start, shoji_region.end)) {
		log_warn("CPU %u: guest tried to move its local APIC to %#lx, inside Shoji's memory; "
			 "#GP",
			 v->id, page);
		return E_FAULT;
	}
	paddr_t old = xapic_page(v);
	uint64_t prev = v->apic_base;

	if (msr_write_safe(MSR_APIC_BASE, value))
		return E_FAULT;
	v->apic_base = value;
	/* Follow the xAPIC page: trap the new one, free the old one when no
	 * vCPU has its registers there any more. */
	paddr_t now = xapic_page(v);

	if (now && now != old) {
		log_info("CPU %u: the guest moved its local APIC to %#lx", v->id, now);
		if (vm_backend->protect_page(now, false) != E_OK)
			log_error("cannot trap the local APIC at %#lx: INIT/SIPI sent there are not "
				  "virtualized",
				  now);
	}
	if (old && old != now && !apic_page_trapped(old))
		vm_backend->protect_page(old, true);
	if ((value & APIC_BASE_X2APIC) && !(prev & APIC_BASE_X2APIC))
		log_info("CPU %u: the guest switched its local APIC to x2APIC mode", v->id);
	return E_OK;
}
