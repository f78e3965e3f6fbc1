/* A domain's address space: its ELF segments and stack in the lower half,
 * and of the core only what an interrupt, an NMI or the call gate needs
 * while the domain's CR3 is loaded (issue #6 item 1), supervisor-only: the
 * entry code, the IDT, and each CPU's pcpu page (GDT, the core's CR3),
 * entry and IST stacks and TSS window.  The TSS window's bitmap pages are
 * the domain's own I/O permission bitmap. */
#include <stdio.h>
#include <string.h>

#include "delay.h"
#include "dom.h"
#include "log.h"
#include "mm.h"
#include "percpu.h"
#include "vcpus.h"
#include "x86.h"

extern char _entry_text_start[], _entry_text_end[];

static enum err map_core_range(struct pt_ctx *ctx, uintptr_t va, uint64_t size, uint64_t flags)
{
	struct pt_ctx core;

	pt_ctx_core(&core, this_cpu()->core_cr3);
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		paddr_t pa;
		uint64_t f, page;

		if (!pt_lookup(&core, va + off, &pa, &f, &page))
			return E_NOTFOUND;
		enum err e = pt_map(ctx, va + off, pa, PAGE_SIZE, flags, PAGE_SIZE);

		if (e != E_OK)
			return e;
	}
	return E_OK;
}

static enum err map_stack_block(struct pt_ctx *ctx, uintptr_t top)
{
	return map_core_range(ctx, ALIGN_DOWN(top, STACK_SIZE), STACK_SIZE, PTE_W | PTE_NX);
}

/* The core's part, for every CPU that is up. */
static enum err map_core(struct pt_ctx *ctx, paddr_t iomap_pa)
{
	enum err e;

	if ((e = map_core_range(ctx, (uintptr_t)_entry_text_start,
				(uintptr_t)(_entry_text_end - _entry_text_start), 0)) != E_OK ||
	    (e = map_core_range(ctx, (uintptr_t)cpu_idt_page(), PAGE_SIZE, PTE_NX)) != E_OK)
		return e;
	for (uint32_t i = 0; i < pcpu_count; i++) {
		struct pcpu *cpu = pcpu_by_index[i];

		if (!cpu)
			continue;
		uintptr_t window = ALIGN_DOWN((uintptr_t)cpu->tss, PAGE_SIZE);

		if ((e = map_core_range(ctx, (uintptr_t)cpu, PAGE_SIZE, PTE_W | PTE_NX)) != E_OK ||
		    (e = map_stack_block(ctx, cpu->entry_stack_top)) != E_OK ||
		    (e = map_stack_block(ctx, cpu->tss->ist[IST_NMI - 1])) != E_OK ||
		    (e = map_stack_block(ctx, cpu->tss->ist[IST_DF - 1])) != E_OK ||
		    (e = map_stack_block(ctx, cpu->tss->ist[IST_MC - 1])) != E_OK ||
		    (e = map_core_range(ctx, window, PAGE_SIZE, PTE_W | PTE_NX)) != E_OK ||
		    (e = pt_map(ctx, window + PAGE_SIZE, iomap_pa, IOMAP_BYTES, PTE_NX, PAGE_SIZE)) !=
			    E_OK)
			return e;
	}
	return E_OK;
}

static void segment_fill(struct domain *d, unsigned i)
{
	const struct dom_segment *s = &d->elf.seg[i];
	uint64_t bytes = ALIGN_UP(s->memsz, PAGE_SIZE);

	memset(d->segment_pages[i], 0, bytes);
	memcpy(d->segment_pages[i], d->desc->image_start + s->offset, s->filesz);
}

enum err dom_space_build(struct domain *d, char *why, size_t why_size)
{
	const struct manifest_domain *desc = d->desc;
	enum err e = dom_elf_parse(desc->image_start, (size_t)(desc->image_end - desc->image_start),
				   DOM_USER_START, DOM_USER_END, &d->elf, why, why_size);

