/* See test_hooks.h. */
#include "config.h"
#include "dom.h"
#include "ipc.h"
#include "guest.h"
#include "lapic.h"
#include "mm.h"
#include "pagetable.h"
#include "percpu.h"
#include "log.h"
#include "test_hooks.h"
#include "vcpus.h"

static paddr_t protected_page = ~(paddr_t)0;
static bool nmi_at_fault;

static bool domain_call(struct vcpu *v, uint32_t ecx)
{
	uint32_t index = ecx >> 16;

	if (index >= dom_count || !domains[index].present) {
		v->regs.rax = E_NOTFOUND;
		v->regs.rbx = v->regs.rcx = v->regs.rdx = 0;
		return true;
	}
	struct ipc_msg m = { .label = ecx & 0xFFFF,
			     .in = { (uint32_t)v->regs.rbx, (uint32_t)v->regs.rdx } };
	enum err e = ipc_call(&domains[index], 0, 0, &m);

	v->regs.rax = e;
	v->regs.rbx = (uint32_t)m.out[0];
	v->regs.rcx = m.reply_label;
	v->regs.rdx = (uint32_t)m.out[1];
	return true;
}

static bool domain_info(struct vcpu *v, uint32_t index)
{
	const struct domain *d = index < dom_count ? &domains[index] : NULL;

	v->regs.rax = d ? d->generation : 0;
	v->regs.rbx = d ? d->last_fault_vector : 0;
	v->regs.rcx = d ? (uint32_t)d->calls : 0;
	v->regs.rdx = d ? (uint32_t)d->last_fault_addr : 0;
	return true;
}

/* Addresses of the core's state, for the isolation probe to aim at. */
static bool core_address(struct vcpu *v, uint32_t kind)
{
	extern char _entry_text_start[], _entry_text_end[], _data_start[];
	struct pcpu *cpu = this_cpu();
	const uintptr_t addrs[] = {
		(uintptr_t)_entry_text_end,	      /* core text (past the entry pages) */
		(uintptr_t)_entry_text_start,	      /* the entry code (mapped, supervisor) */
		(uintptr_t)_data_start,		      /* core data */
		cpu->stack_top - 64,		      /* this CPU's main stack */
		(uintptr_t)phys_to_virt(cpu->core_cr3 & PTE_ADDR_MASK), /* its page tables */
		(uintptr_t)cpu->gdt,		      /* GDT */
		(uintptr_t)cpu_idt_page(),	      /* IDT */
		(uintptr_t)cpu->tss,		      /* TSS */
		cpu->entry_stack_top - 64,	      /* the entry stack */
		cpu->tss->ist[IST_NMI - 1] - 64,      /* the NMI stack */
		(uintptr_t)&domains[0],		      /* the domains' table */
	};

	v->regs.rbx = ARRAY_SIZE(addrs);
	v->regs.rax = kind < ARRAY_SIZE(addrs) ? (uint32_t)addrs[kind] : 0;
	v->regs.rdx = kind < ARRAY_SIZE(addrs) ? (uint32_t)(addrs[kind] >> 32) : 0;
	v->regs.rcx = 0;
	return true;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001B3ULL;
	return h;
}

/* A checksum of the core state a domain must never change: text and
 * read-only data, the IDT, every CPU's GDT and TSS, the core's PML4. */
static bool core_checksum(struct vcpu *v)
{
	extern char _text_start[], _rodata_end[];
	uint64_t h = 0xCBF29CE484222325ULL;

	h = fnv(h, _text_start, (size_t)(_rodata_end - _text_start));
	h = fnv(h, cpu_idt_page(), PAGE_SIZE);
	for (uint32_t i = 0; i < pcpu_count; i++) {
		const struct pcpu *cpu = pcpu_by_index[i];

		if (!cpu)
			continue;
		h = fnv(h, cpu->gdt, sizeof(cpu->gdt));
		h = fnv(h, cpu->tss, sizeof(*cpu->tss));
		h = fnv(h, phys_to_virt(cpu->core_cr3 & PTE_ADDR_MASK), PAGE_SIZE);
	}
	v->regs.rax = (uint32_t)h;
	v->regs.rdx = (uint32_t)(h >> 32);
	v->regs.rbx = v->regs.rcx = 0;
	return true;
}

bool test_hook_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf)
{
	if (core_config->test_hooks & CONFIG_TEST_DOMAIN_CALL) {
		if (leaf == TEST_LEAF_DOMAIN_CALL)
			return domain_call(v, subleaf);
		if (leaf == TEST_LEAF_DOMAIN_INFO)
			return domain_info(v, subleaf);
		if (leaf == TEST_LEAF_CORE_ADDRESS)
			return core_address(v, subleaf);
		if (leaf == TEST_LEAF_CORE_CHECKSUM)
			return core_checksum(v);
	}
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
	return false;
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
