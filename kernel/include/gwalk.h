/* Translating a guest linear address the way the guest's MMU would, for
 * fetching the instruction behind an exit.  Pure logic (host-tested):
 * page-table entries are read through a callback. */
#ifndef SHOJI_GWALK_H
#define SHOJI_GWALK_H

#include "boot_info.h"
#include "errors.h"

struct gwalk_regs {
	uint64_t cr0, cr3, cr4, efer;
};

/* The entries a walk read, for callers that cache a translation: it stays
 * valid while the same registers select the same entries and each entry
 * still holds the same value. */
#define GWALK_MAX_LEVELS 6
struct gwalk_trace {
	unsigned count;
	uint8_t size[GWALK_MAX_LEVELS]; /* 4 or 8 bytes */
	paddr_t pa[GWALK_MAX_LEVELS];
	uint64_t value[GWALK_MAX_LEVELS];
};

/* Supports paging off, 32-bit paging (with PSE and PSE-36), PAE, and
 * 4- and 5-level paging with 2 MiB and 1 GiB pages.  Access rights are not
 * checked (the core reads what the guest just executed).  E_FAULT if an
 * entry is not present or unreadable.  `trace` may be NULL. */
enum err gwalk_translate(const struct gwalk_regs *r, uint64_t linear, phys_read_fn read,
			 void *opaque, paddr_t *gpa, struct gwalk_trace *trace);

#endif
