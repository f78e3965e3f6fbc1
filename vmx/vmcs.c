/* Setting up a vCPU's VMCS, and reading and writing guest state in it. */
#include <string.h>

#include "bitmaps.h"
#include "guest.h"
#include "intercept.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "vmx.h"
#include "x86.h"

#define MSR_PAT 0x277
#define POWER_ON_PAT 0x0007040600070406ULL
#define AR_UNUSABLE BIT(16)

/* Built once, shared by every vCPU: the intercept tables do not change. */
static paddr_t msr_bitmap_pa, io_bitmap_pa, ept_root;

static enum err build_shared(const struct guest_memory_plan *plan)
{
	uint8_t *msr_bitmap = page_alloc();
	uint8_t *io_bitmaps = page_alloc_contig(2);
	uint32_t bad;

	if (!msr_bitmap || !io_bitmaps)
		return E_NOMEM;
	if (vmx_msr_bitmap_build(msr_bitmap, msr_rules, msr_rule_count, &bad) != E_OK)
		log_debug("MSR %#x is outside the VMX MSR bitmap: it always exits", bad);
	vmx_io_bitmap_build(io_bitmaps, io_rules, io_rule_count);
	msr_bitmap_pa = virt_to_phys(msr_bitmap);
	io_bitmap_pa = virt_to_phys(io_bitmaps);
	return vmx_ept_build(plan, &ept_root);
}

/* VMX access rights (descriptor bits 40-47 at 0-7, 52-55 at 12-15, bit 16
 * unusable) to the core's 12-bit attributes. */
static uint16_t ar_to_attr(uint32_t ar)
{
	if (ar & AR_UNUSABLE)
		return 0;
	return (uint16_t)((ar & 0xFF) | ((ar >> 4) & 0xF00));
}

/* enum vm_seg follows the VMCS's order: ES CS SS DS FS GS LDTR TR GDTR IDTR. */
static void seg_write(enum vm_seg seg, uint16_t selector, uint32_t ar, uint32_t limit,
		      uint64_t base)
{
	if (seg < VM_SEG_GDTR) {
		vmwrite(VMCS_GUEST_ES_SEL + 2 * seg, selector);
		vmwrite(VMCS_GUEST_ES_AR + 2 * seg, ar);
	}
	vmwrite(VMCS_GUEST_ES_LIMIT + 2 * seg, limit);
	vmwrite(VMCS_GUEST_ES_BASE + 2 * seg, base);
}

void vmx_get_seg(struct vcpu *v, enum vm_seg seg, struct vm_segment *out)
{
	(void)v;
	*out = (struct vm_segment){ 0 };
	if (seg < VM_SEG_GDTR) {
		out->selector = (uint16_t)vmread(VMCS_GUEST_ES_SEL + 2 * seg);
		out->attr = ar_to_attr((uint32_t)vmread(VMCS_GUEST_ES_AR + 2 * seg));
	}
	out->limit = (uint32_t)vmread(VMCS_GUEST_ES_LIMIT + 2 * seg);
	out->base = vmread(VMCS_GUEST_ES_BASE + 2 * seg);
}

/* The core's 12-bit attributes back to VMX access rights; 0 is a null
 * selector's unusable state. */
void vmx_set_seg(struct vcpu *v, enum vm_seg seg, const struct vm_segment *in)
{
	(void)v;
	seg_write(seg, in->selector,
		  in->attr ? (uint32_t)(in->attr & 0xFF) | (uint32_t)(in->attr & 0xF00) << 4
			   : AR_UNUSABLE,
		  in->limit, in->base);
}

/* CR0 and CR4 bits the guest does not own: the fixed ones (CR0.NE, CR4.VMXE)
 * and CR4.SMXE, which Shoji hides.  The guest reads its own value of them
 * from the read shadow; writing a different one exits (exit.c). */
static uint64_t cr0_mask(void)
{
	return (vmx_caps.cr0_fixed0 & ~(uint64_t)(CR0_PE | CR0_PG)) |
	       (~vmx_caps.cr0_fixed1 & 0xFFFFFFFF);
}

