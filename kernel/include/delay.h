#ifndef SHOJI_DELAY_H
#define SHOJI_DELAY_H

/* Busy-waits at least `us` microseconds on the PIT (channel 2).  For boot
 * only, before the guest owns the PIT. */
void udelay(unsigned us);

#endif
