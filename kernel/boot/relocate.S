/* void relocate_and_switch(void *dst, const void *src, size_t len, uint64_t cr3)
 *
 * Copies the running image to its new physical home (dst is its direct-map
 * address) and switches to page tables that map the same virtual addresses
 * there.  Only registers are touched between the copy and the switch, so
 * the copy (stack included) is exactly the state we resume in. */
	.text
	.globl relocate_and_switch
relocate_and_switch:
	movq %rcx, %r8
	movq %rdx, %rcx
	cld
	rep movsb
	movq %r8, %cr3
	ret
