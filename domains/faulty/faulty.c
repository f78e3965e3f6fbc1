/* The fault-injection domain: each label does one thing a broken domain
 * might, so the tests can check that the core ends only this domain,
 * restarts it and answers its callers with E_DEAD.  Labels below 16 that
 * are not faults answer normally. */
#include "domain.h"

enum faulty_label {
	FAULTY_PING = 1,        /* w0 + 1 */
	FAULTY_NULL_READ = 2,   /* #PF at address 0 */
	FAULTY_CORE_WRITE = 3,  /* #PF: a write to the core's image */
	FAULTY_NONCANONICAL = 4,/* #GP: a non-canonical address */
	FAULTY_UD = 5,          /* #UD */
	FAULTY_DIVIDE = 6,      /* #DE */
	FAULTY_STACK_SEGMENT = 7,/* #SS: a push through a non-canonical RSP */
	FAULTY_ALIGNMENT = 8,   /* #AC: a misaligned load with RFLAGS.AC set */
	FAULTY_STACK_OVERFLOW = 9,/* #PF on the guard page below the stack */
	FAULTY_LOOP = 10,       /* runs forever: ended by its budget */
	FAULTY_BAD_CAP = 11,    /* a call through an empty slot */
	FAULTY_CALL_FLAGS = 12, /* calls slot 1 with DF, AC and TF set; w0 = 1 if flags survived */
	FAULTY_PORT_GRANTED = 13,/* IN from port 0x80 (granted) */
	FAULTY_PORT_DENIED = 14,/* IN from port 0x70 (not granted): #GP */
	FAULTY_CALL_ON = 15,    /* calls slot 1 (ping w0) and answers its reply */
};

#define RFLAGS_TF (1u << 8)
#define RFLAGS_DF (1u << 10)
#define RFLAGS_AC (1u << 18)

static volatile uint64_t sink;

enum err domain_init(uint32_t generation)
{
	(void)generation;
	return E_OK;
}

/* Recursion until the guard page; `depth` stops it only in theory (the
 * compiler would otherwise see it never ends). */
static uint64_t overflow(uint64_t n, uint64_t depth)
{
	volatile char pad[512];

	pad[0] = (char)n;
	if (n == depth)
		return pad[0];
	return overflow(n + 1, depth) + pad[0];
}

static uint64_t flags_read(void)
{
	uint64_t f;

	__asm__ volatile("pushfq; popq %0" : "=r"(f));
	return f;
}

static void flags_write(uint64_t f)
{
	__asm__ volatile("pushq %0; popfq" : : "r"(f) : "cc", "memory");
}

static enum err call_with_flags(struct ipc_msg *m)
{
	struct ipc_msg ping = { FAULTY_PING, { 41 } };

	flags_write(flags_read() | RFLAGS_DF | RFLAGS_AC | RFLAGS_TF);
	enum err e = ipc_call_slot(1, &ping);
	uint64_t after = flags_read();

	flags_write(after & ~(uint64_t)(RFLAGS_DF | RFLAGS_AC | RFLAGS_TF));
	/* DF and AC come back as they were; TF does not (ipc/ABI.md). */
	m->w[0] = (after & RFLAGS_DF) && (after & RFLAGS_AC) && !(after & RFLAGS_TF);
	m->w[1] = ping.w[0];
	return e;
}

enum err domain_dispatch(uint64_t badge, struct ipc_msg *m)
{
	(void)badge;
	switch (m->label) {
	case FAULTY_PING:
		m->w[0]++;
		return E_OK;
	case FAULTY_NULL_READ:
		sink = *(volatile uint64_t *)0;
		break;
	case FAULTY_CORE_WRITE:
		*(volatile uint64_t *)0xFFFFFFFFC0001000ULL = 1;
		break;
	case FAULTY_NONCANONICAL:
		sink = *(volatile uint64_t *)0x8000000000000000ULL;
		break;
	case FAULTY_UD:
		__asm__ volatile("ud2");
		break;
	case FAULTY_DIVIDE: {
		volatile uint64_t zero = 0;

		sink = m->w[0] / zero;
		break;
	}
	case FAULTY_STACK_SEGMENT:
		__asm__ volatile("movq %%rsp, %%rax\n\t"
				 "movabsq $0x8000000000000000, %%rsp\n\t"
				 "pushq %%rax" ::: "rax", "memory");
		break;
	case FAULTY_ALIGNMENT:
		flags_write(flags_read() | RFLAGS_AC);
		sink = *(volatile uint32_t *)((uintptr_t)&sink + 1);
		break;
	case FAULTY_STACK_OVERFLOW:
		sink = overflow(0, ~m->w[0]);
		break;
	case FAULTY_LOOP:
		for (;;)
			sink++;
	case FAULTY_BAD_CAP: {
		struct ipc_msg x = { 1, { 0 } };

		return ipc_call_slot(63, &x);
	}
	case FAULTY_CALL_FLAGS:
		return call_with_flags(m);
	case FAULTY_PORT_GRANTED:
	case FAULTY_PORT_DENIED: {
		uint16_t port = m->label == FAULTY_PORT_GRANTED ? 0x80 : 0x70;
		uint8_t v;

		__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
		m->w[0] = v;
		return E_OK;
	}
	case FAULTY_CALL_ON: {
		struct ipc_msg ping = { FAULTY_PING, { m->w[0] } };
		enum err e = ipc_call_slot(1, &ping);

		m->w[0] = ping.w[0];
		m->w[1] = ping.w[1];
		return e;
	}
	default:
		return E_INVAL;
	}
	return E_INVAL; /* a fault that did not happen */
}
