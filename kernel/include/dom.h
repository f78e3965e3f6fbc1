/* Ring-3 protection domains (SPEC.md "Architecture contract", issue #6):
 * each a program in its own address space, entered by the core to serve
 * one call at a time, ended and reloaded when it faults.  ipc/ABI.md is
 * the contract with the domains themselves. */
#ifndef SHOJI_DOM_H
#define SHOJI_DOM_H

#include "cap_space.h"
#include "dom_elf.h"
#include "errors.h"
#include "manifest.h"
#include "pagetable.h"
#include "spinlock.h"
#include "trap.h"
#include "types.h"

struct pcpu;

#define DOM_USER_START 0x400000ULL
#define DOM_STACK_TOP 0x7FFF00000000ULL
#define DOM_USER_END (DOM_STACK_TOP - GiB(1)) /* images stay below the stack */
#define DOM_MAP_BASE 0x10000000000ULL
#define DOM_MAX 8
#define DOM_NAME_MAX 16
#define IPC_GATE_VECTOR 256 /* trap_frame.vector of a call-gate entry */

/* The registers a domain runs with, in the order dom_enter_asm pops them
 * (then POPFQ, then a far return's RIP, CS, RSP, SS). */
struct dom_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rflags, rip, cs, rsp, ss;
};

enum dom_state {
	DOM_READY, /* serving calls */
	DOM_DOWN,  /* crashed; reloaded, waiting out its back-off before INIT */
};

/* Legend: [init] set when the domain is first built; [lock] under `lock`
 * (held for a whole call, by the CPU running it). */
struct domain {
	struct spinlock lock;
	volatile uint32_t holder;      /* [atomic] 1 + index of the CPU in a call, or 0 */
	const struct manifest_domain *desc; /* [init] */
	uint32_t index;                /* [init] its place in the manifest */
	bool present;                  /* [init] built and started once */
	struct pt_ctx space;           /* [init] its page tables (kept across restarts) */
	struct dom_elf elf;            /* [init] */
	void *segment_pages[DOM_ELF_MAX_SEGMENTS]; /* [init] direct-map copies */
	void *stack_pages;             /* [init] */
	uint32_t generation;           /* [lock] 1 at the first start */
	enum dom_state state;          /* [lock] */
	uint64_t restart_at;           /* [lock] TSC when a DOWN domain may start */
	uint64_t last_crash;           /* [lock] TSC of the last crash */
	uint32_t backoff_ms;           /* [lock] wait before the next restart */
	uint64_t crashed_at;           /* [lock] TSC of the crash being recovered */
	/* The last crash, for callers and tests. */
	uint64_t last_fault_vector, last_fault_addr; /* [lock] */
	uint64_t calls;                /* [lock] calls served */
	void *fpu_area;                /* [init] manifest fpu: its state between entries */
	bool fpu_fresh;                /* [lock] the next entry starts a call */
	/* Capabilities, under cap_lock: the manifest's grants in a CNode of
	 * the core's (the roots), and the domain's own CNode of copies, which
	 * a restart rebuilds. */
	struct cte root_slots[MANIFEST_CNODE_SLOTS], slots[MANIFEST_CNODE_SLOTS];
	struct cnode roots, cnode;
};

extern struct domain domains[DOM_MAX];
extern unsigned dom_count;

/* Builds every domain of the manifest and starts it (its INIT call).
 * Runs on the boot CPU once every CPU is up: domains' tables map each
 * CPU's entry structures. */
void dom_start_all(void);
struct domain *dom_find(const char *name);

/* Capabilities of domains (kernel/dom/caps.c).  One lock for every
 * CNode: the library takes none, and revoking reaches across domains. */
extern struct spinlock cap_lock;
enum err dom_caps_build(struct domain *d, char *why, size_t why_size);
void dom_caps_reset(struct domain *d);
/* The endpoint in d's slot: E_DENIED if the slot (or index) holds none or
 * lacks the call right. */
enum err dom_cap_endpoint(struct domain *d, uint64_t slot, struct domain **target,
			  uint32_t *generation, uint64_t *badge);
/* IPC_OP_REFRESH: the endpoint in d's slot names its callee's current
 * generation; E_DENIED as above. */
enum err dom_cap_refresh(struct domain *d, uint64_t slot);
/* Clears, in an I/O permission bitmap, the bits of the ports d holds. */
void dom_caps_iomap(const struct domain *d, uint8_t *iomap);

/* Address spaces (kernel/dom/space.c). */
enum err dom_space_build(struct domain *d, char *why, size_t why_size);
void dom_space_reset(struct domain *d);

/* Runs d in ring 3 with *regs until it enters the core again, for at most
 * budget_us; *regs gets its registers then, *exit the frame (vector
 * IPC_GATE_VECTOR for the call gate).  True if the budget ran out.  The
 * caller holds d. */
bool dom_run(struct domain *d, struct dom_regs *regs, struct trap_frame *exit, uint32_t budget_us);

/* Ends d after a fault (logged with the frame); reloads it with the next
 * generation, to start after its back-off.  The caller holds d. */
void dom_crash(struct domain *d, const struct trap_frame *f, const char *what);

/* Brings a DOWN domain back if its back-off is over (its INIT call);
 * E_DEAD if it must wait more or INIT failed.  The caller holds d. */
enum err dom_ensure_ready(struct domain *d);

/* Serialized entry: E_BUSY if this CPU already holds d (a call cycle) or
 * another CPU held it past the wait limit. */
enum err dom_acquire(struct domain *d);
void dom_release(struct domain *d);

/* Interrupts taken by the core while it was in a domain or its entry code. */
void dom_host_interrupt(uint64_t vector);

/* The FPU (kernel/dom/fpu.c).  FPU_OWNER_GUEST: the guest's state is in
 * the registers (the state after every VM exit). */
#define FPU_OWNER_GUEST ((struct domain *)0)
void fpu_init(void);
void *fpu_area_alloc(void);
/* Before d runs: an FPU domain gets its state in the registers (the
 * initial one if fresh: a new call), any other runs with CR0.TS set. */
void fpu_enter(struct domain *d, bool fresh);
/* After d ran: clears CR0.TS again. */
void fpu_leave(struct domain *d);
/* Before a VM entry: the guest's state back in the registers. */
void fpu_guest_restore(struct pcpu *cpu);

/* Budgets (kernel/dom/budget.c).  The vector is in the top priority
 * class, so no guest interrupt in service holds it off through the PPR;
 * Linux leaves 0xF0 to KVM hosts (posted interrupts). */
#define BUDGET_VECTOR 0xF0
void budget_calibrate(void);
/* Lends the local APIC timer to a domain about to run for budget_us. */
void budget_arm(uint32_t budget_us);
/* Gives the timer back to the guest; true if the budget ran out. */
bool budget_disarm(void);
/* The budget interrupt, told from a guest's on the same vector by the
 * timer's own count; true if it was the budget's (then EOI'd). */
bool budget_interrupt(unsigned vector);

#endif
