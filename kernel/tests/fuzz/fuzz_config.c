/* The vmm.* parser on arbitrary command lines and files. */
#include <string.h>

#include "config.h"
#include "fuzz.h"

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("/boot/shoji vmm.memsize=64M vmm.serial=com1 vmm.loglevel=debug"),
	FUZZ_SEED("x vmm.serial=\"none\" vmm.memsize=1G"),
	FUZZ_SEED("vmm.memsize = 32M\n# comment\nvmm.loglevel=warn\n"),
	FUZZ_SEED("x vmm.memsize=12X"),
	FUZZ_SEED("x vmm.loglevel=info vmm.loglevel=info"),
	{ NULL, 0 },
};

static void check(enum err e, const struct shoji_config *c, const struct shoji_config *before,
		  const struct config_error *err)
{
	fuzz_check(memchr(err->msg, '\0', sizeof(err->msg)) != NULL);
	if (e != E_OK) {
		fuzz_check(err->msg[0] != '\0');
		fuzz_check(memcmp(c, before, sizeof(*c)) == 0); /* nothing half-applied */
		return;
	}
	fuzz_check(c->memsize >= (16u << 20) && c->memsize <= (1u << 30));
	fuzz_check(c->memsize % (2u << 20) == 0);
	fuzz_check(c->serial_port == 0 || c->serial_port >= 0x100);
	fuzz_check(c->loglevel <= CONFIG_LOG_DEBUG);
	fuzz_check(c->applied_count <= CONFIG_MAX_APPLIED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[CONFIG_MAX_FILE + 2];
	struct shoji_config c, before;
	struct config_error err;

	if (size > CONFIG_MAX_FILE + 1)
		size = CONFIG_MAX_FILE + 1;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&c);
	before = c;
	check(config_parse_cmdline(text, &c, &err), &c, &before, &err);
	config_defaults(&c);
	check(config_parse_file(text, size, "fuzz.conf", &c, &err), &c, &before, &err);
	return 0;
}
