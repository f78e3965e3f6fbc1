/* Setting up a vCPU's VMCB, and reading and writing guest state in it. */
#include <assert.h>
#include <stddef.h>

#include "bitmaps.h"
#include "config.h"
#include "guest.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "svm.h"
#include "x86.h"

#define MSR_DEBUGCTL 0x1D9

static_assert(offsetof(struct vmcb, control.exit_code) == 0x070, "VMCB layout");
static_assert(offsetof(struct vmcb, control.n_cr3) == 0x0B0, "VMCB layout");
static_assert(offsetof(struct vmcb, control.insn_bytes) == 0x0D1, "VMCB layout");
static_assert(offsetof(struct vmcb, save.cpl) == 0x4CB, "VMCB layout");
static_assert(offsetof(struct vmcb, save.efer) == 0x4D0, "VMCB layout");
static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "VMCB layout");
static_assert(offsetof(struct vmcb, save.rsp) == 0x5D8, "VMCB layout");
static_assert(offsetof(struct vmcb, save.rax) == 0x5F8, "VMCB layout");
static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "VMCB layout");
static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB layout");
static_assert(offsetof(struct vmcb, save.dbgctl) == 0x670, "VMCB layout");
static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");

/* Built once, shared by every vCPU: the intercept tables do not change. */
static paddr_t msrpm_pa, iopm_pa, npt_root;

static enum err build_shared(const struct guest_memory_plan *plan)
{
	uint8_t *msrpm = page_alloc_contig(SVM_MSRPM_SIZE / PAGE_SIZE);
	uint8_t *iopm = page_alloc_contig(SVM_IOPM_SIZE / PAGE_SIZE);
	uint32_t bad;

	if (!msrpm || !iopm)
		return E_NOMEM;
	if (svm_msrpm_build(msrpm, msr_rules, msr_rule_count, &bad) != E_OK)
		panic("MSR %#x in the intercept table cannot be intercepted on SVM", bad);
	svm_iopm_build(iopm, io_rules, io_rule_count);
	msrpm_pa = virt_to_phys(msrpm);
	iopm_pa = virt_to_phys(iopm);
	return svm_npt_build(plan, &npt_root);
}

/* 12-bit VMCB attribute: type, S, DPL, P (bits 0-7) and AVL, L, DB, G. */
#define ATTR_CODE32 0xC9B  /* G, DB, P, S, execute/read accessed */
#define ATTR_DATA32 0xC93  /* G, DB, P, S, read/write accessed */
#define ATTR_TSS32_BUSY 0x8B
#define ATTR_LDT 0x82

/* A running CPU's state, to resume (VM_BOOT_RESUME): the UEFI firmware.
 * EFER gets SVME (VMRUN requires it; the guest's reads hide it). */
static void vmcb_load_state(struct vcpu *v, struct vmcb_save *g, const struct vm_cpu_state *st)
{
	struct vmcb_segment *slots[VM_SEG_COUNT] = {
		[VM_SEG_ES] = &g->es, [VM_SEG_CS] = &g->cs, [VM_SEG_SS] = &g->ss,
		[VM_SEG_DS] = &g->ds, [VM_SEG_FS] = &g->fs, [VM_SEG_GS] = &g->gs,
		[VM_SEG_LDTR] = &g->ldtr, [VM_SEG_TR] = &g->tr, [VM_SEG_GDTR] = &g->gdtr,
		[VM_SEG_IDTR] = &g->idtr,
	};

	for (unsigned i = 0; i < VM_SEG_COUNT; i++)
		*slots[i] = (struct vmcb_segment){ st->seg[i].selector, st->seg[i].attr,
						   st->seg[i].limit, st->seg[i].base };
	g->cpl = (uint8_t)((st->seg[VM_SEG_SS].attr >> 5) & 3); /* SS.DPL (APM 15.5.1) */
	g->efer = st->efer | EFER_SVME;
	g->cr0 = st->cr0;
	g->cr3 = st->cr3;
	g->cr4 = st->cr4;
	g->rflags = st->rflags;
	g->rip = st->rip;
	g->rsp = st->rsp;
	g->dr6 = 0xFFFF0FF0;
	g->dr7 = 0x400;
	g->g_pat = st->pat;
	v->regs = st->regs;
}

