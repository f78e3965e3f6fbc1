/* The one guest: its memory map, how guest-physical memory is laid out for
 * the nested page tables, and access to guest memory from the core. */
#ifndef SHOJI_GUEST_H
#define SHOJI_GUEST_H

#include "e820.h"
#include "vm.h"

/* What the back end must build in its nested page tables. */
struct guest_memory_plan {
	paddr_t identity_end;            /* [0, identity_end) one-to-one, at once */
	paddr_t ghost_start, ghost_end;  /* Shoji's region: reads zero, writes fault */
	paddr_t zero_page;               /* the page the ghost reads come from */
	paddr_t trap_page;               /* read-only (the xAPIC page), or 0 */
	bool page_1g;                    /* 1 GiB pages may be used */
};

extern struct mem_range guest_map[E820_MAX];
extern unsigned guest_map_count;

/* Loads the guest from the boot modules and says how it starts.  On error,
 * `why` says what is wrong with which module. */
enum err guest_prepare(const struct boot_info *bi, struct vm_boot_state *boot,
		       struct guest_memory_plan *plan, char *why, size_t why_size);

/* Reads guest-physical memory as the guest would see it: Shoji's region
 * reads as zeros.  False if any byte is not RAM or firmware ROM (the core
 * never reads device memory on a guest's behalf). */
bool gmem_read(void *opaque, paddr_t gpa, void *dst, size_t n);

/* Writes guest RAM on the guest's behalf (a task switch's TSS and
 * descriptor updates); false, writing nothing, unless all of it is guest
 * RAM outside Shoji's region. */
bool gmem_write(paddr_t gpa, const void *src, size_t n);

/* True if [gpa, gpa + n) is guest RAM that the guest sees as it is (not
 * Shoji's region): the core may read it directly. */
bool gmem_is_ram(paddr_t gpa, size_t n);

#endif
