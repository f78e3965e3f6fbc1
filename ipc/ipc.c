/* Call and reply (ipc/ABI.md).  A call runs on the caller's CPU: the core
 * enters the callee at its entry point with the message in registers and
 * runs it until it replies, calls on, or faults.  Gate operations dispatch
 * through one bounds-checked table (STYLE.md 7). */
#include <string.h>

#include "dom.h"
#include "ipc.h"
#include "log.h"
#include "percpu.h"

#define DOM_RFLAGS_START 0x202 /* IF, and the always-one bit */

/* What a gate operation tells the serving loop. */
enum gate_result {
	GATE_RESUME, /* answer in the registers; the domain runs on */
	GATE_REPLIED,
	GATE_FAULT,  /* the domain broke the ABI: it is ended */
};

struct gate_call {
	struct domain *d;
	struct dom_regs *r;
	struct ipc_msg *reply; /* where the call being served is answered */
	enum err reply_err;
	const char *fault;     /* with GATE_FAULT: what the domain did wrong */
};

typedef enum gate_result (*gate_op_fn)(struct gate_call *g);

static enum gate_result gate_reply(struct gate_call *g)
{
	g->reply->label = g->r->rsi;
	g->reply->w[0] = g->r->rdx;
	g->reply->w[1] = g->r->rcx;
	g->reply->w[2] = g->r->r8;
	g->reply->w[3] = g->r->r9;
	g->reply_err = g->r->rdi < E_COUNT ? (enum err)g->r->rdi : E_INVAL;
	return GATE_REPLIED;
}

/* IPC_OP_CALL: the callee runs on this CPU, nested in this call. */
static enum gate_result gate_call(struct gate_call *g)
{
	struct dom_regs *r = g->r;
	const char *target_name = r->rdi == 1 ? g->d->desc->slot1 : NULL;
	struct domain *target = target_name ? dom_find(target_name) : NULL;

	if (!target) {
		g->fault = "a call through an empty capability slot";
		return GATE_FAULT;
	}
	struct ipc_msg m = { r->rsi, { r->rdx, r->rcx, r->r8, r->r9 } };

	r->rax = ipc_call(target, 0, 0, &m);
	r->rsi = m.label;
	r->rdx = m.w[0];
	r->rcx = m.w[1];
	r->r8 = m.w[2];
	r->r9 = m.w[3];
	return GATE_RESUME;
}

static enum gate_result gate_unknown(struct gate_call *g)
{
	g->r->rax = E_INVAL;
	return GATE_RESUME;
}

static const gate_op_fn gate_ops[IPC_OP_COUNT] = {
	[IPC_OP_CALL] = gate_call,
	[IPC_OP_REPLY] = gate_reply,
};

static enum gate_result gate_dispatch(struct gate_call *g)
{
	uint64_t op = g->r->rax;
	gate_op_fn fn = op < IPC_OP_COUNT && gate_ops[op] ? gate_ops[op] : gate_unknown;

	return fn(g);
}

enum err ipc_serve(struct domain *d, uint64_t badge, struct ipc_msg *m)
{
	struct dom_regs r = {
		.rdi = badge, .rsi = m->label, .rdx = m->w[0], .rcx = m->w[1], .r8 = m->w[2],
		.r9 = m->w[3], .rip = d->elf.entry, .rsp = DOM_STACK_TOP,
		.rflags = DOM_RFLAGS_START,
	};
	struct gate_call g = { .d = d, .r = &r, .reply = m };
	struct trap_frame f;

	for (;;) {
		dom_run(d, &r, &f);
		if (f.vector == IPC_GATE_VECTOR) {
			enum gate_result res = gate_dispatch(&g);

			if (res == GATE_REPLIED) {
				d->calls++;
				return g.reply_err;
			}
			if (res == GATE_FAULT)
				break;
			continue;
		}
		unsigned vector;

		if (trap_is_interrupt(&f, &vector)) {
			dom_host_interrupt(vector);
			continue;
		}
		break;
	}
	dom_crash(d, &f, g.fault);
	m->label = d->generation;
	return E_DEAD;
}

enum err ipc_call(struct domain *d, uint32_t gen, uint64_t badge, struct ipc_msg *m)
{
	enum err e = dom_acquire(d);

	if (e != E_OK)
		return e;
	if ((e = dom_ensure_ready(d)) == E_OK && gen && gen != d->generation)
		e = E_DEAD;
	if (e == E_OK)
		e = ipc_serve(d, badge, m);
	else if (e == E_DEAD)
		m->label = d->generation;
	dom_release(d);
	return e;
}
