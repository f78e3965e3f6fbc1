/* Carrying out a task switch for a 32-bit guest (SDM Vol. 3A 8.3), which
 * VT-x cannot leave to the hardware: every task switch exits (Vol. 3C
 * 26.4.2), after the hardware checked the gate and the new TSS descriptor.
 * SVM with nested paging does not intercept them.
 *
 * Why in ring 0: the switch is one indivisible guest instruction (or event
 * delivery) that must finish before the guest runs again, and it needs only
 * the vCPU's state and guest memory; there is nothing to forward.  It reads
 * and writes guest memory only through the guest's own GDT, LDT and TSSes,
 * and everything wrong in them becomes the fault the hardware would raise.
 * Not emulated (the guest is stopped, saying so): 16-bit TSSes, and a TSS
 * or descriptor the core cannot reach in guest RAM (a #PF on hardware).
 * DR7's local enables are left as they are. */
#include "exit.h"
#include "guest.h"
#include "log.h"
#include "x86.h"

/* A 32-bit TSS (SDM Vol. 3A figure 8-2). */
#define TSS_LINK 0
#define TSS_CR3 28
#define TSS_EIP 32
#define TSS_EFLAGS 36
#define TSS_GPRS 40  /* EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
#define TSS_SEGS 72  /* ES CS SS DS FS GS, 4 bytes each */
#define TSS_LDT 96
#define TSS_SIZE 104
#define TSS_MIN_LIMIT 0x67     /* new TSS (#TS below) */
#define TSS_OLD_MIN_LIMIT 0x5F /* old TSS: the part written */

#define TYPE_TSS32 9
#define TYPE_BUSY 2            /* the busy bit in a TSS type */
#define TYPE_LDT 2
#define RFLAGS_NT BIT(14)
#define RFLAGS_VM BIT(17)
#define RFLAGS_VALID 0x003F7FD7ULL
#define CR0_TS BIT(3)

#define VEC_TS 10
#define VEC_NP 11
#define VEC_SS 12
#define VEC_GP 13

/* The TSS's order of segment registers. */
static const enum vm_seg tss_segs[6] = {
	VM_SEG_ES, VM_SEG_CS, VM_SEG_SS, VM_SEG_DS, VM_SEG_FS, VM_SEG_GS,
};

struct ts {
	struct vcpu *v;
	const struct vm_ops *o;
	struct gwalk_regs paging;
	unsigned ext;       /* EXT, bit 0 of fault error codes */
	uint8_t vector;     /* the fault the switch raised, if any */
	uint16_t error;
	bool unreachable;   /* guest memory the core cannot reach */
};

static bool fault(struct ts *t, uint8_t vector, uint16_t selector)
{
	t->vector = vector;
	t->error = (uint16_t)((selector & 0xFFFC) | t->ext);
	return false;
}

/* Copies to or from the guest's linear address space, page by page. */
static bool linear_access(struct ts *t, uint64_t linear, void *buf, size_t n, bool write)
{
	uint8_t *p = buf;

	while (n) {
		size_t chunk = PAGE_SIZE - (linear & (PAGE_SIZE - 1));
		paddr_t gpa;

		if (chunk > n)
			chunk = n;
		if (gwalk_translate(&t->paging, linear, gmem_read, NULL, &gpa, NULL) != E_OK ||
		    !(write ? gmem_write(gpa, p, chunk) : gmem_read(NULL, gpa, p, chunk))) {
			t->unreachable = true;
			return false;
		}
		linear = (uint32_t)(linear + chunk);
		p += chunk;
		n -= chunk;
	}
	return true;
}

/* The descriptor `sel` names, and its linear address; false if it lies
 * outside its table (no fault recorded: the caller's rule decides). */
static bool read_desc(struct ts *t, uint16_t sel, uint64_t *desc, uint64_t *where)
{
	struct vm_segment table;

	t->o->get_seg(t->v, (sel & 4) ? VM_SEG_LDTR : VM_SEG_GDTR, &table);
	if ((sel & 4) && !table.attr)
		return false;
	if ((uint32_t)(sel & ~7u) + 7 > table.limit)
		return false;
	*where = (uint32_t)(table.base + (sel & ~7u));
	return linear_access(t, *where, desc, 8, false);
}

