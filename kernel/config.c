/* The vmm.* configuration parser.  Decode-then-apply: every entry is parsed
 * into a scratch copy and the caller's config is replaced only when the
 * whole input is good. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct config_key;
typedef bool (*config_parse_fn)(const struct config_key *key, const char *value,
				struct shoji_config *cfg);

struct config_key {
	const char *name;
	config_parse_fn parse;
	const char *expected; /* completes "expected ..." in messages */
	uint64_t min, max, align;
};

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return false;
	unsigned long long v = strtoull(s, &end, 0);

	if (*end || v == ~0ULL)
		return false;
	*out = v;
	return true;
}

/* "64M", "1G", "65536": a byte count with an optional K/M/G suffix. */
static bool parse_size_value(const char *s, uint64_t *out)
{
	char digits[32];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(digits))
		return false;
	memcpy(digits, s, n + 1);
	switch (toupper((unsigned char)digits[n - 1])) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	}
	if (shift)
		digits[n - 1] = '\0';
	uint64_t v;

	if (!parse_u64(digits, &v) || v > (~0ULL >> shift))
		return false;
	*out = v << shift;
	return true;
}

static bool parse_memsize(const struct config_key *key, const char *value, struct shoji_config *cfg)
{
	uint64_t v;

	if (!parse_size_value(value, &v) || v < key->min || v > key->max || v % key->align)
		return false;
	cfg->memsize = v;
	return true;
}

static bool parse_serial(const struct config_key *key, const char *value, struct shoji_config *cfg)
{
	static const struct { const char *name; uint16_t port; } named[] = {
		{ "com1", 0x3F8 }, { "com2", 0x2F8 }, { "com3", 0x3E8 }, { "com4", 0x2E8 },
		{ "none", 0 },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		if (strcmp(value, named[i].name) == 0) {
			cfg->serial_port = named[i].port;
			return true;
		}
	}
	if (!parse_u64(value, &v) || v < key->min || v > key->max)
		return false;
	cfg->serial_port = (uint16_t)v;
	return true;
}

static bool parse_loglevel(const struct config_key *key, const char *value, struct shoji_config *cfg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	(void)key;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(value, names[i]) == 0) {
			cfg->loglevel = (enum config_loglevel)i;
			return true;
		}
	}
	return false;
}

/* "ENCODING:AND:OR[:long]", hex: what the test hook writes into one VMCS
 * field before an entry (vmx/test_hooks.c, tools/vmcs-corruptions.txt). */
static bool parse_vmcs_corrupt(const struct config_key *key, const char *value,
			       struct shoji_config *cfg)
{
	struct config_vmcs_corrupt c = { .set = true };
	char *end;

	(void)key;
	c.encoding = strtoull(value, &end, 16);
	if (end == value || *end != ':' || c.encoding > 0xFFFF)
		return false;
	value = end + 1;
	c.and_mask = strtoull(value, &end, 16);
	if (end == value || *end != ':')
		return false;
	value = end + 1;
	c.or_mask = strtoull(value, &end, 16);
	if (end == value)
		return false;
	if (strcmp(end, ":long") == 0)
		c.after_long_mode = true;
	else if (*end)
		return false;
	cfg->vmcs_corrupt = c;
	return true;
}

/* Test hooks by name (kernel/test_hooks.c): for CI only.  Several are
 * given as a comma-separated list. */
static bool parse_test_hook(const struct config_key *key, const char *value,
			    struct shoji_config *cfg)
{
	static const struct { const char *name; uint32_t bit; } hooks[] = {
		{ "entry-window-nmi", CONFIG_TEST_ENTRY_WINDOW_NMI },
		{ "protect-page", CONFIG_TEST_PROTECT_PAGE },
		{ "smi-passthrough", CONFIG_TEST_SMI_PASSTHROUGH },
		{ "domain-call", CONFIG_TEST_DOMAIN_CALL },
		{ "post-interrupt", CONFIG_TEST_POST_INTERRUPT },
	};

	(void)key;
	for (;;) {
		size_t len = strcspn(value, ","), i;

		for (i = 0; i < ARRAY_SIZE(hooks); i++)
			if (strlen(hooks[i].name) == len && strncmp(value, hooks[i].name, len) == 0)
				break;
		if (i == ARRAY_SIZE(hooks))
			return false;
		cfg->test_hooks |= hooks[i].bit;
		if (!value[len])
			return true;
		value += len + 1;
	}
}

