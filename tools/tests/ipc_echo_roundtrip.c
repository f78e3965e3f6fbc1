/* A host round trip through what tools/ipcgen generates for
 * ipc/interfaces/echo.toml, built by the CMake glue (ipc_echo_server): the
 * core's stub echo_core_ping, a stand-in ipc_core_call that serves the call
 * with echo_dispatch as a domain's runtime would, and echo_serve_ping.
 * Expect: the value comes back; the server's error and the call's error
 * reach the caller and leave its out word alone. */
#include <stdio.h>
#include <stdlib.h>

#include "echo_core.h"
#include "echo_server.h"

#define CHECK(c)                                                   \
	do {                                                       \
		if (!(c)) {                                        \
			printf("FAIL line %d: %s\n", __LINE__, #c); \
			exit(1);                                   \
		}                                                  \
	} while (0)

/* What the core's endpoint would name: the badge, and a way to fail. */
struct ipc_endpoint_ref {
	uint64_t badge;
	enum err call_result;
};

static uint64_t last_badge;

enum err echo_serve_ping(uint64_t badge, uint64_t value, uint64_t *out_value)
{
	last_badge = badge;
	if (value == 0xDEAD)
		return E_RANGE;
	*out_value = value;
	return E_OK;
}

enum err ipc_core_call(struct ipc_endpoint_ref *ep, struct ipc_msg *msg)
{
	if (ep->call_result != E_OK) {
		msg->reply_label = 7; /* the callee's new generation */
		return ep->call_result;
	}
	echo_dispatch(ep->badge, msg);
	return E_OK;
}

int main(void)
{
	struct ipc_endpoint_ref ep = { .badge = 0x5EED, .call_result = E_OK };
	uint64_t out = 0;

	CHECK(echo_core_ping(&ep, 0x1234567890ABCDEFull, &out) == E_OK);
	CHECK(out == 0x1234567890ABCDEFull && last_badge == 0x5EED);

	out = 1;
	CHECK(echo_core_ping(&ep, 0xDEAD, &out) == E_RANGE && out == 1);

	ep.call_result = E_DEAD;
	CHECK(echo_core_ping(&ep, 5, &out) == E_DEAD && out == 1);
	puts("echo round trip ok");
	return 0;
}
