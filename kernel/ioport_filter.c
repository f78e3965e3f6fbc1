/* See include/ioport_filter.h.  Each byte of a write is judged by the
 * port it lands on, so a 16-bit write to 0x91 cannot slip past 0x92. */
#include "intercept.h"
#include "ioport_filter.h"

#define KBC_CMD_WRITE_OUTPUT 0xD1
#define KBC_CMD_A20_OFF 0xDD
#define KBC_CMD_A20_ON 0xDF
#define A20_BIT 0x02

static uint8_t filter_byte(struct kbc_state *kbc, uint16_t port, uint8_t b)
{
	const struct io_rule *rule = io_rule_find(port);

	if (!rule)
		return b;
	switch (rule->emul) {
	case IO_EMUL_PORT92:
		return b | A20_BIT;
	case IO_EMUL_KBC_CMD:
		kbc->pending_command = b;
		return b == KBC_CMD_A20_OFF ? KBC_CMD_A20_ON : b;
	case IO_EMUL_KBC_DATA:
		if (kbc->pending_command == KBC_CMD_WRITE_OUTPUT) {
			kbc->pending_command = 0;
			return b | A20_BIT;
		}
		return b;
	}
	return b;
}

uint32_t io_filter_out(struct kbc_state *kbc, uint16_t port, unsigned size, uint32_t value,
		       bool *changed)
{
	uint32_t out = 0;

	for (unsigned i = 0; i < size && i < 4; i++) {
		uint8_t b = (uint8_t)(value >> (8 * i));

		out |= (uint32_t)filter_byte(kbc, (uint16_t)(port + i), b) << (8 * i);
	}
	*changed = out != (value & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1));
	return out;
}
