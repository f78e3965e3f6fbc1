#ifndef SHOJI_TRAP_H
#define SHOJI_TRAP_H

#include "types.h"

/* Pushed by kernel/cpu/trap_entry.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

void trap_frame_dump(const struct trap_frame *f);

/* Called by trap_entry.S for every exception taken in the core. */
void trap_dispatch(struct trap_frame *f);

#endif
