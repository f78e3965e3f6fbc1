/* See include/e820.h. */
#include "e820.h"

/* Higher wins where entries overlap: anything is more restrictive than
 * "available", and Shoji's own region beats everything. */
static unsigned type_rank(uint32_t type)
{
	switch (type) {
	case MEM_AVAILABLE: return 1;
	case MEM_ACPI_RECLAIM: return 2;
	case MEM_ACPI_NVS: return 3;
	case MEM_BAD: return 5;
	default: return 4; /* reserved and unknown types */
	}
}

unsigned e820_build(const struct mem_range *in, unsigned in_count, paddr_t hidden_start,
		    paddr_t hidden_end, struct mem_range *out, unsigned max)
{
	/* Every start and end is a boundary; between two boundaries the type
	 * is the strongest of the entries covering it. */
	uint64_t bounds[2 * (BOOT_MAX_MMAP + 1)];
	unsigned nb = 0, n = 0;

	if (in_count > BOOT_MAX_MMAP)
		return 0;
	for (unsigned i = 0; i < in_count; i++) {
		bounds[nb++] = in[i].start;
		bounds[nb++] = in[i].end;
	}
	if (hidden_end > hidden_start) {
		bounds[nb++] = hidden_start;
		bounds[nb++] = hidden_end;
	}
	for (unsigned i = 1; i < nb; i++) /* insertion sort: nb is small */
		for (unsigned j = i; j > 0 && bounds[j - 1] > bounds[j]; j--) {
			uint64_t t = bounds[j];

			bounds[j] = bounds[j - 1];
			bounds[j - 1] = t;
		}
	for (unsigned b = 0; b + 1 < nb; b++) {
		uint64_t s = bounds[b], e = bounds[b + 1];
		uint32_t type = 0;
		unsigned rank = 0;

		if (s == e)
			continue;
		for (unsigned i = 0; i < in_count; i++) {
			if (in[i].start <= s && e <= in[i].end && type_rank(in[i].type) > rank) {
				rank = type_rank(in[i].type);
				type = in[i].type;
			}
		}
		if (hidden_start <= s && e <= hidden_end && hidden_end > hidden_start)
			type = MEM_RESERVED;
		if (!type)
			continue; /* a hole stays a hole */
		if (n && out[n - 1].end == s && out[n - 1].type == type) {
			out[n - 1].end = e;
			continue;
		}
		if (n == max)
			return 0;
		out[n++] = (struct mem_range){ s, e, type };
	}
	return n;
}

bool e820_is_available(const struct mem_range *map, unsigned count, paddr_t start, paddr_t end)
{
	/* The map is sorted and merged, so one entry must cover it all. */
	for (unsigned i = 0; i < count; i++)
		if (map[i].type == MEM_AVAILABLE && map[i].start <= start && end <= map[i].end)
			return start < end;
	return false;
}
