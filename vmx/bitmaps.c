/* See bitmaps.h. */
#include <string.h>

#include "bitmaps.h"

bool vmx_msr_bitmap_position(uint32_t msr, unsigned *byte, unsigned *bit)
{
	unsigned index;

	if (msr <= 0x1FFF)
		index = msr;
	else if (msr >= 0xC0000000 && msr <= 0xC0001FFF)
		index = 0x2000 + (msr - 0xC0000000); /* the "high" half: bytes 1024-2047 */
	else
		return false;
	*byte = index / 8;
	*bit = index % 8;
	return true;
}

enum err vmx_msr_bitmap_build(uint8_t *bitmap, const struct msr_rule *rules, unsigned count,
			      uint32_t *outside)
{
	enum err result = E_OK;

	memset(bitmap, 0, VMX_MSR_BITMAP_SIZE);
	for (unsigned i = 0; i < count; i++) {
		unsigned byte, bit;

		if (!vmx_msr_bitmap_position(rules[i].msr, &byte, &bit)) {
			*outside = rules[i].msr;
			result = E_RANGE;
			continue;
		}
		if (rules[i].trap_read)
			bitmap[byte] |= (uint8_t)(1u << bit);
		if (rules[i].trap_write)
			bitmap[2048 + byte] |= (uint8_t)(1u << bit);
	}
	return result;
}

void vmx_io_bitmap_build(uint8_t *bitmaps, const struct io_rule *rules, unsigned count)
{
	memset(bitmaps, 0, VMX_IO_BITMAPS_SIZE);
	for (unsigned i = 0; i < count; i++)
		bitmaps[rules[i].port / 8] |= (uint8_t)(1u << (rules[i].port % 8));
}
