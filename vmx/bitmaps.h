/* The VMX MSR and I/O bitmaps from the core's intercept tables (SDM 25.6.4,
 * 25.6.9).  Pure logic: host-tested in vmx/tests. */
#ifndef SHOJI_VMX_BITMAPS_H
#define SHOJI_VMX_BITMAPS_H

#include "errors.h"
#include "intercept.h"
#include "types.h"

#define VMX_MSR_BITMAP_SIZE 4096
#define VMX_IO_BITMAPS_SIZE 8192 /* A (ports 0-7FFF) then B */

/* Where the read-intercept bit of `msr` is (the write bit is 2048 bytes
 * later); false for MSRs outside both ranges, which always exit. */
bool vmx_msr_bitmap_position(uint32_t msr, unsigned *byte, unsigned *bit);

/* Fills the bitmap; E_RANGE (and *outside) for a rule's MSR the bitmap
 * cannot describe: harmless, as it exits anyway. */
enum err vmx_msr_bitmap_build(uint8_t *bitmap, const struct msr_rule *rules, unsigned count,
			      uint32_t *outside);

void vmx_io_bitmap_build(uint8_t *bitmaps, const struct io_rule *rules, unsigned count);

#endif
