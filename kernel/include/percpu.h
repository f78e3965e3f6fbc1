/* Per-CPU data, and how any code finds it without trusting a segment
 * register: every host stack of a CPU (main and IST) is a STACK_SIZE-aligned
 * block whose top slot holds the CPU's struct pcpu pointer.  A domain may
 * load any %gs it likes (SPEC.md item 4); the stack pointer in ring 0 is
 * always one of ours. */
#ifndef SHOJI_PERCPU_H
#define SHOJI_PERCPU_H

#define STACK_SIZE 0x4000
#define STACK_PCPU_SLOT (STACK_SIZE - 16) /* offset of the pcpu pointer */
#define PCPU_NMI_COUNT 8                  /* offsetof(struct pcpu, nmi_count) */

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18
#define GDT_ENTRIES 5

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

/* Legend: [init] set once by cpu_init; [own] touched only by this CPU;
 * [nmi] written by the NMI handler, read and cleared by this CPU. */
struct pcpu {
	struct pcpu *self;            /* [init] */
	volatile uint32_t nmi_count;  /* [nmi] NMIs taken in host mode */
	uint32_t index;               /* [init] 0 = the boot CPU */
	uint32_t apic_id;             /* [init] */
	uint64_t gdt[GDT_ENTRIES];    /* [init] */
	struct tss64 tss;             /* [init] */
	uintptr_t stack_top;          /* [init] main stack */
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

#endif
#endif
