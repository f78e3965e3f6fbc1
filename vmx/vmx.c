/* The VT-x back end: probing, per-CPU VMXON, the run step, and the ops
 * table - the one symbol this directory exports (STYLE.md 4). */
#include <stdio.h>

#include "cpu_features.h"
#include "lapic.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "vmx.h"
#include "x86.h"

struct vmx_caps vmx_caps;

_Noreturn void vmx_insn_failed(const char *insn, uint64_t field, enum vmx_result r)
{
	if (r == VMX_FAIL_INVALID)
		panic("%s of VMCS field %#lx failed: no current VMCS (VMfailInvalid)", insn, field);
	uint64_t error;

	__asm__ volatile("vmread %1, %0" : "=r"(error) : "r"((uint64_t)VMCS_INSN_ERROR));
	panic("%s of VMCS field %#lx failed: VM-instruction error %lu (%s)", insn, field, error,
	      vmx_insn_error_name((uint32_t)error));
}

/* Each control: what Shoji asks for, and what it cannot run without. */
static bool controls_compute(char *why, size_t why_size)
{
	struct vmx_caps *c = &vmx_caps;
	uint32_t missing;

	if (!vmx_control_adjust(c->pin, 0, PIN_NMI_EXITING | PIN_VIRTUAL_NMIS, &c->pin_ctls,
				&missing)) {
		snprintf(why, why_size, "VT-x lacks NMI exiting or virtual NMIs (pin-based %#x)",
			 missing);
		return false;
	}
	/* No HLT, CR3, INVLPG or RDTSC exiting: the guest runs natively.  TSC
	 * offsetting: the guest's TSC writes move only its offset (kernel/msr.c). */
	if (!vmx_control_adjust(c->proc, 0,
				PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY | PROC_TSC_OFFSET,
				&c->proc_ctls, &missing)) {
		snprintf(why, why_size,
			 "VT-x lacks I/O or MSR bitmaps, TSC offsetting or secondary controls (%#x)",
			 missing);
		return false;
	}
	if (c->proc_ctls & (PROC_CR3_LOAD | PROC_CR3_STORE)) {
		snprintf(why, why_size, "this CPU's VT-x forces CR3 exiting (no TRUE_ controls)");
		return false;
	}
	/* RDTSCP, INVPCID and XSAVES would #UD in the guest unless enabled. */
	if (!vmx_control_adjust(c->proc2, PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES | PROC2_VPID,
				PROC2_EPT | PROC2_UNRESTRICTED, &c->proc2_ctls, &missing)) {
		snprintf(why, why_size,
			 "VT-x without %s%s: Shoji needs EPT and unrestricted guest "
			 "(secondary controls %#lx)",
			 (missing & PROC2_EPT) ? "EPT " : "",
			 (missing & PROC2_UNRESTRICTED) ? "unrestricted guest" : "", c->proc2 >> 32);
		return false;
	}
	if (!vmx_control_adjust(c->exit, 0,
				EXIT_HOST_64 | EXIT_SAVE_DEBUG | EXIT_SAVE_EFER | EXIT_LOAD_EFER |
					EXIT_SAVE_PAT | EXIT_LOAD_PAT,
				&c->exit_ctls, &missing) ||
	    !vmx_control_adjust(c->entry, 0, ENTRY_LOAD_DEBUG | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT,
				&c->entry_ctls, &missing)) {
		snprintf(why, why_size, "VT-x cannot switch EFER, PAT and DEBUGCTL (%#x)", missing);
		return false;
	}
	c->entry_ctls &= ~ENTRY_IA32E; /* follows the guest's EFER.LMA */
	/* 4-level walks, write-back paging structures, INVEPT all-context. */
	if (!(c->ept_vpid & BIT(6)) || !(c->ept_vpid & BIT(14)) || !(c->ept_vpid & BIT(26))) {
		snprintf(why, why_size, "EPT lacks 4-level walks, WB tables or global INVEPT (%#lx)",
			 c->ept_vpid);
		return false;
	}
	/* VPID needs INVVPID all-context to flush at INIT; without it, run
	 * without VPID (every exit then flushes, slower but correct). */
	if (!(c->ept_vpid & BIT(32)) || !(c->ept_vpid & BIT(42)))
		c->proc2_ctls &= ~PROC2_VPID;
	return true;
}

