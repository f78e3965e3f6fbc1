/* Domains: building them from the manifest, serialized entry, crashes and
 * restarts with generation numbers and back-off (issue #6 items 1, 5, 8). */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "delay.h"
#include "dom.h"
#include "ipc.h"
#include "lapic.h"
#include "log.h"
#include "percpu.h"
#include "trap.h"
#include "vcpus.h"
#include "vm.h"
#include "x86.h"

struct domain domains[DOM_MAX];
unsigned dom_count;

/* Another CPU may hold a domain for one call, bounded by the domain's
 * budget; waiting twice that plus a margin means something is stuck. */
#define DOM_WAIT_MS(d) (2 * ((d)->desc->budget_us / 1000 + 1) + 100)
/* Back-off doubles from the manifest's first wait up to 64 times that,
 * and never past a second. */
#define BACKOFF_MAX_MS 1000
#define BACKOFF_CAP_MS(d) MIN(BACKOFF_MAX_MS, 64 * (d)->desc->backoff_ms)

enum err dom_acquire(struct domain *d)
{
	uint32_t me = this_cpu()->index + 1;

	if (__atomic_load_n(&d->holder, __ATOMIC_ACQUIRE) == me)
		return E_BUSY; /* already in the call chain on this CPU */
	uint64_t give_up = rdtsc() + DOM_WAIT_MS(d) * tsc_khz;

	while (!spin_trylock(&d->lock)) {
		if (rdtsc() > give_up) {
			log_warn("domain %s: CPU %u waited %u ms for CPU %u's call; giving up",
				 d->desc->name, me - 1, DOM_WAIT_MS(d), d->holder - 1);
			return E_BUSY;
		}
		cpu_relax();
	}
	__atomic_store_n(&d->holder, me, __ATOMIC_RELEASE);
	return E_OK;
}

void dom_release(struct domain *d)
{
	__atomic_store_n(&d->holder, 0, __ATOMIC_RELEASE);
	spin_unlock(&d->lock);
}

bool dom_run(struct domain *d, struct dom_regs *regs, struct trap_frame *exit,
	     struct budget *budget)
{
	struct trap_frame *dom_enter_asm(struct dom_regs *frame, uint64_t cr3);
	struct pcpu *cpu = this_cpu();
	struct dom_regs *frame = (struct dom_regs *)(cpu->entry_stack_top - sizeof(*frame));
	struct domain *outer = cpu->dom_running;

	/* After a VM exit on VT-x TR's limit is 0x67 (SDM Vol. 3C 28.5.2),
	 * which would deny every port, granted ones too: reload it. */
	if (cpu->tr_stale) {
		cpu->gdt[GDT_TSS / 8] &= ~BIT(41); /* busy -> available, for LTR */
		__asm__ volatile("ltr %w0" : : "r"((uint16_t)GDT_TSS) : "memory");
		cpu->tr_stale = false;
	}
	*frame = *regs;
	frame->rflags &= ~(uint64_t)(RFLAGS_IF | RFLAGS_TF | RFLAGS_IOPL);
	frame->cs = GDT_USER_CODE | 3;
	frame->ss = GDT_USER_DATA | 3;
	/* TPR 0 while a domain runs: on VT-x the guest's CR8 is the real TPR
	 * and could hold off the core's own interrupts (issue #6 item 4). */
	uint64_t tpr = read_cr8();

	if (tpr)
		write_cr8(0);
	fpu_enter(d, d->fpu_fresh);
	d->fpu_fresh = false;
	cpu->dom_running = d;
	vm_backend->host_allow_events(true);
	budget_resume(budget);
	const struct trap_frame *f = dom_enter_asm(frame, d->space.root);
	bool over = budget_pause(budget);

	vm_backend->host_allow_events(false);
	fpu_leave(d);
	cpu->dom_running = outer;
	if (tpr)
		write_cr8(tpr);
	*exit = *f;
	static_assert(offsetof(struct trap_frame, rax) == offsetof(struct dom_regs, rax),
		      "the exit frame and the entry registers share r15 .. rax");
	memcpy(regs, f, offsetof(struct dom_regs, rflags)); /* r15 .. rax */
	regs->rflags = f->rflags;
	regs->rip = f->rip;
	regs->rsp = f->rsp;
	return over;
}

static const char *fault_what(const struct trap_frame *f, char *buf, size_t n)
{
	if (f->vector < 32)
		snprintf(buf, n, "%s", trap_vector_name((unsigned)f->vector));
	else
		snprintf(buf, n, "vector %lu", f->vector);
	return buf;
}

