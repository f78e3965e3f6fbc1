/* Turning a VM exit into the core's vendor-neutral vm_exit.  The exits that
 * can reach here are the controls set in vmcs.c plus those VT-x always
 * takes (CPUID, INVD, XSETBV, GETSEC, task switches, the VMX instructions,
 * triple fault, INIT, SIPI); anything else is reported as unknown with the
 * raw reason (STYLE.md 7). */
#include "log.h"
#include "vmx.h"
#include "x86.h"

/* SDM table 28-3: I/O qualification. */
#define IO_SIZE_MASK 7
#define IO_IN BIT(3)
#define IO_STRING BIT(4)
#define IO_REP BIT(5)

/* Table 28-7: EPT violation qualification. */
#define EPT_READ BIT(0)
#define EPT_WRITE BIT(1)
#define EPT_FETCH BIT(2)
#define EPT_PERMS (7u << 3)
#define EPT_NMI_UNBLOCKED BIT(12)

static const char *const vmx_insn_names[] = {
	[EXIT_VMCALL] = "VMCALL",   [EXIT_VMCLEAR] = "VMCLEAR", [EXIT_VMLAUNCH] = "VMLAUNCH",
	[EXIT_VMPTRLD] = "VMPTRLD", [EXIT_VMPTRST] = "VMPTRST", [EXIT_VMREAD] = "VMREAD",
	[EXIT_VMRESUME] = "VMRESUME", [EXIT_VMWRITE] = "VMWRITE", [EXIT_VMXOFF] = "VMXOFF",
	[EXIT_VMXON] = "VMXON",     [EXIT_INVEPT] = "INVEPT",   [EXIT_INVVPID] = "INVVPID",
	[EXIT_GETSEC] = "GETSEC",   [EXIT_VMFUNC] = "VMFUNC",
};

/* An exit in the middle of delivering an event (SDM 28.2.4): deliver it
 * again on the next entry, with its instruction length for software
 * interrupts and exceptions (VT-x gives it; no re-execution needed). */
static bool requeue_vectoring(void)
{
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);

	if (!(info & INTR_INFO_VALID))
		return false;
	uint32_t type = info & INTR_TYPE_MASK;

	/* Bits 12-30 are reserved in the entry field (bit 12 is "NMI
	 * unblocked by IRET" here). */
	vmwrite(VMCS_ENTRY_INTR_INFO, info & (INTR_INFO_VALID | 0xFFFu));
	if (info & INTR_INFO_ERROR_VALID)
		vmwrite(VMCS_ENTRY_EXCEPTION_ERROR, vmread(VMCS_IDT_VECTORING_ERROR));
	if (type == INTR_TYPE_SOFT_INT || type == INTR_TYPE_PRIV_SOFT_EXC ||
	    type == INTR_TYPE_SOFT_EXC)
		vmwrite(VMCS_ENTRY_INSN_LEN, vmread(VMCS_EXIT_INSN_LEN));
	return true;
}

static void unexpected(struct vm_exit *exit, const char *what, uint32_t reason, uint64_t qual)
{
	exit->kind = VM_EXIT_UNKNOWN;
	exit->raw.what = what;
	exit->raw.code = reason;
	exit->raw.info1 = qual;
	exit->raw.info2 = vmread(VMCS_GUEST_PHYS_ADDR);
}

/* A task switch: every one exits in VMX non-root operation (SDM Vol. 3C
 * 26.4.2), after the checks on the gate and the new TSS descriptor; the
 * core carries it out (kernel/task_switch.c).  Qualification (table 28-2):
 * bits 15:0 the new TSS, 31:30 the source.  Through a task gate in the IDT
 * the IDT-vectoring information names the event (27.2.4): the switch is
 * its delivery, so it is not queued again, and the old task resumes after
 * the instruction only for INT n, INT3, INTO and INT1.  The blocking the
 * instruction or event leaves is set here, where its home is: an NMI's
 * delivery blocks NMIs, IRET unblocks them (SDM Vol. 3A 6.7.1), and a
 * switch that happens ends any STI or MOV SS shadow. */
