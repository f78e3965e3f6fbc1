/* shoji-domcall: calls Shoji's domains from a Linux process in the test
 * guest, through the domain-call test hook (vmm.test_hook=domain-call,
 * kernel/include/test_hooks.h).  CPUID exits to the hypervisor from any
 * privilege level, so a user process can make the call.
 *
 *   shoji-domcall call DOMAIN LABEL [W0 [W1]]
 *       one call; prints "err=N answer=N out0=N out1=N"
 *   shoji-domcall info DOMAIN
 *       prints "generation=N vector=N calls=N address=0x..."
 *   shoji-domcall faults
 *       the check of ci/guests/domain_faults.c, run under Linux: round
 *       trips, a domain-to-domain call, a call with DF/AC/TF, a granted
 *       port, then each fault kind injected into `faulty`.  One line per
 *       step, then "SHOJI-DOMAINS: PASS ..." or "SHOJI-DOMAINS: FAIL <why>"
 *       (exit status 0 or 1).
 *
 * Built static and freestanding (no libc): its own _start and raw system
 * calls (write, nanosleep, exit_group).  Numbers are decimal or 0x hex.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "faulty_faults.h"

#define LEAF_CALL 0x4F444F4D
#define LEAF_INFO 0x4F444F49
#define DOM_EXAMPLE 0
#define DOM_FAULTY 1
/* kernel/include/errors.h */
#define E_OK 0
#define E_INVAL 1
#define E_DEAD 9

#define SYS_write 1
#define SYS_nanosleep 35
#define SYS_exit_group 231

/* The process entry: argc at (%rsp), argv after it (x86-64 psABI 3.4.1). */
__asm__(".text\n"
	".globl _start\n"
	"_start:\n\t"
	"xorl %ebp, %ebp\n\t"
	"movq %rsp, %rdi\n\t"
	"andq $-16, %rsp\n\t"
	"call start_c\n\t"
	"hlt\n");

void start_c(const uint64_t *sp) __attribute__((noreturn, used));

static long sys3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static __attribute__((noreturn)) void sys_exit(int status)
{
	for (;;)
		sys3(SYS_exit_group, status, 0, 0);
}

static void sleep_ms(unsigned ms)
{
	struct {
		long sec, nsec;
	} ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

/* Output: a line is built here and written with one write(2), so that a
 * line never mixes with what the /init's ticker writes to the console. */
static char line[256];
static size_t line_len;

static void put_str(const char *s)
{
	while (*s && line_len < sizeof(line) - 1)
		line[line_len++] = *s++;
}

static void put_uint(uint64_t v)
{
	char digits[20];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 20);
	while (n && line_len < sizeof(line) - 1)
		line[line_len++] = digits[--n];
}

static void put_hex(uint64_t v)
{
	char digits[16];
	int n = 0;

	do
		digits[n++] = "0123456789abcdef"[v & 15];
	while ((v >>= 4) && n < 16);
	put_str("0x");
	while (n && line_len < sizeof(line) - 1)
		line[line_len++] = digits[--n];
}

static void put_end(void)
{
	line[line_len++] = '\n';
	for (size_t done = 0; done < line_len;) {
		long n = sys3(SYS_write, 1, (long)(line + done), (long)(line_len - done));

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	line_len = 0;
}

static bool parse_uint(const char *s, uint32_t *out)
{
	uint64_t v = 0;
	unsigned base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		v = v * base + d;
		if (v > 0xFFFFFFFFu)
			return false;
	}
	*out = (uint32_t)v;
	return true;
}

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

struct answer {
	uint32_t err, out0, label, out1;
};

/* One call through the hook: EAX = enum err, EBX = out word 0, ECX = the
 * reply label (or the new generation after E_DEAD), EDX = out word 1. */
static struct answer dom_call(uint32_t dom, uint32_t label, uint32_t in0, uint32_t in1)
{
	struct answer a;

	__asm__ volatile("cpuid"
			 : "=a"(a.err), "=b"(a.out0), "=c"(a.label), "=d"(a.out1)
			 : "a"(LEAF_CALL), "b"(in0), "c"(dom << 16 | (label & 0xFFFF)), "d"(in1));
	return a;
}

struct info {
	uint32_t generation, vector, calls, address;
};

static struct info dom_info(uint32_t dom)
{
	struct info r;

	__asm__ volatile("cpuid"
			 : "=a"(r.generation), "=b"(r.vector), "=c"(r.calls), "=d"(r.address)
			 : "a"(LEAF_INFO), "c"(dom));
	return r;
}

