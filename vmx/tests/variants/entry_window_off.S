/* Test-only (image shoji-entry-window-off.bin): vmx/entry_window.S with
 * an empty window, so the core's NMI handler never abandons an entry and
 * an NMI arriving after the last look waits for the next exit
 * (ci/scenarios/rule-off-nmi-entry-window.scn).  Never in the product. */
	.section .text.entry, "ax" /* mapped in domains, where the NMI entry may run */
	.balign 8
	.globl vmx_entry_window
vmx_entry_window:
	.quad 0, 0
