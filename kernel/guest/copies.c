/* Ordering and running the copies that put a guest where it wants to be,
 * plus the helpers both boot protocols share. */
#include <stdarg.h>
#include <stdio.h>

#include "e820.h"
#include "guest_load.h"

enum err load_fail(const struct guest_load_ctx *ctx, enum err e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->why, ctx->why_size, fmt, ap);
	va_end(ap);
	return e;
}

static bool dst_hits_src(const struct copy_op *a, const struct copy_op *b)
{
	return ranges_overlap(a->dst, a->dst + a->len + a->zero_len, b->src, b->src + b->len);
}

enum err copies_run(const struct guest_load_ctx *ctx, struct copy_op *ops, unsigned n)
{
	bool done[32] = { false };

	if (n > 32)
		return load_fail(ctx, E_RANGE, "more than 32 pieces to load");
	for (unsigned i = 0; i < n; i++) {
		const struct copy_op *op = &ops[i];

		if (op->dst + op->len + op->zero_len < op->dst)
			return load_fail(ctx, E_RANGE, "%s: its size wraps around", op->what);
		if (!e820_is_available(ctx->map, ctx->map_count, op->dst,
				       op->dst + op->len + op->zero_len))
			return load_fail(ctx, E_RANGE,
					 "%s wants %#lx-%#lx, which is not available RAM of the guest",
					 op->what, op->dst, op->dst + op->len + op->zero_len - 1);
	}
	/* Each round runs one copy whose destination hits no other pending
	 * source; a copy may overlap its own source (memmove). */
	for (unsigned round = 0; round < n; round++) {
		unsigned pick = n;

		for (unsigned i = 0; i < n && pick == n; i++) {
			if (done[i])
				continue;
			bool blocked = false;

			for (unsigned j = 0; j < n && !blocked; j++)
				blocked = j != i && !done[j] && dst_hits_src(&ops[i], &ops[j]);
			if (!blocked)
				pick = i;
		}
		if (pick == n) {
			for (unsigned i = 0; i < n; i++)
				for (unsigned j = 0; j < n; j++)
					if (!done[i] && !done[j] && i != j && dst_hits_src(&ops[i], &ops[j]))
						return load_fail(ctx, E_RANGE,
								 "cannot load: %s would overwrite %s "
								 "and the other way round; give the "
								 "machine more memory",
								 ops[i].what, ops[j].what);
			return load_fail(ctx, E_RANGE, "cannot order the pieces to load");
		}
		const struct copy_op *op = &ops[pick];

		if (!ctx->mem->move(ctx->mem->opaque, op->dst, op->src, op->len) ||
		    !ctx->mem->zero(ctx->mem->opaque, op->dst + op->len, op->zero_len))
			return load_fail(ctx, E_FAULT, "%s: copying to %#lx failed", op->what, op->dst);
		done[pick] = true;
	}
	return E_OK;
}

enum err guest_write_boot_gdt(const struct guest_load_ctx *ctx, struct vm_boot_state *out)
{
	/* Null, null, then flat 4 GiB code (0x10) and data (0x18): the Linux
	 * 32-bit boot protocol names these selectors; multiboot takes any. */
	static const uint64_t gdt[4] = { 0, 0, 0x00CF9A000000FFFFULL, 0x00CF92000000FFFFULL };

	if (!e820_is_available(ctx->map, ctx->map_count, GUEST_GDT_PA, GUEST_BOOT_DATA_END))
		return load_fail(ctx, E_RANGE,
				 "guest memory %#x-%#x is not available RAM; Shoji puts the guest's "
				 "boot data there",
				 GUEST_GDT_PA, GUEST_BOOT_DATA_END - 1);
	if (!ctx->mem->write(ctx->mem->opaque, GUEST_GDT_PA, gdt, sizeof(gdt)))
		return load_fail(ctx, E_FAULT, "cannot write the guest's GDT");
	out->gdt_base = GUEST_GDT_PA;
	out->gdt_limit = sizeof(gdt) - 1;
	out->code_selector = GUEST_CODE_SELECTOR;
	out->data_selector = GUEST_DATA_SELECTOR;
	return E_OK;
}