static bool cpu_is_intel(void)
{
	uint32_t a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
	return b == 0x756E6547; /* "Genu": Bochs here; QEMU's is AMD */
}

/* ---- faults: the check of ci/guests/domain_faults.c ---- */

static void say(const char *s)
{
	put_str("shoji-domcall: ");
	put_str(s);
}

static __attribute__((noreturn)) void fail_end(void)
{
	put_end();
	sys_exit(1);
}

/* Starts the FAIL line; the caller adds the details and calls fail_end. */
static void fail(const char *what)
{
	put_str("SHOJI-DOMAINS: FAIL ");
	put_str(what);
}

static void put_answer(const struct answer *a)
{
	put_str(": error ");
	put_uint(a->err);
	put_str(", answer ");
	put_uint(a->label);
	put_str(", out ");
	put_uint(a->out0);
	put_str(" ");
	put_uint(a->out1);
}

/* The next ping after a crash: the domain may still be waiting out its
 * back-off (E_DEAD, at most a second in the core), so retry every 10 ms
 * for up to 10 s.  Returns the number of E_DEAD answers before it served. */
static unsigned ping_until_served(const char *what, uint32_t expect_gen)
{
	for (unsigned tries = 0;; tries++) {
		struct answer a = dom_call(DOM_FAULTY, 1, 7, 0);

		if (a.err == E_OK) {
			struct info r = dom_info(DOM_FAULTY);

			if (a.label != E_OK || a.out0 != 8) {
				fail(what);
				put_str(": ping after restart");
				put_answer(&a);
				fail_end();
			}
			if (r.generation != expect_gen) {
				fail(what);
				put_str(": served by generation ");
				put_uint(r.generation);
				put_str(", expected ");
				put_uint(expect_gen);
				fail_end();
			}
			return tries;
		}
		if (a.err != E_DEAD) {
			fail(what);
			put_str(": ping after restart");
			put_answer(&a);
			fail_end();
		}
		if (tries >= 1000) {
			fail(what);
			put_str(": the domain did not come back in 10 s");
			fail_end();
		}
		sleep_ms(10);
	}
}

/* A call that must answer E_OK with reply E_OK and out0 (and out1 if
 * check_out1) as given. */
static void expect_ok(const char *what, struct answer a, uint32_t out0, bool check_out1,
		      uint32_t out1)
{
	if (a.err != E_OK || a.label != E_OK || a.out0 != out0 || (check_out1 && a.out1 != out1)) {
		fail(what);
		put_answer(&a);
		put_str(" (expected error 0, answer 0, out ");
		put_uint(out0);
		if (check_out1) {
			put_str(" ");
			put_uint(out1);
		}
		put_str(")");
		fail_end();
	}
	say(what);
	put_str(": ok (out ");
	put_uint(a.out0);
	put_str(")");
	put_end();
}