void dom_crash(struct domain *d, const struct trap_frame *f, const char *what)
{
	char name[48];
	uint64_t now = rdtsc();
	uint64_t addr = f->vector == 14 ? read_cr2() : f->rip;

	if (!what)
		what = fault_what(f, name, sizeof(name));
	log_error("domain %s (generation %u) crashed: %s at rip %#lx, address %#lx, error code "
		  "%#lx", d->desc->name, d->generation, what, f->rip, addr, f->error_code);
	log_error("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	log_error("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx", f->rsi, f->rdi, f->rbp, f->rsp);
	log_error("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx", f->r8, f->r9, f->r10, f->r11);
	log_error("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx rflags %lx", f->r12, f->r13,
		  f->r14, f->r15, f->rflags);
	d->last_fault_vector = f->vector;
	d->last_fault_addr = addr;

	/* Back-off: a crash within a second of the last one doubles the wait
	 * before the next start (up to a second); a quiet second resets it. */
	if (d->last_crash && now - d->last_crash < 1000 * tsc_khz)
		d->backoff_ms = d->backoff_ms ? MIN(d->backoff_ms * 2, BACKOFF_CAP_MS(d))
					      : MIN(d->desc->backoff_ms, BACKOFF_CAP_MS(d));
	else
		d->backoff_ms = 0;
	d->last_crash = now;
	d->crashed_at = now;
	d->restart_at = now + d->backoff_ms * tsc_khz;
	d->generation++;
	d->state = DOM_DOWN;
	dom_space_reset(d);
	dom_caps_reset(d);
	__atomic_store_n(&d->notify_word, 0, __ATOMIC_RELEASE);
	log_info("domain %s reloaded as generation %u; it starts %s", d->desc->name, d->generation,
		 d->backoff_ms ? "after its back-off" : "now");
	if (d->backoff_ms)
		log_info("  back-off %u ms (it crashed again within a second)", d->backoff_ms);
}

enum err dom_ensure_ready(struct domain *d)
{
	if (d->state == DOM_READY)
		return E_OK;
	if (rdtsc() < d->restart_at)
		return E_DEAD;
	struct ipc_msg init = { .label = IPC_LABEL_INIT, .in = { d->generation } };

	d->state = DOM_READY;
	enum err e = ipc_serve(d, 0, &init);

	if (e == E_OK)
		e = (enum err)init.reply_label;
	if (e != E_OK) {
		if (d->state == DOM_READY) { /* it answered, but not OK: try later */
			log_error("domain %s: its start (INIT) answered %s", d->desc->name,
				  err_name(e));
			d->state = DOM_DOWN;
			d->restart_at = rdtsc() + BACKOFF_MAX_MS * tsc_khz;
		}
		return E_DEAD;
	}
	if (d->crashed_at)
		log_info("domain %s restarted: generation %u serves %lu us after the crash",
			 d->desc->name, d->generation, (rdtsc() - d->crashed_at) * 1000 / tsc_khz);
	else
		log_info("domain %s started: generation %u", d->desc->name, d->generation);
	return E_OK;
}

void dom_start_all(void)
{
	char why[160];

	dom_count = MIN(manifest_domain_count, DOM_MAX);
	if (manifest_domain_count > DOM_MAX)
		log_error("the manifest lists %u domains; Shoji starts the first %u",
			  manifest_domain_count, DOM_MAX);
	for (unsigned i = 0; i < dom_count; i++) {
		struct domain *d = &domains[i];
		const struct manifest_domain *desc = &manifest_domains[i];

		d->desc = desc;
		d->index = i;
		if (dom_caps_build(d, why, sizeof(why)) != E_OK ||
		    dom_space_build(d, why, sizeof(why)) != E_OK) {
			log_error("domain %s not started: %s", desc->name, why);
			continue;
		}
		if (desc->fpu && !(d->fpu_area = fpu_area_alloc())) {
			log_error("domain %s not started: no memory for its FPU state", desc->name);
			continue;
		}
		d->generation = 1;
		d->state = DOM_DOWN; /* until its INIT is answered */
		d->present = true;
		log_info("domain %s loaded: %u segments, entry %#lx, stack %u KiB, budget %u us, "
			 "%u capabilities", desc->name, d->elf.count, d->elf.entry,
			 desc->stack_size / 1024, desc->budget_us, desc->cap_count);
		if (dom_acquire(d) == E_OK) {
			dom_ensure_ready(d);
			dom_release(d);
		}
	}
}

/* A guest's interrupt taken while a domain ran (TPR 0 and IF set there):
 * its vector stays in service in the local APIC, and the guest gets it at
 * its next entry on this CPU, where its handler's EOI ends it.  Before the
 * guest has ever run (domains start at boot), an interrupt belongs to the
 * firmware that programmed the controllers, not to the system about to
 * boot: it is ended here, at the local APIC or (an ExtINT from the 8259,
 * which sets no in-service bit) at the PIC. */
void dom_host_interrupt(uint64_t vector)
{
	struct vcpu *v = this_cpu()->vcpu;

	if (budget_interrupt((unsigned)vector))
		return;
	if (v && v->entered) {
		log_debug("CPU %u: vector %lu taken in a domain; posted to the guest",
			  this_cpu()->index, vector);
		vcpu_post_interrupt(v, (uint8_t)vector);
		return;
	}
	if (lapic_read(LAPIC_ISR + (vector / 32) * 0x10) & BIT(vector % 32)) {
		lapic_write(LAPIC_EOI, 0);
	} else {
		outb(0xA0, 0x20); /* non-specific EOI, slave then master */
		outb(0x20, 0x20);
	}
	log_debug("CPU %u: interrupt vector %lu before the guest started; ended", this_cpu()->index,
		  vector);
}
