/* The core's view of a guest CPU, and the one ops table a back end (svm/,
 * later vmx/) provides.  The core owns policy (what to intercept, how to
 * answer CPUID, MSRs, ports, nested page faults); a back end only programs
 * its hardware structure and reports exits in this vendor-neutral form
 * (STYLE.md 4-6, bhyve's vmm_ops and vm_exit). */
#ifndef SHOJI_VM_H
#define SHOJI_VM_H

#include "errors.h"
#include "gwalk.h"
#include "spinlock.h"
#include "types.h"

struct pcpu;
struct guest_memory_plan;

enum vm_reg {
	VM_REG_RAX, VM_REG_RBX, VM_REG_RCX, VM_REG_RDX, VM_REG_RSI, VM_REG_RDI, VM_REG_RBP,
	VM_REG_R8, VM_REG_R9, VM_REG_R10, VM_REG_R11, VM_REG_R12, VM_REG_R13, VM_REG_R14,
	VM_REG_R15,
	VM_REG_RSP, VM_REG_RIP, VM_REG_RFLAGS,
	VM_REG_CR0, VM_REG_CR2, VM_REG_CR3, VM_REG_CR4, VM_REG_EFER,
	VM_REG_DR6, VM_REG_DR7, VM_REG_PAT,
	VM_REG_TSC_OFFSET,      /* guest TSC = host TSC + offset */
	VM_REG_DEBUGCTL,        /* the IA32_DEBUGCTL the guest runs with */
	VM_REG_COUNT,
};

/* x86 register numbers (ModRM, REX-extended; VT-x exit qualifications;
 * the TSS's order) to the core's registers (kernel/vcpu.c). */
extern const enum vm_reg vm_reg_by_number[16];

enum vm_seg { VM_SEG_ES, VM_SEG_CS, VM_SEG_SS, VM_SEG_DS, VM_SEG_FS, VM_SEG_GS,
	      VM_SEG_LDTR, VM_SEG_TR, VM_SEG_GDTR, VM_SEG_IDTR, VM_SEG_COUNT };

/* A segment register, hidden part included.  `attr` uses the layout of
 * descriptor bits 40-47 and 52-55 packed into 12 bits (type, S, DPL, P,
 * AVL, L, D/B, G), which is also the VMCB's. */
struct vm_segment {
	uint16_t selector;
	uint16_t attr;
	uint32_t limit;
	uint64_t base;
};
#define SEG_ATTR_L BIT(9)
#define SEG_ATTR_DB BIT(10)

/* General registers the entry/exit code saves; RSP, RIP and RFLAGS stay in
 * the back end's structure and are reached through get_reg/set_reg. */
struct gpregs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

enum vm_exit_kind {
	VM_EXIT_NONE,           /* handled inside the back end; run again */
	VM_EXIT_CPUID,
	VM_EXIT_MSR,            /* an intercepted RDMSR or WRMSR */
	VM_EXIT_IO,             /* an intercepted IN/OUT */
	VM_EXIT_NESTED_FAULT,   /* NPF / EPT violation */
	VM_EXIT_UNDEFINED,      /* an instruction the guest must see as #UD
				   (the virtualization instructions: Shoji is hidden) */
	VM_EXIT_INVD,
	VM_EXIT_XSETBV,         /* VT-x exits on every XSETBV */
	VM_EXIT_CR_WRITE,       /* a MOV to a control register the core checks */
	VM_EXIT_TRIPLE_FAULT,   /* shutdown */
	VM_EXIT_ENTRY_FAILED,   /* the hardware refused the guest state */
	VM_EXIT_TASK_SWITCH,    /* VT-x: a task switch, for the core to carry out */
	VM_EXIT_INTERRUPT_WINDOW, /* the guest can take an external interrupt now */
	VM_EXIT_UNKNOWN,        /* an exit the back end did not expect */
	VM_EXIT_KIND_COUNT,
};

/* One exit, as the back end reports it and the core answers it (after
 * bhyve's vm_exit).  The same structure goes back into the next vcpu_run:
 * if the core set `complete`, the back end first moves the guest's RIP
 * past the instruction (insn_len bytes), so the handlers never touch RIP. */
struct vm_exit {
	enum vm_exit_kind kind;
	bool complete;          /* core: the instruction was carried out */
	bool in_delivery;       /* back end: the exit interrupted an event's delivery,
				   which it will deliver again */
	uint8_t insn_len;       /* back end, or core if 0: the instruction's length */
	uint64_t rip;           /* back end: where the guest was */
	union {
		struct { bool write; uint32_t msr; } msr;
		struct {
			bool in, string, rep;
			uint8_t size;   /* 1, 2 or 4 */
			uint16_t port;
		} io;
		struct {
			paddr_t gpa;
			bool read, write, fetch, present;
		} npf;
		struct {
			uint8_t cr;
			bool value_known; /* else the core decodes the MOV */
			uint64_t value;
		} cr;
		struct {
			uint16_t selector; /* the new task's TSS */
			uint8_t source;    /* enum vm_task_source */
			bool advance;      /* the old task resumes after the instruction
					      (insn_len; the core decodes it if 0) */
			bool external;     /* an external event: EXT in fault error codes */
			bool has_error;    /* an exception's error code for the new stack */
			uint32_t error;
		} task;
		struct { const char *what; uint64_t code, info1, info2; } raw;
	};
};