	if (e != E_OK)
		return e;
	if (!pt_ctx_init_region(&d->space))
		goto nomem;
	for (unsigned i = 0; i < d->elf.count; i++) {
		const struct dom_segment *s = &d->elf.seg[i];
		uint64_t bytes = ALIGN_UP(s->memsz, PAGE_SIZE);
		uint64_t flags = PTE_U | (s->write ? PTE_W : 0) | (s->exec ? 0 : PTE_NX);

		if (!(d->segment_pages[i] = page_alloc_contig(bytes / PAGE_SIZE)))
			goto nomem;
		segment_fill(d, i);
		if (pt_map(&d->space, s->vaddr, virt_to_phys(d->segment_pages[i]), bytes, flags,
			   PAGE_SIZE) != E_OK)
			goto nomem;
	}
	/* The stack, with the page below it left unmapped: an overflow
	 * faults instead of running into whatever lies there. */
	if (!(d->stack_pages = page_alloc_contig(desc->stack_size / PAGE_SIZE)) ||
	    pt_map(&d->space, DOM_STACK_TOP - desc->stack_size, virt_to_phys(d->stack_pages),
		   desc->stack_size, PTE_U | PTE_W | PTE_NX, PAGE_SIZE) != E_OK)
		goto nomem;

	/* SDM Vol. 1 19.5.2: a set bit denies the port. */
	uint8_t *iomap = page_alloc_contig(IOMAP_BYTES / PAGE_SIZE);

	if (!iomap)
		goto nomem;
	memset(iomap, 0xFF, IOMAP_BYTES);
	dom_caps_iomap(d, iomap);
	if ((e = map_core(&d->space, virt_to_phys(iomap))) != E_OK) {
		snprintf(why, why_size, "cannot map the core's entry structures (%s)", err_name(e));
		return e;
	}
	return E_OK;
nomem:
	snprintf(why, why_size, "out of memory in the reserved region; raise vmm.memsize");
	return E_NOMEM;
}

/* A restart begins from the image again: data and bss as loaded, an empty
 * stack.  Text and read-only data cannot have changed (ring 3 cannot write
 * them). */
void dom_space_reset(struct domain *d)
{
	for (unsigned i = 0; i < d->elf.count; i++)
		if (d->elf.seg[i].write)
			segment_fill(d, i);
	memset(d->stack_pages, 0, d->desc->stack_size);
}

enum err dom_space_map_grant(struct domain *d, uint32_t slot, const struct cap *c, uint64_t *va)
{
	uint64_t at = DOM_MAP_BASE + slot * GiB(1);
	uint64_t flags = PTE_U | ((c->rights & CAP_R_WRITE) ? PTE_W : 0) |
			 ((c->rights & CAP_R_EXEC) ? 0 : PTE_NX);

	*va = at;
	if (d->mapped & BIT(slot))
		return E_OK;
	if (c->size > GiB(1))
		return E_RANGE;
	enum err e = pt_map(&d->space, at, c->base, c->size, flags, PAGE_SIZE);

	if (e == E_OK)
		d->mapped |= BIT(slot);
	return e;
}

void dom_space_unmap_grant(struct domain *d, uint32_t slot, const struct cap *c)
{
	struct pcpu *me = this_cpu();

	if (!(d->mapped & BIT(slot)))
		return;
	d->mapped &= ~BIT(slot);
	pt_unmap(&d->space, DOM_MAP_BASE + slot * GiB(1), c->size);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* A CPU not in d now loads d's CR3 (flushing its TLB, without PCID)
	 * before it runs d again; one in d is flushed by an NMI. */
	for (uint32_t i = 0; i < pcpu_count; i++) {
		struct pcpu *cpu = pcpu_by_index[i];

		if (!cpu || cpu == me || __atomic_load_n(&cpu->dom_running, __ATOMIC_ACQUIRE) != d)
			continue;
		__atomic_store_n(&cpu->flush_request, 1, __ATOMIC_RELEASE);
		vcpu_kick_index(i);
		uint64_t give_up = rdtsc() + 100 * tsc_khz;

		while (__atomic_load_n(&cpu->flush_request, __ATOMIC_ACQUIRE) && rdtsc() < give_up)
			cpu_relax();
		if (cpu->flush_request)
			log_error("CPU %u did not flush its TLB for domain %s within 100 ms",
				  i, d->desc->name);
	}
	write_cr3(read_cr3()); /* this CPU, in case it ran d last */
	log_info("domain %s: the grant in slot %u was unmapped on every CPU", d->desc->name, slot);
}
