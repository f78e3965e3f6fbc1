/* Private to the SVM back end. */
#ifndef SHOJI_SVM_PRIV_H
#define SHOJI_SVM_PRIV_H

#include "vm.h"
#include "vmcb.h"

struct guest_memory_plan;

/* Per physical CPU. */
struct svm_cpu {
	paddr_t host_save_pa;  /* VM_HSAVE_PA: where VMRUN keeps host state */
	paddr_t host_vmcb_pa;  /* VMSAVE/VMLOAD area for the host's TR, FS, GS... */
};

/* Why Shoji single-steps the guest (nmi.c). */
enum svm_step { SVM_STEP_NONE, SVM_STEP_IRET, SVM_STEP_SHADOW };

/* Per vCPU. */
struct svm_vcpu {
	struct vmcb *vmcb;
	paddr_t vmcb_pa;
	struct svm_cpu *cpu;
	uint64_t npt_generation; /* of the nested tables this vCPU's TLB holds */
	/* The guest is in an NMI handler Shoji injected (until its IRET): SVM
	 * keeps no such state for the core to read, so it is tracked here
	 * (IRET intercept, then one single step past the IRET). */
	bool nmi_masked;
	enum svm_step step;    /* TF set by Shoji: past an IRET or a shadow */
	bool guest_tf;         /* the guest's own TF when the step began */
	uint64_t guest_dr6;    /* DR6 before the step, put back after */
	uint64_t entry_shadow_rip; /* RIP of the last entry in a shadow, else ~0 (exit.c) */
};

/* nmi.c: the guest's NMI blocking on SVM. */
void svm_nmi_injected(struct svm_vcpu *s);
void svm_iret_intercepted(struct svm_vcpu *s);
void svm_step_start(struct svm_vcpu *s, enum svm_step why);
void svm_step_check_entry(struct svm_vcpu *s);
bool svm_debug_intercepted(struct vcpu *v, struct svm_vcpu *s);
void svm_nmi_state_reset(struct svm_vcpu *s);

/* Set at probe: the CPU saves the next RIP of intercepted instructions. */
extern bool svm_has_next_rip;

/* vmrun.S: enters the guest; returns after #VMEXIT with GIF clear. */
void svm_vmrun(struct gpregs *regs, paddr_t vmcb_pa, paddr_t host_vmcb_pa);

enum err svm_npt_build(const struct guest_memory_plan *plan, paddr_t *root);
enum err svm_npt_map_identity(paddr_t gpa, uint64_t size);
enum err svm_npt_protect(paddr_t gpa, bool writable);
/* Bumped at each change that may leave stale nested translations. */
extern volatile uint64_t svm_npt_generation;

void svm_exit_decode(struct vcpu *v, struct vm_exit *exit);

/* vmcb.c */
enum err svm_vcpu_init(struct vcpu *v, const struct guest_memory_plan *plan,
		       const struct vm_boot_state *boot);
uint64_t svm_get_reg(struct vcpu *v, enum vm_reg reg);
void svm_set_reg(struct vcpu *v, enum vm_reg reg, uint64_t value);
void svm_get_seg(struct vcpu *v, enum vm_seg seg, struct vm_segment *out);
void svm_get_paging(struct vcpu *v, struct vm_paging *out);
void svm_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void svm_get_event_state(struct vcpu *v, struct vm_event_state *out);
void svm_inject_nmi(struct vcpu *v);
void svm_inject_interrupt(struct vcpu *v, uint8_t vector);
void svm_request_interrupt_window(struct vcpu *v, uint8_t vector);
void svm_set_startup_state(struct vcpu *v, uint8_t sipi_vector);

#endif
