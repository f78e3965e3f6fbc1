/* The vmm.* parser: what it accepts, every kind of error message, and that
 * a failed parse changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"

static void test_defaults(void **state)
{
	struct shoji_config c;

	(void)state;
	config_defaults(&c);
	assert_int_equal(c.memsize, 32 << 20);
	assert_int_equal(c.serial_port, 0x3F8);
	assert_int_equal(c.loglevel, CONFIG_LOG_INFO);
	assert_int_equal(c.applied_count, 0);
}

static void test_cmdline_good(void **state)
{
	struct shoji_config c;
	struct config_error e;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("/boot/shoji.bin vmm.memsize=64M vmm.serial=com2 "
					      "vmm.loglevel=debug", &c, &e), E_OK);
	assert_int_equal(c.memsize, 64 << 20);
	assert_int_equal(c.serial_port, 0x2F8);
	assert_int_equal(c.loglevel, CONFIG_LOG_DEBUG);
	assert_int_equal(c.applied_count, 3);
	assert_string_equal(c.applied[0].key, "vmm.memsize");
	assert_string_equal(c.applied[0].value, "64M");

	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("vmm.serial=0x2e8", &c, &e), E_OK); /* no path word */
	assert_int_equal(c.serial_port, 0x2E8);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("", &c, &e), E_OK);
	assert_int_equal(config_parse_cmdline("   shoji  ", &c, &e), E_OK);
	assert_int_equal(config_parse_cmdline("x vmm.serial=\"none\"", &c, &e), E_OK);
	assert_int_equal(c.serial_port, 0);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("x vmm.memsize=1G", &c, &e), E_OK);
	assert_int_equal(c.memsize, 1ULL << 30);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("x vmm.memsize=33554432", &c, &e), E_OK);
	assert_int_equal(c.memsize, 32 << 20);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("x vmm.test_hook=protect-page,post-interrupt", &c, &e),
			 E_OK);
	assert_int_equal(c.test_hooks, CONFIG_TEST_PROTECT_PAGE | CONFIG_TEST_POST_INTERRUPT);
	config_defaults(&c);
	assert_int_not_equal(config_parse_cmdline("x vmm.test_hook=protect-page,", &c, &e), E_OK);
	assert_int_not_equal(config_parse_cmdline("x vmm.test_hook=protect-page,,post-interrupt",
						  &c, &e), E_OK);
	assert_int_not_equal(config_parse_cmdline("x vmm.test_hook=", &c, &e), E_OK);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("x vmm.test_vmcs_corrupt=6800:ffffffdf:0", &c, &e),
			 E_OK);
	assert_true(c.vmcs_corrupt.set);
	assert_false(c.vmcs_corrupt.after_long_mode);
	assert_int_equal(c.vmcs_corrupt.encoding, 0x6800);
	assert_int_equal(c.vmcs_corrupt.and_mask, 0xffffffdf);
	assert_int_equal(c.vmcs_corrupt.or_mask, 0);
	config_defaults(&c);
	assert_int_equal(config_parse_cmdline("x vmm.test_vmcs_corrupt=0x4826:0:1:long", &c, &e),
			 E_OK);
	assert_true(c.vmcs_corrupt.after_long_mode);
	assert_int_equal(c.vmcs_corrupt.or_mask, 1);
	for (unsigned i = 0; i < 5; i++) {
		static const char *const bad[] = { "x vmm.test_vmcs_corrupt=6800",
						   "x vmm.test_vmcs_corrupt=10000:0:0",
						   "x vmm.test_vmcs_corrupt=6800:0:",
						   "x vmm.test_vmcs_corrupt=6800:0:0:short",
						   "x vmm.test_vmcs_corrupt=:0:0" };

		config_defaults(&c);
		assert_int_equal(config_parse_cmdline(bad[i], &c, &e), E_INVAL);
	}
}

struct bad_case {
	const char *input;
	enum err code;
	const char *message;
};

