#ifndef SHOJI_DELAY_H
#define SHOJI_DELAY_H

#include "types.h"

/* Busy-waits at least `us` microseconds on the PIT (channel 2).  For boot
 * only, before the guest owns the PIT. */
void udelay(unsigned us);

/* TSC ticks per millisecond, measured against the PIT at boot (the only
 * time base Shoji has; the guest owns the timers after that). */
extern uint64_t tsc_khz;
void tsc_calibrate(void);

#endif
