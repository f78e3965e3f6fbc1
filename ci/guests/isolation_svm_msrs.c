/* The SVM MSRs: writing VM_HSAVE_PA (pointing it at Shoji's memory) and
 * VM_CR (clearing SVMDIS, setting LOCK) must #GP; VM_CR reads "disabled";
 * VM_HSAVE_PA reads 0.  Shoji keeps running.
 *
 * Expect: SUCCESS
 */
#include "kit.h"

KIT_TEST("isolation-svm-msrs");

#define MSR_VM_CR 0xC0010114
#define MSR_VM_HSAVE_PA 0xC0010117

static uint32_t msr;
static uint64_t value;

static void do_write(void *a) { (void)a; kit_wrmsr(msr, value); }
static void do_read(void *a) { (void)a; value = kit_rdmsr(msr); }

void test_main(const struct kit_boot *boot)
{
	uint64_t start, end;
	uint32_t r[4];

	kit_require_shoji(boot);
	if (!kit_find_shoji_region(boot, &start, &end))
		kit_error("no reserved region of Shoji's in the memory map");

	msr = MSR_VM_HSAVE_PA;
	value = start;
	if (kit_catch(do_write, NULL) != VEC_GP)
		kit_failure("WRMSR VM_HSAVE_PA=%#lx did not #GP", start);
	if (kit_catch(do_read, NULL) >= 0 || value != 0)
		kit_failure("VM_HSAVE_PA reads %#lx, expected 0", value);

	msr = MSR_VM_CR;
	static const uint64_t values[] = { 0, 0x8, 0x10, 0x18 };

	for (unsigned i = 0; i < 4; i++) {
		value = values[i];
		if (kit_catch(do_write, NULL) != VEC_GP)
			kit_failure("WRMSR VM_CR=%#lx did not #GP", values[i]);
	}
	if (kit_catch(do_read, NULL) >= 0 || !(value & 0x10))
		kit_failure("VM_CR reads %#lx; expected SVMDIS (bit 4) set", value);

	kit_cpuid(0x80000001, 0, r);
	if (r[2] & (1u << 2))
		kit_failure("after the attacks SVM shows in CPUID: Shoji is not answering");
	kit_success();
}
