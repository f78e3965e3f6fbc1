/* See dom_elf.h.  ELF-64 Object File Format, version 1.5: the file header
 * (e_ident, e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum)
 * and program headers (p_type, p_flags, p_offset, p_vaddr, p_filesz,
 * p_memsz) are read by offset, so nothing depends on host alignment. */
#include <stdio.h>
#include <string.h>

#include "dom_elf.h"

#define PT_LOAD 1
#define PF_X 1
#define PF_W 2
#define EM_X86_64 62
#define ET_EXEC 2
#define PHDR_SIZE 56

static uint64_t rd(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

static enum err refuse(char *why, size_t why_size, const char *what, uint64_t value)
{
	snprintf(why, why_size, "%s (%#lx)", what, value);
	return E_INVAL;
}

static enum err segment_read(const uint8_t *ph, size_t size, uint64_t user_start,
			     uint64_t user_end, struct dom_segment *s, char *why, size_t why_size)
{
	uint32_t flags = (uint32_t)rd(ph + 4, 4);

	s->offset = rd(ph + 8, 8);
	s->vaddr = rd(ph + 16, 8);
	s->filesz = rd(ph + 32, 8);
	s->memsz = rd(ph + 40, 8);
	s->write = flags & PF_W;
	s->exec = flags & PF_X;
	if (s->write && s->exec)
		return refuse(why, why_size, "a segment is writable and executable", s->vaddr);
	if (s->vaddr % PAGE_SIZE)
		return refuse(why, why_size, "a segment does not start on a page", s->vaddr);
	if (s->filesz > s->memsz || s->memsz == 0)
		return refuse(why, why_size, "a segment's sizes are inconsistent", s->vaddr);
	if (s->vaddr < user_start || s->vaddr >= user_end || s->memsz > user_end - s->vaddr)
		return refuse(why, why_size, "a segment lies outside the domain's range", s->vaddr);
	if (s->offset > size || s->filesz > size - s->offset)
		return refuse(why, why_size, "a segment's bytes lie outside the image", s->offset);
	return E_OK;
}

enum err dom_elf_parse(const void *img, size_t size, uint64_t user_start, uint64_t user_end,
		       struct dom_elf *out, char *why, size_t why_size)
{
	const uint8_t *b = img;

	memset(out, 0, sizeof(*out));
	if (size < 64 || memcmp(b, "\177ELF", 4) != 0 || b[4] != 2 || b[5] != 1)
		return refuse(why, why_size, "not a little-endian ELF64 file", size);
	if (rd(b + 16, 2) != ET_EXEC || rd(b + 18, 2) != EM_X86_64)
		return refuse(why, why_size, "not an x86-64 executable", rd(b + 16, 2));
	uint64_t phoff = rd(b + 32, 8), phentsize = rd(b + 54, 2), phnum = rd(b + 56, 2);

	if (phentsize != PHDR_SIZE || phoff > size || phnum > (size - phoff) / PHDR_SIZE)
		return refuse(why, why_size, "program headers outside the image", phoff);
	out->entry = rd(b + 24, 8);
	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = b + phoff + i * PHDR_SIZE;

		if (rd(ph, 4) != PT_LOAD)
			continue;
		if (out->count == DOM_ELF_MAX_SEGMENTS)
			return refuse(why, why_size, "too many loadable segments", phnum);
		struct dom_segment *s = &out->seg[out->count];
		enum err e = segment_read(ph, size, user_start, user_end, s, why, why_size);

		if (e != E_OK)
			return e;
		uint64_t end = ALIGN_UP(s->vaddr + s->memsz, PAGE_SIZE);

		for (unsigned j = 0; j < out->count; j++) {
			const struct dom_segment *o = &out->seg[j];

			if (ranges_overlap(s->vaddr, end, o->vaddr,
					   ALIGN_UP(o->vaddr + o->memsz, PAGE_SIZE)))
				return refuse(why, why_size, "two segments share a page", s->vaddr);
		}
		out->count++;
	}
	for (unsigned j = 0; j < out->count; j++) {
		const struct dom_segment *s = &out->seg[j];

		if (s->exec && out->entry >= s->vaddr && out->entry - s->vaddr < s->memsz)
			return E_OK;
	}
	return refuse(why, why_size, "the entry point is not in an executable segment", out->entry);
}
