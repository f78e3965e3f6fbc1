/* Guest page walks: SDM Vol. 3A 4.3 (32-bit), 4.4 (PAE), 4.5 (4/5-level). */
#include "gwalk.h"

#define CR0_PG BIT(31)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_LA57 BIT(12)
#define EFER_LMA BIT(10)
#define E_P BIT(0)
#define E_PS BIT(7)
#define ADDR_MASK 0x000FFFFFFFFFF000ULL

static bool read_entry(phys_read_fn read, void *opaque, paddr_t pa, unsigned size, uint64_t *e,
		       struct gwalk_trace *trace)
{
	*e = 0;
	if (!read(opaque, pa, e, size))
		return false;
	if (trace && trace->count < GWALK_MAX_LEVELS) {
		trace->size[trace->count] = (uint8_t)size;
		trace->pa[trace->count] = pa;
		trace->value[trace->count++] = *e;
	}
	return *e & E_P;
}

enum err gwalk_translate(const struct gwalk_regs *r, uint64_t linear, phys_read_fn read,
			 void *opaque, paddr_t *gpa, struct gwalk_trace *trace)
{
	uint64_t e;

	if (trace)
		trace->count = 0;
	if (!(r->cr0 & CR0_PG)) {
		*gpa = linear & 0xFFFFFFFFULL;
		return E_OK;
	}
	if (!(r->cr4 & CR4_PAE)) {
		uint32_t lin = (uint32_t)linear;

		if (!read_entry(read, opaque, (r->cr3 & 0xFFFFF000) + ((lin >> 22) & 0x3FF) * 4, 4, &e, trace))
			return E_FAULT;
		if ((e & E_PS) && (r->cr4 & CR4_PSE)) {
			/* 4 MiB page; PSE-36 puts address bits 32-39 in 13-20. */
			*gpa = (e & 0xFFC00000) | ((e >> 13 & 0xFF) << 32) | (lin & 0x3FFFFF);
			return E_OK;
		}
		if (!read_entry(read, opaque, (e & 0xFFFFF000) + ((lin >> 12) & 0x3FF) * 4, 4, &e, trace))
			return E_FAULT;
		*gpa = (e & 0xFFFFF000) | (lin & 0xFFF);
		return E_OK;
	}

	unsigned levels, shift;
	paddr_t table;

	if (!(r->efer & EFER_LMA)) {
		/* PAE: four PDPTEs at CR3 (32-byte aligned), then PD and PT. */
		linear &= 0xFFFFFFFFULL;
		if (!read_entry(read, opaque, (r->cr3 & 0xFFFFFFE0) + ((linear >> 30) & 3) * 8, 8, &e, trace))
			return E_FAULT;
		table = e & ADDR_MASK;
		levels = 2;
	} else {
		table = r->cr3 & ADDR_MASK;
		levels = (r->cr4 & CR4_LA57) ? 5 : 4;
	}
	shift = 12 + 9 * (levels - 1);
	for (unsigned level = levels; level >= 1; level--, shift -= 9) {
		if (!read_entry(read, opaque, table + ((linear >> shift) & 0x1FF) * 8, 8, &e, trace))
			return E_FAULT;
		/* A large page at the PDPT (1 GiB) or PD (2 MiB) level. */
		if (level == 1 || ((e & E_PS) && level <= 3)) {
			uint64_t size = 1ULL << shift;

			*gpa = (e & ADDR_MASK & ~(size - 1)) | (linear & (size - 1));
			return E_OK;
		}
		table = e & ADDR_MASK;
	}
	return E_FAULT;
}
