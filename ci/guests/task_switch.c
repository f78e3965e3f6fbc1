/* Task switches (issue #5 item 5), in 32-bit protected mode: JMP and CALL
 * to a TSS and through a task gate, IRET with NT, INT n, INT3 and INTO
 * through task gates in the IDT, #UD and #GP (with its error code) through
 * them, a JMP to a busy TSS (#GP), an NMI and an external interrupt.  On
 * VT-x each switch exits and Shoji carries it out; on SVM the hardware
 * does (no intercept).  Each new task records what the switch left
 * (task_switch_pm.S); checked here: the EIP saved in the old task's TSS
 * (past the instruction for JMP, CALL, INT n, INT3, INTO and IRET; at the
 * faulting instruction for exceptions; where the task was for the NMI and
 * the interrupt), the back link and NT for CALL and the IDT, the busy bits
 * of both TSS descriptors, CR0.TS, and the error codes on the new stack.
 *
 * Expect: SUCCESS (the same on Bochs/VT-x and QEMU/SVM)
 */
#include "kit.h"

KIT_TEST("task-switch");

#define TS_MAX_REC 16 /* as in task_switch_pm.S */
#define SEL_T0 0x20
#define SEL_TJ 0x28
#define SEL_TC 0x30
#define SEL_TH 0x38
#define TYPE_AVAILABLE 0x89 /* P, DPL 0, 32-bit TSS */
#define TYPE_BUSY 0x8B
#define EFLAGS_NT (1u << 14)
#define CR0_TS (1u << 3)

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap;
} __attribute__((packed));

struct rec {
	uint32_t old_eip, tr, eflags, link, old_type, own_type, cr0, error;
};

struct dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Shared with task_switch_pm.S. */
uint64_t ts_gdt[10] __attribute__((aligned(16)));
uint64_t ts_idt[0x42] __attribute__((aligned(16)));
struct dtr ts_gdtr, ts_idtr;
struct tss32 ts_tss[4] __attribute__((aligned(128))); /* task 0, J, C, H */
struct rec ts_rec[TS_MAX_REC];
volatile uint32_t ts_nrec, ts_resume, ts_expect_err, ts_eoi, ts_cr0_after;

void ts_run(void);
extern char ts_after_jmp[], ts_after_jmp_gate[], ts_after_call[], ts_after_call_gate[];
extern char ts_after_int[], ts_after_int3[], ts_after_into[], ts_ud[], ts_gp[], ts_busy[];
extern char ts_nmi_from[], ts_nmi_to[], ts_irq_from[], ts_irq_to[];
extern char ts_task_j[], ts_task_c[], ts_task_h[];
extern char ts_task_j_resume[], ts_task_c_resume[], ts_task_h_resume[];

static uint8_t stacks[3][4096] __attribute__((aligned(4096)));

static uint64_t tss_desc(const struct tss32 *t)
{
	uint64_t base = (uint64_t)t;

	return (sizeof(*t) - 1) | (base & 0xFFFFFF) << 16 | (uint64_t)TYPE_AVAILABLE << 40 |
	       (base >> 24 & 0xFF) << 56;
}

static uint64_t task_gate(uint16_t tss_selector)
{
	return (uint64_t)tss_selector << 16 | 0x85ULL << 40; /* P, DPL 0, type 5 */
}

static void task_init(struct tss32 *t, char *entry, uint8_t *stack)
{
	t->eip = (uint32_t)(uint64_t)entry;
	t->eflags = 0x2;
	t->esp = (uint32_t)(uint64_t)(stack + 4096);
	t->esi = (uint32_t)(uint64_t)t;
	t->cs = 0x18;
	t->ss = t->ds = t->es = t->fs = t->gs = 0x10;
	t->iomap = sizeof(*t);
}

static void setup(void)
{
	static const uint8_t gate_vectors[] = { 2, 3, 4, 6, 13, 0x40, 0x41 };

	ts_gdt[1] = 0x00AF9A000000FFFFULL; /* 64-bit code, as the kit's */
	ts_gdt[2] = 0x00CF92000000FFFFULL; /* flat data, as the kit's */
	ts_gdt[3] = 0x00CF9A000000FFFFULL; /* 32-bit code */
	for (unsigned i = 0; i < 4; i++)
		ts_gdt[4 + i] = tss_desc(&ts_tss[i]);
	ts_gdt[8] = task_gate(SEL_TJ);
	ts_gdt[9] = task_gate(SEL_TC);
	ts_gdtr = (struct dtr){ sizeof(ts_gdt) - 1, (uint64_t)ts_gdt };
	/* A 32-bit IDT: 8-byte gates, only the task gates present. */
	for (unsigned i = 0; i < sizeof(gate_vectors); i++)
		ts_idt[gate_vectors[i]] = task_gate(SEL_TH);
	ts_idtr = (struct dtr){ sizeof(ts_idt) - 1, (uint64_t)ts_idt };
	ts_tss[0].iomap = sizeof(struct tss32);
	task_init(&ts_tss[1], ts_task_j, stacks[0]);
	task_init(&ts_tss[2], ts_task_c, stacks[1]);
	task_init(&ts_tss[3], ts_task_h, stacks[2]);
}

struct expect {
	const char *what;
	uint32_t tr;
	uintptr_t eip_from, eip_to; /* task 0's saved EIP in [from, to] */
	bool nested;                /* CALL or IDT: NT, back link, task 0 busy */
	int error;                  /* an error code on the new stack, or -1 */
};

