/* What a domain writes (ipc/ABI.md).  A domain provides domain_init and
 * domain_dispatch (usually the dispatcher tools/ipcgen made from its
 * interface); the runtime calls them and replies.  It calls others with
 * the generated client stubs (NAME_client.h) over ipc_call_raw. */
#ifndef SHOJI_DOMAIN_H
#define SHOJI_DOMAIN_H

#include <stdint.h>

#include "errors.h"
#include "ipc_msg.h"
#include "ipc_raw.h"

/* Called once after each start and restart, before any other call.
 * Optional: the runtime's own answers E_OK. */
enum err domain_init(uint32_t generation);

/* Serves one call: m->label and m->in in; m->out out.  Returns the
 * answer the caller gets as the call's result. */
enum err domain_dispatch(uint64_t badge, struct ipc_msg *m);

#endif