static const struct config_key config_keys[] = {
	{ "vmm.memsize", parse_memsize,
	  "a size from 16M to 1G that is a multiple of 2M, like 32M", MiB(16), GiB(1), MiB(2) },
	{ "vmm.serial", parse_serial,
	  "com1, com2, com3, com4, none, or an I/O port from 0x100 to 0xfff8", 0x100, 0xFFF8, 1 },
	{ "vmm.loglevel", parse_loglevel, "error, warn, info or debug", 0, 0, 1 },
	{ "vmm.test_hook", parse_test_hook, "test hooks, comma-separated: entry-window-nmi, protect-page, smi-passthrough, post-interrupt, domain-call", 0, 0, 1 },
	{ "vmm.test_vmcs_corrupt", parse_vmcs_corrupt,
	  "ENCODING:AND:OR[:long] in hex (a test hook: see tools/vmcs-corruptions.txt)", 0, 0, 1 },
};

void config_defaults(struct shoji_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->memsize = MiB(32);
	cfg->serial_port = 0x3F8;
	cfg->loglevel = CONFIG_LOG_INFO;
}

/* Copies at most max chars of s[0..len) into a terminated buffer for a
 * message, marking a cut with "...". */
static void quote_for_message(char *dst, size_t dst_size, const char *s, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 4 < dst_size; i++)
		dst[k++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (k < len && dst_size >= 4)
		strlcpy(dst + (k > dst_size - 4 ? dst_size - 4 : k), "...", 4);
	else
		dst[k] = '\0';
}

/* Applies one "key=value" entry (already split) to cfg. */
static enum err apply_entry(const char *where, const char *key, size_t key_len, const char *value,
			    size_t value_len, struct shoji_config *cfg, struct config_error *error)
{
	char k[CONFIG_MAX_KEY + 1], v[CONFIG_MAX_VALUE + 1];
	char shown_k[80], shown_v[80];

	quote_for_message(shown_k, sizeof(shown_k), key, key_len);
	quote_for_message(shown_v, sizeof(shown_v), value, value_len);
	if (key_len == 0 || key_len > CONFIG_MAX_KEY) {
		snprintf(error->msg, sizeof(error->msg),
			 "%s: key '%s' is %s; expected a vmm.* key of at most %d characters", where,
			 shown_k, key_len ? "too long" : "empty", CONFIG_MAX_KEY);
		return E_INVAL;
	}
	if (value_len > CONFIG_MAX_VALUE) {
		snprintf(error->msg, sizeof(error->msg),
			 "%s: %s=%s: the value is longer than %d characters", where, shown_k, shown_v,
			 CONFIG_MAX_VALUE);
		return E_RANGE;
	}
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	memcpy(v, value, value_len);
	v[value_len] = '\0';

	const struct config_key *spec = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++)
		if (strcmp(config_keys[i].name, k) == 0)
			spec = &config_keys[i];
	if (!spec) {
		snprintf(error->msg, sizeof(error->msg), "%s: %s=%s: unknown key; expected one of", where,
			 shown_k, shown_v);
		for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
			size_t used = strlen(error->msg);

			snprintf(error->msg + used, sizeof(error->msg) - used, "%s %s",
				 i ? "," : "", config_keys[i].name);
		}
		return E_NOTFOUND;
	}
	for (unsigned i = 0; i < cfg->applied_count; i++) {
		if (strcmp(cfg->applied[i].key, k) == 0) {
			snprintf(error->msg, sizeof(error->msg),
				 "%s: %s=%s: the key was already set to '%s'; expected each key once",
				 where, shown_k, shown_v, cfg->applied[i].value);
			return E_EXISTS;
		}
	}
	if (!spec->parse(spec, v, cfg)) {
		snprintf(error->msg, sizeof(error->msg), "%s: %s=%s: bad value; expected %s", where,
			 shown_k, shown_v, spec->expected);
		return E_INVAL;
	}
	if (cfg->applied_count == CONFIG_MAX_APPLIED) {
		snprintf(error->msg, sizeof(error->msg), "%s: %s=%s: more than %d keys", where, shown_k,
			 shown_v, CONFIG_MAX_APPLIED);
		return E_RANGE;
	}
	strlcpy(cfg->applied[cfg->applied_count].key, k, sizeof(cfg->applied[0].key));
	strlcpy(cfg->applied[cfg->applied_count].value, v, sizeof(cfg->applied[0].value));
	cfg->applied_count++;
	return E_OK;
}

