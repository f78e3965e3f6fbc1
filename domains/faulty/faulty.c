/* The fault-injection domain (ipc/interfaces/faulty.toml): each method
 * does one thing a broken domain might, so the tests can check that the
 * core ends only this domain, restarts it and answers its callers with
 * E_DEAD.  Slot 1 holds an endpoint of the example domain; slot 2 port
 * 0x80 (domains/manifest.toml). */
#include "domain.h"
#include "echo_client.h"
#include "faulty_server.h"

#define RFLAGS_TF (1u << 8)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_AC (1u << 18)
#define SLOT_EXAMPLE 1
#define SLOT_EMPTY 63
#define SLOT_NOTIFICATION 4

static volatile uint64_t sink;

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	return faulty_dispatch(badge, m);
}

enum err faulty_serve_ping(uint64_t badge, uint64_t value, uint64_t *out_value)
{
	(void)badge;
	*out_value = value + 1;
	return E_OK;
}

enum err faulty_serve_null_read(uint64_t badge)
{
	(void)badge;
	sink = *(volatile uint64_t *)0;
	return E_INVAL; /* a fault that did not happen */
}

enum err faulty_serve_write_to_core(uint64_t badge)
{
	(void)badge;
	*(volatile uint64_t *)0xFFFFFFFFC0001000ULL = 1;
	return E_INVAL;
}

enum err faulty_serve_noncanonical(uint64_t badge)
{
	(void)badge;
	sink = *(volatile uint64_t *)0x8000000000000000ULL;
	return E_INVAL;
}

enum err faulty_serve_invalid_opcode(uint64_t badge)
{
	(void)badge;
	__asm__ volatile("ud2");
	return E_INVAL;
}

enum err faulty_serve_divide(uint64_t badge)
{
	volatile uint64_t zero = 0;

	sink = badge / zero;
	return E_INVAL;
}

enum err faulty_serve_stack_segment(uint64_t badge)
{
	(void)badge;
	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "movabsq $0x8000000000000000, %%rsp\n\t"
			 "pushq %%rax" ::: "rax", "memory");
	return E_INVAL;
}