static bool vmx_probe(char *why, size_t why_size)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	if (!(r.ecx & BIT(5))) {
		snprintf(why, why_size, "this CPU has no Intel VT-x (CPUID 1 ECX bit 5 clear)");
		return false;
	}
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);

	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMXON)) {
		snprintf(why, why_size,
			 "VT-x is disabled by the firmware (IA32_FEATURE_CONTROL %#lx locked without "
			 "VMXON outside SMX); enable virtualization in the firmware setup",
			 fc);
		return false;
	}
	struct vmx_caps *c = &vmx_caps;
	bool true_ctls;

	c->basic = rdmsr(MSR_VMX_BASIC);
	true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
	c->pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
	c->proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
	c->exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	c->entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	c->misc = rdmsr(MSR_VMX_MISC);
	c->cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIXED0);
	c->cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIXED1);
	c->cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIXED0);
	c->cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIXED1);
	if (!(c->proc >> 32 & PROC_SECONDARY)) {
		snprintf(why, why_size, "VT-x without secondary controls: no EPT");
		return false;
	}
	c->proc2 = rdmsr(MSR_VMX_PROCBASED2);
	c->ept_vpid = (c->proc2 >> 32) & (PROC2_EPT | PROC2_VPID) ? rdmsr(MSR_VMX_EPT_VPID_CAP) : 0;
	if (((c->basic >> 32) & 0x1FFF) > PAGE_SIZE) {
		snprintf(why, why_size, "the VMCS is larger than a page (%lu bytes)",
			 (c->basic >> 32) & 0x1FFF);
		return false;
	}
	return controls_compute(why, why_size);
}

static enum err vmx_cpu_enable(struct pcpu *cpu)
{
	struct vmx_cpu *x = page_alloc();
	uint32_t *vmxon = page_alloc();
	uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
	enum vmx_result r;

	if (!x || !vmxon)
		return E_NOMEM;
	if (!(fc & FEATURE_CONTROL_LOCK)) /* the firmware left it open: we close it */
		wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON);
	*vmxon = (uint32_t)vmx_caps.basic & 0x7FFFFFFF; /* revision identifier */
	x->vmxon_pa = virt_to_phys(vmxon);
	/* CR0.NE and CR4.VMXE (and whatever else the CPU fixes) in root mode. */
	write_cr0(vmx_cr_fixed(read_cr0(), vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1, 0));
	/* OSXSAVE: XSETBV exits, and the core carries it out (xsetbv.c). */
	struct cpuid_regs id;

	cpuid(1, 0, &id);
	write_cr4(vmx_cr_fixed(read_cr4() | CR4_VMXE | ((id.ecx & BIT(26)) ? CR4_OSXSAVE : 0),
			       vmx_caps.cr4_fixed0, vmx_caps.cr4_fixed1, 0));
	if ((r = vmx_on(&x->vmxon_pa)) != VMX_OK) {
		log_error("CPU %u: VMXON failed (%s)", cpu->index,
			  r == VMX_FAIL_INVALID ? "VMfailInvalid: bad VMXON region or CR0/CR4"
						: "VMfailValid");
		return E_FAULT;
	}
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;

	__asm__ volatile("sidt %0" : "=m"(idtr));
	x->idt_limit = idtr.limit;
	x->idt_base = idtr.base;
	cpu->backend = x;
	log_info("CPU %u: VT-x on (VMXON region %#lx)", cpu->index, x->vmxon_pa);
	return E_OK;
}

static void invept_or_invvpid(int which)
{
	struct { uint64_t a, b; } desc = { 0, 0 };
	bool cf, zf;

	if (which == 0)
		__asm__ volatile("invept %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "m"(desc), "r"(2UL)
				 : "memory");
	else
		__asm__ volatile("invvpid %2, %3" : "=@ccc"(cf), "=@ccz"(zf) : "m"(desc), "r"(2UL)
				 : "memory");
	if (cf || zf)
		vmx_insn_failed(which == 0 ? "INVEPT" : "INVVPID", 2, vmx_flags_result(cf, zf));
}

void vmx_invept_all(void)
{
	invept_or_invvpid(0);
}

void vmx_invvpid_all(void)
{
	if (vmx_caps.proc2_ctls & PROC2_VPID)
		invept_or_invvpid(1);
}

/* The GDTR and IDTR limits a VM exit leaves at 0xFFFF (SDM 28.5.2) are
 * put back at once: with 0xFFFF a selector could index past the GDT.  TR's
 * limit is left at 0x67 by the exit, which is already the TSS's size: it
 * has no I/O bitmap yet (domains, issue #6, will reload TR with one). */
