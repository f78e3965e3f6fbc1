/* See image_check.h. */
#include <stdio.h>
#include <string.h>

#include "image_check.h"

enum err image_check(const void *file, uint64_t size, uint64_t cap, uint64_t region_size,
		     struct shoji_image_header *hdr, char *why, size_t why_size)
{
	if (size > cap) {
		snprintf(why, why_size, "the file is %lu bytes; expected at most %lu", size, cap);
		return E_RANGE;
	}
	if (size < SHOJI_IMAGE_HEADER_OFFSET + sizeof(*hdr)) {
		snprintf(why, why_size, "the file is %lu bytes, too short for Shoji's image header; "
					"expected the shoji.bin of a build",
			 size);
		return E_INVAL;
	}
	memcpy(hdr, (const char *)file + SHOJI_IMAGE_HEADER_OFFSET, sizeof(*hdr));
	if (memcmp(hdr->signature, SHOJI_IMAGE_SIGNATURE, sizeof(SHOJI_IMAGE_SIGNATURE)) != 0) {
		snprintf(why, why_size, "no \"%s\" signature at offset %#x: not a Shoji image",
			 SHOJI_IMAGE_SIGNATURE, SHOJI_IMAGE_HEADER_OFFSET);
		return E_INVAL;
	}
	if (hdr->file_size != size) {
		snprintf(why, why_size,
			 "the file is %lu bytes but its header says %u: %s", size, hdr->file_size,
			 size < hdr->file_size ? "it is truncated" : "it has bytes that do not belong");
		return E_INVAL;
	}
	if (hdr->memory_size < hdr->file_size || hdr->memory_size > region_size / 2 ||
	    hdr->efi_entry < SHOJI_IMAGE_HEADER_OFFSET || hdr->efi_entry >= hdr->file_size) {
		snprintf(why, why_size,
			 "inconsistent header (entry %#x, %u bytes in the file, %u in memory, region "
			 "%lu MiB)",
			 hdr->efi_entry, hdr->file_size, hdr->memory_size, region_size >> 20);
		return E_INVAL;
	}
	return E_OK;
}
