/* Private to the VT-x back end. */
#ifndef SHOJI_VMX_PRIV_H
#define SHOJI_VMX_PRIV_H

#include "controls.h"
#include "vm.h"
#include "vmcs_fields.h"

struct guest_memory_plan;

/* What the CPU offers, read once at probe (every CPU is alike). */
struct vmx_caps {
	uint64_t basic, misc, ept_vpid;
	uint64_t pin, proc, proc2, exit, entry; /* TRUE_ MSRs where the CPU has them */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	/* The controls every VMCS gets, computed from the above. */
	uint32_t pin_ctls, proc_ctls, proc2_ctls, exit_ctls, entry_ctls;
};
extern struct vmx_caps vmx_caps;

/* Per physical CPU. */
struct vmx_cpu {
	paddr_t vmxon_pa;
	uint64_t idt_base;   /* the host IDTR, put back after each exit */
	uint16_t idt_limit;
};

/* Per vCPU.  Its VMCS stays current on its CPU from vcpu_init on. */
struct vmx_vcpu {
	paddr_t vmcs_pa;
	bool launched;
	uint16_t vpid;
	uint32_t proc_ctls;       /* the primary controls as last written */
	uint64_t ept_generation;  /* of the EPT this vCPU's TLB may cache */
	uint64_t exit_qualification;
	uint32_t exit_reason;
};

/* The instructions, each checked (SDM 31.2): CF means VMfailInvalid (no
 * current VMCS), ZF VMfailValid (the error is in VMCS_INSN_ERROR). */
enum vmx_result { VMX_OK, VMX_FAIL_INVALID, VMX_FAIL_VALID };

static inline enum vmx_result vmx_flags_result(bool cf, bool zf)
{
	return cf ? VMX_FAIL_INVALID : zf ? VMX_FAIL_VALID : VMX_OK;
}

static inline enum vmx_result vmx_on(paddr_t *pa)
{
	bool cf, zf;

	__asm__ volatile("vmxon %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(*pa) : "memory");
	return vmx_flags_result(cf, zf);
}

static inline enum vmx_result vmx_clear(paddr_t *pa)
{
	bool cf, zf;

	__asm__ volatile("vmclear %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(*pa) : "memory");
	return vmx_flags_result(cf, zf);
}

static inline enum vmx_result vmx_ptrld(paddr_t *pa)
{
	bool cf, zf;

	__asm__ volatile("vmptrld %2" : "=@ccc"(cf), "=@ccz"(zf) : "m"(*pa) : "memory");
	return vmx_flags_result(cf, zf);
}

/* VMREAD and VMWRITE of a field Shoji knows exists: a failure is a bug in
 * Shoji, reported with the field and the error (vmx.c). */
_Noreturn void vmx_insn_failed(const char *insn, uint64_t field, enum vmx_result r);

static inline uint64_t vmread(uint64_t field)
{
	uint64_t value;
	bool cf, zf;

	__asm__ volatile("vmread %3, %0" : "=rm"(value), "=@ccc"(cf), "=@ccz"(zf) : "r"(field));
	if (__builtin_expect(cf || zf, 0))
		vmx_insn_failed("VMREAD", field, vmx_flags_result(cf, zf));
	return value;
}

static inline void vmwrite(uint64_t field, uint64_t value)
{
	bool cf, zf;

	__asm__ volatile("vmwrite %3, %2" : "=@ccc"(cf), "=@ccz"(zf) : "r"(field), "rm"(value)
			 : "memory");
	if (__builtin_expect(cf || zf, 0))
		vmx_insn_failed("VMWRITE", field, vmx_flags_result(cf, zf));
}

/* INVEPT/INVVPID descriptors and types (SDM 31.3). */
void vmx_invept_all(void);
void vmx_invvpid_all(void);

/* vmentry.S: loads the guest GPRs and enters (VMLAUNCH unless launched);
 * returns VMX_OK after a VM exit, a VMX_FAIL_* if the entry instruction
 * failed, or VMX_ENTRY_ABANDONED if an NMI came in the entry window.
 * test_icr: a test hook's self-NMI, sent by a store to this ICR inside
 * the window (NULL: none). */
#define VMX_ENTRY_ABANDONED 3
int vmx_enter(struct gpregs *regs, bool launched, volatile uint32_t *test_icr);

/* vmcs.c */
enum err vmx_vcpu_init(struct vcpu *v, const struct guest_memory_plan *plan,
		       const struct vm_boot_state *boot);
uint64_t vmx_get_reg(struct vcpu *v, enum vm_reg reg);
void vmx_set_reg(struct vcpu *v, enum vm_reg reg, uint64_t value);
void vmx_get_seg(struct vcpu *v, enum vm_seg seg, struct vm_segment *out);
void vmx_set_seg(struct vcpu *v, enum vm_seg seg, const struct vm_segment *in);
void vmx_get_paging(struct vcpu *v, struct vm_paging *out);
void vmx_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void vmx_get_event_state(struct vcpu *v, struct vm_event_state *out);
void vmx_inject_nmi(struct vcpu *v);
void vmx_request_nmi_window(struct vcpu *v);
void vmx_inject_interrupt(struct vcpu *v, uint8_t vector);
void vmx_request_interrupt_window(struct vcpu *v, uint8_t vector);
void vmx_set_startup_state(struct vcpu *v, uint8_t sipi_vector);
void vmx_set_proc_ctls(struct vmx_vcpu *x, uint32_t ctls);
/* The CR0/CR4 the guest runs with for the value it sees (fixed bits added). */
uint64_t vmx_guest_cr0(uint64_t guest_view);
uint64_t vmx_guest_cr4(uint64_t guest_view);

/* ept.c */
enum err vmx_ept_build(const struct guest_memory_plan *plan, paddr_t *root);
enum err vmx_ept_map_identity(paddr_t gpa, uint64_t size);
enum err vmx_ept_protect(paddr_t gpa, bool writable);
extern volatile uint64_t vmx_ept_generation;

/* ept_map.c: leaves typed from the host's MTRRs. */
struct pt_ctx;
void ept_types_init(void);
int ept_page_type(paddr_t gpa);
enum err ept_map_typed(struct pt_ctx *ept, paddr_t start, paddr_t end, uint64_t rights,
		       uint64_t max_page);
struct mtrr_state;
enum err ept_mtrr_access(uint32_t msr, bool write, uint64_t *value, bool *retype);
const struct mtrr_state *ept_mtrrs(void);
enum err vmx_mtrr_access(struct vcpu *v, uint32_t msr, bool write, uint64_t *value);

/* exit.c */
void vmx_exit_decode(struct vcpu *v, struct vm_exit *exit);

/* cr.c: a MOV to CR0 or CR4 that touched a bit Shoji owns. */
void vmx_cr_access(struct vcpu *v, struct vm_exit *exit);

/* entry_fail.c: the failed entry, with the guest-state area for
 * tools/vmcs-check. */
void vmx_dump_guest_state(struct vcpu *v, uint32_t reason, uint64_t qualification);

/* test_hooks.c: test-only corruption of one guest-state field before the
 * first entry (vmm.test_vmcs_corrupt). */
void vmx_test_corrupt(struct vcpu *v);
void vmx_test_corrupt_before_entry(struct vcpu *v);
extern bool vmx_corrupt_pending;

#endif
