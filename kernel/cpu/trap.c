/* Exceptions taken by the core itself.  A fault in code that registered a
 * fixup (guest MSR accesses) resumes there; any other one is a core bug and
 * panics with the whole frame. */
#include "dom.h"
#include "lapic.h"
#include "log.h"
#include "panic.h"
#include "percpu.h"
#include "trap.h"
#include "x86.h"

struct extable_entry {
	uint64_t insn, fixup;
};

extern const struct extable_entry _extable_start[], _extable_end[];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15", "#MF x87 error",
	"#AC alignment check", "#MC machine check", "#XM SIMD error", "#VE virtualization",
	"#CP control protection", "reserved 22", "reserved 23", "reserved 24", "reserved 25",
	"reserved 26", "reserved 27", "#HV hypervisor injection", "#VC VMM communication",
	"#SX security", "reserved 31",
};

const char *trap_vector_name(unsigned vector)
{
	return vector < 32 ? exception_names[vector] : "interrupt";
}

bool trap_is_interrupt(const struct trap_frame *f, unsigned *vector)
{
	*vector = (unsigned)(f->vector & 0xFF);
	if (f->vector & TRAP_EXTERNAL)
		return true;
	if (f->vector >= 32)
		return f->vector < 256;
	/* An exception with an error code was told apart by the entry code;
	 * one without (16, 18, 19 can happen here; 20-31 cannot) sets no
	 * in-service bit, while a fixed interrupt does. */
	return f->vector >= 16 &&
	       (lapic_read(LAPIC_ISR + (f->vector / 32) * 0x10) & BIT(f->vector % 32));
}

static bool apply_fixup(struct trap_frame *f)
{
	for (const struct extable_entry *e = _extable_start; e < _extable_end; e++) {
		if (e->insn == f->rip) {
			f->rip = e->fixup;
			return true;
		}
	}
	return false;
}

void trap_frame_dump(const struct trap_frame *f)
{
	log_error("  rip %016lx cs %04lx rflags %016lx rsp %016lx ss %04lx", f->rip, f->cs,
		  f->rflags, f->rsp, f->ss);
	log_error("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	log_error("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx", f->rsi, f->rdi, f->rbp, f->r8);
	log_error("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx", f->r9, f->r10, f->r11, f->r12);
	log_error("  r13 %016lx r14 %016lx r15 %016lx", f->r13, f->r14, f->r15);
	log_error("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx", read_cr0(), read_cr2(),
		  read_cr3(), read_cr4());
}

void trap_dispatch(struct trap_frame *f)
{
	extern char ipc_gate_entry[], ipc_gate_entry_end[];
	unsigned vector;
	bool interrupt = trap_is_interrupt(f, &vector);

	if (!interrupt && apply_fixup(f))
		return;
	/* A domain called the gate with TF set: the single-step trap comes
	 * right after the far call, before the gate's first instruction.
	 * Clear TF and go on (issue #6 item 2: entry copes with TF). */
	if (f->vector == 1 && f->rip >= (uintptr_t)ipc_gate_entry &&
	    f->rip < (uintptr_t)ipc_gate_entry_end) {
		f->rflags &= ~RFLAGS_TF;
		return;
	}
	/* An interrupt in the gate's or the entry's code (IF is the domain's
	 * there until CLI). */
	if (interrupt && budget_interrupt(vector))
		return; /* the core taking its own budget interrupt (dom/budget.c) */
	if (interrupt && this_cpu()->dom_running) {
		dom_host_interrupt(vector);
		return;
	}
	if (interrupt && this_cpu()->draining)
		return; /* lapic_init_reset empties the APIC; it EOIs */
	if (interrupt)
		log_error("unexpected interrupt %u in the core (IF should be clear)", vector);
	else
		log_error("core exception %s (vector %lu) error code %#lx on CPU %u",
			  trap_vector_name((unsigned)f->vector), f->vector, f->error_code, this_cpu()->index);
	trap_frame_dump(f);
	panic("exception in ring 0 at %#lx", f->rip);
}
