/* The vmm.* configuration: one key table, one parser for both sources
 * (the multiboot command line and the UEFI loader's shoji.conf).
 *
 * Every bad key or value is rejected with where it was, the key, the value
 * and what was expected; a parse either fully succeeds or changes nothing
 * the caller keeps (the core never starts half-configured).  Pure logic:
 * built for the host too, unit-tested and fuzzed (kernel/tests). */
#ifndef SHOJI_CONFIG_H
#define SHOJI_CONFIG_H

#include "errors.h"
#include "types.h"

#define CONFIG_MAX_KEY 64
#define CONFIG_MAX_VALUE 256
#define CONFIG_MAX_FILE (64 * 1024)
#define CONFIG_MAX_APPLIED 32

enum config_loglevel { CONFIG_LOG_ERROR, CONFIG_LOG_WARN, CONFIG_LOG_INFO, CONFIG_LOG_DEBUG };

struct config_applied {
	char key[CONFIG_MAX_KEY + 1];
	char value[CONFIG_MAX_VALUE + 1];
};

/* Test hook (VT-x): one guest-state field made invalid before an entry,
 * so that tests can check the failed entry's report. */
struct config_vmcs_corrupt {
	bool set, after_long_mode;
	uint64_t encoding, and_mask, or_mask;
};

/* vmm.test_hook=NAME: test-only behaviour a CI scenario switches on. */
#define CONFIG_TEST_ENTRY_WINDOW_NMI BIT(0) /* CPUID 0x4E4D4921: self-NMI in the entry window */
#define CONFIG_TEST_PROTECT_PAGE BIT(1)     /* CPUID 0x4F50524F: write-protect a page */
/* SVM: no SMI intercept, so QEMU enters SMM from guest mode (the Secure
 * Boot spike, uefi-sb-smi-passthrough). */
#define CONFIG_TEST_SMI_PASSTHROUGH BIT(2)
/* CPUID 0x4F444F4D/0x4F444F49: call a domain, read its state (test_hooks.h). */
#define CONFIG_TEST_DOMAIN_CALL BIT(4)
#define CONFIG_TEST_POST_INTERRUPT BIT(3)   /* CPUID 0x4F504931: post vector ECX */

struct shoji_config {
	uint64_t memsize;       /* vmm.memsize: bytes of the reserved region */
	uint16_t serial_port;   /* vmm.serial: I/O port of the log UART, 0 = none */
	enum config_loglevel loglevel; /* vmm.loglevel */
	struct config_vmcs_corrupt vmcs_corrupt; /* vmm.test_vmcs_corrupt */
	uint32_t test_hooks;    /* vmm.test_hook (may repeat): CONFIG_TEST_* */

	/* What was set, in order, for the log ("config applied"). */
	struct config_applied applied[CONFIG_MAX_APPLIED];
	unsigned applied_count;
};

struct config_error {
	char msg[400];
};

void config_defaults(struct shoji_config *cfg);

/* The configuration the core runs with (set once at start-up). */
extern const struct shoji_config *core_config;

/* Parses a multiboot command line: "<image path> vmm.key=value ...".  The
 * first word is the loader's name for the image unless it starts with
 * "vmm.".  A value may be double-quoted to hold spaces. */
enum err config_parse_cmdline(const char *text, struct shoji_config *cfg,
			      struct config_error *error);

/* Parses a configuration file of "vmm.key=value" lines; '#' starts a
 * comment line.  `name` is used in messages ("shoji.conf:4"). */
enum err config_parse_file(const char *text, size_t len, const char *name,
			   struct shoji_config *cfg, struct config_error *error);

#endif