static uint64_t cr4_mask(void)
{
	return vmx_caps.cr4_fixed0 | ~vmx_caps.cr4_fixed1 | CR4_VMXE | CR4_SMXE;
}

uint64_t vmx_guest_cr0(uint64_t guest_view)
{
	return vmx_cr_fixed(guest_view, vmx_caps.cr0_fixed0, vmx_caps.cr0_fixed1,
			    CR0_PE | CR0_PG);
}

uint64_t vmx_guest_cr4(uint64_t guest_view)
{
	return vmx_cr_fixed(guest_view & ~(uint64_t)CR4_SMXE, vmx_caps.cr4_fixed0,
			    vmx_caps.cr4_fixed1, 0);
}

void vmx_set_proc_ctls(struct vmx_vcpu *x, uint32_t ctls)
{
	if (x->proc_ctls != ctls) {
		x->proc_ctls = ctls;
		vmwrite(VMCS_PROC_CTLS, ctls);
	}
}

extern char vmx_exit_entry[];

static void host_state_write(void)
{
	struct pcpu *cpu = this_cpu();
	struct vmx_cpu *x = cpu->backend;

	vmwrite(VMCS_HOST_CR0, read_cr0());
	vmwrite(VMCS_HOST_CR3, read_cr3());
	vmwrite(VMCS_HOST_CR4, read_cr4());
	vmwrite(VMCS_HOST_CS_SEL, GDT_KERNEL_CODE);
	vmwrite(VMCS_HOST_SS_SEL, GDT_KERNEL_DATA);
	vmwrite(VMCS_HOST_DS_SEL, GDT_KERNEL_DATA);
	vmwrite(VMCS_HOST_ES_SEL, GDT_KERNEL_DATA);
	vmwrite(VMCS_HOST_FS_SEL, 0);
	vmwrite(VMCS_HOST_GS_SEL, 0);
	vmwrite(VMCS_HOST_TR_SEL, GDT_TSS);
	vmwrite(VMCS_HOST_FS_BASE, 0);
	vmwrite(VMCS_HOST_GS_BASE, 0);
	vmwrite(VMCS_HOST_TR_BASE, (uintptr_t)cpu->tss);
	vmwrite(VMCS_HOST_GDTR_BASE, (uintptr_t)cpu->gdt);
	vmwrite(VMCS_HOST_IDTR_BASE, x->idt_base);
	/* SYSENTER leads nowhere in root mode (SPEC: never SYSCALL/SYSENTER),
	 * and with SCE clear SYSCALL #UDs: the guest's LSTAR, STAR, SFMASK and
	 * KERNEL_GS_BASE stay loaded in root mode and Shoji never uses them. */
	vmwrite(VMCS_HOST_SYSENTER_CS, 0);
	vmwrite(VMCS_HOST_SYSENTER_ESP, 0);
	vmwrite(VMCS_HOST_SYSENTER_EIP, 0);
	vmwrite(VMCS_HOST_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
	vmwrite(VMCS_HOST_PAT, rdmsr(MSR_PAT));
	vmwrite(VMCS_HOST_RIP, (uintptr_t)vmx_exit_entry);
}

static void controls_write(struct vmx_vcpu *x)
{
	vmwrite(VMCS_PIN_CTLS, vmx_caps.pin_ctls);
	x->proc_ctls = vmx_caps.proc_ctls;
	vmwrite(VMCS_PROC_CTLS, x->proc_ctls);
	vmwrite(VMCS_PROC_CTLS2, vmx_caps.proc2_ctls);
	vmwrite(VMCS_EXIT_CTLS, vmx_caps.exit_ctls);
	vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry_ctls);
	vmwrite(VMCS_EXCEPTION_BITMAP, 0);
	vmwrite(VMCS_CR3_TARGET_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmwrite(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_IO_BITMAP_A, io_bitmap_pa);
	vmwrite(VMCS_IO_BITMAP_B, io_bitmap_pa + PAGE_SIZE);
	vmwrite(VMCS_MSR_BITMAP, msr_bitmap_pa);
	/* Write-back paging structures, 4-level walk (SDM 25.6.11). */
	vmwrite(VMCS_EPT_POINTER, ept_root | (3 << 3) | 6);
	if (vmx_caps.proc2_ctls & PROC2_VPID)
		vmwrite(VMCS_VPID, x->vpid);
	/* SPEC item 17: with XSAVES enabled the XSS-exiting bitmap must be
	 * written, and zero: no guest XSAVES/XRSTORS exits (controls.c). */
	struct vmx_field_value fields[VMX_PROC2_FIELDS_MAX];
	unsigned n = vmx_proc2_fields(vmx_caps.proc2_ctls, fields);

	for (unsigned i = 0; i < n; i++)
		vmwrite(fields[i].field, fields[i].value);
	vmwrite(VMCS_CR0_MASK, cr0_mask());
	vmwrite(VMCS_CR4_MASK, cr4_mask());
	vmwrite(VMCS_TSC_OFFSET, 0);
	vmwrite(VMCS_LINK_POINTER, ~0ULL);
}

static void common_guest_state(void)
{
	vmwrite(VMCS_GUEST_DR7, 0x400);
	vmwrite(VMCS_GUEST_RFLAGS, 0x2);
	vmwrite(VMCS_GUEST_PENDING_DBG, 0);
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmwrite(VMCS_GUEST_ACTIVITY, 0);
	vmwrite(VMCS_GUEST_SYSENTER_CS, 0);
	vmwrite(VMCS_GUEST_SYSENTER_ESP, 0);
	vmwrite(VMCS_GUEST_SYSENTER_EIP, 0);
	vmwrite(VMCS_GUEST_DEBUGCTL, 0);
	vmwrite(VMCS_GUEST_PAT, POWER_ON_PAT);
	vmwrite(VMCS_GUEST_EFER, 0);
	vmwrite(VMCS_ENTRY_CTLS, vmx_caps.entry_ctls);
	vmwrite(VMCS_ENTRY_INTR_INFO, 0);
	vmwrite(VMCS_GUEST_CR3, 0);
	vmwrite(VMCS_CR4_SHADOW, 0);
	vmwrite(VMCS_GUEST_CR4, vmx_guest_cr4(0));
}

/* The core's 12-bit attributes to VMX access rights; a segment that is not
 * present is unusable (TR is always usable: a running CPU has one). */
static uint32_t attr_to_ar(enum vm_seg seg, uint16_t attr)
{
	uint32_t ar = (attr & 0xFFu) | ((attr & 0xF00u) << 4);

	return ((attr & 0x80) || seg == VM_SEG_TR) ? ar : AR_UNUSABLE;
}

/* A running CPU's state, to resume (VM_BOOT_RESUME): the UEFI firmware.
 * The guest reads back its own CR0 and CR4; the CPU runs them with the
 * bits VMX fixes, and "IA-32e mode guest" follows EFER.LMA. */
static void resume_state_write(struct vcpu *v, const struct vm_cpu_state *st)
{
	for (enum vm_seg i = 0; i < VM_SEG_COUNT; i++)
		seg_write(i, st->seg[i].selector, attr_to_ar(i, st->seg[i].attr), st->seg[i].limit,
			  st->seg[i].base);
	vmwrite(VMCS_CR0_SHADOW, st->cr0);
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0(st->cr0));
	vmwrite(VMCS_CR4_SHADOW, st->cr4);
	vmwrite(VMCS_GUEST_CR4, vmx_guest_cr4(st->cr4));
	vmwrite(VMCS_GUEST_CR3, st->cr3);
	vmx_set_reg(v, VM_REG_EFER, st->efer);
	vmwrite(VMCS_GUEST_PAT, st->pat);
	vmwrite(VMCS_GUEST_RIP, st->rip);
	vmwrite(VMCS_GUEST_RSP, st->rsp);
	vmwrite(VMCS_GUEST_RFLAGS, st->rflags);
	v->regs = st->regs;
}

