/* CPUID as the guest sees it (see include/cpuid_filter.h).  Each rule says
 * why; everything else is the real CPU's answer. */
#include "cpuid_filter.h"

void cpuid_filter(uint32_t leaf, uint32_t subleaf, uint64_t guest_cr4, struct cpuid_result *r)
{
	if (leaf >= 0x40000000 && leaf <= 0x4FFFFFFF) {
		/* SPEC item 9: a hypervisor below us (KVM, QEMU) must not be seen,
		 * or the guest enables paravirtual features (async page faults)
		 * that would bypass Shoji. */
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		return;
	}
	switch (leaf) {
	case 1:
		/* Shoji owns VMX and SMX (SPEC item 17): the guest gets neither. */
		r->ecx &= ~(uint32_t)(BIT(5) | BIT(6));
		/* OSXSAVE mirrors CR4.OSXSAVE of the CPU executing CPUID, which
		 * was the core's, not the guest's. */
		r->ecx = (r->ecx & ~(uint32_t)BIT(27)) | ((guest_cr4 & BIT(18)) ? BIT(27) : 0);
		break;
	case 7:
		/* PCID (leaf 1) and INVPCID stay as the CPU reports them: SPEC
		 * item 6 offers them only with EPT or NPT, and neither back end
		 * runs without (vmx.c needs EPT and unrestricted guest, svm.c
		 * NPT).  VT-x runs INVPCID natively ("enable INVPCID"); where
		 * CPUID has no PCID, MOV to CR4 refuses PCIDE (cr_write.c). */
		/* Likewise OSPKE mirrors CR4.PKE. */
		if (subleaf == 0)
			r->ecx = (r->ecx & ~(uint32_t)BIT(4)) | ((guest_cr4 & BIT(22)) ? BIT(4) : 0);
		break;
	case 0x80000001:
		r->ecx &= ~(uint32_t)BIT(2); /* SVM */
		break;
	case 0x8000000A:
		/* SVM features, including SVM-Lock (SPEC item 17). */
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		break;
	case 0x8000001F:
		/* SME/SEV: a guest setting the memory-encryption bit in its page
		 * tables would need Shoji's support, which it does not have. */
		*r = (struct cpuid_result){ 0, 0, 0, 0 };
		break;
	}
}
