/* Boot-time delays for AP start-up (SDM 9.4.4.1 asks 10 ms after INIT and
 * 200 us after a SIPI).  The TSC's rate is unknown this early, the PIT's is
 * not: 1.193182 MHz.  Channel 2 (the speaker's, gated by port 0x61) counts
 * down once in mode 0 and its output rises at zero. */
#include "delay.h"
#include "x86.h"

#define PIT_HZ 1193182
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT_61 0x61

static void pit_wait(unsigned ticks)
{
	uint8_t saved = inb(PORT_61);

	outb(PORT_61, (saved & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_CMD, 0xB0);                   /* channel 2, lo/hi byte, mode 0 */
	outb(PIT_CH2, (uint8_t)ticks);
	outb(PIT_CH2, (uint8_t)(ticks >> 8));
	for (unsigned spins = 0; !(inb(PORT_61) & 0x20) && spins < 100000000; spins++)
		cpu_relax();
	outb(PORT_61, saved);
}

void udelay(unsigned us)
{
	while (us) {
		unsigned chunk = us > 50000 ? 50000 : us; /* the counter holds 16 bits */
		unsigned ticks = (unsigned)((uint64_t)chunk * PIT_HZ / 1000000) + 1;

		pit_wait(ticks);
		us -= chunk;
	}
}

uint64_t tsc_khz;

void tsc_calibrate(void)
{
	uint64_t start = rdtsc();

	udelay(10000);
	tsc_khz = (rdtsc() - start) / 10;
	if (!tsc_khz)
		tsc_khz = 1;
}
