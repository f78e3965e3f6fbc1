/* The VMX side of "Shoji is hidden": every VMX instruction raises #UD, with
 * Shoji's memory as the operand where it takes one; CR4.VMXE and CR4.SMXE
 * cannot be set (#GP, as on a CPU without VMX or SMX); CPUID shows neither;
 * the VMX capability MSRs do not exist; IA32_FEATURE_CONTROL, where it can
 * be read, reads VMXON disabled and cannot be written.  On an AMD CPU the
 * same holds natively.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("isolation-vmx");

#define CR4_VMXE (1u << 13)
#define CR4_SMXE (1u << 14)

static uint64_t target; /* a physical address inside Shoji's region */
static uint64_t reg;

static void do_vmxon(void *a) { (void)a; __asm__ volatile("vmxon %0" : : "m"(target) : "memory"); }
static void do_vmclear(void *a) { (void)a; __asm__ volatile("vmclear %0" : : "m"(target) : "memory"); }
static void do_vmptrld(void *a) { (void)a; __asm__ volatile("vmptrld %0" : : "m"(target) : "memory"); }
static void do_vmptrst(void *a) { (void)a; __asm__ volatile("vmptrst %0" : "=m"(target) : : "memory"); }
static void do_vmread(void *a) { (void)a; __asm__ volatile("vmread %1, %0" : "=r"(reg) : "r"(0x6C16UL)); }
static void do_vmwrite(void *a) { (void)a; __asm__ volatile("vmwrite %0, %1" : : "r"(0UL), "r"(0x6C16UL)); }
static void do_vmlaunch(void *a) { (void)a; __asm__ volatile("vmlaunch" : : : "memory"); }
static void do_vmresume(void *a) { (void)a; __asm__ volatile("vmresume" : : : "memory"); }
static void do_vmxoff(void *a) { (void)a; __asm__ volatile("vmxoff" : : : "memory"); }
static void do_vmcall(void *a) { (void)a; __asm__ volatile("vmcall" : : : "memory"); }
static void do_vmfunc(void *a) { (void)a; __asm__ volatile("vmfunc" : : "a"(0), "c"(0) : "memory"); }
static void do_getsec(void *a) { (void)a; __asm__ volatile("getsec" : : "a"(0) : "memory"); }
static void do_invept(void *a)
{
	static uint64_t desc[2];

	(void)a;
	__asm__ volatile("invept %0, %1" : : "m"(desc), "r"(2UL) : "memory");
}
static void do_invvpid(void *a)
{
	static uint64_t desc[2];

	(void)a;
	__asm__ volatile("invvpid %0, %1" : : "m"(desc), "r"(2UL) : "memory");
}

static uint32_t cr4_bit;
static void set_cr4_bit(void *a)
{
	uint64_t cr4;

	(void)a;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= cr4_bit;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static uint32_t msr;
static uint64_t msr_value;
static void read_msr(void *a) { (void)a; msr_value = kit_rdmsr(msr); }
static void write_msr(void *a) { (void)a; kit_wrmsr(msr, msr_value); }

static const struct {
	const char *name;
	void (*fn)(void *);
} vmx_insns[] = {
	{ "VMXON", do_vmxon },	       { "VMCLEAR", do_vmclear },   { "VMPTRLD", do_vmptrld },
	{ "VMPTRST", do_vmptrst },     { "VMREAD", do_vmread },	    { "VMWRITE", do_vmwrite },
	{ "VMLAUNCH", do_vmlaunch },   { "VMRESUME", do_vmresume }, { "VMXOFF", do_vmxoff },
	{ "VMCALL", do_vmcall },       { "VMFUNC", do_vmfunc },	    { "INVEPT", do_invept },
	{ "INVVPID", do_invvpid },     { "GETSEC", do_getsec },
};

void test_main(const struct kit_boot *boot)
{
	uint64_t start, end;
	uint32_t r[4];
	int v;

	kit_require_shoji(boot);
	target = kit_find_shoji_region(boot, &start, &end) ? start : 0x1000;
	kit_cpuid(1, 0, r);
	if (r[2] & ((1u << 5) | (1u << 6)))
		kit_failure("CPUID 1 shows VMX or SMX (ECX %#x)", r[2]);
	for (unsigned i = 0; i < sizeof(vmx_insns) / sizeof(*vmx_insns); i++)
		if ((v = kit_catch(vmx_insns[i].fn, NULL)) != VEC_UD)
			kit_failure("%s (operand %#lx) gave vector %d, expected #UD", vmx_insns[i].name,
				    target, v);
	cr4_bit = CR4_VMXE;
	if ((v = kit_catch(set_cr4_bit, NULL)) != VEC_GP)
		kit_failure("setting CR4.VMXE gave vector %d, expected #GP", v);
	cr4_bit = CR4_SMXE;
	if ((v = kit_catch(set_cr4_bit, NULL)) != VEC_GP)
		kit_failure("setting CR4.SMXE gave vector %d, expected #GP", v);
	for (msr = 0x480; msr <= 0x491; msr++)
		if ((v = kit_catch(read_msr, NULL)) != VEC_GP)
			kit_failure("VMX capability MSR %#x read %#lx (vector %d), expected #GP", msr,
				    msr_value, v);
	msr = 0x3A;
	if (kit_catch(read_msr, NULL) < 0) {
		if (msr_value & 6)
			kit_failure("IA32_FEATURE_CONTROL %#lx allows VMXON", msr_value);
		msr_value |= 5; /* lock, VMXON outside SMX */
		if ((v = kit_catch(write_msr, NULL)) != VEC_GP)
			kit_failure("writing IA32_FEATURE_CONTROL gave vector %d, expected #GP", v);
	}
	kit_printf("isolation-vmx: %u VMX instructions #UD, CR4.VMXE/SMXE #GP, no VMX MSRs\n",
		   (unsigned)(sizeof(vmx_insns) / sizeof(*vmx_insns)));
	kit_success();
}
