/* See include/efi_state.h.  Descriptor layout: SDM Vol. 3A 3.4.5 (segment
 * descriptors) and 7.2.3 (the 16-byte TSS descriptor of IA-32e mode). */
#include <stdio.h>
#include <string.h>

#include "efi_state.h"

#define DESC_G BIT(55)
#define DESC_P BIT(47)
/* A busy 64-bit TSS: what VMRUN and VM entry expect in TR when the
 * firmware never loaded one. */
#define ATTR_TSS64_BUSY 0x8B

void efi_descriptor_decode(uint16_t selector, uint64_t low, uint64_t high, bool system,
			   struct vm_segment *out)
{
	uint32_t limit = (uint32_t)((low & 0xFFFF) | ((low >> 32) & 0xF0000));

	if (low & DESC_G)
		limit = (limit << 12) | 0xFFF;
	*out = (struct vm_segment){
		.selector = selector,
		/* Bits 40-47 and 52-55 packed: the vm_segment (and VMCB) form. */
		.attr = (uint16_t)(((low >> 40) & 0xFF) | ((low >> 44) & 0xF00)),
		.limit = limit,
		.base = ((low >> 16) & 0xFFFFFF) | ((low >> 32) & 0xFF000000) |
			(system ? (high & 0xFFFFFFFF) << 32 : 0),
	};
}

/* The segment `selector` names in the GDT; a null selector gives an
 * unusable segment (attr 0). */
static enum err segment_load(const struct efi_capture *cap, uint16_t selector, bool system,
			     phys_read_fn read, void *opaque, struct vm_segment *out,
			     const char *name, char *why, size_t why_size)
{
	uint64_t d[2] = { 0, 0 };
	unsigned index = selector & ~7u;
	size_t size = system ? 16 : 8;

	if (index == 0) {
		*out = (struct vm_segment){ selector, 0, 0, 0 };
		return E_OK;
	}
	if (selector & 4) {
		snprintf(why, why_size, "the firmware's %s (%#x) is in an LDT; expected the GDT",
			 name, selector);
		return E_UNSUPP;
	}
	if (index + size - 1 > cap->gdtr.limit ||
	    !read(opaque, cap->gdtr.base + index, d, size)) {
		snprintf(why, why_size,
			 "the firmware's %s (%#x) lies outside its GDT (base %#lx, limit %#x)", name,
			 selector, (unsigned long)cap->gdtr.base, cap->gdtr.limit);
		return E_FAULT;
	}
	efi_descriptor_decode(selector, d[0], d[1], system, out);
	if (!(d[0] & DESC_P)) {
		snprintf(why, why_size, "the firmware's %s (%#x) is not present", name, selector);
		return E_INVAL;
	}
	return E_OK;
}

enum err efi_state_build(const struct efi_capture *cap, uint64_t return_rip,
			 phys_read_fn read, void *opaque, struct vm_cpu_state *out, char *why,
			 size_t why_size)
{
	static const struct {
		enum vm_seg seg;
		size_t offset;
		bool system;
		const char *name;
	} segs[] = {
		{ VM_SEG_CS, offsetof(struct efi_capture, cs), false, "CS" },
		{ VM_SEG_SS, offsetof(struct efi_capture, ss), false, "SS" },
		{ VM_SEG_DS, offsetof(struct efi_capture, ds), false, "DS" },
		{ VM_SEG_ES, offsetof(struct efi_capture, es), false, "ES" },
		{ VM_SEG_FS, offsetof(struct efi_capture, fs), false, "FS" },
		{ VM_SEG_GS, offsetof(struct efi_capture, gs), false, "GS" },
		{ VM_SEG_TR, offsetof(struct efi_capture, tr), true, "TR" },
		{ VM_SEG_LDTR, offsetof(struct efi_capture, ldtr), true, "LDTR" },
	};

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
		uint16_t sel;

		memcpy(&sel, (const char *)cap + segs[i].offset, sizeof(sel));
		enum err e = segment_load(cap, sel, segs[i].system, read, opaque,
					  &out->seg[segs[i].seg], segs[i].name, why, why_size);

		if (e != E_OK)
			return e;
	}
	if (!(out->seg[VM_SEG_CS].attr & SEG_ATTR_L)) {
		snprintf(why, why_size, "the firmware's CS (%#x) is not a 64-bit code segment",
			 cap->cs);
		return E_INVAL;
	}
	if (!(cap->tr & ~7u))
		out->seg[VM_SEG_TR] = (struct vm_segment){ 0, ATTR_TSS64_BUSY, 0x67, 0 };
	/* In 64-bit mode FS and GS bases live in MSRs, not the descriptors. */
	out->seg[VM_SEG_FS].base = cap->fs_base;
	out->seg[VM_SEG_GS].base = cap->gs_base;
	out->seg[VM_SEG_GDTR] = (struct vm_segment){ 0, 0, cap->gdtr.limit, cap->gdtr.base };
	out->seg[VM_SEG_IDTR] = (struct vm_segment){ 0, 0, cap->idtr.limit, cap->idtr.base };

	out->regs = (struct gpregs){
		.rax = 0, /* EFI_SUCCESS: Shoji runs, the firmware is its guest */
		.rbx = cap->rbx, .rbp = cap->rbp,
		.r12 = cap->r12, .r13 = cap->r13, .r14 = cap->r14, .r15 = cap->r15,
	};
	out->rip = return_rip;
	out->rsp = cap->rsp + 8; /* as after RET */
	out->rflags = cap->rflags;
	out->cr0 = cap->cr0;
	out->cr3 = cap->cr3;
	out->cr4 = cap->cr4;
	out->efer = cap->efer;
	out->pat = cap->pat;
	return E_OK;
}