static void desc_to_seg(uint64_t d, uint16_t sel, struct vm_segment *s)
{
	uint32_t limit = (uint32_t)((d & 0xFFFF) | (d >> 32 & 0xF0000));

	s->selector = sel;
	s->attr = (uint16_t)((d >> 40 & 0xFF) | (d >> 44 & 0xF00));
	s->base = (d >> 16 & 0xFFFFFF) | (d >> 56 & 0xFF) << 24;
	s->limit = (d & BIT(55)) ? limit << 12 | 0xFFF : limit;
}

/* Sets or clears the busy bit of the TSS descriptor at `where`. */
static bool set_busy(struct ts *t, uint64_t where, bool busy)
{
	uint8_t type;

	if (!linear_access(t, where + 5, &type, 1, false))
		return false;
	type = busy ? type | TYPE_BUSY : type & ~TYPE_BUSY;
	return linear_access(t, where + 5, &type, 1, true);
}

/* Loads one of the new task's segment registers with the checks of SDM
 * Vol. 3A table 8-1 (faults then belong to the new task). */
static bool load_seg(struct ts *t, enum vm_seg seg, uint16_t sel, unsigned cpl)
{
	struct vm_segment s = { .selector = sel };
	uint64_t d, where;

	if (!(sel & ~3u)) {
		if (seg == VM_SEG_CS || seg == VM_SEG_SS)
			return fault(t, VEC_TS, sel);
		t->o->set_seg(t->v, seg, &s);
		return true;
	}
	if (!read_desc(t, sel, &d, &where))
		return t->unreachable ? false : fault(t, VEC_TS, sel);
	unsigned type = d >> 40 & 0xF, dpl = d >> 45 & 3, rpl = sel & 3;
	bool present = d & BIT(47), is_code = type & 8, conforming = is_code && (type & 4);

	if (!(d & BIT(44)))
		return fault(t, VEC_TS, sel);
	if (seg == VM_SEG_CS) {
		if (!is_code || (conforming ? dpl > rpl : dpl != rpl))
			return fault(t, VEC_TS, sel);
		if (!present)
			return fault(t, VEC_NP, sel);
	} else if (seg == VM_SEG_SS) {
		if (is_code || !(type & 2) || rpl != cpl || dpl != cpl)
			return fault(t, VEC_TS, sel);
		if (!present)
			return fault(t, VEC_SS, sel);
	} else {
		if ((is_code && !(type & 2)) || (!conforming && (dpl < cpl || dpl < rpl)))
			return fault(t, VEC_TS, sel);
		if (!present)
			return fault(t, VEC_NP, sel);
	}
	if (!(type & 1)) { /* the accessed bit, as the hardware sets it */
		uint8_t access = (uint8_t)(d >> 40 | 1);

		if (!linear_access(t, where + 5, &access, 1, true))
			return false;
		d |= BIT(40);
	}
	desc_to_seg(d, sel, &s);
	t->o->set_seg(t->v, seg, &s);
	return true;
}

/* LDTR, then CS, SS and the data segments of the new task (8.3 step 11);
 * virtual-8086 tasks get real-mode style segments. */
static bool load_segments(struct ts *t, const uint32_t *tss, uint32_t eflags)
{
	uint16_t ldt = (uint16_t)tss[TSS_LDT / 4];
	struct vm_segment s = { .selector = ldt };
	uint64_t d, where;

	if (ldt & ~3u) {
		if ((ldt & 4) || !read_desc(t, ldt & ~4u, &d, &where))
			return t->unreachable ? false : fault(t, VEC_TS, ldt);
		if ((d >> 40 & 0x1F) != TYPE_LDT || !(d & BIT(47)))
			return fault(t, VEC_TS, ldt);
		desc_to_seg(d, ldt, &s);
	}
	t->o->set_seg(t->v, VM_SEG_LDTR, &s);
	if (eflags & RFLAGS_VM) {
		for (unsigned i = 0; i < 6; i++) {
			uint16_t sel = (uint16_t)tss[TSS_SEGS / 4 + i];
			struct vm_segment rs = { sel, 0xF3, 0xFFFF, (uint64_t)sel << 4 };

			t->o->set_seg(t->v, tss_segs[i], &rs);
		}
		return true;
	}
	unsigned cpl = tss[TSS_SEGS / 4 + 1] & 3;

	for (unsigned i = 0; i < 6; i++) {
		static const uint8_t order[6] = { 1, 2, 3, 0, 4, 5 }; /* CS SS DS ES FS GS */
		unsigned k = order[i];

		if (!load_seg(t, tss_segs[k], (uint16_t)tss[TSS_SEGS / 4 + k], cpl))
			return false;
	}
	return true;
}

