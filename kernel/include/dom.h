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
struct budget;

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
	uint64_t mapped;               /* [cap_lock] slots whose memory grant is mapped */
	volatile uint64_t notify_word; /* [atomic] its notification: bits signalled, not yet polled */
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

/* Capabilities of domains (kernel/dom/caps.c).  One lock for every
 * CNode: the library takes none, and revoking reaches across domains. */
extern struct spinlock cap_lock;
enum err dom_caps_build(struct domain *d, char *why, size_t why_size);
void dom_caps_reset(struct domain *d);
/* A copy of the cap in d's slot if it has `type` and `rights`; E_DENIED
 * otherwise (an empty or out-of-range slot included). */
enum err dom_cap_get(struct domain *d, uint64_t slot, enum cap_type type, cap_rights_t rights,
		     struct cap *out);
/* The domain a cap's object names, if it is there. */
struct domain *dom_by_object(uint32_t object);
/* IPC_OP_REFRESH: the endpoint in d's slot names its callee's current
 * generation; E_DENIED if the slot holds no endpoint it may call. */
enum err dom_cap_refresh(struct domain *d, uint64_t slot);
/* Revokes everything derived from the manifest's grant in d's slot (the
 * domain's own copy included): the test hook's stand-in for an owner
 * taking a shared page back. */
enum err dom_cap_revoke_grant(struct domain *d, uint64_t slot);
/* IPC_OP_MAP: maps the memory cap in d's slot; *va gets its address.
 * E_DENIED if the slot holds no memory cap with the map right. */
enum err dom_cap_map(struct domain *d, uint64_t slot, uint64_t *va);
/* IPC_OP_CNODE (ipc/ABI.md): a capability operation on d's own CNode;
 * copy, mint and move put the result in the CNode of the domain behind
 * d's endpoint in slot `via` (which needs the grant right) if via is not
 * 0.  Decode errors are answered (E_RANGE, E_DENIED, E_EXISTS, E_INVAL). */
struct dom_cap_request {
	uint64_t op;       /* CAP_OP_* */
	uint64_t src, dst; /* slots */
	uint64_t via;      /* 0: d's own CNode */
	uint64_t rights;   /* mint: the new rights (CAP_R_*) */
	uint64_t badge;    /* mint */
};
enum err dom_cap_operate(struct domain *d, const struct dom_cap_request *rq);
/* Clears, in an I/O permission bitmap, the bits of the ports d holds. */
void dom_caps_iomap(const struct domain *d, uint8_t *iomap);

/* Address spaces (kernel/dom/space.c). */
enum err dom_space_build(struct domain *d, char *why, size_t why_size);
void dom_space_reset(struct domain *d);
/* Maps the memory cap c of d's slot at DOM_MAP_BASE + slot GiB (once). */
enum err dom_space_map_grant(struct domain *d, uint32_t slot, const struct cap *c, uint64_t *va);
/* Unmaps it if it is mapped, and returns only when no CPU can still use
 * it: a CPU running d gets an NMI that reloads its CR3 (a TLB shootdown). */
void dom_space_unmap_grant(struct domain *d, uint32_t slot, const struct cap *c);

/* Runs d in ring 3 with *regs until it enters the core again; *regs gets
 * its registers then, *exit the frame (vector IPC_GATE_VECTOR for the call
 * gate).  True if the call's budget ran out.  The caller holds d, within
 * budget_begin and budget_end. */
bool dom_run(struct domain *d, struct dom_regs *regs, struct trap_frame *exit,
	     struct budget *budget);

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
/* A call's budget: the time its domain may spend in ring 3.  The count
 * runs only while the domain does (it is paused while the core works,
 * which an emulator on a busy host may stall for milliseconds).  The
 * outermost call on a CPU borrows the local APIC timer from the guest;
 * budget_end of that call gives it back. */
struct budget {
	uint64_t left; /* timer ticks (divide by 1) */
};
void budget_begin(struct budget *b, uint32_t budget_us);
/* Around each stint of the domain in ring 3 (dom_run): pause says whether
 * the budget ran out. */
void budget_resume(struct budget *b);
bool budget_pause(struct budget *b);
void budget_end(struct budget *b);
/* The budget interrupt, told from a guest's on the same vector by the
 * timer's own count; true if it was the budget's (then EOI'd). */
bool budget_interrupt(unsigned vector);

#endif
