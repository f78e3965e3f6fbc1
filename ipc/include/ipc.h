/* IPC from the core's side (ipc/ABI.md): calls into domains, synchronous,
 * with the small register message of ipc_msg.h. */
#ifndef SHOJI_IPC_H
#define SHOJI_IPC_H

#include "errors.h"
#include "ipc_msg.h"
#include "types.h"

struct domain;

/* What the core holds to call a domain (the generated NAME_core.h stubs
 * take one): generation 0 accepts whichever is current. */
struct ipc_endpoint_ref {
	struct domain *d;
	uint32_t generation;
	uint64_t badge;
};

#include "ipc_core.h"

/* Calls domain d on this CPU.  E_OK: the call completed, and the callee's
 * answer is in m->reply_label, its words in m->out.  E_DEAD: d crashed in
 * the call, is waiting out its back-off, or is not of generation gen (when
 * gen is not 0); m->reply_label has its current generation.  E_BUSY: d is
 * already in this CPU's call chain, or another CPU held it too long. */
enum err ipc_call(struct domain *d, uint32_t gen, uint64_t badge, struct ipc_msg *m);

/* Runs one call in d, which the caller holds and which is READY. */
enum err ipc_serve(struct domain *d, uint64_t badge, struct ipc_msg *m);

#endif
