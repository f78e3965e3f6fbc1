/* Reads and writes Shoji's reserved memory: reads must show zeros (never
 * Shoji's data; its image starts with a multiboot header), writes must
 * have no effect, and Shoji must keep running (CPUID still hides SVM).
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("isolation-memory");

static bool shoji_alive(void)
{
	uint32_t r[4];

	kit_cpuid(0x80000001, 0, r);
	return !(r[2] & (1u << 2)); /* SVM still hidden: exits are handled */
}

void test_main(const struct kit_boot *boot)
{
	uint64_t start, end;

	if (!kit_find_shoji_region(boot, &start, &end)) {
		if (kit_cmdline_has(boot, "bare"))
			kit_skip("booted without Shoji: no reserved region to attack");
		kit_error("no reserved region of Shoji's in the memory map");
	}
	kit_printf("Shoji's region: %#lx-%#lx\n", start, end - 1);
	/* Reads: the whole region, a word per 64 bytes. */
	for (uint64_t a = start; a < end; a += 64)
		if (*(volatile uint64_t *)a != 0)
			kit_failure("read %#lx from Shoji's memory at %#lx", *(volatile uint64_t *)a, a);
	/* Writes at the start (the image), the middle and the last word,
	 * with plain and string stores. */
	uint64_t targets[] = { start, start + 0x1000, (start + end) / 2, end - 8 };

	for (unsigned i = 0; i < sizeof(targets) / sizeof(*targets); i++) {
		volatile uint64_t *p = (volatile uint64_t *)targets[i];

		*p = 0x5555AAAA5555AAAAULL;
		if (*p != 0)
			kit_failure("a write to Shoji's memory at %#lx stuck", targets[i]);
	}
	__asm__ volatile("rep stosb" : : "D"(start + 0x2000), "c"(256), "a"(0xCC) : "memory");
	for (uint64_t a = start + 0x2000; a < start + 0x2100; a += 8)
		if (*(volatile uint64_t *)a != 0)
			kit_failure("rep stosb into Shoji's memory stuck at %#lx", a);
	if (!shoji_alive())
		kit_failure("Shoji no longer answers exits after the attack");
	kit_success();
}
