/* The intercept tables (see include/intercept.h).  Every MSR or port not
 * listed here is the guest's own and is never intercepted. */
#include "intercept.h"

#define MTRR_REASON                                                                        \
	"the guest's memory types must not change Shoji's own; on VT-x the EPT carries them " \
	"(SDM 29.3.7)"
#define MTRR(msr, name) { msr, name, true, true, MSR_EMUL_MTRR, MTRR_REASON }
#define MTRR_VAR(n)                                                   \
	MTRR(0x200 + 2 * (n), "IA32_MTRR_PHYSBASE" #n),               \
	MTRR(0x201 + 2 * (n), "IA32_MTRR_PHYSMASK" #n)
#define VMX_CAP(msr, name)                                                                  \
	{ msr, name, true, true, MSR_EMUL_ABSENT,                                            \
	  "VMX is Shoji's: a CPU without VMX (CPUID hides it) has no capability MSRs" }

const struct msr_rule msr_rules[] = {
	{ 0x10, "IA32_TIME_STAMP_COUNTER", false, true, MSR_EMUL_TSC,
	  "a write must change only this guest's TSC offset, never the real TSC (SPEC item 5)" },
	{ 0x1B, "IA32_APIC_BASE", false, true, MSR_EMUL_APIC_BASE,
	  "the local APIC must not be moved onto Shoji's memory, and Shoji follows where its "
	  "xAPIC page is (to trap ICR writes) and when it goes x2APIC" },
	{ 0x830, "X2APIC_ICR", false, true, MSR_EMUL_X2APIC_ICR,
	  "INIT and SIPI must never reach a real CPU: Shoji carries them out (x2APIC mode)" },
	{ 0x3B, "IA32_TSC_ADJUST", true, true, MSR_EMUL_TSC_ADJUST,
	  "writing it changes the real TSC; emulated through the TSC offset (SPEC item 5)" },
	{ 0x6E0, "IA32_TSC_DEADLINE", true, true, MSR_EMUL_TSC_DEADLINE,
	  "the local APIC compares it with the real TSC: a guest with a TSC offset needs it "
	  "translated (host deadline = guest deadline - offset) and read back as it wrote it" },
	{ 0x1D9, "IA32_DEBUGCTL", true, true, MSR_EMUL_DEBUGCTL,
	  "bits CPUID does not offer must #GP; on VT-x the guest's value lives in the VMCS (load/"
	  "save debug controls), where a reserved bit would fail the entry instead; reads come from "
	  "the same place, so the guest reads what was stored even where the CPU does not model "
	  "the MSR (Bochs)" },
	{ 0xDA0, "IA32_XSS", false, true, MSR_EMUL_XSS,
	  "no VT-x/SVM control filters it: only the supervisor state components CPUID.(0xD,1) "
	  "reports may be set" },
	{ 0xC0000080, "EFER", true, true, MSR_EMUL_EFER,
	  "SVME must stay set under the guest and be invisible to it" },
	{ 0x3A, "IA32_FEATURE_CONTROL", true, true, MSR_EMUL_FEATURE_CONTROL,
	  "VMX is Shoji's: the guest sees it locked with VMXON disabled, on every CPU" },
	MTRR(0x2FF, "IA32_MTRR_DEF_TYPE"),
	MTRR(0x250, "IA32_MTRR_FIX64K_00000"),
	MTRR(0x258, "IA32_MTRR_FIX16K_80000"),
	MTRR(0x259, "IA32_MTRR_FIX16K_A0000"),
	MTRR(0x268, "IA32_MTRR_FIX4K_C0000"),
	MTRR(0x269, "IA32_MTRR_FIX4K_C8000"),
	MTRR(0x26A, "IA32_MTRR_FIX4K_D0000"),
	MTRR(0x26B, "IA32_MTRR_FIX4K_D8000"),
	MTRR(0x26C, "IA32_MTRR_FIX4K_E0000"),
	MTRR(0x26D, "IA32_MTRR_FIX4K_E8000"),
	MTRR(0x26E, "IA32_MTRR_FIX4K_F0000"),
	MTRR(0x26F, "IA32_MTRR_FIX4K_F8000"),
	MTRR_VAR(0), MTRR_VAR(1), MTRR_VAR(2), MTRR_VAR(3), MTRR_VAR(4), MTRR_VAR(5),
	MTRR_VAR(6), MTRR_VAR(7), MTRR_VAR(8), MTRR_VAR(9), MTRR_VAR(10), MTRR_VAR(11),
	MTRR_VAR(12), MTRR_VAR(13), MTRR_VAR(14), MTRR_VAR(15),
	VMX_CAP(0x480, "IA32_VMX_BASIC"), VMX_CAP(0x481, "IA32_VMX_PINBASED_CTLS"),
	VMX_CAP(0x482, "IA32_VMX_PROCBASED_CTLS"), VMX_CAP(0x483, "IA32_VMX_EXIT_CTLS"),
	VMX_CAP(0x484, "IA32_VMX_ENTRY_CTLS"), VMX_CAP(0x485, "IA32_VMX_MISC"),
	VMX_CAP(0x486, "IA32_VMX_CR0_FIXED0"), VMX_CAP(0x487, "IA32_VMX_CR0_FIXED1"),
	VMX_CAP(0x488, "IA32_VMX_CR4_FIXED0"), VMX_CAP(0x489, "IA32_VMX_CR4_FIXED1"),
	VMX_CAP(0x48A, "IA32_VMX_VMCS_ENUM"), VMX_CAP(0x48B, "IA32_VMX_PROCBASED_CTLS2"),
	VMX_CAP(0x48C, "IA32_VMX_EPT_VPID_CAP"), VMX_CAP(0x48D, "IA32_VMX_TRUE_PINBASED_CTLS"),
	VMX_CAP(0x48E, "IA32_VMX_TRUE_PROCBASED_CTLS"), VMX_CAP(0x48F, "IA32_VMX_TRUE_EXIT_CTLS"),
	VMX_CAP(0x490, "IA32_VMX_TRUE_ENTRY_CTLS"), VMX_CAP(0x491, "IA32_VMX_VMFUNC"),
	VMX_CAP(0x492, "IA32_VMX_PROCBASED_CTLS3"), VMX_CAP(0x493, "IA32_VMX_EXIT_CTLS2"),
	{ 0xC0010010, "SYSCFG", false, true, MSR_EMUL_READ_ONLY,
	  "machine-wide memory configuration (MTRR DRAM bits, TOM2 enable)" },
	{ 0xC001001A, "TOP_MEM", false, true, MSR_EMUL_READ_ONLY,
	  "the memory controller's top of low memory" },
	{ 0xC001001D, "TOM2", false, true, MSR_EMUL_READ_ONLY,
	  "the memory controller's top of high memory" },
	{ 0xC0010111, "SMM_BASE", false, true, MSR_EMUL_READ_ONLY, "where SMRAM lies" },
	{ 0xC0010112, "SMM_ADDR", false, true, MSR_EMUL_READ_ONLY, "SMRAM protection range" },
	{ 0xC0010113, "SMM_MASK", false, true, MSR_EMUL_READ_ONLY, "SMRAM protection range" },
	{ 0xC0010114, "VM_CR", true, true, MSR_EMUL_VM_CR,
	  "SVM is hidden: reads say disabled and locked" },
	{ 0xC0010115, "IGNNE", true, true, MSR_EMUL_ZERO_RO, "part of the hidden SVM interface" },
	{ 0xC0010116, "SMM_CTL", true, true, MSR_EMUL_ZERO_RO,
	  "part of the hidden SVM interface (it could raise SMIs and INITs)" },
	{ 0xC0010117, "VM_HSAVE_PA", true, true, MSR_EMUL_ZERO_RO,
	  "Shoji's host save area; the guest sees none and cannot set one" },
	{ 0xC0010118, "SVM_KEY", true, true, MSR_EMUL_ZERO_RO, "SVM-Lock is hidden" },
};
const unsigned msr_rule_count = sizeof(msr_rules) / sizeof(msr_rules[0]);

const struct msr_rule *msr_rule_find(uint32_t msr)
{
	for (unsigned i = 0; i < msr_rule_count; i++)
		if (msr_rules[i].msr == msr)
			return &msr_rules[i];
	return NULL;
}

const struct io_rule io_rules[] = {
	{ 0x60, "keyboard controller data", IO_EMUL_KBC_DATA,
	  "after command D1 its bit 1 would switch the A20 gate off; Shoji keeps A20 on "
	  "(under QEMU the A20 mask also applies to Shoji's own accesses)" },
	{ 0x64, "keyboard controller command", IO_EMUL_KBC_CMD,
	  "command DD switches A20 off; D1 announces an output-port write" },
	{ 0x92, "system control port A", IO_EMUL_PORT92,
	  "bit 1 is the fast A20 gate; Shoji keeps it set (bit 0, CPU reset, passes)" },
};
const unsigned io_rule_count = sizeof(io_rules) / sizeof(io_rules[0]);

const struct io_rule *io_rule_find(uint16_t port)
{
	for (unsigned i = 0; i < io_rule_count; i++)
		if (io_rules[i].port == port)
			return &io_rules[i];
	return NULL;
}
