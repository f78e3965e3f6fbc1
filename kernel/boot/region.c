/* See include/region.h. */
#include "region.h"

/* True if [p, p + size) hits a range; *conflict_start gets the lowest start
 * of the ranges it hits. */
static bool find_conflict(const struct mem_range *map, unsigned map_count,
			  const struct mem_range *avoid, unsigned avoid_count, uint64_t p,
			  uint64_t size, uint64_t *conflict_start)
{
	bool hit = false;

	for (unsigned i = 0; i < map_count; i++) {
		if (map[i].type != MEM_AVAILABLE &&
		    ranges_overlap(p, p + size, map[i].start, map[i].end) &&
		    (!hit || map[i].start < *conflict_start)) {
			*conflict_start = map[i].start;
			hit = true;
		}
	}
	for (unsigned i = 0; i < avoid_count; i++) {
		if (ranges_overlap(p, p + size, avoid[i].start, avoid[i].end) &&
		    (!hit || avoid[i].start < *conflict_start)) {
			*conflict_start = avoid[i].start;
			hit = true;
		}
	}
	return hit;
}

enum err region_choose(const struct mem_range *map, unsigned map_count,
		       const struct mem_range *avoid, unsigned avoid_count, uint64_t size,
		       uint64_t align, uint64_t limit, paddr_t *out)
{
	bool found = false;
	paddr_t best = 0;

	if (size == 0 || align == 0 || (align & (align - 1)))
		return E_INVAL;
	for (unsigned i = 0; i < map_count; i++) {
		const struct mem_range *r = &map[i];
		uint64_t top = MIN(r->end, limit);

		if (r->type != MEM_AVAILABLE || top < size || top - size < r->start)
			continue;
		uint64_t p = ALIGN_DOWN(top - size, align);

		/* Walk down past each conflict until one fits or the range ends. */
		while (p >= r->start) {
			uint64_t conflict = 0;

			if (!find_conflict(map, map_count, avoid, avoid_count, p, size, &conflict)) {
				if (!found || p > best)
					best = p;
				found = true;
				break;
			}
			if (conflict < size || conflict - size < r->start)
				break;
			uint64_t next = ALIGN_DOWN(conflict - size, align);

			if (next >= p)
				break;
			p = next;
		}
	}
	if (!found)
		return E_NOMEM;
	*out = best;
	return E_OK;
}
