/* The isolation probe (ipc/interfaces/probe.toml): each method tries one
 * thing ring 3 must not do to the core.  None may succeed: the core ends
 * the probe and restarts it, and the test checks the core is unchanged. */
#include "domain.h"
#include "probe_server.h"

static volatile uint64_t sink;

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	return probe_dispatch(badge, m);
}

enum err probe_serve_ping(uint64_t badge, uint64_t value, uint64_t *out_value)
{
	(void)badge;
	*out_value = value + 1;
	return E_OK;
}

static uintptr_t addr(uint64_t lo, uint64_t hi)
{
	return (uintptr_t)((hi << 32) | (uint32_t)lo);
}

enum err probe_serve_read(uint64_t badge, uint64_t lo, uint64_t hi, uint64_t *out_value)
{
	(void)badge;
	*out_value = *(volatile uint64_t *)addr(lo, hi);
	return E_OK; /* the read worked: the test fails on this answer */
}

enum err probe_serve_write(uint64_t badge, uint64_t lo, uint64_t hi)
{
	(void)badge;
	*(volatile uint64_t *)addr(lo, hi) = 0x5A5A5A5A5A5A5A5AULL;
	return E_OK;
}

enum err probe_serve_jump(uint64_t badge, uint64_t lo, uint64_t hi)
{
	(void)badge;
	((void (*)(void))addr(lo, hi))();
	return E_OK;
}

/* The privileged instructions, by number (the test names them in the
 * same order: ci/guests/domain_isolation.c). */
enum err probe_serve_insn(uint64_t badge, uint64_t kind)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} table = { 0xFFFF, 0 };

	(void)badge;
	switch (kind) {
	case 0: __asm__ volatile("movq %0, %%cr3" : : "r"(0UL) : "memory"); break;
	case 1: __asm__ volatile("lgdt %0" : : "m"(table) : "memory"); break;
	case 2: __asm__ volatile("ltr %w0" : : "r"(0x18) : "memory"); break;
	case 3: { uint32_t lo, hi;
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080)); sink = lo; break; }
	case 4: __asm__ volatile("wrmsr" : : "a"(0), "d"(0), "c"(0xC0000080) : "memory"); break;
	case 5: __asm__ volatile("cli" ::: "memory"); break;
	case 6: __asm__ volatile("hlt" ::: "memory"); break;
	case 7: __asm__ volatile("invlpg (%0)" : : "r"(0x400000UL) : "memory"); break;
	case 8: __asm__ volatile("wbinvd" ::: "memory"); break;
	case 9: __asm__ volatile("vmcall" ::: "memory"); break;
	case 10: __asm__ volatile("vmmcall" ::: "memory"); break;
	case 11: __asm__ volatile("vmrun" : : "a"(0UL) : "memory"); break;
	case 12: __asm__ volatile("syscall" ::: "rcx", "r11", "memory"); break;
	case 13: __asm__ volatile("sysenter" ::: "memory"); break;
	case 14: __asm__ volatile("wrgsbase %0" : : "r"(0UL) : "memory"); break;
	case 15: __asm__ volatile("int $0x80" ::: "memory"); break;
	case 16: __asm__ volatile("int $2" ::: "memory"); break;
	case 17: __asm__ volatile("movq %0, %%cr4" : : "r"(0UL) : "memory"); break;
	case 18: __asm__ volatile("movq %0, %%dr7" : : "r"(0UL) : "memory"); break;
	case 19: __asm__ volatile("lidt %0" : : "m"(table) : "memory"); break;
	case 20: __asm__ volatile("movaps %%xmm0, %%xmm1" ::: "memory"); break;
	default: return E_INVAL;
	}
	return E_OK; /* it ran: the test fails on this answer */
}

enum err probe_serve_load_selector(uint64_t badge, uint64_t selector)
{
	(void)badge;
	__asm__ volatile("movw %w0, %%ds" : : "r"(selector) : "memory");
	__asm__ volatile("movw %w0, %%ds" : : "r"(0x2B) : "memory");
	return E_OK;
}

enum err probe_serve_read_grant(uint64_t badge, uint64_t grant_slot, uint64_t *out_value)
{
	struct ipc_msg m = { 0 };
	enum err e = ipc_call_raw(IPC_OP_MAP, grant_slot, &m);

	(void)badge;
	if (e != E_OK)
		return e;
	*out_value = *(volatile uint32_t *)(uintptr_t)m.out[0];
	return E_OK;
}
