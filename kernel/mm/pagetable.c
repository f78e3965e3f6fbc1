/* Building 4-level page tables.  See include/pagetable.h for the contract. */
#include "pagetable.h"

static const unsigned level_shift[] = { 12, 21, 30, 39 }; /* PT, PD, PDPT, PML4 */

static unsigned index_at(uint64_t va, unsigned level)
{
	return (unsigned)(va >> level_shift[level]) & 511;
}

/* Returns the table the entry points at, creating it if empty. */
static uint64_t *next_table(struct pt_ctx *ctx, uint64_t *entry, enum err *error)
{
	if (*entry & PTE_P) {
		if (*entry & PTE_PS) {
			*error = E_EXISTS;
			return NULL;
		}
		return ctx->table_va(ctx->opaque, *entry & PTE_ADDR_MASK);
	}
	paddr_t pa;
	uint64_t *table = ctx->alloc_table(ctx->opaque, &pa);

	if (!table) {
		*error = E_NOMEM;
		return NULL;
	}
	*entry = pa | PTE_P | PTE_W | PTE_U;
	return table;
}

enum err pt_map(struct pt_ctx *ctx, uint64_t va, paddr_t pa, uint64_t size, uint64_t flags,
		uint64_t max_page)
{
	if ((va | pa | size) & (PAGE_SIZE - 1))
		return E_INVAL;
	if (max_page != PAGE_SIZE && max_page != PAGE_2M && max_page != PAGE_1G)
		return E_INVAL;

	while (size) {
		/* The leaf level: the largest page allowed that fits here. */
		unsigned leaf = 0;

		if (max_page >= PAGE_1G && !((va | pa) & (PAGE_1G - 1)) && size >= PAGE_1G)
			leaf = 2;
		else if (max_page >= PAGE_2M && !((va | pa) & (PAGE_2M - 1)) && size >= PAGE_2M)
			leaf = 1;

		uint64_t *table = ctx->table_va(ctx->opaque, ctx->root);
		enum err error = E_OK;

		for (unsigned level = 3; level > leaf; level--) {
			table = next_table(ctx, &table[index_at(va, level)], &error);
			if (!table)
				return error;
		}
		uint64_t *entry = &table[index_at(va, leaf)];

		if ((*entry & PTE_P) && !(*entry & PTE_PS) && leaf > 0)
			return E_EXISTS; /* a table of smaller pages is already here */
		*entry = pa | flags | PTE_P | (leaf ? PTE_PS : 0);

		uint64_t step = 1ULL << level_shift[leaf];

		va += step;
		pa += step;
		size -= step;
	}
	return E_OK;
}

enum err pt_map_4k_split(struct pt_ctx *ctx, uint64_t va, paddr_t pa, uint64_t flags)
{
	uint64_t *table = ctx->table_va(ctx->opaque, ctx->root);
	enum err error = E_OK;

	if ((va | pa) & (PAGE_SIZE - 1))
		return E_INVAL;
	for (unsigned level = 3; level > 0; level--) {
		uint64_t *entry = &table[index_at(va, level)];

		if ((*entry & PTE_P) && (*entry & PTE_PS)) {
			uint64_t size = 1ULL << level_shift[level];
			uint64_t child = 1ULL << level_shift[level - 1];
			uint64_t base = *entry & PTE_ADDR_MASK & ~(size - 1);
			uint64_t keep = *entry & ~PTE_ADDR_MASK & ~PTE_PS;
			paddr_t tpa;
			uint64_t *t = ctx->alloc_table(ctx->opaque, &tpa);

			if (!t)
				return E_NOMEM;
			for (unsigned i = 0; i < 512; i++)
				t[i] = (base + i * child) | keep | (level > 1 ? PTE_PS : 0);
			*entry = tpa | PTE_P | PTE_W | PTE_U;
		}
		table = next_table(ctx, entry, &error);
		if (!table)
			return error;
	}
	table[index_at(va, 0)] = pa | flags | PTE_P;
	return E_OK;
}

bool pt_lookup(const struct pt_ctx *ctx, uint64_t va, paddr_t *pa, uint64_t *flags,
	       uint64_t *page_size)
{
	const uint64_t *table = ctx->table_va(ctx->opaque, ctx->root);

	for (int level = 3; level >= 0; level--) {
		uint64_t e = table[index_at(va, (unsigned)level)];

		if (!(e & PTE_P))
			return false;
		if (level == 0 || (e & PTE_PS)) {
			uint64_t size = 1ULL << level_shift[level];

			*pa = (e & PTE_ADDR_MASK & ~(size - 1)) | (va & (size - 1));
			*flags = e & ~PTE_ADDR_MASK;
			*page_size = size;
			return true;
		}
		table = ctx->table_va(ctx->opaque, e & PTE_ADDR_MASK);
	}
	return false;
}

enum err pt_unmap(struct pt_ctx *ctx, uint64_t va, uint64_t size)
{
	if ((va | size) & (PAGE_SIZE - 1))
		return E_INVAL;
	for (; size; va += PAGE_SIZE, size -= PAGE_SIZE) {
		uint64_t *table = ctx->table_va(ctx->opaque, ctx->root);

		for (unsigned level = 3; level > 0; level--) {
			uint64_t e = table[index_at(va, level)];

			if (!(e & PTE_P)) {
				table = NULL;
				break;
			}
			if (e & PTE_PS)
				return E_EXISTS; /* a large page: not this function's business */
			table = ctx->table_va(ctx->opaque, e & PTE_ADDR_MASK);
		}
		if (table)
			__atomic_store_n(&table[index_at(va, 0)], 0, __ATOMIC_RELEASE);
	}
	return E_OK;
}
