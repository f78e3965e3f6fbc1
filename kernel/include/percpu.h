/* Per-CPU data, and how any code finds it without trusting a segment
 * register: every host stack of a CPU (main and IST) is a STACK_SIZE-aligned
 * block whose top slot holds the CPU's struct pcpu pointer.  A domain may
 * load any %gs it likes (SPEC.md item 4); the stack pointer in ring 0 is
 * always one of ours. */
#ifndef SHOJI_PERCPU_H
#define SHOJI_PERCPU_H

#define STACK_SIZE 0x8000 /* the boot path (guest_prepare, multiboot_load) needs ~20 KiB */
#define STACK_PCPU_SLOT (STACK_SIZE - 16) /* offset of the pcpu pointer */
/* Offsets into struct pcpu for the entry code (checked in cpu.c). */
#define PCPU_NMI_COUNT 8
#define PCPU_CORE_CR3 16
#define PCPU_CORE_RSP 24
#define PCPU_SMAP 32
#define PCPU_FLUSH_REQUEST 36

/* ipc/ABI.md has the table. */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18
#define GDT_USER_DATA 0x28
#define GDT_USER_CODE 0x30
#define GDT_IPC_GATE 0x38
#define GDT_ENTRIES 9

/* Each CPU's TSS and I/O permission bitmap live in a window of their own,
 * mapped non-global: the core's tables show a deny-all bitmap there and
 * each domain's tables its own, so switching CR3 switches the bitmap
 * (SDM Vol. 1 19.5.2) with nothing copied. */
#define TSS_WINDOW_BASE 0xFFFFFF0000000000
#define TSS_WINDOW_SIZE 0x4000 /* TSS page, two bitmap pages, a spare */
#define TSS_OFFSET (PAGE_SIZE - 104) /* the TSS ends where the bitmap starts */
#define IOMAP_BYTES 0x2000
#define TSS_LIMIT (104 + IOMAP_BYTES - 1)

#define IST_NMI 1
#define IST_DF 2
#define IST_MC 3
#define IST_COUNT 3

#ifndef __ASSEMBLER__
#include "types.h"

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct vcpu;
struct domain;

/* The guest's local APIC timer while the core borrows it (dom/budget.c). */
struct lapic_timer_state {
	uint32_t lvt, dcr, initial, current;
	uint64_t deadline;
};

/* Legend: [init] set once by cpu_init; [own] touched only by this CPU;
 * [nmi] written by the NMI handler, read and cleared by this CPU.
 * The page holding it is mapped (supervisor-only) in every domain's
 * address space: the entry code finds the core's CR3 here. */
struct pcpu {
	struct pcpu *self;            /* [init] */
	volatile uint32_t nmi_count;  /* [nmi] NMIs taken in host mode */
	uint32_t index;               /* [init] 0 = the boot CPU */
	uint64_t core_cr3;            /* [init] the core's page tables */
	uintptr_t core_rsp;           /* [own] the core's stack while a domain runs */
	uint8_t smap;                 /* [init] CLAC exists (CR4.SMAP set) */
	volatile uint32_t flush_request; /* [nmi] another CPU asks a TLB flush (dom/space.c) */
	uint32_t apic_id;             /* [init] */
	uint64_t gdt[GDT_ENTRIES];    /* [init] */
	struct tss64 *tss;            /* [init] in the TSS window */
	uintptr_t stack_top;          /* [init] main stack */
	uintptr_t entry_stack_top;    /* [init] TSS.RSP0: ring 3 enters here */
	struct domain *dom_running;   /* [own] the domain running here, if any */
	bool tr_stale;                /* [own] a VM exit may have cut TR's limit */
	bool budget_armed, budget_fired; /* [own] the domain budget timer */
	bool budget_late;             /* [own] its interrupt may still come */
	uint32_t budget_depth;        /* [own] calls in progress on this CPU */
	uint64_t budget_borrowed;     /* [own] TSC when the guest's timer was lent */
	uint32_t guest_svr;           /* [own] the guest's spurious-vector register then */
	struct lapic_timer_state guest_timer; /* [own] while it is borrowed */
	struct domain *fpu_owner;     /* [own] whose x87/SSE state is in the registers */
	void *guest_fpu;              /* [init] the guest's, while a domain has them */
	uint64_t guest_xcr0;          /* [own] the guest's XCR0 then */
	void *backend;                /* [own] back end's per-CPU state */
	struct vcpu *vcpu;            /* [own] the guest vCPU this CPU runs */
	bool draining;                /* [own] taking stray interrupts on purpose */
};

static inline struct pcpu *this_cpu(void)
{
	uintptr_t sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return *(struct pcpu **)((sp & ~(uintptr_t)(STACK_SIZE - 1)) + STACK_PCPU_SLOT);
}

/* Builds GDT, TSS and stacks for the CPU with this index, loads them and
 * the shared IDT, then calls next() on the CPU's own main stack. */
_Noreturn void cpu_init(uint32_t index, void (*next)(void));

/* Every CPU's pcpu, by index; NULL where none came up. */
extern struct pcpu *pcpu_by_index[];
extern uint32_t pcpu_count;

/* The IDT's page (shared by all CPUs). */
const void *cpu_idt_page(void);

#endif
#endif
