/* What a domain writes and what it may call (ipc/ABI.md).  A domain
 * provides domain_init and domain_dispatch; the runtime calls them. */
#ifndef SHOJI_DOMAIN_H
#define SHOJI_DOMAIN_H

#include <stdint.h>

#include "errors.h"
#include "ipc.h"

/* Called once after each start and restart, before any other call. */
enum err domain_init(uint32_t generation);

/* Serves one call: m->label and m->w in; m->label and m->w out. */
enum err domain_dispatch(uint64_t badge, struct ipc_msg *m);

/* The call gate: the operation, a slot of the domain's CNode, and the
 * message, both ways.  Returns what the core (or the callee) answered. */
static inline enum err ipc_gate(uint64_t op, uint64_t slot, struct ipc_msg *m)
{
	static const struct __attribute__((packed)) {
		uint32_t offset;
		uint16_t selector;
	} gate = { 0, 0x3B };
	register uint64_t rax __asm__("rax") = op;
	register uint64_t rdi __asm__("rdi") = slot;
	register uint64_t rsi __asm__("rsi") = m->label;
	register uint64_t rdx __asm__("rdx") = m->w[0];
	register uint64_t rcx __asm__("rcx") = m->w[1];
	register uint64_t r8 __asm__("r8") = m->w[2];
	register uint64_t r9 __asm__("r9") = m->w[3];

	__asm__ volatile("lcall *%[gate]"
			 : "+r"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(rcx), "+r"(r8), "+r"(r9)
			 : [gate] "m"(gate)
			 : "r10", "r11", "memory", "cc");
	m->label = rsi;
	m->w[0] = rdx;
	m->w[1] = rcx;
	m->w[2] = r8;
	m->w[3] = r9;
	return (enum err)rax;
}

static inline enum err ipc_call_slot(unsigned slot, struct ipc_msg *m)
{
	return ipc_gate(IPC_OP_CALL, slot, m);
}

#endif
