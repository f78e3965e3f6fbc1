/* The domain side of a call: hand the message to the domain's dispatcher
 * and reply with its answer (the reply's label is the answer, its words
 * the out words).  The reply never returns: the next call enters at _start
 * again on an empty stack. */
#include <stdlib.h>

#include "domain.h"

_Noreturn void runtime_serve(uint64_t badge, uint64_t label, uint64_t w0, uint64_t w1,
			     uint64_t w2, uint64_t w3);

_Noreturn void runtime_serve(uint64_t badge, uint64_t label, uint64_t w0, uint64_t w1,
			     uint64_t w2, uint64_t w3)
{
	struct ipc_msg m = { .label = (uint32_t)label, .in = { w0, w1, w2, w3 } };
	enum err e = label == IPC_LABEL_INIT ? domain_init((uint32_t)w0) : domain_dispatch(badge, &m);
	struct ipc_msg reply = { .label = (uint32_t)e,
				 .in = { m.out[0], m.out[1], m.out[2], m.out[3] } };

	ipc_call_raw(IPC_OP_REPLY, 0, &reply);
	abort(); /* the core never returns from a reply */
}

/* A domain with nothing to set up at start need not write domain_init. */
__attribute__((weak)) enum err domain_init(uint32_t generation)
{
	(void)generation;
	return E_OK;
}

/* libc's last resort (a corrupted heap, a failed check): a fault, which
 * the core reports and answers with a restart. */
_Noreturn void abort(void)
{
	for (;;)
		__asm__ volatile("ud2");
}
