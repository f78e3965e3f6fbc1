/* The A20 gate stays on: what a guest's write to an intercepted port
 * becomes.  Pure logic, host-tested. */
#ifndef SHOJI_IOPORT_FILTER_H
#define SHOJI_IOPORT_FILTER_H

#include "types.h"

/* State carried between writes: a keyboard-controller command awaiting its
 * data byte. */
struct kbc_state {
	uint8_t pending_command;
};

/* Returns the value to write instead of `value` (size 1, 2 or 4 bytes
 * starting at `port`).  *changed says whether a byte was altered. */
uint32_t io_filter_out(struct kbc_state *kbc, uint16_t port, unsigned size, uint32_t value,
		       bool *changed);

#endif