/* The checks before anything changes (8.3 steps 2-4, table 8-1), as
 * faults of the old task.  The hardware made most of them before the exit
 * (26.4.2); made again they cost little and keep the core from depending
 * on one CPU's order of checks.  Reads the new TSS into tss. */
static bool check_new_task(struct ts *t, const struct vm_exit *e, uint64_t *desc, uint64_t *where,
			   uint32_t *tss)
{
	uint16_t sel = e->task.selector;
	bool iret = e->task.source == VM_TASK_IRET;
	struct vm_segment tr;
	uint8_t type;

	if ((sel & 4) || !read_desc(t, sel, desc, where))
		return t->unreachable ? false : fault(t, iret ? VEC_TS : VEC_GP, sel);
	type = *desc >> 40 & 0x1F;
	if ((type & ~TYPE_BUSY) != TYPE_TSS32 && (type & ~TYPE_BUSY) != 1)
		return fault(t, iret ? VEC_TS : VEC_GP, sel);
	if ((type & ~TYPE_BUSY) == 1)
		guest_stop(t->v, "task switch to a 16-bit TSS (selector %#x): not emulated", sel);
	if (iret != !!(type & TYPE_BUSY))
		return fault(t, iret ? VEC_TS : VEC_GP, sel);
	if (!(*desc & BIT(47)))
		return fault(t, VEC_NP, sel);
	struct vm_segment n;

	desc_to_seg(*desc, sel, &n);
	if (n.limit < TSS_MIN_LIMIT)
		return fault(t, VEC_TS, sel);
	t->o->get_seg(t->v, VM_SEG_TR, &tr);
	if ((tr.attr & 0xF) != (TYPE_TSS32 | TYPE_BUSY))
		guest_stop(t->v, "task switch from a 16-bit or no TSS (TR %#x): not emulated",
			   tr.selector);
	if (tr.limit < TSS_OLD_MIN_LIMIT)
		return fault(t, VEC_TS, tr.selector);
	return linear_access(t, (uint32_t)n.base, tss, TSS_SIZE, false);
}

/* Saves the old task (8.3 steps 5-7): busy bit, EFLAGS, EIP, GPRs and
 * selectors; the back link in the new TSS for CALL and events. */
static bool save_old_task(struct ts *t, const struct vm_exit *e, uint32_t eip,
			  uint64_t new_base)
{
	const struct vm_ops *o = t->o;
	struct vm_segment tr, gdtr;
	uint32_t state[10];
	uint16_t sel;

	o->get_seg(t->v, VM_SEG_TR, &tr);
	o->get_seg(t->v, VM_SEG_GDTR, &gdtr);
	if ((e->task.source == VM_TASK_JMP || e->task.source == VM_TASK_IRET) &&
	    !set_busy(t, (uint32_t)(gdtr.base + (tr.selector & ~7u)), false))
		return false;
	state[0] = eip;
	state[1] = (uint32_t)o->get_reg(t->v, VM_REG_RFLAGS);
	if (e->task.source == VM_TASK_IRET)
		state[1] &= ~(uint32_t)RFLAGS_NT;
	for (unsigned i = 0; i < 8; i++)
		state[2 + i] = (uint32_t)o->get_reg(t->v, vm_reg_by_number[i] /* the TSS holds them in x86 order */);
	if (!linear_access(t, tr.base + TSS_EIP, state, sizeof(state), true))
		return false;
	for (unsigned i = 0; i < 6; i++) {
		struct vm_segment s;

		o->get_seg(t->v, tss_segs[i], &s);
		if (!linear_access(t, tr.base + TSS_SEGS + 4 * i, &s.selector, 2, true))
			return false;
	}
	sel = tr.selector;
	if (e->task.source == VM_TASK_CALL || e->task.source == VM_TASK_IDT_GATE)
		return linear_access(t, new_base + TSS_LINK, &sel, 2, true);
	return true;
}

/* Loads the new task (8.3 steps 8-12): TR, CR0.TS, CR3, EFLAGS, EIP, GPRs,
 * LDTR and segments; then an exception's error code goes on its stack. */