static void task_switch(struct vm_exit *exit)
{
	uint64_t qual = vmread(VMCS_EXIT_QUALIFICATION);
	uint32_t info = (uint32_t)vmread(VMCS_IDT_VECTORING_INFO);
	uint32_t type = info & INTR_TYPE_MASK;
	uint64_t blocking = vmread(VMCS_GUEST_INTERRUPTIBILITY);

	exit->kind = VM_EXIT_TASK_SWITCH;
	exit->task.selector = (uint16_t)qual;
	exit->task.source = (uint8_t)(qual >> 30 & 3);
	exit->task.advance = true;
	exit->task.external = false;
	exit->task.has_error = false;
	exit->task.error = 0;
	if (exit->task.source == VM_TASK_IDT_GATE) {
		if (!(info & INTR_INFO_VALID)) {
			unexpected(exit, "task switch through the IDT without its event", EXIT_TASK_SWITCH,
				   qual);
			return;
		}
		vmwrite(VMCS_ENTRY_INTR_INFO, 0);
		exit->in_delivery = false;
		exit->task.advance = type == INTR_TYPE_SOFT_INT || type == INTR_TYPE_SOFT_EXC ||
				     type == INTR_TYPE_PRIV_SOFT_EXC;
		/* EXT (SDM Vol. 3A 6.13): all but INT n, INT3 and INTO. */
		exit->task.external = type != INTR_TYPE_SOFT_INT && type != INTR_TYPE_SOFT_EXC;
		exit->task.has_error = info & INTR_INFO_ERROR_VALID;
		if (exit->task.has_error)
			exit->task.error = (uint32_t)vmread(VMCS_IDT_VECTORING_ERROR);
		if (type == INTR_TYPE_NMI)
			blocking |= INTERRUPTIBILITY_NMI;
	}
	if (exit->task.source == VM_TASK_IRET)
		blocking &= ~(uint64_t)INTERRUPTIBILITY_NMI;
	vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
		blocking & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	exit->insn_len = exit->task.advance ? (uint8_t)vmread(VMCS_EXIT_INSN_LEN) : 0;
}

