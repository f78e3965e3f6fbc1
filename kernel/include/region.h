/* Choosing where Shoji's reserved region goes.  Pure logic, host-tested. */
#ifndef SHOJI_REGION_H
#define SHOJI_REGION_H

#include "boot_info.h"

/* Finds the highest `align`-aligned [p, p + size) below `limit` that lies
 * wholly inside available memory, overlaps no entry of another type, and
 * overlaps none of the `avoid` ranges.  Returns E_NOMEM if none exists. */
enum err region_choose(const struct mem_range *map, unsigned map_count,
		       const struct mem_range *avoid, unsigned avoid_count, uint64_t size,
		       uint64_t align, uint64_t limit, paddr_t *out);

#endif
