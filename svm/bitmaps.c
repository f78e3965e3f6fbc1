/* See bitmaps.h. */
#include <string.h>

#include "bitmaps.h"

bool svm_msrpm_position(uint32_t msr, unsigned *byte, unsigned *bit)
{
	static const struct { uint32_t first; unsigned offset; } ranges[] = {
		{ 0x00000000, 0x0000 },
		{ 0xC0000000, 0x0800 },
		{ 0xC0010000, 0x1000 },
	};

	for (unsigned i = 0; i < 3; i++) {
		if (msr >= ranges[i].first && msr < ranges[i].first + 0x2000) {
			unsigned index = msr - ranges[i].first;

			*byte = ranges[i].offset + index / 4;
			*bit = (index % 4) * 2;
			return true;
		}
	}
	return false;
}

enum err svm_msrpm_build(uint8_t *msrpm, const struct msr_rule *rules, unsigned count,
			 uint32_t *bad_msr)
{
	memset(msrpm, 0, SVM_MSRPM_SIZE);
	for (unsigned i = 0; i < count; i++) {
		unsigned byte, bit;

		if (!svm_msrpm_position(rules[i].msr, &byte, &bit)) {
			*bad_msr = rules[i].msr;
			return E_RANGE;
		}
		if (rules[i].trap_read)
			msrpm[byte] |= (uint8_t)(1u << bit);
		if (rules[i].trap_write)
			msrpm[byte] |= (uint8_t)(2u << bit);
	}
	return E_OK;
}

void svm_iopm_build(uint8_t *iopm, const struct io_rule *rules, unsigned count)
{
	memset(iopm, 0, SVM_IOPM_SIZE);
	for (unsigned i = 0; i < count; i++)
		iopm[rules[i].port / 8] |= (uint8_t)(1u << (rules[i].port % 8));
}