static uint64_t flags_read(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static void flags_write(uint64_t f)
{
	__asm__ volatile("pushq %0; popfq" : : "r"(f) : "cc", "memory");
}

enum err faulty_serve_alignment(uint64_t badge)
{
	(void)badge;
	flags_write(flags_read() | RFLAGS_AC);
	sink = *(volatile uint32_t *)((uintptr_t)&sink + 1);
	return E_INVAL;
}

/* Recursion until the guard page; `depth` ends it only in theory (the
 * compiler would otherwise see that it never returns). */
static uint64_t overflow(uint64_t n, uint64_t depth)
{
	volatile char pad[512];

	pad[0] = (char)n;
	if (n == depth)
		return pad[0];
	return overflow(n + 1, depth) + pad[0];
}

enum err faulty_serve_stack_overflow(uint64_t badge)
{
	sink = overflow(0, ~badge);
	return E_INVAL;
}

enum err faulty_serve_loop(uint64_t badge)
{
	(void)badge;
	for (;;)
		sink++;
}

enum err faulty_serve_bad_cap(uint64_t badge)
{
	uint64_t v;

	(void)badge;
	return echo_ping(SLOT_EMPTY, 1, &v);
}

/* POPFQ sets DF, AC and TF right before the far call, so the call itself
 * runs with them (TF's trap comes after the instruction that follows the
 * POPFQ: the call). */
enum err faulty_serve_flags_through_call(uint64_t badge, uint64_t *out_flags_kept,
					 uint64_t *out_value)
{
	static const struct ipc_gate_ptr gate = { 0, IPC_GATE_SELECTOR };
	uint64_t flags = flags_read() | RFLAGS_DF | RFLAGS_AC | RFLAGS_TF, after;
	register uint64_t r8 __asm__("r8") = 0;
	register uint64_t r9 __asm__("r9") = 0;
	uint64_t rax = IPC_OP_CALL, rdi = SLOT_EXAMPLE, rsi = ECHO_LABEL_PING, rdx = 41, rcx = 0;

	(void)badge;
	__asm__ volatile("pushq %[flags]\n\t"
			 "popfq\n\t"
			 "lcall *%[gate]\n\t"
			 "pushfq\n\t"
			 "popq %[after]\n\t"
			 "cld"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+c"(rcx), "+r"(r8), "+r"(r9),
			   [after] "=&r"(after)
			 : [gate] "m"(gate), [flags] "r"(flags)
			 : "r10", "r11", "cc", "memory");
	flags_write(after & ~(uint64_t)(RFLAGS_DF | RFLAGS_AC | RFLAGS_TF));
	/* DF and AC come back as they were; TF does not (ipc/ABI.md). */
	*out_flags_kept = (after & RFLAGS_DF) && (after & RFLAGS_AC) && !(after & RFLAGS_TF);
	*out_value = rdx;
	return rax == E_OK ? (enum err)rsi : (enum err)rax;
}

static uint8_t port_read(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

enum err faulty_serve_port_granted(uint64_t badge, uint64_t *out_value)
{
	(void)badge;
	*out_value = port_read(0x80);
	return E_OK;
}

enum err faulty_serve_port_denied(uint64_t badge)
{
	(void)badge;
	sink = port_read(0x70);
	return E_INVAL;
}

enum err faulty_serve_forward_ping(uint64_t badge, uint64_t value, uint64_t *out_value)
{
	(void)badge;
	return echo_ping(SLOT_EXAMPLE, value, out_value);
}

enum err faulty_serve_spin(uint64_t badge, uint64_t iterations, uint64_t *out_iterations)
{
	volatile uint64_t n = 0;

	(void)badge;
	while (n < iterations)
		n++;
	*out_iterations = n;
	return E_OK;
}

enum err faulty_serve_map_grant(uint64_t badge, uint64_t grant_slot, uint64_t *out_address_lo,
				uint64_t *out_address_hi)
{
	struct ipc_msg m = { 0 };
	enum err e = ipc_call_raw(IPC_OP_MAP, grant_slot, &m);

	(void)badge;
	*out_address_lo = (uint32_t)m.out[0];
	*out_address_hi = m.out[0] >> 32;
	return e;
}

static volatile uint64_t *at(uint64_t lo, uint64_t hi)
{
	return (volatile uint64_t *)(uintptr_t)((hi << 32) | (uint32_t)lo);
}

enum err faulty_serve_poke(uint64_t badge, uint64_t lo, uint64_t hi, uint64_t *out_value)
{
	(void)badge;
	*at(lo, hi) = 0x5A5A5A5A;
	*out_value = *at(lo, hi);
	return E_OK;
}

enum err faulty_serve_watch(uint64_t badge, uint64_t lo, uint64_t hi, uint64_t *out_reads)
{
	uint64_t reads = 0;

	(void)badge;
	for (;;) { /* ends by a fault once the grant is gone, or by the budget */
		sink = *at(lo, hi);
		*out_reads = ++reads;
	}
}

enum err faulty_serve_signal_self(uint64_t badge, uint64_t bits)
{
	struct ipc_msg m = { .in = { bits } };

	(void)badge;
	return ipc_call_raw(IPC_OP_SIGNAL, SLOT_NOTIFICATION, &m);
}

enum err faulty_serve_poll_self(uint64_t badge, uint64_t *out_bits)
{
	struct ipc_msg m = { 0 };
	enum err e = ipc_call_raw(IPC_OP_POLL, SLOT_NOTIFICATION, &m);

	(void)badge;
	*out_bits = m.out[0];
	return e;
}

/* cap.h's rights, for IPC_OP_CNODE's mint. */
#define CAP_R_READ 0x01
#define CAP_R_MAP 0x80
#define CAP_OP_MINT 2
#define CAP_OP_REVOKE 5
#define SLOT_MEMORY 3
#define SLOT_PROBE 5

static enum err cnode(uint64_t op, uint64_t src, uint64_t dst, uint64_t via, uint64_t rights)
{
	struct ipc_msg m = { .label = (uint32_t)op, .in = { dst, via, rights, 0 } };

	return ipc_call_raw(IPC_OP_CNODE, src, &m);
}

enum err faulty_serve_share_grant(uint64_t badge, uint64_t dst)
{
	(void)badge;
	return cnode(CAP_OP_MINT, SLOT_MEMORY, dst, SLOT_PROBE, CAP_R_READ | CAP_R_MAP);
}

enum err faulty_serve_revoke_grant(uint64_t badge)
{
	(void)badge;
	return cnode(CAP_OP_REVOKE, SLOT_MEMORY, 0, 0, 0);
}

enum err faulty_serve_cnode_op(uint64_t badge, uint64_t op, uint64_t slots)
{
	(void)badge;
	return cnode(op, slots & 0xFF, slots >> 8 & 0xFF, 0, CAP_R_READ | CAP_R_MAP);
}