enum err vmx_vcpu_init(struct vcpu *v, const struct guest_memory_plan *plan,
		       const struct vm_boot_state *boot)
{
	struct vmx_vcpu *x = page_alloc();
	uint32_t *vmcs = page_alloc();
	enum vmx_result r;
	enum err e;

	if (!x || !vmcs)
		return E_NOMEM;
	if (!ept_root && (e = build_shared(plan)) != E_OK)
		return e;
	*vmcs = (uint32_t)vmx_caps.basic & 0x7FFFFFFF;
	x->vmcs_pa = virt_to_phys(vmcs);
	x->vpid = (uint16_t)(v->id + 1);
	if ((r = vmx_clear(&x->vmcs_pa)) != VMX_OK || (r = vmx_ptrld(&x->vmcs_pa)) != VMX_OK) {
		log_error("CPU %u: cannot make its VMCS current (%s)", v->id,
			  r == VMX_FAIL_INVALID ? "VMfailInvalid"
						: vmx_insn_error_name((uint32_t)vmread(VMCS_INSN_ERROR)));
		return E_FAULT;
	}
	v->backend = x;
	controls_write(x);
	host_state_write();
	common_guest_state();
	if (boot->mode == VM_BOOT_RESUME) {
		resume_state_write(v, boot->resume);
		vmx_test_corrupt(v);
		return E_OK;
	}
	seg_write(VM_SEG_CS, boot->code_selector, 0xC09B, 0xFFFFFFFF, 0);
	for (enum vm_seg s = VM_SEG_ES; s <= VM_SEG_GS; s++)
		if (s != VM_SEG_CS)
			seg_write(s, boot->data_selector, 0xC093, 0xFFFFFFFF, 0);
	seg_write(VM_SEG_LDTR, 0, AR_UNUSABLE, 0, 0);
	seg_write(VM_SEG_TR, 0, 0x8B, 0xFFFF, 0); /* a busy 32-bit TSS */
	seg_write(VM_SEG_GDTR, 0, 0, boot->gdt_limit, boot->gdt_base);
	seg_write(VM_SEG_IDTR, 0, 0, 0, 0);
	vmwrite(VMCS_CR0_SHADOW, CR0_PE | CR0_ET);
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0(CR0_PE | CR0_ET));
	vmwrite(VMCS_GUEST_RIP, boot->eip);
	vmwrite(VMCS_GUEST_RSP, boot->esp);
	v->regs = (struct gpregs){ .rax = boot->eax, .rbx = boot->ebx, .rsi = boot->esi };
	vmx_test_corrupt(v);
	return E_OK;
}

