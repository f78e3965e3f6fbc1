/* Per-CPU descriptor tables and stacks.  SDM Vol. 3A 7.7 (64-bit TSS) and
 * 6.14.5 (IST): NMI, #DF and #MC run on stacks of their own so that they are
 * safe at any instruction, whatever the interrupted code did to RSP. */
#include <assert.h>
#include <string.h>

#include "acpi.h"
#include "dom.h"
#include "log.h"
#include "mm.h"
#include "pagetable.h"
#include "panic.h"
#include "percpu.h"
#include "trap.h"
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

extern char ipc_gate_entry[];

/* The entry points of trap_entry.S, in vector order. */
extern char trap_entries[], trap_entry_nmi[];

/* The IDT fills exactly one page of its own: domains' tables map it. */
static struct idt_gate idt[256] __attribute__((aligned(PAGE_SIZE), section(".bss.shared")));
static bool idt_built;

struct pcpu *pcpu_by_index[MAX_CPUS];

const void *cpu_idt_page(void)
{
	return idt;
}
uint32_t pcpu_count;

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

/* Every vector has its own entry (the vector is pushed); all are DPL 0, so
 * an INT n from ring 3 faults with #GP. */
static void idt_build(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, trap_entries + v * TRAP_ENTRY_STRIDE, 0);
	idt_set(2, trap_entry_nmi, IST_NMI);
	idt_set(8, trap_entries + 8 * TRAP_ENTRY_STRIDE, IST_DF);
	idt_set(18, trap_entries + 18 * TRAP_ENTRY_STRIDE, IST_MC);
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

/* A 64-bit call gate, DPL 3, into the core's code (SDM Vol. 3A 5.8.3.1). */
static void gdt_set_call_gate(uint64_t *slot, uintptr_t target)
{
	slot[0] = (target & 0xFFFF) | ((uint64_t)GDT_KERNEL_CODE << 16) | (0xECULL << 40) |
		  ((uint64_t)(target >> 16 & 0xFFFF) << 48);
	slot[1] = target >> 32;
}

/* The TSS window of this CPU: TSS page and a deny-all I/O bitmap, mapped
 * non-global in the core's tables (each domain maps its own bitmap). */
static struct tss64 *tss_window_create(struct pcpu *cpu)
{
	char *pages = page_alloc_contig(TSS_WINDOW_SIZE / PAGE_SIZE);
	uintptr_t va = TSS_WINDOW_BASE + cpu->index * TSS_WINDOW_SIZE;
	struct pt_ctx core;

	if (!pages)
		panic("no memory for the TSS of CPU %u", cpu->index);
	memset(pages + PAGE_SIZE, 0xFF, TSS_WINDOW_SIZE - PAGE_SIZE);
	pt_ctx_core(&core, cpu->core_cr3);
	if (pt_map(&core, va, virt_to_phys(pages), TSS_WINDOW_SIZE, PTE_W | PTE_NX, PAGE_SIZE) !=
	    E_OK)
		panic("cannot map the TSS window of CPU %u", cpu->index);
	return (struct tss64 *)(va + TSS_OFFSET);
}

/* SMEP and SMAP where the CPU has them: the core never runs or touches a
 * domain's pages by accident.  CR0.AM lets a domain's #AC happen.
 * FSGSBASE and PKE stay clear (WRGSBASE faults in ring 3). */
static bool cpu_harden(void)
{
	struct cpuid_regs r;

	cpuid(7, 0, &r);
	bool smap = r.ebx & BIT(20);
	uint64_t cr4 = read_cr4() | ((r.ebx & BIT(7)) ? CR4_SMEP : 0) | (smap ? CR4_SMAP : 0);

	/* SSE and XSAVE for the domains the manifest grants the FPU (dom/fpu.c). */
	cpuid(1, 0, &r);
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT | ((r.ecx & BIT(26)) ? CR4_OSXSAVE : 0);
	write_cr4(cr4 & ~(uint64_t)(CR4_FSGSBASE | CR4_PKE));
	write_cr0((read_cr0() | CR0_AM | CR0_MP) & ~(uint64_t)(CR0_EM | CR0_TS));
	/* No SYSCALL and no SYSENTER from ring 3 (SPEC.md item 4). */
	wrmsr(MSR_SYSENTER_CS, 0);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(uint64_t)EFER_SCE);
	return smap;
}

_Noreturn void cpu_init(uint32_t index, void (*next)(void))
{
	struct pcpu *cpu = page_alloc();

	if (!cpu)
		panic("no memory for CPU %u", index);
	static_assert(__builtin_offsetof(struct pcpu, nmi_count) == PCPU_NMI_COUNT &&
			      __builtin_offsetof(struct pcpu, core_cr3) == PCPU_CORE_CR3 &&
			      __builtin_offsetof(struct pcpu, core_rsp) == PCPU_CORE_RSP &&
			      __builtin_offsetof(struct pcpu, smap) == PCPU_SMAP,
		      "the entry code reads struct pcpu at these offsets");
	static_assert(sizeof(struct pcpu) <= PAGE_SIZE, "struct pcpu fits one page");
	static_assert(sizeof(struct tss64) == PAGE_SIZE - TSS_OFFSET, "the bitmap follows the TSS");
	cpu->self = cpu;
	cpu->index = index;
	cpu->core_cr3 = read_cr3();
	cpu->smap = cpu_harden();
	cpu->tss = tss_window_create(cpu);
	if (index == 0)
		fpu_init();
	cpu->guest_fpu = fpu_area_alloc();

	cpu->gdt[0] = 0;
	cpu->gdt[GDT_KERNEL_CODE / 8] = 0x00AF9A000000FFFFULL;
	cpu->gdt[GDT_KERNEL_DATA / 8] = 0x00CF92000000FFFFULL;
	cpu->gdt[GDT_TSS / 8] = tss_descriptor_low((uintptr_t)cpu->tss, TSS_LIMIT);
	cpu->gdt[GDT_TSS / 8 + 1] = (uintptr_t)cpu->tss >> 32;
	cpu->gdt[GDT_USER_DATA / 8] = 0x00CFF2000000FFFFULL;
	cpu->gdt[GDT_USER_CODE / 8] = 0x00AFFA000000FFFFULL;
	gdt_set_call_gate(&cpu->gdt[GDT_IPC_GATE / 8], (uintptr_t)ipc_gate_entry);

	cpu->stack_top = stack_create(cpu);
	cpu->entry_stack_top = stack_create(cpu);
	cpu->tss->ist[IST_NMI - 1] = stack_create(cpu);
	cpu->tss->ist[IST_DF - 1] = stack_create(cpu);
	cpu->tss->ist[IST_MC - 1] = stack_create(cpu);
	cpu->tss->rsp[0] = cpu->entry_stack_top;
	cpu->tss->iomap_base = sizeof(struct tss64);
	pcpu_by_index[index] = cpu;
	if (index + 1 > pcpu_count)
		pcpu_count = index + 1;

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
