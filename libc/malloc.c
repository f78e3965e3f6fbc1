/* The domains' allocator: first fit over one arena, with boundary sizes so
 * free() coalesces both neighbours in O(1).  Blocks are 16-byte aligned.
 *
 * Block layout: [size|used] payload... [size]  (size includes both tags).
 * Free blocks keep next/prev links of a doubly linked free list in their
 * payload. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define TAG sizeof(size_t)
#define USED ((size_t)1)
#define MIN_BLOCK 48 /* tags + two links, rounded to ALIGN */

struct free_links {
	struct free_links *next, *prev;
};

static unsigned char *arena_start, *arena_end;
static struct free_links free_head = { &free_head, &free_head };
static size_t bytes_free;

static size_t block_size(unsigned char *b) { return *(size_t *)(void *)b & ~USED; }
static bool block_used(unsigned char *b) { return *(size_t *)(void *)b & USED; }
static struct free_links *links_of(unsigned char *b) { return (struct free_links *)(void *)(b + TAG); }
static unsigned char *block_of(struct free_links *l) { return (unsigned char *)l - TAG; }

static void set_tags(unsigned char *b, size_t size, bool used)
{
	*(size_t *)(void *)b = size | (used ? USED : 0);
	*(size_t *)(void *)(b + size - TAG) = size | (used ? USED : 0);
}

static void list_insert(unsigned char *b)
{
	struct free_links *l = links_of(b);

	l->next = free_head.next;
	l->prev = &free_head;
	free_head.next->prev = l;
	free_head.next = l;
}

static void list_remove(unsigned char *b)
{
	struct free_links *l = links_of(b);

	l->prev->next = l->next;
	l->next->prev = l->prev;
}

void malloc_init(void *arena, size_t size)
{
	uintptr_t start = ((uintptr_t)arena + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
	uintptr_t end = ((uintptr_t)arena + size) & ~(uintptr_t)(ALIGN - 1);

	free_head.next = free_head.prev = &free_head;
	bytes_free = 0;
	arena_start = arena_end = NULL;
	if (end <= start || end - start < MIN_BLOCK)
		return;
	/* Payloads must be 16-aligned, so the first block begins one tag
	 * before an aligned address and the arena ends one tag early. */
	arena_start = (unsigned char *)start + ALIGN - TAG;
	arena_end = (unsigned char *)end - TAG;
	size_t first = (size_t)(arena_end - arena_start) & ~(size_t)(ALIGN - 1);
	arena_end = arena_start + first;
	set_tags(arena_start, first, false);
	list_insert(arena_start);
	bytes_free = first;
}

void *malloc(size_t size)
{
	if (size == 0 || size > (size_t)(arena_end - arena_start))
		return NULL;
	size_t need = (size + 2 * TAG + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	if (need < MIN_BLOCK)
		need = MIN_BLOCK;
	for (struct free_links *l = free_head.next; l != &free_head; l = l->next) {
		unsigned char *b = block_of(l);
		size_t have = block_size(b);

		if (have < need)
			continue;
		list_remove(b);
		if (have - need >= MIN_BLOCK) {
			set_tags(b + need, have - need, false);
			list_insert(b + need);
		} else {
			need = have;
		}
		set_tags(b, need, true);
		bytes_free -= need;
		return b + TAG;
	}
	return NULL;
}

void free(void *ptr)
{
	if (!ptr)
		return;
	unsigned char *b = (unsigned char *)ptr - TAG;

	if (b < arena_start || b >= arena_end || !block_used(b))
		abort(); /* a bad free is a bug in the caller: crash it */
	size_t size = block_size(b);

	bytes_free += size;
	if (b + size < arena_end && !block_used(b + size)) {
		list_remove(b + size);
		size += block_size(b + size);
	}
	if (b > arena_start) {
		unsigned char *prev = b - (*(size_t *)(void *)(b - TAG) & ~USED);

		if (!block_used(prev)) {
			list_remove(prev);
			size += block_size(prev);
			b = prev;
		}
	}
	set_tags(b, size, false);
	list_insert(b);
}

void *calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = malloc(count * size);

	if (p)
		memset(p, 0, count * size);
	return p;
}

void *realloc(void *ptr, size_t size)
{
	if (!ptr)
		return malloc(size);
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	size_t old = block_size((unsigned char *)ptr - TAG) - 2 * TAG;

	if (size <= old)
		return ptr;
	void *p = malloc(size);

	if (p) {
		memcpy(p, ptr, old);
		free(ptr);
	}
	return p;
}

size_t malloc_free_bytes(void)
{
	return bytes_free;
}
