#ifndef SHOJI_TRAP_H
#define SHOJI_TRAP_H

/* The entries of trap_entry.S are this far apart. */
#define TRAP_ENTRY_STRIDE 32
/* Added to trap_frame.vector for an external interrupt on a vector below 32
 * (a real-mode guest's PIC uses 8-15). */
#define TRAP_EXTERNAL 0x1000

#ifndef __ASSEMBLER__
#include "types.h"

/* Pushed by kernel/cpu/trap_entry.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

void trap_frame_dump(const struct trap_frame *f);

/* "#PF page fault" and so on; "interrupt" from 32 up. */
const char *trap_vector_name(unsigned vector);

/* True for an interrupt (not an exception and not the IPC gate); *vector
 * gets its number.  Vectors 16-31 are legal local APIC vectors too: there
 * an interrupt is told from an exception by its in-service bit. */
bool trap_is_interrupt(const struct trap_frame *f, unsigned *vector);

/* Called by trap_entry.S for every exception taken in the core. */
void trap_dispatch(struct trap_frame *f);

#endif /* __ASSEMBLER__ */

#endif
