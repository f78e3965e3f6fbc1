/* The example domain: an echo server, the smallest useful domain (see
 * domains/README.md).  Label 1 answers value + 1 and the number of calls
 * this generation has served. */
#include "domain.h"

#define EXAMPLE_LABEL_PING 1

static uint64_t served; /* data: reset to 0 at every restart */

enum err domain_init(uint32_t generation)
{
	(void)generation;
	served = 0;
	return E_OK;
}

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	(void)badge;
	if (m->label != EXAMPLE_LABEL_PING)
		return E_INVAL;
	m->w[0] = m->w[0] + 1;
	m->w[1] = ++served;
	return E_OK;
}
