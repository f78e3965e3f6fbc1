/* The SVM instructions, aimed at Shoji's memory where they take an
 * address: all must raise #UD (SVM is hidden), EFER.SVME cannot be set, a
 * CLGI/STGI loop changes nothing, and Shoji keeps running.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("isolation-svm-insns");

static uint64_t target;

static void do_vmrun(void *a) { (void)a; __asm__ volatile("vmrun" : : "a"(target) : "memory"); }
static void do_vmload(void *a) { (void)a; __asm__ volatile("vmload" : : "a"(target) : "memory"); }
static void do_vmsave(void *a) { (void)a; __asm__ volatile("vmsave" : : "a"(target) : "memory"); }
static void do_vmmcall(void *a) { (void)a; __asm__ volatile("vmmcall" : : : "memory"); }
static void do_clgi(void *a) { (void)a; __asm__ volatile("clgi" : : : "memory"); }
static void do_stgi(void *a) { (void)a; __asm__ volatile("stgi" : : : "memory"); }
static void do_skinit(void *a) { (void)a; __asm__ volatile("skinit" : : "a"(target) : "memory"); }
static void do_invlpga(void *a) { (void)a; __asm__ volatile("invlpga" : : "a"(target), "c"(0) : "memory"); }
static void do_set_svme(void *a) { (void)a; kit_wrmsr(0xC0000080, kit_rdmsr(0xC0000080) | (1u << 12)); }

static const struct {
	const char *name;
	void (*fn)(void *);
	int vector;
} attacks[] = {
	{ "VMRUN", do_vmrun, VEC_UD },	   { "VMLOAD", do_vmload, VEC_UD },
	{ "VMSAVE", do_vmsave, VEC_UD },   { "VMMCALL", do_vmmcall, VEC_UD },
	{ "CLGI", do_clgi, VEC_UD },	   { "STGI", do_stgi, VEC_UD },
	{ "SKINIT", do_skinit, VEC_UD },   { "INVLPGA", do_invlpga, VEC_UD },
	{ "WRMSR EFER.SVME", do_set_svme, VEC_GP },
};

void test_main(const struct kit_boot *boot)
{
	uint64_t start, end;
	uint32_t r[4];

	kit_require_shoji(boot);
	target = kit_find_shoji_region(boot, &start, &end) ? start : 0x1000;
	for (unsigned i = 0; i < sizeof(attacks) / sizeof(*attacks); i++) {
		int v = kit_catch(attacks[i].fn, NULL);

		if (v != attacks[i].vector)
			kit_failure("%s at %#lx gave vector %d, expected %d", attacks[i].name, target, v,
				    attacks[i].vector);
	}
	/* A CLGI/STGI loop: every one must fault, none may block anything. */
	for (int i = 0; i < 1000; i++)
		if (kit_catch(do_clgi, NULL) != VEC_UD || kit_catch(do_stgi, NULL) != VEC_UD)
			kit_failure("CLGI/STGI loop: round %d did not fault", i);
	if (kit_rdmsr(0xC0000080) & (1u << 12))
		kit_failure("the guest sees EFER.SVME set");
	kit_cpuid(0x80000001, 0, r);
	if (r[2] & (1u << 2))
		kit_failure("after the attacks SVM shows in CPUID: Shoji is not answering");
	kit_success();
}