/* Splits "key=value" and applies it; where names the source position. */
static enum err apply_word(const char *where, const char *word, size_t len,
			   struct shoji_config *cfg, struct config_error *error)
{
	const char *eq = memchr(word, '=', len);
	char shown[80];

	if (!eq || len < 4 || strncmp(word, "vmm.", 4) != 0) {
		quote_for_message(shown, sizeof(shown), word, len);
		snprintf(error->msg, sizeof(error->msg), "%s: '%s': expected vmm.KEY=VALUE", where,
			 shown);
		return E_INVAL;
	}
	const char *value = eq + 1;
	size_t value_len = len - (size_t)(value - word);

	/* A quoted value keeps its spaces; the quotes are not part of it. */
	if (value_len >= 2 && value[0] == '"' && value[value_len - 1] == '"') {
		value++;
		value_len -= 2;
	}
	return apply_entry(where, word, (size_t)(eq - word), value, value_len, cfg, error);
}

enum err config_parse_cmdline(const char *text, struct shoji_config *cfg,
			      struct config_error *error)
{
	struct shoji_config scratch = *cfg;
	const char *p = text;
	unsigned word_no = 0;

	error->msg[0] = '\0';
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		bool quoted = false;

		while (*p && (quoted || !isspace((unsigned char)*p))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		word_no++;
		if (quoted) {
			char shown[80];

			quote_for_message(shown, sizeof(shown), start, (size_t)(p - start));
			snprintf(error->msg, sizeof(error->msg),
				 "command line, word %u: '%s': unterminated quote; expected a closing \"",
				 word_no, shown);
			return E_INVAL;
		}
		if (word_no == 1 && strncmp(start, "vmm.", 4) != 0)
			continue; /* the loader's name for the image */
		char where[48];

		snprintf(where, sizeof(where), "command line, word %u", word_no);
		enum err e = apply_word(where, start, (size_t)(p - start), &scratch, error);

		if (e != E_OK)
			return e;
	}
	*cfg = scratch;
	return E_OK;
}

enum err config_parse_file(const char *text, size_t len, const char *name,
			   struct shoji_config *cfg, struct config_error *error)
{
	struct shoji_config scratch = *cfg;
	size_t pos = 0;
	unsigned line_no = 0;

	error->msg[0] = '\0';
	if (len > CONFIG_MAX_FILE) {
		snprintf(error->msg, sizeof(error->msg),
			 "%s: the file is %zu bytes; expected at most %d", name, len, CONFIG_MAX_FILE);
		return E_RANGE;
	}
	while (pos < len) {
		size_t start = pos, end;

		while (pos < len && text[pos] != '\n')
			pos++;
		end = pos;
		pos++; /* past the newline */
		line_no++;
		while (start < end && isspace((unsigned char)text[start]))
			start++;
		while (end > start && isspace((unsigned char)text[end - 1]))
			end--;
		if (start == end || text[start] == '#')
			continue;

		char where[CONFIG_MAX_KEY + 32];

		snprintf(where, sizeof(where), "%.40s:%u", name, line_no);
		if (memchr(text + start, '\0', end - start)) {
			snprintf(error->msg, sizeof(error->msg),
				 "%s: the line holds a NUL byte; expected text", where);
			return E_INVAL;
		}
		/* Spaces around '=' are allowed in a file. */
		const char *line = text + start;
		const char *eq = memchr(line, '=', end - start);

		if (!eq) {
			enum err e = apply_word(where, line, end - start, &scratch, error);

			if (e != E_OK)
				return e;
			continue;
		}
		size_t key_end = (size_t)(eq - line), value_start = key_end + 1;

		while (key_end > 0 && isspace((unsigned char)line[key_end - 1]))
			key_end--;
		while (value_start < end - start && isspace((unsigned char)line[value_start]))
			value_start++;
		if (key_end < 4 || strncmp(line, "vmm.", 4) != 0) {
			char shown[80];

			quote_for_message(shown, sizeof(shown), line, end - start);
			snprintf(error->msg, sizeof(error->msg), "%s: '%s': expected vmm.KEY=VALUE",
				 where, shown);
			return E_INVAL;
		}
		enum err e = apply_entry(where, line, key_end, line + value_start,
					 end - start - value_start, &scratch, error);

		if (e != E_OK)
			return e;
	}
	*cfg = scratch;
	return E_OK;
}