enum err svm_vcpu_init(struct vcpu *v, const struct guest_memory_plan *plan,
		       const struct vm_boot_state *boot)
{
	struct svm_vcpu *s = page_alloc();
	struct vmcb *vmcb = page_alloc();
	enum err e;

	if (!s || !vmcb)
		return E_NOMEM;
	if (!npt_root && (e = build_shared(plan)) != E_OK)
		return e;
	s->vmcb = vmcb;
	s->vmcb_pa = virt_to_phys(vmcb);
	s->cpu = this_cpu()->backend;
	v->backend = s;

	struct vmcb_control *c = &vmcb->control;

	/* Always on, for isolation: the SVM instructions (the guest must see
	 * SVM as absent: they #UD), SMI (so SMM never runs in guest mode
	 * under our intercepts: QEMU enters SMM without leaving the guest),
	 * shutdown, INVD (it would drop Shoji's dirty cache lines), and the
	 * MSR and port tables of kernel/intercept_rules.c.  CPUID, to hide
	 * what Shoji owns.  NMI: Shoji kicks a CPU out of the guest with one
	 * (INIT/SIPI emulation) and hands the guest's own back by EVENTINJ.
	 * Nothing else: interrupts, HLT and exceptions go to the guest
	 * directly. */
	/* MOV to CR4: the core checks it (kernel/cr_write.c); QEMU would
	 * fail the next VMRUN on a reserved bit instead of giving #GP. */
	c->intercept_cr = INTERCEPT_CR4_WRITE;
	c->intercept_misc1 = INTERCEPT_NMI | INTERCEPT_SMI | INTERCEPT_CPUID | INTERCEPT_INVD |
			     INTERCEPT_INVLPGA | INTERCEPT_IOIO | INTERCEPT_MSR | INTERCEPT_SHUTDOWN;
	if (core_config->test_hooks & CONFIG_TEST_SMI_PASSTHROUGH) /* test only: config.h */
		c->intercept_misc1 &= ~INTERCEPT_SMI;
	c->intercept_misc2 = INTERCEPT_VMRUN | INTERCEPT_VMMCALL | INTERCEPT_VMLOAD |
			     INTERCEPT_VMSAVE | INTERCEPT_STGI | INTERCEPT_CLGI | INTERCEPT_SKINIT;
	c->iopm_base_pa = iopm_pa;
	c->msrpm_base_pa = msrpm_pa;
	c->guest_asid = 1;
	c->tlb_control = 1; /* flush this ASID on the first VMRUN */
	c->np_control = 1;
	c->n_cr3 = npt_root;

	struct vmcb_save *g = &vmcb->save;

	if (boot->mode == VM_BOOT_RESUME) {
		vmcb_load_state(v, g, boot->resume);
		return E_OK;
	}
	g->cs = (struct vmcb_segment){ boot->code_selector, ATTR_CODE32, 0xFFFFFFFF, 0 };
	g->ds = g->es = g->ss = g->fs = g->gs =
		(struct vmcb_segment){ boot->data_selector, ATTR_DATA32, 0xFFFFFFFF, 0 };
	g->gdtr = (struct vmcb_segment){ 0, 0, boot->gdt_limit, boot->gdt_base };
	g->idtr = (struct vmcb_segment){ 0, 0, 0, 0 };
	g->tr = (struct vmcb_segment){ 0, ATTR_TSS32_BUSY, 0xFFFF, 0 };
	g->ldtr = (struct vmcb_segment){ 0, ATTR_LDT, 0xFFFF, 0 };
	g->cpl = 0;
	g->efer = EFER_SVME; /* required by VMRUN; hidden from the guest */
	g->cr0 = CR0_PE | CR0_ET;
	g->cr3 = 0;
	g->cr4 = 0;
	g->rflags = 0x2;
	g->rip = boot->eip;
	g->rsp = boot->esp;
	g->dr6 = 0xFFFF0FF0;
	g->dr7 = 0x400;
	g->g_pat = 0x0007040600070406ULL; /* the power-on PAT */
	v->regs = (struct gpregs){ .rax = boot->eax, .rbx = boot->ebx, .rsi = boot->esi };
	return E_OK;
}

