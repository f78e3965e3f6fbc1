/* PCID and INVPCID (issue #5 item 6).  Where CPUID offers PCID (Bochs's
 * Skylake-X under VT-x, where Shoji sets "enable INVPCID" and leaves
 * CR4.PCIDE to the guest): setting CR4.PCIDE with a nonzero CR3[11:0] is
 * #GP, with a clean CR3 it sticks; INVPCID of every type 0-3 runs (no #UD,
 * and no exit: one Shoji did not expect would stop the guest); type 4 and
 * a descriptor with bits 63:12 set are #GP; clearing CR0.PG with PCIDE set
 * is #GP, in 64-bit mode (#GP there anyway) and in compatibility mode,
 * where without PCIDE it is allowed (checked too); and setting CR4.PCIDE
 * in 32-bit protected mode (EFER.LMA = 0) is #GP (pcid_legacy.S leaves
 * IA-32e mode for that).
 * Where CPUID has no PCID (QEMU's TCG): CR4.PCIDE must be refused with
 * #GP (SVM intercepts MOV to CR4: kernel/cr_write.c) and INVPCID, if not
 * offered, is #UD; then the PCID rules skip.
 *
 * Expect: SUCCESS on Bochs/VT-x; SKIP on QEMU/SVM (no PCID), after the
 * refusals are checked
 */
#include "kit.h"

KIT_TEST("pcid");

#define CR4_PCIDE (1ULL << 17)
#define CR0_PG (1ULL << 31)

/* pcid_legacy.S: 13 if the step was #GP, -1 if it was allowed. */
int pcid_compat_clear_pg(void);
int pcid_legacy_set_pcide(void);

struct invpcid_arg {
	uint64_t type;
	uint64_t desc[2] __attribute__((aligned(16)));
};

static uint64_t read_cr0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static void write_cr0(void *arg)
{
	__asm__ volatile("mov %0, %%cr0" : : "r"(*(uint64_t *)arg) : "memory");
}

static void write_cr3(void *arg)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(*(uint64_t *)arg) : "memory");
}

static void write_cr4(void *arg)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(*(uint64_t *)arg) : "memory");
}

static void do_invpcid(void *arg)
{
	struct invpcid_arg *a = arg;

	__asm__ volatile("invpcid %0, %1" : : "m"(a->desc), "r"(a->type) : "memory");
}

static int try_cr(void (*fn)(void *), uint64_t value)
{
	return kit_catch(fn, &value);
}

static int try_invpcid(uint64_t type, uint64_t pcid, uint64_t address)
{
	struct invpcid_arg a = { type, { pcid, address } };

	return kit_catch(do_invpcid, &a);
}