static void test_cmdline_errors_name_key_value_and_expectation(void **state)
{
	static const struct bad_case cases[] = {
		{ "x vmm.bogus=1", E_NOTFOUND,
		  "command line, word 2: vmm.bogus=1: unknown key; expected one of vmm.memsize, "
		  "vmm.serial, vmm.loglevel, vmm.test_hook, vmm.test_vmcs_corrupt" },
		{ "x vmm.memsize=12X", E_INVAL,
		  "command line, word 2: vmm.memsize=12X: bad value; expected a size from 16M to 1G "
		  "that is a multiple of 2M, like 32M" },
		{ "x vmm.memsize=8M", E_INVAL, NULL },
		{ "x vmm.memsize=2G", E_INVAL, NULL },
		{ "x vmm.memsize=17M", E_INVAL, NULL },
		{ "x vmm.memsize=", E_INVAL, NULL },
		{ "x vmm.memsize=99999999999999999999G", E_INVAL, NULL },
		{ "x vmm.serial=com9", E_INVAL,
		  "command line, word 2: vmm.serial=com9: bad value; expected com1, com2, com3, com4, "
		  "none, or an I/O port from 0x100 to 0xfff8" },
		{ "x vmm.serial=0x10", E_INVAL, NULL },
		{ "x vmm.loglevel=loud", E_INVAL,
		  "command line, word 2: vmm.loglevel=loud: bad value; expected error, warn, info or "
		  "debug" },
		{ "x vmm.loglevel=info vmm.loglevel=debug", E_EXISTS,
		  "command line, word 3: vmm.loglevel=debug: the key was already set to 'info'; "
		  "expected each key once" },
		{ "x quiet", E_INVAL, "command line, word 2: 'quiet': expected vmm.KEY=VALUE" },
		{ "x vmm.serial=\"com1", E_INVAL,
		  "command line, word 2: 'vmm.serial=\"com1': unterminated quote; expected a closing \"" },
		{ "x vmm.=1", E_NOTFOUND, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct shoji_config c, before;
		struct config_error e;

		config_defaults(&c);
		before = c;
		enum err r = config_parse_cmdline(cases[i].input, &c, &e);

		if (r != cases[i].code)
			fail_msg("'%s': code %d, expected %d (%s)", cases[i].input, r, cases[i].code,
				 e.msg);
		if (cases[i].message && strcmp(e.msg, cases[i].message) != 0)
			fail_msg("'%s': message\n  '%s'\nexpected\n  '%s'", cases[i].input, e.msg,
				 cases[i].message);
		assert_true(strlen(e.msg) > 10);
		/* Never half-configured: the config is untouched. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_overlong_key_and_value(void **state)
{
	char input[1024];
	struct shoji_config c;
	struct config_error e;

	(void)state;
	config_defaults(&c);
	snprintf(input, sizeof(input), "x vmm.%0100d=1", 0);
	assert_int_equal(config_parse_cmdline(input, &c, &e), E_INVAL);
	assert_non_null(strstr(e.msg, "too long"));
	snprintf(input, sizeof(input), "x vmm.serial=%0300d", 0);
	assert_int_equal(config_parse_cmdline(input, &c, &e), E_RANGE);
	assert_non_null(strstr(e.msg, "longer than 256"));
}

static void test_file(void **state)
{
	const char *good = "# Shoji configuration\n"
			   "\n"
			   "vmm.memsize = 64M\n"
			   "  vmm.loglevel=warn  \r\n"
			   "vmm.serial=com1";
	const char *bad = "vmm.memsize=64M\n# comment\nvmm.serial=fast\n";
	struct shoji_config c;
	struct config_error e;

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse_file(good, strlen(good), "shoji.conf", &c, &e), E_OK);
	assert_int_equal(c.memsize, 64 << 20);
	assert_int_equal(c.loglevel, CONFIG_LOG_WARN);
	assert_int_equal(c.serial_port, 0x3F8);

	config_defaults(&c);
	assert_int_equal(config_parse_file(bad, strlen(bad), "shoji.conf", &c, &e), E_INVAL);
	assert_string_equal(e.msg, "shoji.conf:3: vmm.serial=fast: bad value; expected com1, com2, "
				   "com3, com4, none, or an I/O port from 0x100 to 0xfff8");
	assert_int_equal(c.memsize, 32 << 20); /* line 1 was not applied */

	const char *nul = "vmm.memsize=64M\0x\n";

	assert_int_equal(config_parse_file(nul, 18, "f", &c, &e), E_INVAL);
	assert_non_null(strstr(e.msg, "f:1: the line holds a NUL byte"));
	assert_int_equal(config_parse_file("memsize=1\n", 10, "f", &c, &e), E_INVAL);
	assert_string_equal(e.msg, "f:1: 'memsize=1': expected vmm.KEY=VALUE");
	assert_int_equal(config_parse_file("", CONFIG_MAX_FILE + 1, "big.conf", &c, &e), E_RANGE);
	assert_string_equal(e.msg, "big.conf: the file is 65537 bytes; expected at most 65536");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_cmdline_good),
		cmocka_unit_test(test_cmdline_errors_name_key_value_and_expectation),
		cmocka_unit_test(test_overlong_key_and_value),
		cmocka_unit_test(test_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
