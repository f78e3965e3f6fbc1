/* Per-CPU descriptor tables and stacks.  SDM Vol. 3A 7.7 (64-bit TSS) and
 * 6.14.5 (IST): NMI, #DF and #MC run on stacks of their own so that they are
 * safe at any instruction, whatever the interrupted code did to RSP. */
#include <assert.h>
#include <string.h>

#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "x86.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

struct table_register {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GATE_INTERRUPT_DPL0 0x8E

extern char trap_entry_0[], trap_entry_1[], trap_entry_3[], trap_entry_4[], trap_entry_5[],
	trap_entry_6[], trap_entry_7[], trap_entry_8[], trap_entry_9[], trap_entry_10[],
	trap_entry_11[], trap_entry_12[], trap_entry_13[], trap_entry_14[], trap_entry_15[],
	trap_entry_16[], trap_entry_17[], trap_entry_18[], trap_entry_19[], trap_entry_20[],
	trap_entry_21[], trap_entry_22[], trap_entry_23[], trap_entry_24[], trap_entry_25[],
	trap_entry_26[], trap_entry_27[], trap_entry_28[], trap_entry_29[], trap_entry_30[],
	trap_entry_31[], trap_entry_255[], trap_entry_nmi[];

static char *const exception_entries[32] = {
	trap_entry_0, trap_entry_1, trap_entry_nmi, trap_entry_3, trap_entry_4, trap_entry_5,
	trap_entry_6, trap_entry_7, trap_entry_8, trap_entry_9, trap_entry_10, trap_entry_11,
	trap_entry_12, trap_entry_13, trap_entry_14, trap_entry_15, trap_entry_16, trap_entry_17,
	trap_entry_18, trap_entry_19, trap_entry_20, trap_entry_21, trap_entry_22, trap_entry_23,
	trap_entry_24, trap_entry_25, trap_entry_26, trap_entry_27, trap_entry_28, trap_entry_29,
	trap_entry_30, trap_entry_31,
};

static struct idt_gate idt[256] __attribute__((aligned(16)));
static bool idt_built;

static void idt_set(unsigned vector, const void *entry, uint8_t ist)
{
	uintptr_t a = (uintptr_t)entry;

	idt[vector] = (struct idt_gate){
		.offset_low = (uint16_t)a,
		.selector = GDT_KERNEL_CODE,
		.ist = ist,
		.type_attr = GATE_INTERRUPT_DPL0,
		.offset_mid = (uint16_t)(a >> 16),
		.offset_high = (uint32_t)(a >> 32),
	};
}

static void idt_build(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, v < 32 ? exception_entries[v] : trap_entry_255, 0);
	idt_set(2, trap_entry_nmi, IST_NMI);
	idt_set(8, trap_entry_8, IST_DF);
	idt_set(18, trap_entry_18, IST_MC);
	idt_built = true;
}

/* A STACK_SIZE-aligned stack whose top slot points at the CPU's pcpu. */
static uintptr_t stack_create(struct pcpu *cpu)
{
	char *base = page_alloc_contig(STACK_SIZE / PAGE_SIZE * 2);

	if (!base)
		panic("no memory for the stacks of CPU %u", cpu->index);
	/* Twice the size was taken so an aligned block surely fits. */
	uintptr_t aligned = ALIGN_UP((uintptr_t)base, STACK_SIZE);

	*(struct pcpu **)(aligned + STACK_PCPU_SLOT) = cpu;
	return aligned + STACK_PCPU_SLOT;
}

static uint64_t tss_descriptor_low(uintptr_t base, uint32_t limit)
{
	return (limit & 0xFFFFULL) | ((base & 0xFFFFFFULL) << 16) | (0x89ULL << 40) |
	       ((uint64_t)(limit >> 16 & 0xF) << 48) | ((uint64_t)(base >> 24 & 0xFF) << 56);
}

_Noreturn void cpu_init(uint32_t index, void (*next)(void))
{
	struct pcpu *cpu = page_alloc();

	if (!cpu)
		panic("no memory for CPU %u", index);
	static_assert(__builtin_offsetof(struct pcpu, nmi_count) == PCPU_NMI_COUNT,
		      "trap_entry.S reads nmi_count at this offset");
	static_assert(sizeof(struct pcpu) <= PAGE_SIZE, "struct pcpu fits one page");
	cpu->self = cpu;
	cpu->index = index;

	cpu->gdt[0] = 0;
	cpu->gdt[GDT_KERNEL_CODE / 8] = 0x00AF9A000000FFFFULL;
	cpu->gdt[GDT_KERNEL_DATA / 8] = 0x00CF92000000FFFFULL;
	cpu->gdt[GDT_TSS / 8] = tss_descriptor_low((uintptr_t)&cpu->tss, sizeof(cpu->tss) - 1);
	cpu->gdt[GDT_TSS / 8 + 1] = (uintptr_t)&cpu->tss >> 32;

	cpu->stack_top = stack_create(cpu);
	cpu->tss.ist[IST_NMI - 1] = stack_create(cpu);
	cpu->tss.ist[IST_DF - 1] = stack_create(cpu);
	cpu->tss.ist[IST_MC - 1] = stack_create(cpu);
	cpu->tss.rsp[0] = cpu->stack_top;
	/* No I/O bitmap: ring 3 gets no ports through the TSS until a domain
	 * is granted some (issue #6). */
	cpu->tss.iomap_base = sizeof(cpu->tss);

	if (!idt_built)
		idt_build();

	struct table_register gdtr = { sizeof(cpu->gdt) - 1, (uintptr_t)cpu->gdt };
	struct table_register idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lgdt %0\n\t"
			 "lidt %1\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %3, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 "movw %4, %%ax\n\t"
			 "ltr %%ax"
			 :
			 : "m"(gdtr), "m"(idtr), "i"((uint64_t)GDT_KERNEL_CODE), "i"(GDT_KERNEL_DATA),
			   "i"((uint16_t)GDT_TSS)
			 : "rax", "memory");

	/* Continue on the CPU's own stack, so this_cpu() works from here on. */
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ebp, %%ebp\n\t"
			 "call *%1\n\t"
			 "ud2"
			 :
			 : "r"(cpu->stack_top), "r"(next)
			 : "memory");
	__builtin_unreachable();
}
