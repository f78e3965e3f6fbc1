/* The one way a domain enters the core: a far call through the IPC call gate
 * (ipc/ABI.md, "A call through the gate").  Everything else a domain does
 * with IPC (the stubs tools/ipcgen generates, replies, notifications,
 * mappings, capability operations) is built on ipc_call_raw. */
#ifndef SHOJI_IPC_RAW_H
#define SHOJI_IPC_RAW_H

#include <stdint.h>

#include "errors.h"
#include "ipc_msg.h"

/* A far pointer m16:32 for `lcall *`: the CPU reads the selector and, for a
 * call gate, ignores the offset (SDM Vol. 3A 5.8.3, "Call Gates"). */
/* A domain granted the FPU (built with SSE) may find its vector registers
 * changed by a call: the callee may be another FPU domain sharing them
 * (kernel/dom/fpu.c), as the C ABI allows for any call. */
#ifdef __SSE__
#define IPC_RAW_VECTOR_CLOBBERS                                                     \
	, "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
		"xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"
#else
#define IPC_RAW_VECTOR_CLOBBERS
#endif

struct ipc_gate_ptr {
	uint32_t offset;
	uint16_t selector;
} __attribute__((packed));

/*
 * Makes gate operation op (IPC_OP_*) on capability slot `slot` of this
 * domain's CNode.
 *
 * In:  msg->label (rsi: the method for IPC_OP_CALL, CAP_OP_* for
 *      IPC_OP_CNODE, ...) and msg->in[0..3] (rdx, rcx, r8, r9).
 * Out: the enum err the core returns in rax; msg->reply_label from rsi (the
 *      server's enum err after a completed call, the callee's generation for
 *      E_DEAD) and msg->out[0..3] from rdx, rcx, r8, r9.
 * The gate clobbers rdi, r10, r11 and the flags; the core may write the
 * domain's memory (mappings, capability operations), hence "memory".
 * IPC_OP_REPLY does not return.
 */
static inline enum err ipc_call_raw(uint64_t op, uint64_t slot, struct ipc_msg *msg)
{
	static const struct ipc_gate_ptr gate = { 0, IPC_GATE_SELECTOR };
	register uint64_t r8 __asm__("r8") = msg->in[2];
	register uint64_t r9 __asm__("r9") = msg->in[3];
	uint64_t rax = op, rdi = slot, rsi = msg->label;
	uint64_t rdx = msg->in[0], rcx = msg->in[1];

	__asm__ volatile("lcall *%[gate]"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+c"(rcx), "+r"(r8),
			   "+r"(r9)
			 : [gate] "m"(gate)
			 : "r10", "r11", "cc", "memory" IPC_RAW_VECTOR_CLOBBERS);
	msg->reply_label = (uint32_t)rsi;
	msg->out[0] = rdx;
	msg->out[1] = rcx;
	msg->out[2] = r8;
	msg->out[3] = r9;
	return (enum err)rax;
}

#endif
