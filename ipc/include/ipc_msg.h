/* The register message of an IPC call (ipc/ABI.md, "A call through the
 * gate"), shared by the core, the domain runtime and the code tools/ipcgen
 * generates.  Needs <stdint.h> only, so it builds for ring 0, ring 3 and the
 * host tests alike. */
#ifndef SHOJI_IPC_MSG_H
#define SHOJI_IPC_MSG_H

#include <stdint.h>

/* Operations, in rax of a gate call (ipc/ABI.md). */
#define IPC_OP_CALL 1
#define IPC_OP_REPLY 2
#define IPC_OP_SIGNAL 3
#define IPC_OP_POLL 4
#define IPC_OP_REFRESH 5
#define IPC_OP_MAP 6
#define IPC_OP_UNMAP 7
#define IPC_OP_CNODE 8
#define IPC_OP_PORT 9
#define IPC_OP_COUNT 10

/* The selector of the IPC call gate in every CPU's GDT (DPL 3). */
#define IPC_GATE_SELECTOR 0x3B

/* Sent once after each start and restart, before any other call; word 0 is
 * the domain's generation.  The runtime handles it: generated dispatchers
 * never see it (and would answer E_INVAL). */
#define IPC_LABEL_INIT 0

#define IPC_MSG_WORDS 4

/*
 * One call and its reply.
 *
 * label, in[]:  set by the caller: the method (or, for other operations, what
 *               ipc/ABI.md puts in rsi) and message words 0-3 (rdx, rcx, r8,
 *               r9).
 * reply_label, out[]:  set by the callee's side: on a completed call, the
 *               enum err the server's method returned (E_OK, or why it
 *               failed), and reply words 0-3.  When the call itself failed
 *               with E_DEAD, reply_label is the callee's current generation
 *               and out[] means nothing.
 */
struct ipc_msg {
	uint32_t label;
	uint32_t reply_label;
	uint64_t in[IPC_MSG_WORDS];
	uint64_t out[IPC_MSG_WORDS];
};

#endif