static int run_faults(void)
{
	struct info ex = dom_info(DOM_EXAMPLE), fy = dom_info(DOM_FAULTY);
	bool intel = cpu_is_intel();
	unsigned checked = 0, skipped = 0, retries = 0;

	if (ex.generation == 0 || fy.generation == 0) {
		fail("no domains: the domain-call test hook is off (vmm.test_hook=domain-call) "
		     "or Shoji is not running");
		fail_end();
	}
	say("start: example generation ");
	put_uint(ex.generation);
	put_str(", faulty generation ");
	put_uint(fy.generation);
	put_str(intel ? ", Intel CPU" : ", non-Intel CPU");
	put_end();

	expect_ok("example ping 41", dom_call(DOM_EXAMPLE, 1, 41, 0), 42, false, 0);
	expect_ok("faulty -> example ping 99", dom_call(DOM_FAULTY, 15, 99, 0), 100, false, 0);
	expect_ok("call with DF, AC and TF (flags kept, value)", dom_call(DOM_FAULTY, 12, 0, 0), 1,
		  true, 42);
	struct answer a = dom_call(DOM_FAULTY, 13, 0, 0);

	if (a.err != E_OK || a.label != E_OK) {
		fail("granted port");
		put_answer(&a);
		fail_end();
	}
	say("granted port 0x80: ok");
	put_end();

	for (size_t i = 0; i < FAULTY_FAULT_COUNT; i++) {
		uint32_t gen = dom_info(DOM_FAULTY).generation;

		a = dom_call(DOM_FAULTY, faulty_faults[i].label, 0, 0);
		if (faulty_faults[i].vector == FAULTY_VECTOR_AC && a.err == E_OK && a.label == E_INVAL && !intel) {
			say("alignment check: not raised on this CPU (QEMU's TCG does not emulate "
			    "#AC); not checked here, Bochs checks it");
			put_end();
			skipped++;
			continue;
		}
		if (a.err != E_DEAD) {
			fail(faulty_faults[i].what);
			put_answer(&a);
			put_str(" (expected error 9, E_DEAD)");
			fail_end();
		}
		if (a.label != gen + 1) {
			fail(faulty_faults[i].what);
			put_str(": new generation ");
			put_uint(a.label);
			put_str(", expected ");
			put_uint(gen + 1);
			fail_end();
		}
		struct info r = dom_info(DOM_FAULTY);

		if (r.vector != faulty_faults[i].vector && r.vector != faulty_faults[i].alt) {
			fail(faulty_faults[i].what);
			put_str(": fault vector ");
			put_uint(r.vector);
			put_str(", expected ");
			put_uint(faulty_faults[i].vector);
			fail_end();
		}
		unsigned waited = ping_until_served(faulty_faults[i].what, gen + 1);

		retries += waited;
		ex = dom_info(DOM_EXAMPLE);
		if (ex.generation != 1) {
			fail(faulty_faults[i].what);
			put_str(": the example domain restarted too (generation ");
			put_uint(ex.generation);
			put_str(")");
			fail_end();
		}
		say(faulty_faults[i].what);
		put_str(": E_DEAD, vector ");
		put_uint(r.vector);
		put_str(" at ");
		put_hex(r.address);
		put_str(", generation ");
		put_uint(gen + 1);
		put_str(" serves (after ");
		put_uint(waited);
		put_str(" E_DEAD answers during its back-off)");
		put_end();
		checked++;
	}
	a = dom_call(DOM_EXAMPLE, 1, 1, 0);
	if (a.err != E_OK || a.out0 != 2) {
		fail("example after the faults");
		put_answer(&a);
		fail_end();
	}
	fy = dom_info(DOM_FAULTY);
	put_str("SHOJI-DOMAINS: PASS 4 round trips; ");
	put_uint(checked);
	put_str(" fault kinds each ended only faulty (");
	put_uint(skipped);
	put_str(" not raised by this CPU); faulty now generation ");
	put_uint(fy.generation);
	put_str(", example generation ");
	put_uint(ex.generation);
	put_str(" served ");
	put_uint(dom_info(DOM_EXAMPLE).calls);
	put_str(" calls; ");
	put_uint(retries);
	put_str(" back-off retries");
	put_end();
	return 0;
}

/* ---- the command line ---- */

static __attribute__((noreturn)) void usage(void)
{
	put_str("usage: shoji-domcall call DOMAIN LABEL [W0 [W1]] | info DOMAIN | faults");
	put_end();
	sys_exit(2);
}

static uint32_t arg_uint(const char *s)
{
	uint32_t v;

	if (!parse_uint(s, &v))
		usage();
	return v;
}

static int run(int argc, char **argv)
{
	if (argc == 2 && str_eq(argv[1], "faults"))
		return run_faults();
	if (argc == 3 && str_eq(argv[1], "info")) {
		struct info r = dom_info(arg_uint(argv[2]));

		put_str("generation=");
		put_uint(r.generation);
		put_str(" vector=");
		put_uint(r.vector);
		put_str(" calls=");
		put_uint(r.calls);
		put_str(" address=");
		put_hex(r.address);
		put_end();
		return 0;
	}
	if (argc >= 4 && argc <= 6 && str_eq(argv[1], "call")) {
		uint32_t dom = arg_uint(argv[2]), label = arg_uint(argv[3]);
		uint32_t w0 = argc > 4 ? arg_uint(argv[4]) : 0, w1 = argc > 5 ? arg_uint(argv[5]) : 0;

		if (dom > 0xFFFF || label > 0xFFFF)
			usage();
		struct answer a = dom_call(dom, label, w0, w1);

		put_str("err=");
		put_uint(a.err);
		put_str(" answer=");
		put_uint(a.label);
		put_str(" out0=");
		put_uint(a.out0);
		put_str(" out1=");
		put_uint(a.out1);
		put_end();
		return a.err == E_OK ? 0 : 1;
	}
	usage();
}

void start_c(const uint64_t *sp)
{
	sys_exit(run((int)sp[0], (char **)(sp + 1)));
}
