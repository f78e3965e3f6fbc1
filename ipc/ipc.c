/* Call and reply (ipc/ABI.md).  A call runs on the caller's CPU: the core
 * enters the callee at its entry point with the message in registers and
 * runs it until it replies, calls on, or faults.  Gate operations dispatch
 * through one bounds-checked table (STYLE.md 7). */
#include <string.h>

#include "delay.h"
#include "dom.h"
#include "ipc.h"
#include "log.h"
#include "percpu.h"
#include "x86.h"

#define DOM_RFLAGS_START 0x202 /* IF, and the always-one bit */

static const char budget_what[] = "over its budget (ended by the core's timer)";

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
	const char *fault;     /* with GATE_FAULT: what the domain did wrong */
};

typedef enum gate_result (*gate_op_fn)(struct gate_call *g);

/* IPC_OP_REPLY: the label is the callee's answer, the words its out words. */
static enum gate_result gate_reply(struct gate_call *g)
{
	g->reply->reply_label = (uint32_t)g->r->rsi;
	g->reply->out[0] = g->r->rdx;
	g->reply->out[1] = g->r->rcx;
	g->reply->out[2] = g->r->r8;
	g->reply->out[3] = g->r->r9;
	return GATE_REPLIED;
}

static void answer(struct dom_regs *r, enum err e, const struct ipc_msg *m)
{
	r->rax = e;
	r->rsi = m->reply_label;
	r->rdx = m->out[0];
	r->rcx = m->out[1];
	r->r8 = m->out[2];
	r->r9 = m->out[3];
}

/* IPC_OP_CALL: the callee runs on this CPU, nested in this call.  A slot
 * without an endpoint to call is a bad capability: the caller is ended
 * (issue #6 item 8), not answered. */
static enum gate_result gate_call(struct gate_call *g)
{
	struct dom_regs *r = g->r;
	struct domain *target;
	struct cap c;

	if (dom_cap_get(g->d, r->rdi, CAP_ENDPOINT, CAP_R_CALL, &c) != E_OK ||
	    !(target = dom_by_object(c.object))) {
		g->fault = "a call through a slot without an endpoint capability";
		return GATE_FAULT;
	}
	struct ipc_msg m = { .label = (uint32_t)r->rsi, .in = { r->rdx, r->rcx, r->r8, r->r9 } };

	answer(r, ipc_call(target, c.generation, c.badge, &m), &m);
	return GATE_RESUME;
}

/* IPC_OP_REFRESH: after E_DEAD, the caller's endpoint names the callee's
 * new generation. */
static enum gate_result gate_refresh(struct gate_call *g)
{
	if (dom_cap_refresh(g->d, g->r->rdi) != E_OK) {
		g->fault = "a refresh of a slot without an endpoint capability";
		return GATE_FAULT;
	}
	g->r->rax = E_OK;
	return GATE_RESUME;
}

/* IPC_OP_MAP: the memory grant in slot rdi, mapped; its address in rdx. */
static enum gate_result gate_map(struct gate_call *g)
{
	uint64_t va = 0;
	enum err e = dom_cap_map(g->d, g->r->rdi, &va);

	if (e == E_DENIED) {
		g->fault = "a map of a slot without a memory capability";
		return GATE_FAULT;
	}
	g->r->rax = e;
	g->r->rdx = e == E_OK ? va : 0;
	return GATE_RESUME;
}

/* IPC_OP_SIGNAL: ORs rdx (and the cap's badge) into the notification's
 * word; IPC_OP_POLL: reads and clears it (into rdx).  Notifications carry
 * interrupts and events without a call: the signaller never waits. */
static enum gate_result gate_notify(struct gate_call *g, bool signal)
{
	struct domain *owner;
	struct cap c;

	if (dom_cap_get(g->d, g->r->rdi, CAP_NOTIFICATION, signal ? CAP_R_SIGNAL : CAP_R_WAIT, &c) !=
		    E_OK ||
	    !(owner = dom_by_object(c.object))) {
		g->fault = "a notification operation through a slot without that capability";
		return GATE_FAULT;
	}
	if (signal)
		__atomic_fetch_or(&owner->notify_word, g->r->rdx | c.badge, __ATOMIC_ACQ_REL);
	else
		g->r->rdx = __atomic_exchange_n(&owner->notify_word, 0, __ATOMIC_ACQ_REL);
	g->r->rax = E_OK;
	return GATE_RESUME;
}

static enum gate_result gate_signal(struct gate_call *g)
{
	return gate_notify(g, true);
}

static enum gate_result gate_poll(struct gate_call *g)
{
	return gate_notify(g, false);
}

/* IPC_OP_CNODE: rsi = CAP_OP_*, rdi = source slot, rdx = destination slot,
 * rcx = 0 or the slot of an endpoint with the grant right (its domain's
 * CNode receives), r8 = rights and r9 = badge for a mint.  The answer in
 * rax; these are requests, so a refusal is answered, not punished. */
static enum gate_result gate_cnode(struct gate_call *g)
{
	const struct dom_regs *r = g->r;
	struct dom_cap_request rq = { .op = r->rsi, .src = r->rdi, .dst = r->rdx, .via = r->rcx,
				      .rights = r->r8, .badge = r->r9 };

	g->r->rax = dom_cap_operate(g->d, &rq);
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
	[IPC_OP_SIGNAL] = gate_signal,
	[IPC_OP_POLL] = gate_poll,
	[IPC_OP_REFRESH] = gate_refresh,
	[IPC_OP_MAP] = gate_map,
	[IPC_OP_CNODE] = gate_cnode,
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
		.rdi = badge, .rsi = m->label, .rdx = m->in[0], .rcx = m->in[1], .r8 = m->in[2],
		.r9 = m->in[3], .rip = d->elf.entry, .rsp = DOM_STACK_TOP,
		.rflags = DOM_RFLAGS_START,
	};
	struct gate_call g = { .d = d, .r = &r, .reply = m };
	struct trap_frame f = { .rip = r.rip, .rsp = r.rsp };
	struct budget budget;
	enum err e = E_DEAD;

	budget_begin(&budget, d->desc->budget_us);
	d->fpu_fresh = true;
	for (;;) {
		if (dom_run(d, &r, &f, &budget)) {
			g.fault = budget_what;
			f.vector = BUDGET_VECTOR;
			break;
		}
		if (f.vector == IPC_GATE_VECTOR) {
			enum gate_result res = gate_dispatch(&g);

			if (res == GATE_REPLIED) {
				d->calls++;
				e = E_OK;
				break;
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
	budget_end(&budget);
	if (e == E_OK)
		return E_OK;
	dom_crash(d, &f, g.fault);
	m->reply_label = d->generation;
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
		m->reply_label = d->generation;
	dom_release(d);
	return e;
}

enum err ipc_core_call(struct ipc_endpoint_ref *ep, struct ipc_msg *msg)
{
	return ipc_call(ep->d, ep->generation, ep->badge, msg);
}
