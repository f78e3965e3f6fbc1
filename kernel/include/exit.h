/* The core's handling of guest exits (kernel/vcpu.c dispatches). */
#ifndef SHOJI_EXIT_H
#define SHOJI_EXIT_H

#include "insn.h"
#include "vm.h"

_Noreturn void vcpu_run_loop(struct vcpu *v);

/* Marks the instruction that exited as carried out, so the guest resumes
 * after it; decodes it if the back end does not know its length.  If it
 * cannot be decoded the guest gets #GP instead. */
void vcpu_skip_insn(struct vcpu *v, struct vm_exit *e);

/* Fetches and decodes the guest's instruction at CS:rip. */
enum err guest_decode_insn(struct vcpu *v, uint64_t rip, struct insn *out);

/* The length of the instruction at CS:RIP that caused exit e; 0 if it
 * cannot be read or decoded. */
unsigned guest_insn_length(struct vcpu *v, const struct vm_exit *e);

void vcpu_inject_gp(struct vcpu *v);
void vcpu_dump(struct vcpu *v);

/* Stops the guest for good after logging why and its state. */
_Noreturn void guest_stop(struct vcpu *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

_Noreturn void platform_reset(void);

/* Exit handlers, one per kind (named vmexit_* so the benchmark can count
 * exits by reason from the symbol table). */
void vmexit_cpuid(struct vcpu *v, struct vm_exit *e);
void vmexit_msr(struct vcpu *v, struct vm_exit *e);
void vmexit_io(struct vcpu *v, struct vm_exit *e);
void vmexit_nested_fault(struct vcpu *v, struct vm_exit *e);
void vmexit_xsetbv(struct vcpu *v, struct vm_exit *e);
void vmexit_cr_write(struct vcpu *v, struct vm_exit *e);
void vmexit_task_switch(struct vcpu *v, struct vm_exit *e);

#endif