uint64_t svm_get_reg(struct vcpu *v, enum vm_reg reg)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->backend)->vmcb->save;

	switch (reg) {
	case VM_REG_RSP: return g->rsp;
	case VM_REG_RIP: return g->rip;
	case VM_REG_RFLAGS: return g->rflags;
	case VM_REG_CR0: return g->cr0;
	case VM_REG_CR2: return g->cr2;
	case VM_REG_CR3: return g->cr3;
	case VM_REG_CR4: return g->cr4;
	case VM_REG_EFER: return g->efer;
	case VM_REG_DR6: return g->dr6;
	case VM_REG_DR7: return g->dr7;
	case VM_REG_PAT: return g->g_pat;
	case VM_REG_TSC_OFFSET: return ((struct svm_vcpu *)v->backend)->vmcb->control.tsc_offset;
	case VM_REG_DEBUGCTL: {
		uint64_t value = 0;

		msr_read_safe(MSR_DEBUGCTL, &value); /* see set_reg */
		return value;
	}
	default:
		if (reg <= VM_REG_R15)
			return ((const uint64_t *)&v->regs)[reg];
		panic("register %d has no SVM home", reg);
	}
}

void svm_set_reg(struct vcpu *v, enum vm_reg reg, uint64_t value)
{
	struct vmcb_save *g = &((struct svm_vcpu *)v->backend)->vmcb->save;

	switch (reg) {
	case VM_REG_RSP: g->rsp = value; break;
	case VM_REG_RIP: g->rip = value; break;
	case VM_REG_RFLAGS: g->rflags = value; break;
	case VM_REG_EFER: g->efer = value; break;
	case VM_REG_CR4:
		g->cr4 = value;
		/* PGE, PCIDE, PAE... changes flush the TLB as the MOV would. */
		((struct svm_vcpu *)v->backend)->vmcb->control.tlb_control = 1;
		break;
	case VM_REG_TSC_OFFSET:
		((struct svm_vcpu *)v->backend)->vmcb->control.tsc_offset = value;
		break;
	case VM_REG_DEBUGCTL:
		/* The VMCB's DBGCTL (save area 0x670) is switched only with LBR
		 * virtualization, which Shoji does not turn on: the guest runs
		 * with the real MSR, as when its WRMSR passed through, and
		 * Shoji's own code never depends on it (no TF, no BTS on AMD).
		 * The value passed kernel/msr.c's reserved-bit check; a CPU
		 * that still refuses it keeps its old value. */
		msr_write_safe(MSR_DEBUGCTL, value);
		break;
	default:
		if (reg <= VM_REG_R15) {
			((uint64_t *)&v->regs)[reg] = value;
			break;
		}
		panic("register %d cannot be set on SVM by the core", reg);
	}
}

void svm_get_seg(struct vcpu *v, enum vm_seg seg, struct vm_segment *out)
{
	/* The VMCB's order: ES CS SS DS FS GS GDTR LDTR IDTR TR. */
	static const uint8_t slot[VM_SEG_COUNT] = {
		[VM_SEG_ES] = 0, [VM_SEG_CS] = 1, [VM_SEG_SS] = 2, [VM_SEG_DS] = 3, [VM_SEG_FS] = 4,
		[VM_SEG_GS] = 5, [VM_SEG_GDTR] = 6, [VM_SEG_LDTR] = 7, [VM_SEG_IDTR] = 8, [VM_SEG_TR] = 9,
	};
	const struct vmcb_segment *s = &((struct svm_vcpu *)v->backend)->vmcb->save.es + slot[seg];

	*out = (struct vm_segment){ s->selector, s->attrib, s->limit, s->base };
}

void svm_get_paging(struct vcpu *v, struct vm_paging *out)
{
	const struct vmcb_save *g = &((struct svm_vcpu *)v->backend)->vmcb->save;

	*out = (struct vm_paging){
		.cr0 = g->cr0, .cr3 = g->cr3, .cr4 = g->cr4, .efer = g->efer, .rflags = g->rflags,
		.cs = { g->cs.selector, g->cs.attrib, g->cs.limit, g->cs.base },
	};
}

void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->backend)->vmcb->control;

	c->event_inject = vector | EVENT_TYPE_EXCEPTION | EVENT_VALID |
			  (has_error ? EVENT_ERROR_VALID | ((uint64_t)error << 32) : 0);
}

