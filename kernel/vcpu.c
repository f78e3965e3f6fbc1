/* The run loop of a guest CPU and the exits simple enough to handle here.
 * Dispatch goes through one table with an explicit path for the unknown
 * (STYLE.md 7). */
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "dom.h"
#include "exit.h"
#include "gpregs_asm.h"
#include "log.h"
#include "panic.h"
#include "percpu.h"
#include "vcpus.h"
#include "x86.h"

/* The world switches' view of struct gpregs (gpregs_asm.h). */
static_assert(offsetof(struct gpregs, rax) == GPR_RAX && offsetof(struct gpregs, rbx) == GPR_RBX &&
		      offsetof(struct gpregs, rcx) == GPR_RCX &&
		      offsetof(struct gpregs, rdx) == GPR_RDX &&
		      offsetof(struct gpregs, rsi) == GPR_RSI &&
		      offsetof(struct gpregs, rdi) == GPR_RDI &&
		      offsetof(struct gpregs, rbp) == GPR_RBP && offsetof(struct gpregs, r8) == GPR_R8 &&
		      offsetof(struct gpregs, r15) == GPR_R15 && sizeof(struct gpregs) == GPR_R15 + 8,
	      "gpregs_asm.h disagrees with struct gpregs");

const enum vm_reg vm_reg_by_number[16] = {
	VM_REG_RAX, VM_REG_RCX, VM_REG_RDX, VM_REG_RBX, VM_REG_RSP, VM_REG_RBP, VM_REG_RSI,
	VM_REG_RDI, VM_REG_R8,	VM_REG_R9,  VM_REG_R10, VM_REG_R11, VM_REG_R12, VM_REG_R13,
	VM_REG_R14, VM_REG_R15,
};

#define VEC_UD 6
#define VEC_GP 13

void vcpu_inject_gp(struct vcpu *v)
{
	vm_backend->inject_exception(v, VEC_GP, true, 0);
}

void vcpu_dump(struct vcpu *v)
{
	const struct vm_ops *o = vm_backend;
	struct vm_segment cs, ss, ds;

	o->get_seg(v, VM_SEG_CS, &cs);
	o->get_seg(v, VM_SEG_SS, &ss);
	o->get_seg(v, VM_SEG_DS, &ds);
	log_error("  guest rip %016lx rsp %016lx rflags %08lx", o->get_reg(v, VM_REG_RIP),
		  o->get_reg(v, VM_REG_RSP), o->get_reg(v, VM_REG_RFLAGS));
	log_error("  cr0 %08lx cr2 %016lx cr3 %016lx cr4 %08lx efer %04lx",
		  o->get_reg(v, VM_REG_CR0), o->get_reg(v, VM_REG_CR2), o->get_reg(v, VM_REG_CR3),
		  o->get_reg(v, VM_REG_CR4), o->get_reg(v, VM_REG_EFER));
	log_error("  cs %04x base %lx attr %03x  ss %04x attr %03x  ds %04x base %lx", cs.selector,
		  cs.base, cs.attr, ss.selector, ss.attr, ds.selector, ds.base);
	log_error("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", v->regs.rax, v->regs.rbx,
		  v->regs.rcx, v->regs.rdx);
	log_error("  rsi %016lx rdi %016lx rbp %016lx", v->regs.rsi, v->regs.rdi, v->regs.rbp);
}

_Noreturn void guest_stop(struct vcpu *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("guest CPU %u stopped: %s", v->id, msg);
	vcpu_dump(v);
	log_error("the guest cannot continue; Shoji has halted this CPU");
	cpu_halt_forever();
}

_Noreturn void platform_reset(void)
{
	log_info("resetting the machine");
	outb(0xCF9, 0x02); /* reset control register: system reset, then go */
	outb(0xCF9, 0x06);
	outb(0x64, 0xFE); /* keyboard controller: pulse the reset line */
	log_error("the machine did not reset; halted");
	cpu_halt_forever();
}

void vcpu_skip_insn(struct vcpu *v, struct vm_exit *e)
{
	if (!e->insn_len && !(e->insn_len = (uint8_t)guest_insn_length(v, e))) {
		log_warn("cannot read or decode the guest instruction at %#lx; giving the guest #GP",
			 e->rip);
		vcpu_inject_gp(v);
		return;
	}
	e->complete = true;
}

static void vmexit_none(struct vcpu *v, struct vm_exit *e)
{
	(void)v;
	(void)e;
}

/* The virtualization instructions: SVM (and VMX) are hidden from the guest,
 * so they behave as on a CPU without them. */
