/* Is this file a Shoji image the loader can start?  Pure logic,
 * host-tested (kernel/tests/test_efi.c). */
#ifndef SHOJI_IMAGE_CHECK_H
#define SHOJI_IMAGE_CHECK_H

#include "efi_handoff.h"

/* Checks the header and the sizes of the `size`-byte file at `file` (of
 * which at most `cap` bytes were read) against a region of region_size
 * bytes; fills *hdr.  On error, `why` says what is wrong, for a message
 * that starts with the file's name. */
enum err image_check(const void *file, uint64_t size, uint64_t cap, uint64_t region_size,
		     struct shoji_image_header *hdr, char *why, size_t why_size);

#endif
