/* The core's virtual address layout.  Shared by C and assembly.
 *
 * The image is linked once, at KERNEL_VMA, and runs from any 4 KiB-aligned
 * physical address: moving it is a copy plus new page tables.  The multiboot
 * loader first puts it at IMAGE_LOAD_PA; the boot code then copies it into
 * the reserved region at the top of low memory (kernel/boot/relocate.c).
 *
 * KERNEL_VMA lies above the range Linux uses for its kernel text (with or
 * without KASLR), so a benchmark can tell Shoji's instructions from the
 * guest's by address (tools/bench). */
#ifndef SHOJI_LAYOUT_H
#define SHOJI_LAYOUT_H

#define KERNEL_VMA      0xFFFFFFFFC0000000
#define IMAGE_LOAD_PA   0x100000
/* VMA - KERNEL_OFFSET = load-time physical address of an image symbol. */
#define KERNEL_OFFSET   (KERNEL_VMA - IMAGE_LOAD_PA)

/* All physical memory is mapped here (PML4 slot 256), no-execute. */
#define DIRECT_MAP_BASE 0xFFFF800000000000

#define BOOT_STACK_SIZE 0x4000

#endif
