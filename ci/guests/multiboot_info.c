/* What a multiboot kernel given to Shoji as a module must get: its own
 * command line, its modules (contents and strings), a sorted memory map in
 * which Shoji's region is reserved and overlaps no available range, and a
 * zeroed bss.  Built as ELF32 and as ELF64 (Shoji loads both).
 *
 * Expect: SUCCESS
 */
#include <string.h>

#include "kit.h"

KIT_TEST("multiboot-info");

static uint8_t big_bss[256 * 1024];

void test_main(const struct kit_boot *boot)
{
	for (size_t i = 0; i < sizeof(big_bss); i++)
		if (big_bss[i])
			kit_failure("bss byte %zu is %#x, not zero", i, big_bss[i]);
	if (!kit_cmdline_has(boot, "alpha") || !kit_cmdline_has(boot, "beta=2"))
		kit_failure("command line is '%s'; expected alpha and beta=2 in it", boot->cmdline);
	if (boot->module_count != 2)
		kit_failure("%u modules, expected 2", boot->module_count);
	const struct kit_module *m0 = &boot->modules[0], *m1 = &boot->modules[1];

	if (m0->start & 0xFFF || m1->start & 0xFFF)
		kit_failure("modules not page aligned: %#lx %#lx", m0->start, m1->start);
	if (m0->end - m0->start < 16 || memcmp((const void *)m0->start, "SHOJI-MODULE-ONE", 16))
		kit_failure("module 0 at %#lx has the wrong contents", m0->start);
	if (!strstr(m0->cmdline, "first-module") || !strstr(m1->cmdline, "second-module"))
		kit_failure("module strings are '%s' and '%s'", m0->cmdline, m1->cmdline);
	const uint8_t *p = (const uint8_t *)m1->start;

	if (m1->end - m1->start != 65536)
		kit_failure("module 1 is %lu bytes, expected 65536", m1->end - m1->start);
	for (unsigned i = 0; i < 65536; i++)
		if (p[i] != (uint8_t)(i * 7 + (i >> 8)))
			kit_failure("module 1 byte %u is %#x", i, p[i]);

	bool ram_at_1m = false;

	for (unsigned i = 0; i < boot->mmap_count; i++) {
		const struct kit_mmap_entry *e = &boot->mmap[i];

		if (i && e->start < boot->mmap[i - 1].end)
			kit_failure("memory map entry %u (%#lx) overlaps or is out of order", i,
				    e->start);
		if (e->type == 1 && e->start <= 0x100000 && e->end > 0x200000)
			ram_at_1m = true;
	}
	if (!ram_at_1m)
		kit_failure("no available memory at 1 MiB in the memory map");
	uint64_t start, end;

	if (kit_find_shoji_region(boot, &start, &end)) {
		for (unsigned i = 0; i < boot->mmap_count; i++)
			if (boot->mmap[i].type == 1 && boot->mmap[i].start < end &&
			    start < boot->mmap[i].end)
				kit_failure("available memory %#lx-%#lx overlaps Shoji's region",
					    boot->mmap[i].start, boot->mmap[i].end);
		if ((uint64_t)m0->start < end && start < m0->end)
			kit_failure("module 0 lies in Shoji's region");
	} else if (!kit_cmdline_has(boot, "bare")) {
		kit_failure("no reserved region of Shoji's in the memory map");
	}
	kit_success();
}
