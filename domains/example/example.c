/* The example domain: an echo server (ipc/interfaces/echo.toml), the
 * smallest useful domain.  domains/README.md walks through it. */
#include "domain.h"
#include "echo_server.h"

enum err domain_init(uint32_t generation)
{
	(void)generation;
	return E_OK;
}

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	return echo_dispatch(badge, m);
}

enum err echo_serve_ping(uint64_t badge, uint64_t value, uint64_t *out_value)
{
	(void)badge;
	*out_value = value + 1;
	return E_OK;
}
