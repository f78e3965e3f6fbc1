/* QEMU TCG plugin: exact instruction counts for Shoji's benchmarks.
 *
 * Counts, with per-instruction inline adds (deterministic under -icount):
 *   total   every instruction executed
 *   host    instructions whose address lies in range=LO-HI (Shoji's image)
 *   vmrun   VMRUN instructions executed (world switches into the guest)
 *   cr3     MOV to CR3 (0F 22 /3, any REX prefix) executed in the range
 *   invlpg  INVLPG (0F 01 /7, memory operand) executed in the range
 *   user    instructions whose address lies in user=LO-HI (the domains'
 *           text; the micro-guests are linked elsewhere)
 *   sym     executions of each address listed in syms=FILE ("hexaddr name")
 *   pc      with profile=on, executions of each instruction in the range
 * and prints a snapshot (with the sym counts) at each marker instruction the
 * guest executes, nopl 0x4D4B00nn(%rax,%rax,1) (bytes 0F 1F 84 00 nn 00 4B
 * 4D), at each execution of an address given as mark=HEXADDR:nn, and at
 * exit, to out=FILE.  The opcodes are decoded once, at translation time;
 * API 1 cannot read registers, so a CR3 load's value (its no-flush bit 63)
 * is not seen.  Built against Debian's qemu-plugin.h (API 1, QEMU 7.2). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu-plugin.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct sym {
	uint64_t addr;
	char name[64];
	uint64_t count;
};

static uint64_t total, host, vmrun, cr3, invlpg, user;
static uint64_t range_lo, range_hi, user_lo, user_hi;
static struct sym *syms;
static size_t nsyms;
static FILE *out;

/* mark=ADDR:nn: a snapshot named MARK nn at each execution of ADDR. */
#define MAX_ADDR_MARKS 8
static struct {
	uint64_t addr;
	unsigned id;
} addr_marks[MAX_ADDR_MARKS];
static size_t n_addr_marks;

/* profile=on: a counter per instruction address in the range. */
struct pc_count {
	uint64_t pc, count;
};
#define PROFILE_SLOTS (1u << 16)
static struct pc_count *profile;

static uint64_t *profile_counter(uint64_t pc)
{
	for (uint32_t i = (uint32_t)(pc * 0x9E3779B97F4A7C15ULL >> 48);; i = (i + 1) % PROFILE_SLOTS) {
		if (profile[i].pc == pc || profile[i].pc == 0) {
			profile[i].pc = pc;
			return &profile[i].count;
		}
	}
}