static void vmexit_undefined(struct vcpu *v, struct vm_exit *e)
{
	log_debug("guest executed %s; #UD", e->raw.what);
	vm_backend->inject_exception(v, VEC_UD, false, 0);
}

/* INVD would discard dirty cache lines, Shoji's included: do WBINVD. */
static void vmexit_invd(struct vcpu *v, struct vm_exit *e)
{
	wbinvd();
	vcpu_skip_insn(v, e);
}

static void vmexit_triple_fault(struct vcpu *v, struct vm_exit *e)
{
	(void)e;
	log_error("guest CPU %u triple-faulted (shutdown); its state:", v->id);
	vcpu_dump(v);
	platform_reset();
}

static void vmexit_entry_failed(struct vcpu *v, struct vm_exit *e)
{
	guest_stop(v, "%s", e->raw.what);
}

static void vmexit_unknown(struct vcpu *v, struct vm_exit *e)
{
	guest_stop(v, "%s: code %#lx info %#lx %#lx", e->raw.what ? e->raw.what : "unknown exit",
		   e->raw.code, e->raw.info1, e->raw.info2);
}

typedef void (*exit_handler_fn)(struct vcpu *v, struct vm_exit *e);

static const exit_handler_fn exit_handlers[VM_EXIT_KIND_COUNT] = {
	[VM_EXIT_NONE] = vmexit_none,
	[VM_EXIT_CPUID] = vmexit_cpuid,
	[VM_EXIT_MSR] = vmexit_msr,
	[VM_EXIT_IO] = vmexit_io,
	[VM_EXIT_NESTED_FAULT] = vmexit_nested_fault,
	[VM_EXIT_UNDEFINED] = vmexit_undefined,
	[VM_EXIT_INVD] = vmexit_invd,
	[VM_EXIT_XSETBV] = vmexit_xsetbv,
	[VM_EXIT_CR_WRITE] = vmexit_cr_write,
	[VM_EXIT_TRIPLE_FAULT] = vmexit_triple_fault,
	[VM_EXIT_ENTRY_FAILED] = vmexit_entry_failed,
	[VM_EXIT_TASK_SWITCH] = vmexit_task_switch,
	[VM_EXIT_INTERRUPT_WINDOW] = vmexit_none, /* delivered before the next entry */
	[VM_EXIT_UNKNOWN] = vmexit_unknown,
};

static const char *const exit_names[VM_EXIT_KIND_COUNT] = {
	[VM_EXIT_NONE] = "NMI or SMI", [VM_EXIT_CPUID] = "CPUID", [VM_EXIT_MSR] = "MSR",
	[VM_EXIT_IO] = "I/O", [VM_EXIT_NESTED_FAULT] = "nested page fault",
	[VM_EXIT_UNDEFINED] = "virtualization instruction", [VM_EXIT_INVD] = "INVD",
	[VM_EXIT_XSETBV] = "XSETBV", [VM_EXIT_CR_WRITE] = "MOV to CR4",
	[VM_EXIT_TRIPLE_FAULT] = "triple fault", [VM_EXIT_ENTRY_FAILED] = "failed entry",
	[VM_EXIT_TASK_SWITCH] = "task switch", [VM_EXIT_INTERRUPT_WINDOW] = "interrupt window",
	[VM_EXIT_UNKNOWN] = "unknown",
};

_Noreturn void vcpu_run_loop(struct vcpu *v)
{
	struct vm_exit e = { .kind = VM_EXIT_NONE };

	for (;;) {
		vcpu_handle_requests(v, &e);
		vcpu_deliver_nmi(v, &e);
		vcpu_deliver_interrupts(v, &e);
		fpu_guest_restore(v->cpu); /* if a domain had the FPU */
		v->entered = true;
		vm_backend->vcpu_run(v, &e);
		v->cpu->tr_stale = true; /* dom_run reloads TR before a domain runs */
		if (!v->started_logged && e.kind != VM_EXIT_NONE &&
		    (unsigned)e.kind < VM_EXIT_KIND_COUNT) {
			v->started_logged = true;
			log_info("CPU %u (APIC %u): first VM exit since it started: %s at %#lx", v->id,
				 v->apic_id, exit_names[e.kind], e.rip);
		}
		exit_handler_fn handler = (unsigned)e.kind < VM_EXIT_KIND_COUNT
						  ? exit_handlers[e.kind]
						  : NULL;

		(handler ? handler : vmexit_unknown)(v, &e);
	}
}
