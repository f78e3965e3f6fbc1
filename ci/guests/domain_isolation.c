/* Isolation (issue #6, the probe bullet): the `probe` domain is made to
 * read, write and jump to each part of the core's state, to run every
 * privileged instruction, to enter the core through a DPL 0 gate and to
 * load a selector beyond the GDT right after a VM exit.  Each attempt must
 * end the probe alone (E_DEAD, a fault vector), the probe must come back,
 * the other domains must keep their generation, and a checksum of the
 * core's text, IDT, GDTs, TSSs and page tables must not change.
 *
 * Expect: SUCCESS
 */
#include <stdio.h>

#include "domcall.h"
#include "kit.h"

KIT_TEST("domain-isolation");

#define LEAF_INFO 0x4F444F49
#define LEAF_ADDRESS 0x4F444F41
#define LEAF_CHECKSUM 0x4F444F53
#define DOM_EXAMPLE 0
#define DOM_PROBE 2
#define E_OK 0
#define E_DEAD 9
#define PING 1
#define READ 2
#define WRITE 3
#define JUMP 4
#define INSN 5
#define SELECTOR 6


static uint64_t checksum(void)
{
	uint32_t r[4];

	kit_cpuid(LEAF_CHECKSUM, 0, r);
	return (uint64_t)r[3] << 32 | r[0];
}

static const char *const address_names[] = {
	"core text", "entry code", "core data", "main stack", "page tables", "GDT", "IDT",
	"TSS", "entry stack", "NMI stack", "domain table",
};

static const char *const insn_names[] = {
	"MOV to CR3", "LGDT", "LTR", "RDMSR", "WRMSR", "CLI", "HLT", "INVLPG", "WBINVD",
	"VMCALL", "VMMCALL", "VMRUN", "SYSCALL", "SYSENTER", "WRGSBASE", "INT 0x80 (DPL 0)",
	"INT 2 (NMI gate, DPL 0)", "MOV to CR4", "MOV to DR7", "LIDT",
	"SSE without the FPU grant",
};

static unsigned denied;

/* One attempt that must end the probe: E_DEAD, then it serves again. */
static void must_fault(const char *what, unsigned label, uint32_t in0, uint32_t in1)
{
	uint32_t r[4];
	struct domcall_answer a = domcall(DOM_PROBE, label, in0, in1);

	if (a.err != E_DEAD)
		kit_failure("%s: not stopped (error %u, answer %u, value %#x)", what, a.err,
			    a.label, a.out0);
	kit_cpuid(LEAF_INFO, DOM_PROBE, r);
	uint32_t vector = r[1];

	for (unsigned long spins = 0;; spins++) {
		a = domcall(DOM_PROBE, PING, 5, 0);
		if (a.err == E_OK && a.out0 == 6)
			break;
		if (a.err != E_DEAD || spins > 50000000)
			kit_failure("%s: the probe did not come back (error %u)", what, a.err);
	}
	kit_printf("domain-isolation: %s: denied (vector %u)\n", what, vector);
	denied++;
}

void test_main(const struct kit_boot *boot)
{
	uint32_t r[4];
	char what[80];

	kit_require_shoji(boot);
	uint64_t before = checksum();
	struct domcall_answer a = domcall(DOM_PROBE, PING, 1, 0);

	if (a.err != E_OK || a.out0 != 2)
		kit_failure("probe ping: error %u, value %u", a.err, a.out0);
	kit_cpuid(LEAF_ADDRESS, 0, r);
	unsigned kinds = r[1];

	if (kinds != sizeof(address_names) / sizeof(address_names[0]))
		kit_failure("the core names %u kinds of address, the test %u", kinds,
			    (unsigned)(sizeof(address_names) / sizeof(address_names[0])));
	for (unsigned k = 0; k < kinds; k++) {
		kit_cpuid(LEAF_ADDRESS, k, r);
		static const char *const how[] = { "read", "write", "execute" };

		for (unsigned h = 0; h < 3; h++) {
			snprintf(what, sizeof(what), "%s of %s", how[h], address_names[k]);
			must_fault(what, READ + h, r[0], r[3]);
		}
	}
	/* The local APIC: an MMIO window the probe does not hold. */
	must_fault("read of the local APIC (MMIO not held)", READ, 0xFEE00000, 0);
	for (unsigned i = 0; i < sizeof(insn_names) / sizeof(insn_names[0]); i++)
		must_fault(insn_names[i], INSN, i, 0);
	/* Right after a VM exit (this call comes from one): VT-x leaves the
	 * GDT limit at 0xFFFF unless the core reloads it. */
	must_fault("a selector beyond the GDT", SELECTOR, 0x0FF3, 0);

	uint64_t after = checksum();

	if (after != before)
		kit_failure("the core's state changed: checksum %#lx, then %#lx", before, after);
	kit_cpuid(LEAF_INFO, DOM_EXAMPLE, r);
	if (r[0] != 1)
		kit_failure("the example domain restarted (generation %u)", r[0]);
	kit_printf("domain-isolation: %u attempts denied, each ending only the probe; core "
		   "checksum %#lx unchanged\n", denied, after);
	kit_success();
}