static void host_tables_reload(struct pcpu *cpu)
{
	struct vmx_cpu *x = cpu->backend;
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } gdtr, idtr;

	gdtr.limit = sizeof(cpu->gdt) - 1;
	gdtr.base = (uintptr_t)cpu->gdt;
	idtr.limit = x->idt_limit;
	idtr.base = x->idt_base;
	__asm__ volatile("lgdt %0; lidt %1" : : "m"(gdtr), "m"(idtr) : "memory");
}

static void vmx_vcpu_run(struct vcpu *v, struct vm_exit *exit)
{
	struct vmx_vcpu *x = v->backend;

	if (exit->complete) {
		uint64_t rip = vmread(VMCS_GUEST_RIP) + exit->insn_len;

		if (!(vmread(VMCS_GUEST_EFER) & EFER_LMA))
			rip &= 0xFFFFFFFF; /* EIP wraps outside long mode */
		vmwrite(VMCS_GUEST_RIP, rip);
		/* The instruction retired: STI/MOV SS blocking ends with it. */
		uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);

		if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
			vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
				intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
		exit->complete = false;
	}
	uint64_t gen = __atomic_load_n(&vmx_ept_generation, __ATOMIC_ACQUIRE);

	if (x->ept_generation != gen) { /* the EPT changed: drop stale translations */
		x->ept_generation = gen;
		vmx_invept_all();
	}
	if (__builtin_expect(vmx_corrupt_pending, 0))
		vmx_test_corrupt_before_entry(v);
	volatile uint32_t *test_icr = NULL;

	if (__builtin_expect(v->test_nmi_in_entry_window, 0)) {
		v->test_nmi_in_entry_window = false;
		test_icr = lapic_prepare_self_ipi(); /* the store is in vmentry.S */
	}
	int r = vmx_enter(&v->regs, x->launched, test_icr);

	if (r == VMX_OK) {
		host_tables_reload(v->cpu);
		x->launched = true;
		vmx_exit_decode(v, exit);
		return;
	}
	exit->rip = vmread(VMCS_GUEST_RIP);
	exit->in_delivery = false;
	exit->insn_len = 0;
	if (r == VMX_ENTRY_ABANDONED) { /* an NMI arrived: look at it first */
		exit->kind = VM_EXIT_NONE;
		return;
	}
	uint64_t error = r == VMX_FAIL_VALID ? vmread(VMCS_INSN_ERROR) : 0;

	log_error("CPU %u: %s failed: %s", v->id, x->launched ? "VMRESUME" : "VMLAUNCH",
		  r == VMX_FAIL_INVALID ? "VMfailInvalid (no current VMCS)"
					: vmx_insn_error_name((uint32_t)error));
	if (r == VMX_FAIL_VALID)
		log_error("VM-instruction error %lu", error);
	vmx_dump_guest_state(v, 0, error);
	exit->kind = VM_EXIT_ENTRY_FAILED;
	exit->raw.what = "the VM entry instruction failed (see the VM-instruction error above)";
	exit->raw.code = error;
	exit->raw.info1 = exit->raw.info2 = 0;
}

static enum err vmx_map_identity(struct vcpu *v, paddr_t gpa, uint64_t size)
{
	(void)v;
	return vmx_ept_map_identity(gpa, size);
}

/* Root mode takes NMIs whenever they are not blocked: nothing to open. */
static void vmx_host_allow_events(bool allow)
{
	(void)allow;
}

const struct vm_ops vmx_ops = {
	.name = "Intel VT-x",
	.probe = vmx_probe,
	.cpu_enable = vmx_cpu_enable,
	.vcpu_init = vmx_vcpu_init,
	.vcpu_run = vmx_vcpu_run,
	.get_reg = vmx_get_reg,
	.set_reg = vmx_set_reg,
	.get_seg = vmx_get_seg,
	.set_seg = vmx_set_seg,
	.get_paging = vmx_get_paging,
	.inject_exception = vmx_inject_exception,
	.get_event_state = vmx_get_event_state,
	.inject_nmi = vmx_inject_nmi,
	.request_nmi_window = vmx_request_nmi_window,
	.inject_interrupt = vmx_inject_interrupt,
	.request_interrupt_window = vmx_request_interrupt_window,
	.host_allow_events = vmx_host_allow_events,
	.set_startup_state = vmx_set_startup_state,
	.mtrr_access = vmx_mtrr_access,
	.protect_page = vmx_ept_protect,
	.map_identity = vmx_map_identity,
};
