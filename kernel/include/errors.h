/* The one error vocabulary of the core, the IPC layer and the domains
 * (STYLE.md 10).  A code exists only because some caller acts on it
 * differently from the others. */
#ifndef SHOJI_ERRORS_H
#define SHOJI_ERRORS_H

enum err {
	E_OK = 0,
	E_INVAL,    /* malformed input: the caller sent something wrong */
	E_RANGE,    /* a value outside what is allowed */
	E_NOMEM,    /* out of memory in the reserved region */
	E_NOTFOUND, /* no such object */
	E_FAULT,    /* an access faulted (guest memory not RAM, #GP on MSR...) */
	E_UNSUPP,   /* the CPU or the platform lacks what this needs */
	E_EXISTS,   /* already present (duplicate key, slot in use) */
	E_DENIED,   /* no capability for this, or it lacks the right */
	E_DEAD,     /* the callee crashed or restarted: the call did not complete,
		     * or the capability names an older generation */
	E_BUSY,     /* the domain is in a call that cannot wait for this one
		     * (a call cycle, or another CPU held it too long) */
	E_COUNT     /* not an error: the number of codes */
};

const char *err_name(enum err e);

#endif