void vmx_exit_decode(struct vcpu *v, struct vm_exit *exit)
{
	struct vmx_vcpu *x = v->backend;
	uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
	uint32_t basic = reason & 0xFFFF;
	uint64_t qual;

	exit->insn_len = 0;
	exit->complete = false;
	exit->rip = vmread(VMCS_GUEST_RIP);
	if (reason & EXIT_REASON_ENTRY_FAILED) {
		qual = vmread(VMCS_EXIT_QUALIFICATION);
		vmx_dump_guest_state(v, reason, qual);
		exit->kind = VM_EXIT_ENTRY_FAILED;
		exit->raw.what = basic == EXIT_INVALID_GUEST_STATE ? "VM entry failed: invalid guest state"
				 : basic == EXIT_MSR_LOADING	    ? "VM entry failed: MSR loading"
								    : "VM entry failed: machine check";
		exit->raw.code = reason;
		exit->raw.info1 = qual;
		exit->raw.info2 = 0;
		exit->in_delivery = false;
		return;
	}
	exit->in_delivery = requeue_vectoring();
	switch (basic) {
	case EXIT_CPUID:
	case EXIT_INVD:
		exit->kind = basic == EXIT_CPUID ? VM_EXIT_CPUID : VM_EXIT_INVD;
		exit->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_RDMSR:
	case EXIT_WRMSR:
		exit->kind = VM_EXIT_MSR;
		exit->msr.write = basic == EXIT_WRMSR;
		exit->msr.msr = (uint32_t)v->regs.rcx;
		exit->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_IO:
		qual = vmread(VMCS_EXIT_QUALIFICATION);
		exit->kind = VM_EXIT_IO;
		exit->io.in = qual & IO_IN;
		exit->io.string = qual & IO_STRING;
		exit->io.rep = qual & IO_REP;
		exit->io.size = (uint8_t)((qual & IO_SIZE_MASK) + 1);
		exit->io.port = (uint16_t)(qual >> 16);
		exit->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_EPT_VIOLATION:
		qual = vmread(VMCS_EXIT_QUALIFICATION);
		/* SDM 28.2.3: an IRET that unblocked virtual NMIs before faulting
		 * must find them blocked again when it is retried. */
		if ((qual & EPT_NMI_UNBLOCKED) && !exit->in_delivery)
			vmwrite(VMCS_GUEST_INTERRUPTIBILITY,
				vmread(VMCS_GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
		exit->kind = VM_EXIT_NESTED_FAULT;
		exit->npf.gpa = vmread(VMCS_GUEST_PHYS_ADDR);
		exit->npf.present = qual & EPT_PERMS;
		exit->npf.write = qual & EPT_WRITE;
		exit->npf.fetch = qual & EPT_FETCH;
		exit->npf.read = !exit->npf.write && !exit->npf.fetch;
		return;
	case EXIT_XSETBV:
		exit->kind = VM_EXIT_XSETBV;
		exit->insn_len = (uint8_t)vmread(VMCS_EXIT_INSN_LEN);
		return;
	case EXIT_CR_ACCESS:
		vmx_cr_access(v, exit);
		return;
	case EXIT_EXCEPTION_NMI: {
		uint32_t info = (uint32_t)vmread(VMCS_EXIT_INTR_INFO);

		if ((info & (INTR_INFO_VALID | INTR_TYPE_MASK)) == (INTR_INFO_VALID | INTR_TYPE_NMI)) {
			/* An NMI came while the guest ran (NMI exiting): blocked
			 * until an IRET, so take it through the core's own handler,
			 * which counts it; the core then tells a kick from the
			 * guest's own (kernel/vcpus.c). */
			__asm__ volatile("int $2" ::: "memory");
			exit->kind = VM_EXIT_NONE;
			return;
		}
		unexpected(exit, "exception exit Shoji did not ask for", basic, info);
		return;
	}
	case EXIT_NMI_WINDOW:
		vmx_set_proc_ctls(x, x->proc_ctls & ~(uint32_t)PROC_NMI_WINDOW);
		exit->kind = VM_EXIT_NONE;
		return;
	case EXIT_INTR_WINDOW:
		vmx_set_proc_ctls(x, x->proc_ctls & ~(uint32_t)PROC_INTR_WINDOW);
		exit->kind = VM_EXIT_INTERRUPT_WINDOW;
		return;
	case EXIT_TRIPLE_FAULT:
		exit->kind = VM_EXIT_TRIPLE_FAULT;
		return;
	case EXIT_INIT:
	case EXIT_SIPI:
		/* Shoji never sends INIT or SIPI to a virtualized CPU (INIT and
		 * SIPI are emulated, kernel/vcpus.c): one that comes is from
		 * elsewhere, and the guest goes on as if it had not. */
		log_warn("CPU %u: unexpected %s signal in the guest (exit %u); ignored", v->id,
			 basic == EXIT_INIT ? "INIT" : "start-up IPI", basic);
		exit->kind = VM_EXIT_NONE;
		return;
	case EXIT_EPT_MISCONFIG:
		unexpected(exit,
			   "EPT misconfiguration (a bug in Shoji's EPT, or guest state the CPU "
			   "should have refused)",
			   basic, 0);
		return;
	case EXIT_TASK_SWITCH:
		task_switch(exit);
		return;
	}
	if (basic < sizeof(vmx_insn_names) / sizeof(vmx_insn_names[0]) && vmx_insn_names[basic]) {
		exit->kind = VM_EXIT_UNDEFINED;
		exit->raw.what = vmx_insn_names[basic];
		return;
	}
	unexpected(exit, "unexpected VT-x exit", basic, vmread(VMCS_EXIT_QUALIFICATION));
}
