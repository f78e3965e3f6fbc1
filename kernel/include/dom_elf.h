/* Reading a domain's ELF image: which bytes go where, with what rights.
 * Pure logic (host-tested and fuzzed): the image is trusted as far as the
 * build goes, but a broken one must be refused with a reason, never
 * loaded half-way. */
#ifndef SHOJI_DOM_ELF_H
#define SHOJI_DOM_ELF_H

#include "errors.h"
#include "types.h"

#define DOM_ELF_MAX_SEGMENTS 8

struct dom_segment {
	uint64_t vaddr;   /* page-aligned */
	uint64_t memsz;   /* bytes mapped (rounded up to pages by the loader) */
	uint64_t filesz;  /* bytes copied from the image; the rest is zero */
	uint64_t offset;  /* in the image */
	bool write, exec; /* never both */
};

struct dom_elf {
	uint64_t entry;
	unsigned count;
	struct dom_segment seg[DOM_ELF_MAX_SEGMENTS];
};

/* Checks the ELF64 executable at img and lists its loadable segments.
 * Each must lie in [user_start, user_end), start on a page, not overlap
 * another's pages, not be writable and executable, and have its file bytes
 * inside the image; the entry point must be in an executable segment.
 * On failure, why says what is wrong. */
enum err dom_elf_parse(const void *img, size_t size, uint64_t user_start, uint64_t user_end,
		       struct dom_elf *out, char *why, size_t why_size);

#endif
