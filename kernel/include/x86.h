/* Thin wrappers for x86 instructions the core uses.  Only hardware access
 * lives here, so host-built logic never includes it. */
#ifndef SHOJI_X86_H
#define SHOJI_X86_H

#include "types.h"

#define MSR_EFER 0xC0000080
#define MSR_SYSENTER_CS 0x174
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define EFER_SVME BIT(12)

#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_PG BIT(31)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_LA57 BIT(12)
#define CR4_FSGSBASE BIT(16)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)
#define CR4_OSXMMEXCPT BIT(10)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define CR4_PKE BIT(22)

#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_DF BIT(10)
#define RFLAGS_IOPL (3ULL << 12)
#define RFLAGS_AC BIT(18)

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline void cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	__asm__ volatile("cpuid"
			 : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			 : "a"(leaf), "c"(subleaf));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* MSR access on behalf of a guest: a #GP is caught (kernel/cpu/extable)
 * and returned as E_FAULT instead of panicking the core. */
int msr_read_safe(uint32_t msr, uint64_t *value);
int msr_write_safe(uint32_t msr, uint64_t value);
int xsetbv_safe(uint32_t xcr, uint64_t value);

#define DEFINE_CR_ACCESS(n)                                                  \
	static inline uint64_t read_cr##n(void)                              \
	{                                                                    \
		uint64_t v;                                                  \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));            \
		return v;                                                    \
	}                                                                    \
	static inline void write_cr##n(uint64_t v)                           \
	{                                                                    \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");   \
	}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
DEFINE_CR_ACCESS(8)
#undef DEFINE_CR_ACCESS

static inline uint64_t read_rflags(void)
{
	uint64_t v;

	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

static inline void wbinvd(void)
{
	__asm__ volatile("wbinvd" : : : "memory");
}

#endif
