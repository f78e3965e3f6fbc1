/* x87/SSE/AVX state around domains (issue #6 item 3).  A VM exit leaves
 * the guest's vector registers, XCR0 and PKRU live: the core itself never
 * touches them (built -mgeneral-regs-only).  A domain the manifest grants
 * the FPU gets it lazily: the first entry into one after a VM exit saves
 * the guest's state (XSAVE with the guest's XCR0, or FXSAVE), and the
 * guest's is restored before the next entry.  Each call into an FPU domain
 * starts from the initial state, so no state leaks between domains, and a
 * domain's state is kept across the calls it makes.  Other domains run
 * with CR0.TS set: any x87 or SSE instruction faults (#NM) and ends them. */
#include <string.h>

#include "dom.h"
#include "log.h"
#include "mm.h"
#include "percpu.h"
#include "x86.h"

#define XSAVE_ALIGN 64
#define MXCSR_DEFAULT 0x1F80
#define FCW_DEFAULT 0x37F
#define XCR0_SSE BIT(1)

static bool use_xsave;
static size_t area_size = 512;
static uint8_t *init_area; /* the initial state: XSTATE_BV 0, default MXCSR */

void fpu_init(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	use_xsave = (r.ecx & BIT(26)) && (read_cr4() & CR4_OSXSAVE);
	if (use_xsave) {
		cpuid(0xD, 0, &r);
		area_size = MAX(r.ecx, 576);
	}
	init_area = page_alloc_contig(ALIGN_UP(area_size, PAGE_SIZE) / PAGE_SIZE);
	if (!init_area)
		return;
	*(uint16_t *)init_area = FCW_DEFAULT;
	*(uint32_t *)(init_area + 24) = MXCSR_DEFAULT;
}

void *fpu_area_alloc(void)
{
	return page_alloc_contig(ALIGN_UP(area_size, PAGE_SIZE) / PAGE_SIZE);
}

static void save(void *area)
{
	if (use_xsave)
		__asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
}

static void restore(const void *area)
{
	if (use_xsave)
		__asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(~0u), "d"(~0u) : "memory");
	else
		__asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
}

static uint64_t xcr0_read(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static void xcr0_write(uint64_t v)
{
	__asm__ volatile("xsetbv" : : "a"((uint32_t)v), "d"((uint32_t)(v >> 32)), "c"(0));
}

/* Saves whatever the registers hold for their owner.  XSAVE saves only
 * what XCR0 enables, and a guest may use SSE with XCR0 = 1 (x87 only, its
 * reset value): while domains have the registers, XCR0 has SSE too. */
static void save_owner(struct pcpu *cpu)
{
	if (cpu->fpu_owner != FPU_OWNER_GUEST) {
		save(cpu->fpu_owner->fpu_area);
		return;
	}
	if (use_xsave) {
		cpu->guest_xcr0 = xcr0_read();
		if (!(cpu->guest_xcr0 & XCR0_SSE))
			xcr0_write(cpu->guest_xcr0 | XCR0_SSE);
	}
	save(cpu->guest_fpu);
}

void fpu_enter(struct domain *d, bool fresh)
{
	struct pcpu *cpu = this_cpu();

	if (!d->desc->fpu || !d->fpu_area || !cpu->guest_fpu) {
		write_cr0(read_cr0() | CR0_TS);
		return;
	}
	if (cpu->fpu_owner == d && !fresh)
		return;
	if (cpu->fpu_owner != d)
		save_owner(cpu);
	restore(fresh ? init_area : d->fpu_area);
	cpu->fpu_owner = d;
}

void fpu_leave(struct domain *d)
{
	if (!d->desc->fpu || !d->fpu_area)
		__asm__ volatile("clts" ::: "memory");
}

void fpu_guest_restore(struct pcpu *cpu)
{
	if (cpu->fpu_owner == FPU_OWNER_GUEST)
		return;
	restore(cpu->guest_fpu);
	if (use_xsave && !(cpu->guest_xcr0 & XCR0_SSE))
		xcr0_write(cpu->guest_xcr0);
	cpu->fpu_owner = FPU_OWNER_GUEST;
}