static const char *outcome(int r)
{
	return r < 0 ? "no fault" : r == VEC_GP ? "#GP" : r == VEC_UD ? "#UD" : "another exception";
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	bool pcid, invpcid;
	uint64_t cr3 = read_cr3(), cr4 = read_cr4();
	int f;

	kit_require_shoji(boot);
	kit_cpuid(1, 0, r);
	pcid = r[2] & (1u << 17);
	kit_cpuid(7, 0, r);
	invpcid = r[1] & (1u << 10);
	if (!pcid) {
		if ((f = try_cr(write_cr4, cr4 | CR4_PCIDE)) != VEC_GP)
			kit_failure("CR4.PCIDE without PCID in CPUID: %s, expected #GP", outcome(f));
		if (!invpcid && (f = try_invpcid(2, 0, 0)) != VEC_UD)
			kit_failure("INVPCID without INVPCID in CPUID: %s, expected #UD", outcome(f));
		kit_skip("no PCID on this CPU (QEMU's TCG): CR4.PCIDE #GP%s checked, the PCID rules "
			 "need PCID",
			 invpcid ? "" : " and INVPCID #UD");
	}
	if (!invpcid)
		kit_failure("PCID without INVPCID: both come with EPT on this CPU");

	/* PCIDE needs CR3[11:0] = 0 (SDM 4.10.1 and MOV CR4's #GP list). */
	if ((f = try_cr(write_cr3, cr3 | 0x001)) >= 0)
		kit_error("MOV to CR3 with bit 0 set: %s", outcome(f));
	if ((f = try_cr(write_cr4, cr4 | CR4_PCIDE)) != VEC_GP)
		kit_failure("CR4.PCIDE with CR3[11:0] = 1: %s, expected #GP", outcome(f));
	if (read_cr4() & CR4_PCIDE)
		kit_failure("CR4.PCIDE set by a refused write");
	if ((f = try_cr(write_cr3, cr3)) >= 0)
		kit_error("restoring CR3: %s", outcome(f));
	if ((f = try_cr(write_cr4, cr4 | CR4_PCIDE)) >= 0)
		kit_failure("CR4.PCIDE with a clean CR3: %s", outcome(f));
	if (!(read_cr4() & CR4_PCIDE))
		kit_failure("CR4.PCIDE written but reads %#lx", read_cr4());
	kit_printf("pcid: CR4.PCIDE: #GP with CR3[11:0] nonzero, set with it clear\n");

	/* INVPCID: types 0-3 run natively (SDM INVPCID; VT-x "enable INVPCID"
	 * with INVLPG exiting clear), type 4 and a bad descriptor #GP. */
	for (uint64_t type = 0; type <= 3; type++)
		if ((f = try_invpcid(type, 0, 0x100000)) >= 0)
			kit_failure("INVPCID type %lu: %s", type, outcome(f));
	if ((f = try_invpcid(4, 0, 0)) != VEC_GP)
		kit_failure("INVPCID type 4: %s, expected #GP", outcome(f));
	if ((f = try_invpcid(1, 1ULL << 12, 0)) != VEC_GP)
		kit_failure("INVPCID with descriptor bits 63:12 set: %s, expected #GP", outcome(f));
	kit_printf("pcid: INVPCID types 0-3 run, type 4 and a bad descriptor #GP\n");

	/* PCID 1 in CR3 now works, and clearing PG with PCIDE set is #GP. */
	if ((f = try_cr(write_cr3, cr3 | 1)) >= 0)
		kit_failure("MOV to CR3 with PCID 1: %s", outcome(f));
	if ((f = try_cr(write_cr3, cr3)) >= 0)
		kit_failure("MOV to CR3 with PCID 0: %s", outcome(f));
	if ((f = try_cr(write_cr0, read_cr0() & ~CR0_PG)) != VEC_GP)
		kit_failure("clearing CR0.PG with CR4.PCIDE set: %s, expected #GP", outcome(f));
	/* The same from compatibility mode, where clearing PG is how one
	 * leaves IA-32e mode: #GP with PCIDE, allowed without (the control). */
	if ((f = pcid_compat_clear_pg()) != VEC_GP)
		kit_failure("clearing CR0.PG in compatibility mode with CR4.PCIDE set: %s, "
			    "expected #GP",
			    outcome(f));
	if ((f = try_cr(write_cr4, cr4)) >= 0)
		kit_failure("clearing CR4.PCIDE: %s", outcome(f));
	if ((f = pcid_compat_clear_pg()) >= 0)
		kit_error("clearing CR0.PG in compatibility mode without PCIDE: %s", outcome(f));
	kit_printf("pcid: PCID 1 in CR3 loads; clearing CR0.PG with PCIDE #GP (64-bit and "
		   "compatibility mode; allowed there without PCIDE); PCIDE clears\n");

	/* Outside IA-32e mode (EFER.LMA = 0) PCIDE cannot be set. */
	if ((f = pcid_legacy_set_pcide()) != VEC_GP)
		kit_failure("CR4.PCIDE with EFER.LMA = 0: %s, expected #GP", outcome(f));
	if (read_cr4() & CR4_PCIDE)
		kit_failure("CR4.PCIDE left set after the 32-bit excursion");
	kit_printf("pcid: CR4.PCIDE with EFER.LMA = 0 (32-bit protected mode) #GP\n");
	kit_success();
}