static bool load_new_task(struct ts *t, const struct vm_exit *e, uint64_t desc,
			  const uint32_t *tss)
{
	const struct vm_ops *o = t->o;
	struct vm_segment tr;
	uint32_t eflags = (tss[TSS_EFLAGS / 4] & RFLAGS_VALID) | 2;

	desc_to_seg(desc | (uint64_t)TYPE_BUSY << 40, e->task.selector, &tr);
	o->set_seg(t->v, VM_SEG_TR, &tr);
	o->set_reg(t->v, VM_REG_CR0, o->get_reg(t->v, VM_REG_CR0) | CR0_TS);
	if (t->paging.cr0 & CR0_PG)
		o->set_reg(t->v, VM_REG_CR3, tss[TSS_CR3 / 4]);
	t->paging.cr3 = o->get_reg(t->v, VM_REG_CR3);
	if (e->task.source == VM_TASK_CALL || e->task.source == VM_TASK_IDT_GATE)
		eflags |= RFLAGS_NT;
	o->set_reg(t->v, VM_REG_RFLAGS, eflags);
	o->set_reg(t->v, VM_REG_RIP, tss[TSS_EIP / 4]);
	for (unsigned i = 0; i < 8; i++)
		o->set_reg(t->v, vm_reg_by_number[i], tss[TSS_GPRS / 4 + i]);
	if (!load_segments(t, tss, eflags))
		return false;
	if (e->task.has_error) {
		struct vm_segment ss;
		uint32_t esp = (uint32_t)o->get_reg(t->v, VM_REG_RSP) - 4, code = e->task.error;

		o->get_seg(t->v, VM_SEG_SS, &ss);
		if (!linear_access(t, (uint32_t)(ss.base + esp), &code, 4, true))
			return false;
		o->set_reg(t->v, VM_REG_RSP, esp);
	}
	return true;
}

/* The switch itself, 8.3 steps 2-12; false with t's fault (or with
 * t->unreachable) if it cannot complete. */
static bool switch_tasks(struct ts *t, const struct vm_exit *e, uint32_t eip)
{
	uint32_t tss[TSS_SIZE / 4];
	struct vm_segment new_tss;
	uint64_t desc, where;

	if (!check_new_task(t, e, &desc, &where, tss))
		return false;
	desc_to_seg(desc, e->task.selector, &new_tss);
	if (!save_old_task(t, e, eip, (uint32_t)new_tss.base))
		return false;
	if (e->task.source != VM_TASK_IRET && !set_busy(t, where, true))
		return false;
	return load_new_task(t, e, desc, tss);
}

/* VM_EXIT_TASK_SWITCH (VT-x only).  Needs e->task from the back end and,
 * for an instruction or software interrupt (task.advance), its length or
 * 0 to decode it.  The guest resumes in the new task, or with the fault
 * the switch raised queued, in the old task before the commit point (the
 * TSS checks) and in the new one after it (its segments). */
void vmexit_task_switch(struct vcpu *v, struct vm_exit *e)
{
	struct ts t = { .v = v, .o = vm_backend, .ext = e->task.external };
	uint32_t eip = (uint32_t)e->rip;

	t.paging = (struct gwalk_regs){ t.o->get_reg(v, VM_REG_CR0), t.o->get_reg(v, VM_REG_CR3),
					t.o->get_reg(v, VM_REG_CR4), t.o->get_reg(v, VM_REG_EFER) };
	if (t.paging.efer & EFER_LMA)
		guest_stop(v, "task switch in IA-32e mode (the hardware raises #GP first)");
	if (e->task.advance) {
		if (!e->insn_len && !(e->insn_len = (uint8_t)guest_insn_length(v, e))) {
			log_warn("task switch: cannot decode the guest instruction at %#lx; #GP", e->rip);
			vcpu_inject_gp(v);
			return;
		}
		eip += e->insn_len;
	}
	if (switch_tasks(&t, e, eip))
		return;
	if (t.unreachable)
		guest_stop(v, "task switch to %#x: a TSS or descriptor outside guest RAM or not "
			      "mapped (a #PF, not emulated)", e->task.selector);
	log_debug("task switch to %#x: fault %u (%#x)", e->task.selector, t.vector, t.error);
	t.o->inject_exception(v, t.vector, true, t.error);
}
