/* The bounds of VT-x's entry window (vmentry.S) as the core's NMI handler
 * reads them (kernel/cpu/trap_entry.S): an NMI landing in
 * [start, end) abandons the entry (SPEC.md item 1).  A test-only image
 * replaces this file (vmx/tests/variants/entry_window_off.S). */
	.section .text.entry, "ax" /* mapped in domains, where the NMI entry may run */
	.balign 8
	.globl vmx_entry_window
vmx_entry_window:
	.quad vmx_entry_window_start, vmx_entry_window_end