static uint64_t guest_view(uint64_t real, uint64_t shadow, uint64_t mask)
{
	return (real & ~mask) | (shadow & mask);
}

/* With EPT, PAE paging outside IA-32e mode takes its four PDPTEs from the
 * VMCS at entry (SDM Vol. 3C 27.3.2.4): a new CR3 needs them loaded as a
 * MOV to CR3 would.  One the core cannot read is left not present. */
static void load_pdptes(uint64_t cr3)
{
	if (!(vmread(VMCS_GUEST_CR0) & CR0_PG) || !(vmread(VMCS_GUEST_CR4) & CR4_PAE) ||
	    (vmread(VMCS_GUEST_EFER) & EFER_LMA))
		return;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pdpte = 0;

		if (!gmem_read(NULL, (cr3 & 0xFFFFFFE0) + 8 * i, &pdpte, 8))
			pdpte = 0;
		vmwrite(VMCS_GUEST_PDPTE0 + 2 * i, pdpte);
	}
}

uint64_t vmx_get_reg(struct vcpu *v, enum vm_reg reg)
{
	switch (reg) {
	case VM_REG_RSP: return vmread(VMCS_GUEST_RSP);
	case VM_REG_RIP: return vmread(VMCS_GUEST_RIP);
	case VM_REG_RFLAGS: return vmread(VMCS_GUEST_RFLAGS);
	case VM_REG_CR0:
		return guest_view(vmread(VMCS_GUEST_CR0), vmread(VMCS_CR0_SHADOW), cr0_mask());
	case VM_REG_CR2: {
		uint64_t cr2;

		/* Not switched by VT-x: the guest's CR2 is live in root mode. */
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		return cr2;
	}
	case VM_REG_CR3: return vmread(VMCS_GUEST_CR3);
	case VM_REG_CR4:
		return guest_view(vmread(VMCS_GUEST_CR4), vmread(VMCS_CR4_SHADOW), cr4_mask());
	case VM_REG_EFER: return vmread(VMCS_GUEST_EFER);
	case VM_REG_DR6: {
		uint64_t dr6;

		__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
		return dr6;
	}
	case VM_REG_DR7: return vmread(VMCS_GUEST_DR7);
	case VM_REG_PAT: return vmread(VMCS_GUEST_PAT);
	case VM_REG_TSC_OFFSET: return vmread(VMCS_TSC_OFFSET);
	case VM_REG_DEBUGCTL: return vmread(VMCS_GUEST_DEBUGCTL);
	default:
		if (reg <= VM_REG_R15)
			return ((const uint64_t *)&v->regs)[reg];
		panic("register %d has no VMX home", reg);
	}
}

