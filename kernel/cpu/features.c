/* Reads the CPUID facts the core needs, once, on the boot CPU. */
#include <string.h>

#include "cpu_features.h"
#include "x86.h"

struct cpu_features cpu_features;

/* CR4 bits this CPU implements (SDM 2.5, APM 3.1.3), from CPUID: a guest
 * setting any other bit gets #GP.  VMXE and SMXE are Shoji's and never
 * offered (SPEC item 17). */
static void cr4_writable_read(uint32_t max_basic)
{
	struct cpuid_regs r;
	uint64_t w = 0x7FF; /* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT */

	cpuid(1, 0, &r);
	if (r.ecx & BIT(17))
		w |= BIT(17); /* PCIDE */
	if (r.ecx & BIT(26))
		w |= BIT(18); /* OSXSAVE */
	if (max_basic >= 7) {
		cpuid(7, 0, &r);
		if (r.ecx & BIT(2))
			w |= BIT(11); /* UMIP */
		if (r.ecx & BIT(16))
			w |= BIT(12); /* LA57 */
		if (r.ebx & BIT(0))
			w |= BIT(16); /* FSGSBASE */
		if (r.ebx & BIT(7))
			w |= BIT(20); /* SMEP */
		if (r.ebx & BIT(20))
			w |= BIT(21); /* SMAP */
		if (r.ecx & BIT(3))
			w |= BIT(22); /* PKE */
		if (r.ecx & BIT(7))
			w |= BIT(23); /* CET */
		if (r.ecx & BIT(31))
			w |= BIT(24); /* PKS */
	}
	cpu_features.cr4_writable = w;
}

void cpu_features_read(void)
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	memcpy(cpu_features.vendor_string + 0, &r.ebx, 4);
	memcpy(cpu_features.vendor_string + 4, &r.edx, 4);
	memcpy(cpu_features.vendor_string + 8, &r.ecx, 4);
	cpu_features.vendor = strcmp(cpu_features.vendor_string, "AuthenticAMD") == 0 ||
					      strcmp(cpu_features.vendor_string, "HygonGenuine") == 0
				      ? INSN_VENDOR_AMD
				      : INSN_VENDOR_INTEL;
	uint32_t max_basic = r.eax;

	if (max_basic >= 7) {
		cpuid(7, 0, &r);
		cpu_features.tsc_adjust = r.ebx & BIT(1);
	}
	/* Some CPUs (QEMU's among them) have the MSR without the CPUID bit;
	 * the guest must find it there too. */
	uint64_t adjust;

	if (!msr_read_safe(0x3B, &adjust))
		cpu_features.tsc_adjust = true;
	cpuid(0x80000000, 0, &r);
	uint32_t max_ext = r.eax;

	cpuid(0x80000001, 0, &r);
	cpu_features.page_1g = r.edx & BIT(26);
	/* EFER: SCE, LME, (LMA is read-only), NXE if NX, FFXSR if present;
	 * LMSLE and TCE on AMD when offered. */
	cpu_features.efer_writable = EFER_SCE | EFER_LME;
	if (r.edx & BIT(20))
		cpu_features.efer_writable |= EFER_NXE;
	if (r.edx & BIT(25))
		cpu_features.efer_writable |= BIT(14); /* FFXSR */
	if (r.ecx & BIT(17))
		cpu_features.efer_writable |= BIT(15); /* TCE */
	cr4_writable_read(max_basic);
	cpu_features.phys_addr_bits = 36;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, &r);
		cpu_features.phys_addr_bits = (uint8_t)(r.eax & 0xFF);
	}
}