static struct sym *sym_find(uint64_t addr)
{
	size_t lo = 0, hi = nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (syms[mid].addr == addr)
			return &syms[mid];
		if (syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void snapshot(const char *what)
{
	fprintf(out,
		"%s total=%" PRIu64 " host=%" PRIu64 " vmrun=%" PRIu64 " cr3=%" PRIu64
		" invlpg=%" PRIu64 " user=%" PRIu64,
		what, total, host, vmrun, cr3, invlpg, user);
	for (size_t i = 0; i < nsyms; i++)
		fprintf(out, " @%s=%" PRIu64, syms[i].name, syms[i].count);
	fputc('\n', out);
	fflush(out);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	char what[32];

	(void)vcpu;
	snprintf(what, sizeof(what), "MARK %u", (unsigned)(uintptr_t)udata);
	snapshot(what);
}

/* MOV to CR3 in 64-bit code: optional REX (40-4F), 0F 22, ModRM with
 * reg = 3 (SDM Vol. 2B MOV--Move to/from Control Registers). */
static int is_mov_to_cr3(const uint8_t *b, size_t len)
{
	size_t i = len > 0 && (b[0] & 0xF0) == 0x40;

	return len == i + 3 && b[i] == 0x0F && b[i + 1] == 0x22 && ((b[i + 2] >> 3) & 7) == 3;
}

/* INVLPG m: 0F 01 /7 with a memory operand (mod != 3). */
static int is_invlpg(const uint8_t *b, size_t len)
{
	size_t i = len > 0 && (b[0] & 0xF0) == 0x40;

	return len >= i + 3 && b[i] == 0x0F && b[i + 1] == 0x01 && ((b[i + 2] >> 3) & 7) == 7 &&
	       (b[i + 2] >> 6) != 3;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);
		const uint8_t *b = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		struct sym *s;

		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
		if (va >= range_lo && va < range_hi) {
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &host, 1);
			if (profile)
				qemu_plugin_register_vcpu_insn_exec_inline(
					insn, QEMU_PLUGIN_INLINE_ADD_U64, profile_counter(va), 1);
			if (is_mov_to_cr3(b, len))
				qemu_plugin_register_vcpu_insn_exec_inline(
					insn, QEMU_PLUGIN_INLINE_ADD_U64, &cr3, 1);
			if (is_invlpg(b, len))
				qemu_plugin_register_vcpu_insn_exec_inline(
					insn, QEMU_PLUGIN_INLINE_ADD_U64, &invlpg, 1);
		}
		if (va >= user_lo && va < user_hi)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &user, 1);
		if (len == 3 && b[0] == 0x0F && b[1] == 0x01 && b[2] == 0xD8)
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &vmrun, 1);
		if (len == 8 && b[0] == 0x0F && b[1] == 0x1F && b[2] == 0x84 && b[3] == 0 &&
		    b[5] == 0 && b[6] == 0x4B && b[7] == 0x4D)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)b[4]);
		if (nsyms && (s = sym_find(va)))
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &s->count, 1);
		for (size_t m = 0; m < n_addr_marks; m++)
			if (addr_marks[m].addr == va)
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, on_marker, QEMU_PLUGIN_CB_NO_REGS,
					(void *)(uintptr_t)addr_marks[m].id);
	}
}

static void on_atexit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	snapshot("TOTAL");
	for (size_t i = 0; i < nsyms; i++)
		fprintf(out, "SYM %s %" PRIu64 "\n", syms[i].name, syms[i].count);
	for (uint32_t i = 0; profile && i < PROFILE_SLOTS; i++)
		if (profile[i].count)
			fprintf(out, "PC %" PRIx64 " %" PRIu64 "\n", profile[i].pc, profile[i].count);
	fclose(out);
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int load_syms(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t cap = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct sym s = { 0 };

		if (sscanf(line, "%" SCNx64 " %63s", &s.addr, s.name) != 2)
			continue;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 64;
			syms = realloc(syms, cap * sizeof(*syms));
		}
		syms[nsyms++] = s;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_addr);
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
					   int argc, char **argv)
{
	const char *out_path = NULL;

	(void)info;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "out=", 4) == 0) {
			out_path = argv[i] + 4;
		} else if (strncmp(argv[i], "range=", 6) == 0) {
			if (sscanf(argv[i] + 6, "%" SCNx64 "-%" SCNx64, &range_lo, &range_hi) != 2)
				return -1;
		} else if (strncmp(argv[i], "user=", 5) == 0) {
			if (sscanf(argv[i] + 5, "%" SCNx64 "-%" SCNx64, &user_lo, &user_hi) != 2)
				return -1;
		} else if (strncmp(argv[i], "mark=", 5) == 0) {
			if (n_addr_marks == MAX_ADDR_MARKS ||
			    sscanf(argv[i] + 5, "%" SCNx64 ":%u", &addr_marks[n_addr_marks].addr,
				   &addr_marks[n_addr_marks].id) != 2)
				return -1;
			n_addr_marks++;
		} else if (strcmp(argv[i], "profile=on") == 0) {
			profile = calloc(PROFILE_SLOTS, sizeof(*profile));
		} else if (strncmp(argv[i], "syms=", 5) == 0) {
			if (load_syms(argv[i] + 5))
				return -1;
		} else {
			fprintf(stderr, "insncount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	out = out_path ? fopen(out_path, "w") : stderr;
	if (!out)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_atexit, NULL);
	return 0;
}