void vmx_set_reg(struct vcpu *v, enum vm_reg reg, uint64_t value)
{
	switch (reg) {
	case VM_REG_RSP: vmwrite(VMCS_GUEST_RSP, value); break;
	case VM_REG_RIP: vmwrite(VMCS_GUEST_RIP, value); break;
	case VM_REG_RFLAGS: vmwrite(VMCS_GUEST_RFLAGS, value); break;
	case VM_REG_EFER: {
		/* The core keeps SVME set for SVM's sake; it is reserved here.
		 * "IA-32e mode guest" must equal EFER.LMA at entry. */
		uint64_t entry = vmread(VMCS_ENTRY_CTLS) & ~(uint64_t)ENTRY_IA32E;

		value &= ~(uint64_t)EFER_SVME;
		vmwrite(VMCS_GUEST_EFER, value);
		vmwrite(VMCS_ENTRY_CTLS, entry | ((value & EFER_LMA) ? ENTRY_IA32E : 0));
		break;
	}
	case VM_REG_TSC_OFFSET: vmwrite(VMCS_TSC_OFFSET, value); break;
	/* Loaded at entry, saved at exit (load/save debug controls). */
	case VM_REG_DEBUGCTL: vmwrite(VMCS_GUEST_DEBUGCTL, value); break;
	case VM_REG_CR0: /* a task switch's CR0.TS; PE and PG do not change */
		vmwrite(VMCS_CR0_SHADOW, value);
		vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0(value));
		break;
	case VM_REG_CR3: /* a task switch's CR3 */
		vmwrite(VMCS_GUEST_CR3, value);
		load_pdptes(value);
		vmx_invvpid_all(); /* as the MOV would flush */
		break;
	case VM_REG_CR4: /* the guest reads what it wrote; VMXE stays on */
		vmwrite(VMCS_CR4_SHADOW, value);
		vmwrite(VMCS_GUEST_CR4, vmx_guest_cr4(value));
		vmx_invvpid_all(); /* as the MOV would flush (PGE, PCIDE...) */
		break;
	default:
		if (reg <= VM_REG_R15) {
			((uint64_t *)&v->regs)[reg] = value;
			break;
		}
		panic("register %d cannot be set on VMX by the core", reg);
	}
}

void vmx_get_paging(struct vcpu *v, struct vm_paging *out)
{
	out->cr0 = vmread(VMCS_GUEST_CR0);
	out->cr3 = vmread(VMCS_GUEST_CR3);
	out->cr4 = vmread(VMCS_GUEST_CR4);
	out->efer = vmread(VMCS_GUEST_EFER);
	out->rflags = vmread(VMCS_GUEST_RFLAGS);
	vmx_get_seg(v, VM_SEG_CS, &out->cs);
}

