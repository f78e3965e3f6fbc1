/* Calls from the core (ring 0) into a domain: what the core-side stubs that
 * tools/ipcgen generates (<name>_core.h) are built on. */
#ifndef SHOJI_IPC_CORE_H
#define SHOJI_IPC_CORE_H

#include "errors.h"
#include "ipc_msg.h"

/* The core's handle on a domain's endpoint (defined by ipc/, opaque here). */
struct ipc_endpoint_ref;

/*
 * Calls the domain behind ep with msg->label and msg->in[], migrating-thread
 * style on this CPU (ipc/ABI.md), and waits for its reply.
 *
 * Needs: ep names an endpoint; msg is the core's own memory.
 * Returns E_OK with msg->reply_label (the server's enum err) and msg->out[]
 * filled in; E_DEAD with msg->reply_label = the callee's new generation if it
 * crashed or restarted; E_BUSY if the callee is already in this CPU's call
 * chain.  Never blocks on the callee beyond its budget (STYLE.md 12).
 */
enum err ipc_core_call(struct ipc_endpoint_ref *ep, struct ipc_msg *msg);

#endif
