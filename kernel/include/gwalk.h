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

/* Supports paging off, 32-bit paging (with PSE and PSE-36), PAE, and
 * 4- and 5-level paging with 2 MiB and 1 GiB pages.  Access rights are not
 * checked (the core reads what the guest just executed).  E_FAULT if an
 * entry is not present or unreadable. */
enum err gwalk_translate(const struct gwalk_regs *r, uint64_t linear, phys_read_fn read,
			 void *opaque, paddr_t *gpa);

#endif
