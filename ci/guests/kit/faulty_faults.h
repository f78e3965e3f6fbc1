/* The fault kinds of the faulty domain (ipc/interfaces/faulty.toml) that
 * the crash-containment tests inject, and the vector each must end the
 * domain with.  Shared by the micro-guest (ci/guests/domain_faults.c) and
 * the Linux client (ci/linux/shoji_domcall.c).
 *
 * vector: what the SDM says the fault raises; alt: what an emulator is
 * known to raise instead (QEMU's TCG gives #GP, not #SS, for a push
 * through a non-canonical RSP).  256: the core ended the domain for a bad
 * gate call, not for an exception; 0xF0: the core's budget timer
 * (kernel/dom/budget.c) ended a domain that ran too long.  The #AC entry
 * is not raised by QEMU's TCG at all (the tests say so and go on). */
#ifndef KIT_FAULTY_FAULTS_H
#define KIT_FAULTY_FAULTS_H

#include <stdint.h>

#define FAULTY_VECTOR_AC 17

static const struct faulty_fault {
	uint32_t label;
	const char *what;
	uint32_t vector, alt;
} faulty_faults[] = {
	{ 2, "null read", 14, 14 },	     { 3, "write to the core", 14, 14 },
	{ 4, "non-canonical read", 13, 13 }, { 5, "invalid opcode", 6, 6 },
	{ 6, "divide by zero", 0, 0 },	     { 7, "stack segment", 12, 13 },
	{ 8, "alignment check", 17, 17 },    { 9, "stack overflow", 14, 14 },
	{ 11, "bad capability", 256, 256 },  { 14, "port not granted", 13, 13 },
	{ 10, "endless loop (budget)", 0xF0, 0xF0 },
};

#define FAULTY_FAULT_COUNT (sizeof(faulty_faults) / sizeof(faulty_faults[0]))

#endif