/* What started a task switch (VT-x's encoding, SDM Vol. 3C table 28-2). */
enum vm_task_source { VM_TASK_CALL, VM_TASK_IRET, VM_TASK_JMP, VM_TASK_IDT_GATE };

/* What decoding a guest instruction needs (bhyve's vm_guest_paging). */
struct vm_paging {
	uint64_t cr0, cr3, cr4, efer, rflags;
	struct vm_segment cs;
};

/* A CPU's whole state as it was running: what the guest resumes when
 * Shoji takes over running code (the UEFI firmware that called the
 * loader).  Segments carry their hidden parts; GDTR and IDTR only base and
 * limit.  System registers the state does not name (DR0-3, the SYSCALL
 * and SYSENTER MSRs, KERNEL_GS_BASE, CR2, CR8) start as after reset. */
struct vm_cpu_state {
	struct gpregs regs;
	uint64_t rip, rsp, rflags;
	uint64_t cr0, cr3, cr4, efer, pat;
	struct vm_segment seg[VM_SEG_COUNT];
};

/* How a guest starts.
 * VM_BOOT_PROTECTED32: 32-bit protected mode, paging off, flat segments
 * (both the Linux 32-bit boot protocol and multiboot ask for this), from
 * the fields below.
 * VM_BOOT_RESUME: exactly the state in *resume (only the boot CPU; the
 * others wait for the guest's start-up IPI either way). */
enum vm_boot_mode { VM_BOOT_PROTECTED32, VM_BOOT_RESUME };

struct vm_boot_state {
	enum vm_boot_mode mode;
	uint32_t eip, esp, eax, ebx, esi;
	uint32_t gdt_base;
	uint16_t gdt_limit;
	uint16_t code_selector, data_selector;
	const struct vm_cpu_state *resume; /* VM_BOOT_RESUME */
};

/* What stands between the guest and an event right now (SDM Vol. 3C
 * 24.4.2 interruptibility state; APM Vol. 2 15.20-15.21), as the back end
 * reports it; the core's rules (kernel/event_rules.c) decide from it. */
struct vm_event_state {
	bool if_set;       /* RFLAGS.IF */
	bool shadow;       /* blocking by STI or MOV SS (the interrupt shadow) */
	bool event_queued; /* an event is queued for the next entry */
	bool nmi_blocked;  /* the guest is in its NMI handler (until its IRET) */
};

/* The last translation of the guest's code page (kernel/guest/fetch.c). */
struct fetch_cache {
	bool valid;
	uint64_t cr3, cr4, efer, linear_page;
	paddr_t gpa_page;
	bool plain_ram;            /* gpa_page is guest RAM, outside Shoji's region */
	struct gwalk_trace trace;
};

enum vcpu_state {
	VCPU_RUNNING,   /* running the guest (or about to) */
	VCPU_WAIT_SIPI, /* after INIT: waiting inside Shoji for a start-up IPI */
};

/* Requests one CPU makes of another's vCPU (kernel/vcpus.c). */
#define VCPU_REQ_INIT BIT(0)
#define VCPU_REQ_SIPI BIT(1)

/* Legend: [init] set before the vCPU first runs; [own] touched only by the
 * CPU running it; [lock] under `lock`, by any CPU; [atomic] any CPU. */
