/* A triple fault under Shoji resets the machine, and the machine boots
 * again: the first boot leaves a mark in CMOS RAM (which survives a reset)
 * and triple-faults; the second boot finds the mark and succeeds.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("triple-fault-reset");

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define MARK_OFFSET 0x4E /* unused by SeaBIOS and QEMU */
#define MARK 0xA5

static uint8_t cmos_read(uint8_t i)
{
	kit_outb(CMOS_INDEX, i);
	return kit_inb(CMOS_DATA);
}

static void cmos_write(uint8_t i, uint8_t v)
{
	kit_outb(CMOS_INDEX, i);
	kit_outb(CMOS_DATA, v);
}

void test_main(const struct kit_boot *boot)
{
	(void)boot;
	if (cmos_read(MARK_OFFSET) == MARK) {
		cmos_write(MARK_OFFSET, 0);
		kit_printf("second boot after the triple fault\n");
		kit_success();
	}
	cmos_write(MARK_OFFSET, MARK);
	kit_printf("first boot: triple-faulting now\n");
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty = { 0, 0 };

	__asm__ volatile("lidt %0; int3" : : "m"(empty));
	kit_error("still running after the triple fault");
}