static void check(unsigned i, const struct expect *x)
{
	const struct rec *r = &ts_rec[i];

	if (i >= ts_nrec)
		kit_failure("%s: the new task never ran (%u switches recorded)", x->what, ts_nrec);
	if (r->tr != x->tr)
		kit_failure("%s: TR %#x in the new task, expected %#x", x->what, r->tr, x->tr);
	if (r->old_eip < x->eip_from || r->old_eip > x->eip_to)
		kit_failure("%s: old task's saved EIP %#x, expected %#lx%s", x->what, r->old_eip,
			    x->eip_from, x->eip_from == x->eip_to ? "" : " or a little after");
	if (!!(r->eflags & EFLAGS_NT) != x->nested)
		kit_failure("%s: NT %s in the new task (EFLAGS %#x)", x->what,
			    x->nested ? "clear" : "set", r->eflags);
	if (x->nested && r->link != SEL_T0)
		kit_failure("%s: back link %#x, expected %#x", x->what, r->link, SEL_T0);
	if (r->old_type != (x->nested ? TYPE_BUSY : TYPE_AVAILABLE))
		kit_failure("%s: old task's TSS type byte %#x, expected %#x", x->what, r->old_type,
			    x->nested ? TYPE_BUSY : TYPE_AVAILABLE);
	if (r->own_type != TYPE_BUSY)
		kit_failure("%s: new task's TSS type byte %#x, expected busy", x->what, r->own_type);
	if (!(r->cr0 & CR0_TS))
		kit_failure("%s: CR0.TS clear in the new task", x->what);
	if (x->error >= 0 && r->error != (uint32_t)x->error)
		kit_failure("%s: error code %#x on the new stack, expected %#x", x->what, r->error,
			    x->error);
}

void test_main(const struct kit_boot *boot)
{
#define AT(label) (uintptr_t) label, (uintptr_t)label
	const struct expect expects[] = {
		{ "JMP to a TSS", SEL_TJ, AT(ts_after_jmp), false, -1 },
		{ "JMP through a task gate", SEL_TJ, AT(ts_after_jmp_gate), false, -1 },
		{ "CALL to a TSS", SEL_TC, AT(ts_after_call), true, -1 },
		{ "CALL through a task gate", SEL_TC, AT(ts_after_call_gate), true, -1 },
		{ "INT 0x40", SEL_TH, AT(ts_after_int), true, -1 },
		{ "INT3", SEL_TH, AT(ts_after_int3), true, -1 },
		{ "INTO", SEL_TH, AT(ts_after_into), true, -1 },
		{ "#UD", SEL_TH, AT(ts_ud), true, -1 },
		{ "#GP loading FS", SEL_TH, AT(ts_gp), true, 0x7F8 },
		{ "#GP on a JMP to a busy TSS", SEL_TH, AT(ts_busy), true, SEL_T0 },
		{ "NMI", SEL_TH, (uintptr_t)ts_nmi_from, (uintptr_t)ts_nmi_to, true, -1 },
		{ "external interrupt", SEL_TH, (uintptr_t)ts_irq_from, (uintptr_t)ts_irq_to, true,
		  -1 },
	};
#undef AT
	const unsigned n = sizeof(expects) / sizeof(expects[0]);

	(void)boot;
	kit_outb(0x21, 0xFF); /* the 8259s stay quiet: only our vectors come */
	kit_outb(0xA1, 0xFF);
	*(volatile uint32_t *)0xFEE00080 = 0;     /* TPR */
	*(volatile uint32_t *)0xFEE000F0 = 0x1FF; /* SVR: enabled */
	setup();
	ts_run();
	kit_printf("task-switch: %u switches recorded\n", ts_nrec);
	for (unsigned i = 0; i < n; i++)
		check(i, &expects[i]);
	if (ts_nrec != n)
		kit_failure("%u switches recorded, expected %u", ts_nrec, n);
	/* IRET and JMP saved their own EIP past the instruction too. */
	if (ts_tss[1].eip != (uint32_t)(uintptr_t)ts_task_j_resume ||
	    ts_tss[2].eip != (uint32_t)(uintptr_t)ts_task_c_resume ||
	    ts_tss[3].eip != (uint32_t)(uintptr_t)ts_task_h_resume)
		kit_failure("saved EIP after JMP back %#x (expected %#lx), after IRET %#x and %#x "
			    "(expected %#lx and %#lx)",
			    ts_tss[1].eip, (uintptr_t)ts_task_j_resume, ts_tss[2].eip, ts_tss[3].eip,
			    (uintptr_t)ts_task_c_resume, (uintptr_t)ts_task_h_resume);
	if (ts_tss[2].eflags & EFLAGS_NT)
		kit_failure("IRET saved NT set in the task it left");
	for (unsigned i = 1; i < 4; i++)
		if ((ts_gdt[4 + i] >> 40 & 0xFF) != TYPE_AVAILABLE)
			kit_failure("task %u's TSS still busy after it left (JMP or IRET)", i);
	if ((ts_gdt[4] >> 40 & 0xFF) != TYPE_BUSY)
		kit_failure("task 0's TSS not busy while it runs");
	if (!(ts_cr0_after & CR0_TS))
		kit_failure("CR0.TS clear after the switches");
	kit_printf("task-switch: JMP, CALL (TSS and gate), IRET, INT 0x40, INT3, INTO, #UD, "
		   "#GP(0x7F8), #GP(0x20) for a busy TSS, NMI and an interrupt: saved EIPs, NT, "
		   "back links, busy bits, CR0.TS and error codes as the SDM says\n");
	kit_success();
}
