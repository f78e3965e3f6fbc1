/* IPC between the core and the domains, and between domains (ipc/ABI.md).
 * Calls are synchronous and carry a small register message. */
#ifndef SHOJI_IPC_H
#define SHOJI_IPC_H

#include "errors.h"
#include "types.h"

#define IPC_OP_CALL 1
#define IPC_OP_REPLY 2
#define IPC_OP_SIGNAL 3
#define IPC_OP_POLL 4
#define IPC_OP_REFRESH 5
#define IPC_OP_MAP 6
#define IPC_OP_UNMAP 7
#define IPC_OP_CNODE 8
#define IPC_OP_COUNT 9

/* Sent once after each start and restart; word 0 = the generation. */
#define IPC_LABEL_INIT 0

struct ipc_msg {
	uint64_t label; /* in: the method; out: the reply's label (E_DEAD: the generation) */
	uint64_t w[4];
};

struct domain;

/* Calls domain d from the core (an exit handler, a test hook): runs the
 * call on this CPU and returns the callee's answer.  gen 0 accepts any
 * generation; another value must be the current one (else E_DEAD with the
 * current generation in m->label).  A crash during the call gives E_DEAD
 * with the new generation; E_BUSY if d cannot be had. */
enum err ipc_call(struct domain *d, uint32_t gen, uint64_t badge, struct ipc_msg *m);

/* Runs one call in d, which the caller holds and which is READY. */
enum err ipc_serve(struct domain *d, uint64_t badge, struct ipc_msg *m);

#endif
