/* SVM's MSR and I/O permission maps, built from the core's intercept
 * tables.  Pure logic, host-tested (svm/tests). */
#ifndef SHOJI_SVM_BITMAPS_H
#define SHOJI_SVM_BITMAPS_H

#include "errors.h"
#include "intercept.h"

#define SVM_MSRPM_SIZE 0x2000
#define SVM_IOPM_SIZE 0x3000

/* APM Vol. 2 15.11: three 2 KiB ranges, two bits per MSR (read, write).
 * Returns E_RANGE naming no MSR if one lies outside the ranges: such an
 * MSR cannot be intercepted on SVM at all. */
enum err svm_msrpm_build(uint8_t *msrpm, const struct msr_rule *rules, unsigned count,
			 uint32_t *bad_msr);

/* Locates an MSR's read bit; false outside the three ranges. */
bool svm_msrpm_position(uint32_t msr, unsigned *byte, unsigned *bit);

/* APM Vol. 2 15.10.1: one bit per port; a multi-byte access exits if any
 * of its ports' bits is set. */
void svm_iopm_build(uint8_t *iopm, const struct io_rule *rules, unsigned count);

#endif
