/* VMX control fields from capability MSRs, CR fixed bits, and the MSR and
 * I/O bitmaps from the core's intercept tables (SDM A.3-A.8, 25.6.4/9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bitmaps.h"
#include "controls.h"
#include "vmcs_fields.h"

/* Bochs corei7_skylake_x's TRUE_PROCBASED_CTLS and PROCBASED_CTLS2. */
#define SKYLAKE_TRUE_PROC 0xf7f9fffe04006172ULL
#define SKYLAKE_PROC2 0x02177fff00000000ULL

static void test_forced_bits_set_and_disallowed_cleared(void **state)
{
	uint32_t out, missing;

	(void)state;
	/* Nothing asked: the allowed-0 bits (reserved ones) come out set. */
	assert_true(vmx_control_adjust(SKYLAKE_TRUE_PROC, 0, 0, &out, &missing));
	assert_int_equal(out, 0x04006172);
	/* CR3 exiting is not forced by the TRUE_ MSR. */
	assert_int_equal(out & (PROC_CR3_LOAD | PROC_CR3_STORE), 0);
	/* A wanted bit the CPU cannot set is dropped, not an error. */
	assert_true(vmx_control_adjust(0x0000000F00000001ULL, 0x30, 0x2, &out, &missing));
	assert_int_equal(out, 0x3);
	/* A needed bit it cannot set is an error, named in *missing. */
	assert_false(vmx_control_adjust(0x0000000F00000001ULL, 0, 0x12, &out, &missing));
	assert_int_equal(missing, 0x10);
}

static void test_secondary_controls_on_skylake(void **state)
{
	uint32_t out, missing;

	(void)state;
	assert_true(vmx_control_adjust(SKYLAKE_PROC2, PROC2_RDTSCP | PROC2_INVPCID | PROC2_XSAVES,
				       PROC2_EPT | PROC2_UNRESTRICTED, &out, &missing));
	assert_int_equal(out, PROC2_EPT | PROC2_UNRESTRICTED | PROC2_RDTSCP | PROC2_INVPCID |
				      PROC2_XSAVES);
	/* Broadwell lacks XSAVES: it is left out, the rest stands. */
	assert_true(vmx_control_adjust(0x00057fff00000000ULL, PROC2_XSAVES, PROC2_EPT, &out,
				       &missing));
	assert_int_equal(out, PROC2_EPT);
	/* Penryn: no EPT at all. */
	assert_false(vmx_control_adjust(0x0000004100000000ULL, 0, PROC2_EPT | PROC2_UNRESTRICTED,
					&out, &missing));
	assert_int_equal(missing, PROC2_EPT | PROC2_UNRESTRICTED);
}

/* Issue #5 item 6: with XSAVES enabled the XSS-exiting bitmap is written
 * as zero; without it the field is left alone (it may not exist). */
static void test_xss_exiting_bitmap_zero(void **state)
{
	struct vmx_field_value f[VMX_PROC2_FIELDS_MAX];
	unsigned n;
	bool found = false;

	(void)state;
	for (unsigned i = 0; i < VMX_PROC2_FIELDS_MAX; i++)
		f[i] = (struct vmx_field_value){ 0xFFFFFFFF, ~0ULL };
	n = vmx_proc2_fields(PROC2_EPT | PROC2_UNRESTRICTED | PROC2_XSAVES, f);
	assert_true(n <= VMX_PROC2_FIELDS_MAX);
	for (unsigned i = 0; i < n; i++) {
		if (f[i].field == VMCS_XSS_EXIT_BITMAP) {
			assert_int_equal(f[i].value, 0);
			found = true;
		}
	}
	assert_true(found);
	n = vmx_proc2_fields(PROC2_EPT | PROC2_UNRESTRICTED, f);
	for (unsigned i = 0; i < n; i++)
		assert_int_not_equal(f[i].field, VMCS_XSS_EXIT_BITMAP);
}

