/* Fetching the instruction behind an exit from guest memory, through the
 * guest's segmentation and paging, and finding its length.
 *
 * This is the hot path of every exit on SVM without next-RIP (QEMU), so
 * it keeps the last code-page translation with the page-table entries the
 * walk read.  The cached translation is used only while the same paging
 * registers are in force and every one of those entries still holds the
 * value it held: then a new walk would read the same entries and give the
 * same result. */
#include "cpu_features.h"
#include "exit.h"
#include "guest.h"
#include "gwalk.h"
#include "mm.h"
#include "x86.h"

#define RFLAGS_VM BIT(17)
#define PAGING_CR4_BITS (BIT(4) | BIT(5) | CR4_LA57) /* PSE, PAE, LA57 */

static bool cached_entries_unchanged(const struct gwalk_trace *t)
{
	for (unsigned i = 0; i < t->count; i++) {
		uint64_t now = 0;

		/* The walk checked these addresses are guest RAM, which does
		 * not change: read them directly. */
		if (t->size[i] == 8)
			now = *(volatile uint64_t *)phys_to_virt(t->pa[i]);
		else
			now = *(volatile uint32_t *)phys_to_virt(t->pa[i]);
		if (now != t->value[i])
			return false;
	}
	return true;
}

/* Translates linear; *plain_ram says the whole page is guest RAM that may
 * be read directly. */
static enum err translate(struct vcpu *v, const struct gwalk_regs *r, uint64_t linear,
			  paddr_t *gpa, bool *plain_ram)
{
	struct fetch_cache *fc = &v->fetch;
	uint64_t page = linear & ~(PAGE_SIZE - 1);

	if (!(r->cr0 & CR0_PG)) {
		*gpa = linear & 0xFFFFFFFF;
		*plain_ram = false;
		return E_OK;
	}
	if (fc->valid && fc->linear_page == page && fc->cr3 == r->cr3 &&
	    fc->cr4 == (r->cr4 & PAGING_CR4_BITS) && fc->efer == (r->efer & EFER_LMA) &&
	    cached_entries_unchanged(&fc->trace)) {
		*gpa = fc->gpa_page | (linear & (PAGE_SIZE - 1));
		*plain_ram = fc->plain_ram;
		return E_OK;
	}
	fc->valid = false;
	enum err e = gwalk_translate(r, page, gmem_read, NULL, &fc->gpa_page, &fc->trace);

	if (e != E_OK)
		return e;
	fc->gpa_page &= ~(PAGE_SIZE - 1);
	fc->linear_page = page;
	fc->cr3 = r->cr3;
	fc->cr4 = r->cr4 & PAGING_CR4_BITS;
	fc->efer = r->efer & EFER_LMA;
	fc->plain_ram = gmem_is_ram(fc->gpa_page, PAGE_SIZE);
	fc->valid = true;
	*gpa = fc->gpa_page | (linear & (PAGE_SIZE - 1));
	*plain_ram = fc->plain_ram;
	return E_OK;
}

/* Reads up to `want` bytes at CS:rip into bytes; returns how many. */
static size_t fetch(struct vcpu *v, uint64_t rip, uint8_t *bytes, size_t want,
		    enum insn_mode *mode)
{
	struct vm_paging p;
	uint64_t linear;
	size_t have = 0;

	vm_backend->get_paging(v, &p);
	struct gwalk_regs r = { p.cr0, p.cr3, p.cr4, p.efer };

	if (!(p.cr0 & CR0_PE) || (p.rflags & RFLAGS_VM))
		*mode = INSN_MODE_16;
	else if ((p.efer & EFER_LMA) && (p.cs.attr & SEG_ATTR_L))
		*mode = INSN_MODE_64;
	else
		*mode = (p.cs.attr & SEG_ATTR_DB) ? INSN_MODE_32 : INSN_MODE_16;
	linear = *mode == INSN_MODE_64 ? rip : (p.cs.base + rip) & 0xFFFFFFFF;
	/* Page by page: the instruction may straddle two. */
	while (have < want) {
		uint64_t at = linear + have;
		size_t chunk = MIN(want - have, (size_t)(PAGE_SIZE - (at & (PAGE_SIZE - 1))));
		paddr_t gpa;
		bool plain_ram;

		if (translate(v, &r, at, &gpa, &plain_ram) != E_OK)
			break;
		if (plain_ram) {
			const volatile uint8_t *src = phys_to_virt(gpa);

			for (size_t i = 0; i < chunk; i++)
				bytes[have + i] = src[i];
		} else if (!gmem_read(NULL, gpa, bytes + have, chunk)) {
			break;
		}
		have += chunk;
	}
	return have;
}

enum err guest_decode_insn(struct vcpu *v, uint64_t rip, struct insn *out)
{
	uint8_t bytes[INSN_MAX_LEN];
	enum insn_mode mode;
	size_t have = fetch(v, rip, bytes, INSN_MAX_LEN, &mode);

	if (have == 0)
		return E_FAULT;
	return insn_decode(bytes, have, mode, cpu_features.vendor, out) == INSN_OK ? E_OK : E_INVAL;
}

/* The two-byte opcodes whose exits are the common ones: when the bytes at
 * RIP are exactly these (no prefix), the length is 2 without a decode. */
static uint8_t plain_opcode(const struct vm_exit *e)
{
	switch (e->kind) {
	case VM_EXIT_CPUID: return 0xA2;
	case VM_EXIT_MSR: return e->msr.write ? 0x30 : 0x32;
	case VM_EXIT_INVD: return 0x08;
	default: return 0;
	}
}

unsigned guest_insn_length(struct vcpu *v, const struct vm_exit *e)
{
	uint8_t bytes[INSN_MAX_LEN];
	enum insn_mode mode;
	uint8_t opcode = plain_opcode(e);
	struct insn in;

	/* Two bytes first: usually that settles it. */
	if (opcode && fetch(v, e->rip, bytes, 2, &mode) == 2 && bytes[0] == 0x0F &&
	    bytes[1] == opcode)
		return 2;
	size_t have = fetch(v, e->rip, bytes, INSN_MAX_LEN, &mode);

	if (have == 0 || insn_decode(bytes, have, mode, cpu_features.vendor, &in) != INSN_OK)
		return 0;
	return in.length;
}