struct vcpu {
	struct gpregs regs;        /* [own] guest GPRs while in the core */
	uint32_t id;               /* [init] index; also the physical CPU's */
	uint32_t apic_id;          /* [init] the physical (= virtual) APIC ID */
	struct pcpu *cpu;          /* [init] where it runs */
	void *backend;             /* [init] the back end's per-vCPU state */
	enum vcpu_state state;     /* [lock] written by its own CPU only */
	struct spinlock lock;
	volatile uint32_t requests;/* [lock] VCPU_REQ_* */
	uint8_t sipi_vector;       /* [lock] with VCPU_REQ_SIPI */
	volatile uint32_t kick_outstanding; /* [atomic] a kick NMI is on its way */
	bool nmi_pending;          /* [own] a guest NMI waiting to be injected */
	/* External vectors waiting for the guest (vcpu_post_interrupt; also
	 * set by this CPU's host interrupt path, hence atomic). */
	uint64_t irq_pending[4];   /* [own, atomic] */
	bool started_logged;       /* [own] the first exit after a start was logged */
	bool entered;              /* [own] the guest has run on this vCPU */
	/* The guest's last start of its local APIC timer (xAPIC writes trap). */
	uint64_t timer_armed_tsc;  /* [own] */
	uint32_t timer_armed_count;/* [own] */
	bool timer_expiry_posted;  /* [own] the core posted that count's interrupt */
	bool test_nmi_in_entry_window; /* [own] test hook (kernel/test_hooks.c) */
	/* The guest's local APIC as its trapped writes set it. */
	uint32_t icr_high, ldr, dfr; /* [lock] (ldr/dfr read by senders) */
	uint64_t apic_base;        /* [own] IA32_APIC_BASE as the guest last wrote it */
	uint64_t tsc_adjust;       /* [own] guest IA32_TSC_ADJUST (when emulated) */
	uint8_t kbc_pending_cmd;   /* [own] keyboard-controller command awaiting data */
	struct fetch_cache fetch;  /* [own] */
};

struct vm_ops {
	const char *name;
	/* True if this CPU can run Shoji with this back end; else a reason. */
	bool (*probe)(char *why, size_t why_size);
	/* Turns virtualization on for the calling CPU. */
	enum err (*cpu_enable)(struct pcpu *cpu);
	/* Creates the back end's state for a vCPU: intercepts, nested page
	 * tables from the core's plan, the initial guest state. */
	enum err (*vcpu_init)(struct vcpu *v, const struct guest_memory_plan *plan,
			      const struct vm_boot_state *boot);
	/* Completes the last exit (see struct vm_exit), runs the guest until
	 * an exit the core must handle, and describes it in *exit. */
	void (*vcpu_run)(struct vcpu *v, struct vm_exit *exit);
	uint64_t (*get_reg)(struct vcpu *v, enum vm_reg reg);
	void (*set_reg)(struct vcpu *v, enum vm_reg reg, uint64_t value);
	void (*get_seg)(struct vcpu *v, enum vm_seg seg, struct vm_segment *out);
	/* Loads a segment register, hidden part included (attr 0: unusable,
	 * a null selector's state).  Used by the task-switch emulation, which
	 * only VT-x needs: SVM leaves it NULL (task switches are not
	 * intercepted there; the hardware carries them out). */
	void (*set_seg)(struct vcpu *v, enum vm_seg seg, const struct vm_segment *in);
	/* The paging and code-segment state, in one call (hot on every exit
	 * whose instruction length the hardware did not give). */
	void (*get_paging)(struct vcpu *v, struct vm_paging *out);
	/* Queues an exception for the next entry (vector < 32). */
	void (*inject_exception)(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
	/* What blocks events now (the core's rules decide from it). */
	void (*get_event_state)(struct vcpu *v, struct vm_event_state *out);
	/* Queues an NMI for the next entry; the core checked it may. */
	void (*inject_nmi)(struct vcpu *v);
	/* Makes the guest exit at the first moment it can take an NMI (after
	 * the event queued now, an interrupt shadow, its own NMI handler). */
	void (*request_nmi_window)(struct vcpu *v);
	/* Queues external interrupt `vector` for the next entry; the core
	 * checked the guest can take it (vm_interrupt_allowed). */
	void (*inject_interrupt)(struct vcpu *v, uint8_t vector);
	/* Makes the guest exit (VM_EXIT_INTERRUPT_WINDOW) at the first moment
	 * it can take an external interrupt; `vector` is the one waiting. */
	void (*request_interrupt_window)(struct vcpu *v, uint8_t vector);
	/* Lets NMIs (and, with IF, interrupts) reach the core in root mode, or
	 * holds them again: SVM's GIF; nothing to do on VT-x.  Used while a
	 * vCPU waits for SIPI and while INIT drains the local APIC. */
	void (*host_allow_events)(bool allow);
	/* Loads the state an INIT and a start-up IPI with this vector leave
	 * (real mode at vector << 12), with no event pending or blocked. */
	void (*set_startup_state)(struct vcpu *v, uint8_t sipi_vector);
	/* Makes one guest-physical page writable or read-only (writes then
	 * exit) in the nested tables, for every vCPU. */
	enum err (*protect_page)(paddr_t gpa, bool writable);
	/* A guest RDMSR (write false) or WRMSR of an MTRR; E_FAULT means #GP. */
	enum err (*mtrr_access)(struct vcpu *v, uint32_t msr, bool write, uint64_t *value);
	/* Maps [gpa, gpa + size) one-to-one in the nested tables (2 MiB units). */
	enum err (*map_identity)(struct vcpu *v, paddr_t gpa, uint64_t size);
};

/* Chosen once at boot (kernel/main.c); never re-decided. */
extern const struct vm_ops *vm_backend;

#endif