void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO, vector | INTR_TYPE_HW_EXCEPTION | INTR_INFO_VALID |
					      (has_error ? INTR_INFO_ERROR_VALID : 0));
	if (has_error)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, error);
}

void vmx_get_event_state(struct vcpu *v, struct vm_event_state *out)
{
	uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY);

	(void)v;
	out->if_set = vmread(VMCS_GUEST_RFLAGS) & RFLAGS_IF;
	out->shadow = intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS);
	out->event_queued = vmread(VMCS_ENTRY_INTR_INFO) & INTR_INFO_VALID;
	out->nmi_blocked = intr & INTERRUPTIBILITY_NMI; /* virtual NMIs */
}

void vmx_inject_nmi(struct vcpu *v)
{
	(void)v;
	vmwrite(VMCS_ENTRY_INTR_INFO, 2 | INTR_TYPE_NMI | INTR_INFO_VALID);
}

/* The NMI-window exit comes at the first instruction boundary where the
 * guest can take an NMI (exit.c clears the control again). */
void vmx_request_nmi_window(struct vcpu *v)
{
	struct vmx_vcpu *x = v->backend;

	vmx_set_proc_ctls(x, x->proc_ctls | PROC_NMI_WINDOW);
}

/* SDM Vol. 3C 26.3.1.5: the entry checks IF = 1 and no STI or MOV SS
 * blocking for an external interrupt (the core checked them). */
void vmx_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	struct vmx_vcpu *x = v->backend;

	vmwrite(VMCS_ENTRY_INTR_INFO, vector | INTR_TYPE_EXTERNAL | INTR_INFO_VALID);
	vmx_set_proc_ctls(x, x->proc_ctls & ~(uint32_t)PROC_INTR_WINDOW);
}

/* SDM Vol. 3C 25.2 (interrupt-window exiting): the exit comes at the first
 * instruction boundary with IF = 1 and no STI or MOV SS blocking. */
void vmx_request_interrupt_window(struct vcpu *v, uint8_t vector)
{
	struct vmx_vcpu *x = v->backend;

	(void)vector;
	vmx_set_proc_ctls(x, x->proc_ctls | PROC_INTR_WINDOW);
}

/* After INIT and SIPI (SDM 9.1.1, table 9-1): real mode, CS = vector << 8
 * with base vector << 12, IP 0, caches off, no event pending or blocked.
 * Unrestricted guest runs it natively; the activity state is "active":
 * Shoji never uses wait-for-SIPI, which would block NMIs and INIT. */
void vmx_set_startup_state(struct vcpu *v, uint8_t sipi_vector)
{
	struct cpuid_regs r;

	common_guest_state();
	seg_write(VM_SEG_CS, (uint16_t)(sipi_vector << 8), 0x9B, 0xFFFF, (uint64_t)sipi_vector << 12);
	for (enum vm_seg s = VM_SEG_ES; s <= VM_SEG_GS; s++)
		if (s != VM_SEG_CS)
			seg_write(s, 0, 0x93, 0xFFFF, 0);
	seg_write(VM_SEG_LDTR, 0, 0x82, 0xFFFF, 0);
	seg_write(VM_SEG_TR, 0, 0x8B, 0xFFFF, 0);
	seg_write(VM_SEG_GDTR, 0, 0, 0xFFFF, 0);
	seg_write(VM_SEG_IDTR, 0, 0, 0xFFFF, 0);
	vmwrite(VMCS_CR0_SHADOW, 0x60000010); /* CD, NW, ET */
	vmwrite(VMCS_GUEST_CR0, vmx_guest_cr0(0x60000010));
	vmwrite(VMCS_GUEST_RIP, 0);
	vmwrite(VMCS_GUEST_RSP, 0);
	vmx_set_proc_ctls(v->backend, vmx_caps.proc_ctls);
	__asm__ volatile("mov %0, %%cr2" : : "r"(0UL));
	vmx_invvpid_all(); /* INIT flushes the TLBs */
	cpuid(1, 0, &r);
	v->regs = (struct gpregs){ .rdx = r.eax }; /* EDX: the processor's signature */
	v->fetch.valid = false;
}
