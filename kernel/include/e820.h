/* The memory map the guest is shown.  Pure logic, host-tested. */
#ifndef SHOJI_E820_H
#define SHOJI_E820_H

#include "boot_info.h"

#define E820_MAX 128

/* Builds a sorted, non-overlapping map from the loader's (possibly
 * unsorted, overlapping) one, with [hidden_start, hidden_end) as reserved
 * (type 2: not a hole, which Linux would give to PCI, and not a type the OS
 * maps or saves).  Where entries overlap, the more restrictive type wins.
 * Adjacent entries of one type are merged.  Returns the count, or 0 if it
 * would not fit in `max`. */
unsigned e820_build(const struct mem_range *in, unsigned in_count, paddr_t hidden_start,
		    paddr_t hidden_end, struct mem_range *out, unsigned max);

/* True if [start, end) lies wholly in entries of type MEM_AVAILABLE. */
bool e820_is_available(const struct mem_range *map, unsigned count, paddr_t start, paddr_t end);

#endif