void svm_get_event_state(struct vcpu *v, struct vm_event_state *out)
{
	struct svm_vcpu *s = v->backend;

	out->if_set = s->vmcb->save.rflags & RFLAGS_IF;
	out->shadow = s->vmcb->control.int_state & INT_SHADOW;
	out->event_queued = s->vmcb->control.event_inject & EVENT_VALID;
	out->nmi_blocked = s->nmi_masked;
}

void svm_inject_nmi(struct vcpu *v)
{
	/* APM 15.20: an injected NMI blocks further NMIs until the guest's
	 * IRET, as a real one does; Shoji follows that IRET (nmi.c). */
	((struct svm_vcpu *)v->backend)->vmcb->control.event_inject =
		2 | EVENT_TYPE_NMI | EVENT_VALID;
	svm_nmi_injected(v->backend);
}

/* EVENTINJ type 0 (APM 15.20); a virtual interrupt waiting for the window
 * is withdrawn. */
void svm_inject_interrupt(struct vcpu *v, uint8_t vector)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->backend)->vmcb->control;

	c->event_inject = vector | EVENT_VALID;
	c->int_control &= ~(V_IRQ | 0xFFULL << V_INTR_VECTOR_SHIFT);
	c->intercept_misc1 &= ~(uint32_t)INTERCEPT_VINTR;
}

/* APM 15.21.4: a virtual interrupt (V_IRQ, highest priority, TPR ignored)
 * is taken when the guest has IF set and no shadow, after any event being
 * injected; the VINTR intercept turns that moment into an exit (exit.c),
 * and the core injects the real vector then.  In a shadow, a single step
 * instead: QEMU 7.2's VMRUN ignores int_state and would take the virtual
 * interrupt at once, inside the shadow. */
void svm_request_interrupt_window(struct vcpu *v, uint8_t vector)
{
	struct vmcb_control *c = &((struct svm_vcpu *)v->backend)->vmcb->control;

	if (!(c->event_inject & EVENT_VALID) && (c->int_state & INT_SHADOW)) {
		svm_step_start(v->backend, SVM_STEP_SHADOW);
		return;
	}

	c->int_control = (c->int_control & ~(0xFFULL << V_INTR_VECTOR_SHIFT)) | V_IRQ |
			 0xFULL << V_INTR_PRIO_SHIFT | V_IGN_TPR |
			 (uint64_t)vector << V_INTR_VECTOR_SHIFT;
	c->intercept_misc1 |= INTERCEPT_VINTR;
}

/* After INIT and SIPI (SDM 9.1.1, table 9-1): real mode, CS = vector << 8
 * with base vector << 12, IP 0, caches off, no event pending or blocked. */
void svm_set_startup_state(struct vcpu *v, uint8_t sipi_vector)
{
	struct svm_vcpu *s = v->backend;
	struct vmcb_save *g = &s->vmcb->save;
	struct cpuid_regs r;

	g->cs = (struct vmcb_segment){ (uint16_t)(sipi_vector << 8), 0x9B, 0xFFFF,
				       (uint64_t)sipi_vector << 12 };
	g->ds = g->es = g->ss = g->fs = g->gs = (struct vmcb_segment){ 0, 0x93, 0xFFFF, 0 };
	g->gdtr = g->idtr = (struct vmcb_segment){ 0, 0, 0xFFFF, 0 };
	g->ldtr = (struct vmcb_segment){ 0, ATTR_LDT, 0xFFFF, 0 };
	g->tr = (struct vmcb_segment){ 0, 0x83, 0xFFFF, 0 }; /* busy 16-bit TSS */
	g->cpl = 0;
	g->efer = EFER_SVME;
	g->cr0 = 0x60000010; /* CD, NW, ET */
	g->cr2 = g->cr3 = g->cr4 = 0;
	g->rflags = 0x2;
	g->rip = 0;
	g->rsp = 0;
	g->dr6 = 0xFFFF0FF0;
	g->dr7 = 0x400;
	g->g_pat = 0x0007040600070406ULL;
	s->vmcb->control.event_inject = 0;
	s->vmcb->control.int_state = 0;
	svm_nmi_state_reset(s);
	s->vmcb->control.int_control = 0;
	s->vmcb->control.tlb_control = 1;
	cpuid(1, 0, &r);
	v->regs = (struct gpregs){ .rdx = r.eax }; /* EDX: the processor's signature */
	v->fetch.valid = false;
}
