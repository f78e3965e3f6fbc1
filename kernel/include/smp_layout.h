/* Low memory used while Shoji starts the other CPUs (C and assembly). */
#ifndef SHOJI_SMP_LAYOUT_H
#define SHOJI_SMP_LAYOUT_H

/* The trampoline page: SIPI vector 6.  Below the guest's boot data
 * (0x7000) and clear of the BIOS data areas; its old contents are put back
 * once every CPU is up. */
#define TRAMPOLINE_PA 0x6000
#define TRAMPOLINE_VECTOR (TRAMPOLINE_PA >> 12)

#endif