static void test_cr_fixed_bits(void **state)
{
	(void)state;
	/* Bochs: CR0_FIXED0 0x80000021 (PG, NE, PE), FIXED1 all ones. */
	assert_int_equal(vmx_cr_fixed(0x11, 0x80000021, 0xFFFFFFFF, 0), 0x80000031);
	/* Unrestricted guest relaxes PE and PG: only NE is added. */
	assert_int_equal(vmx_cr_fixed(0x11, 0x80000021, 0xFFFFFFFF, 0x80000001), 0x31);
	assert_int_equal(vmx_cr_fixed(0x10, 0x80000021, 0xFFFFFFFF, 0x80000001), 0x30);
	/* CR4: VMXE forced, bits not in FIXED1 cleared. */
	assert_int_equal(vmx_cr_fixed(0x1000020, 0x2000, 0x3727FF, 0), 0x2020);
}

static void test_insn_error_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_insn_error_name(7), "VM entry with invalid control field(s)");
	assert_string_equal(vmx_insn_error_name(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_insn_error_name(14), "unknown VM-instruction error");
	assert_string_equal(vmx_insn_error_name(9999), "unknown VM-instruction error");
}

static void test_msr_bitmap_has_exactly_the_rules(void **state)
{
	static uint8_t bitmap[VMX_MSR_BITMAP_SIZE];
	unsigned byte, bit, set = 0, expected = 0;
	uint32_t outside = 0;

	(void)state;
	/* The AMD-only rules at 0xC001xxxx lie outside the bitmap's ranges:
	 * those MSRs always exit on VT-x, which is harmless. */
	assert_int_equal(vmx_msr_bitmap_build(bitmap, msr_rules, msr_rule_count, &outside),
			 E_RANGE);
	assert_true(outside >= 0xC0010000);
	/* SDM 25.6.9: EFER (0xC0000080) reads at byte 1024 + 0x80/8. */
	assert_true(vmx_msr_bitmap_position(0xC0000080, &byte, &bit));
	assert_int_equal(byte, 1024 + 0x10);
	assert_int_equal(bit, 0);
	assert_true(vmx_msr_bitmap_position(0x1FFF, &byte, &bit));
	assert_int_equal(byte, 1023);
	assert_int_equal(bit, 7);
	assert_false(vmx_msr_bitmap_position(0x2000, &byte, &bit));
	assert_false(vmx_msr_bitmap_position(0xC0010114, &byte, &bit));
	for (unsigned i = 0; i < msr_rule_count; i++) {
		if (!vmx_msr_bitmap_position(msr_rules[i].msr, &byte, &bit))
			continue;
		assert_int_equal(!!(bitmap[byte] & (1u << bit)), msr_rules[i].trap_read);
		assert_int_equal(!!(bitmap[2048 + byte] & (1u << bit)), msr_rules[i].trap_write);
		expected += msr_rules[i].trap_read + msr_rules[i].trap_write;
	}
	for (unsigned i = 0; i < VMX_MSR_BITMAP_SIZE; i++)
		set += (unsigned)__builtin_popcount(bitmap[i]);
	assert_int_equal(set, expected);
}

static void test_io_bitmaps_have_exactly_the_rules(void **state)
{
	static uint8_t bitmaps[VMX_IO_BITMAPS_SIZE];
	unsigned set = 0;

	(void)state;
	vmx_io_bitmap_build(bitmaps, io_rules, io_rule_count);
	for (unsigned i = 0; i < io_rule_count; i++)
		assert_true(bitmaps[io_rules[i].port / 8] & (1u << (io_rules[i].port % 8)));
	for (unsigned i = 0; i < VMX_IO_BITMAPS_SIZE; i++)
		set += (unsigned)__builtin_popcount(bitmaps[i]);
	assert_int_equal(set, io_rule_count);
	/* Port 0x92 is bit 2 of byte 0x12 of bitmap A. */
	assert_true(bitmaps[0x12] & 0x04);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forced_bits_set_and_disallowed_cleared),
		cmocka_unit_test(test_secondary_controls_on_skylake),
		cmocka_unit_test(test_xss_exiting_bitmap_zero),
		cmocka_unit_test(test_cr_fixed_bits),
		cmocka_unit_test(test_insn_error_names),
		cmocka_unit_test(test_msr_bitmap_has_exactly_the_rules),
		cmocka_unit_test(test_io_bitmaps_have_exactly_the_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
