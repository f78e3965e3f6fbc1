/* Starting the application processors at boot (multiboot path), one at a
 * time: INIT, 10 ms, SIPI, 200 us, SIPI (SDM 9.4.4.1), then wait for the
 * AP to say it is up before the next one - the page allocator has no lock
 * and each AP allocates its stacks and tables. */
#include <string.h>

#include "delay.h"
#include "lapic.h"
#include "log.h"
#include "mm.h"
#include "pagetable.h"
#include "percpu.h"
#include "smp.h"
#include "smp_layout.h"
#include "x86.h"

extern char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_params[];
extern char ap_entry64[];

struct ap_params {
	uint32_t cr3;
	uint32_t efer;
	uint64_t stack;
	uint64_t entry;
} __attribute__((packed));

static volatile uint32_t ap_index;      /* the index the starting AP takes */
static volatile bool ap_up;             /* set by the AP when it is in Shoji */
static void (*ap_continue)(void);
static uint64_t core_cr3;

#define ICR_INIT 0x00004500    /* INIT, level assert */
#define ICR_STARTUP 0x00004600 /* SIPI */
#define AP_BOOT_STACK 0x2000

void ap_main(void);

/* First C code of an AP: back onto the core's own page tables, then the
 * same per-CPU set-up as the boot CPU. */
void ap_main(void)
{
	write_cr3(core_cr3);
	write_cr4(read_cr4() | CR4_PGE);
	cpu_init(ap_index, ap_continue);
}

/* Page tables for the trip through the trampoline: the core's mappings
 * plus low memory one-to-one (where the trampoline runs). */
static paddr_t make_ap_page_tables(void)
{
	struct pt_ctx ctx;

	if (!pt_ctx_init_region(&ctx))
		return 0;
	uint64_t *root = phys_to_virt(ctx.root);
	const uint64_t *core = phys_to_virt(core_cr3 & PTE_ADDR_MASK);

	for (unsigned i = 256; i < 512; i++)
		root[i] = core[i];
	if (pt_map(&ctx, 0, 0, PAGE_2M, PTE_W, PAGE_2M) != E_OK)
		return 0;
	return ctx.root;
}

void smp_ap_up(void)
{
	__atomic_store_n(&ap_up, true, __ATOMIC_RELEASE);
}

unsigned smp_start_aps(const struct cpu_list *cpus, void (*ap_ready)(void))
{
	static uint8_t saved_low_page[PAGE_SIZE];
	uint32_t self = lapic_id();
	unsigned started = 0;
	size_t tsize = (size_t)(ap_trampoline_end - ap_trampoline_start);
	void *tramp = phys_to_virt(TRAMPOLINE_PA);
	struct ap_params *params =
		(void *)((char *)tramp + (ap_trampoline_params - ap_trampoline_start));

	core_cr3 = read_cr3();
	ap_continue = ap_ready;
	paddr_t ap_cr3 = make_ap_page_tables();

	if (!ap_cr3 || ap_cr3 >= GiB(4)) {
		log_error("no memory for the start-up page tables: running on the boot CPU only");
		return 0;
	}
	memcpy(saved_low_page, tramp, PAGE_SIZE);
	memcpy(tramp, ap_trampoline_start, tsize);
	params->cr3 = (uint32_t)ap_cr3;
	params->efer = (uint32_t)((rdmsr(MSR_EFER) & EFER_NXE) | EFER_LME);
	params->entry = (uintptr_t)ap_entry64;

	for (unsigned i = 0; i < cpus->count; i++) {
		uint32_t id = cpus->apic_id[i];

		if (id == self)
			continue;
		char *stack = page_alloc_contig(AP_BOOT_STACK / PAGE_SIZE);

		if (!stack) {
			log_error("no memory to start CPU with APIC id %u", id);
			break;
		}
		params->stack = (uintptr_t)stack + AP_BOOT_STACK;
		ap_index = started + 1;
		__atomic_store_n(&ap_up, false, __ATOMIC_RELEASE);
		lapic_send(id, ICR_INIT);
		udelay(10000);
		for (int sipi = 0; sipi < 2 && !ap_up; sipi++) {
			lapic_send(id, ICR_STARTUP | TRAMPOLINE_VECTOR);
			udelay(200);
		}
		/* Up to a second for the AP to set itself up. */
		for (int wait = 0; wait < 1000 && !__atomic_load_n(&ap_up, __ATOMIC_ACQUIRE); wait++)
			udelay(1000);
		if (!ap_up) {
			log_error("CPU with APIC id %u did not start; Shoji and the guest run without it",
				  id);
			continue;
		}
		started++;
	}
	memcpy(tramp, saved_low_page, PAGE_SIZE);
	return started;
}
