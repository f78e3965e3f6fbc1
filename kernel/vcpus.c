/* Guest CPUs, INIT and SIPI (SDM 9.4 and 11.6; SPEC.md "INIT and SIPI
 * never reach a real CPU").
 *
 * A vCPU that receives INIT leaves the guest and waits inside Shoji, in
 * root mode with GIF set and IF clear, sleeping in park_wait: only NMIs
 * wake it.  A SIPI loads the real-mode start state through the back end.
 * Another CPU's requests reach a running vCPU by a "kick": an NMI, which
 * the NMI intercept turns into an exit.  A kick is told from a guest NMI by
 * kick_outstanding: at most one kick is in flight per vCPU, so kicks never
 * merge with each other; a guest NMI that merges with a kick (both pending
 * at once, around an INIT) is lost, as INIT would discard it anyway. */
#include "exit.h"
#include "lapic.h"
#include "log.h"
#include "percpu.h"
#include "vcpus.h"
#include "x86.h"


void park_wait(volatile uint32_t *flag);
void cpu_unblock_nmi(void);

struct vcpu vcpus[MAX_CPUS];
unsigned vcpu_count;

struct vcpu *vcpu_register(uint32_t index, uint32_t apic_id, enum vcpu_state state)
{
	struct vcpu *v = &vcpus[index];

	v->id = index;
	v->apic_id = apic_id;
	v->cpu = this_cpu();
	v->state = state;
	v->dfr = 0xFFFFFFFF; /* the power-on destination format: flat */
	v->apic_base = rdmsr(MSR_APIC_BASE);
	this_cpu()->vcpu = v;
	if (index + 1 > vcpu_count)
		vcpu_count = index + 1;
	return v;
}

static void kick(struct vcpu *t)
{
	if (__atomic_exchange_n(&t->kick_outstanding, 1, __ATOMIC_ACQ_REL))
		return; /* one is already on its way; it will see the request */
	if (lapic_send(t->apic_id, LAPIC_ICR_NMI) != E_OK) {
		__atomic_store_n(&t->kick_outstanding, 0, __ATOMIC_RELEASE);
		log_warn("cannot reach CPU %u: this CPU's local APIC is disabled", t->id);
	}
}

void vcpu_kick_index(uint32_t index)
{
	struct vcpu *t = &vcpus[index];

	/* Always an NMI, even with a kick in flight: that one may have been
	 * taken already, its accounting not yet done.  NMIs taken while a
	 * kick is outstanding are all counted as that kick. */
	__atomic_store_n(&t->kick_outstanding, 1, __ATOMIC_RELEASE);
	if (lapic_send(t->apic_id, LAPIC_ICR_NMI) != E_OK)
		log_warn("cannot reach CPU %u: this CPU's local APIC is disabled", t->id);
}

static void request_init(struct vcpu *t, struct vcpu *sender)
{
	spin_lock(&t->lock);
	t->requests = VCPU_REQ_INIT; /* an INIT cancels a SIPI not yet taken */
	/* The APIC's addressing state resets with the INIT itself, not when
	 * the target gets round to it: a logical SIPI sent right after finds
	 * LDR 0, as on hardware. */
	t->icr_high = 0;
	t->ldr = 0;
	t->dfr = 0xFFFFFFFF;
	spin_unlock(&t->lock);
	if (t != sender)
		kick(t);
}

static void request_sipi(struct vcpu *t, uint8_t vector)
{
	bool taken = false;

	spin_lock(&t->lock);
	/* Only a CPU waiting for SIPI (or about to, with an INIT not yet
	 * handled) takes one; the first SIPI wins (SDM 9.4.4.1: the second
	 * SIPI of the sequence is ignored by a CPU that started). */
	if ((t->state == VCPU_WAIT_SIPI || (t->requests & VCPU_REQ_INIT)) &&
	    !(t->requests & VCPU_REQ_SIPI)) {
		t->requests |= VCPU_REQ_SIPI;
		t->sipi_vector = vector;
		taken = true;
	}
	spin_unlock(&t->lock);
	if (taken)
		kick(t);
}

static const char *const shorthand_names[] = { "no shorthand", "self", "all including self",
					       "all excluding self" };

void vcpu_send_ipi(struct vcpu *sender, uint64_t raw_icr, bool x2apic)
{
	struct icr icr = icr_decode(raw_icr, x2apic);
	struct apic_identity ids[MAX_CPUS];

	switch (ipi_classify(&icr)) {
	case IPI_FORWARD:
		lapic_write_icr(raw_icr, x2apic);
		return;
	case IPI_DEASSERT:
		return;
	case IPI_INVALID:
		log_warn("CPU %u: %s with %s is not a valid combination (SDM table 11-3); dropped",
			 sender->id, icr.delivery == ICR_INIT ? "INIT" : "SIPI",
			 shorthand_names[icr.shorthand]);
		return;
	case IPI_INIT:
	case IPI_SIPI:
		break;
	}
	for (unsigned i = 0; i < vcpu_count; i++) {
		spin_lock(&vcpus[i].lock);
		ids[i] = (struct apic_identity){ vcpus[i].apic_id, vcpus[i].ldr, vcpus[i].dfr };
		spin_unlock(&vcpus[i].lock);
		if (x2apic) /* x2APIC: LDR follows from the ID (SDM 11.12.10.2) */
			ids[i].ldr = (ids[i].apic_id >> 4) << 16 | 1u << (ids[i].apic_id & 15);
	}
	uint64_t targets = ipi_targets(&icr, x2apic, sender->id, ids, vcpu_count);

	if (!targets)
		log_warn("CPU %u: %s to %s destination %#x reaches no CPU; dropped", sender->id,
			 icr.delivery == ICR_INIT ? "INIT" : "SIPI",
			 icr.logical ? "logical" : "physical", icr.dest);
	for (unsigned i = 0; i < vcpu_count; i++) {
		if (!(targets & (1ULL << i)) || !vcpus[i].cpu)
			continue;
		if (icr.delivery == ICR_INIT)
			request_init(&vcpus[i], sender);
		else
			request_sipi(&vcpus[i], icr.vector);
	}
}

/* NMIs the CPU took in host mode since last time: a kick, or the guest's. */
static void account_nmis(struct vcpu *v, bool guest_can_take)
{
	if (!__atomic_exchange_n(&v->cpu->nmi_count, 0, __ATOMIC_ACQ_REL))
		return;
	if (__atomic_exchange_n(&v->kick_outstanding, 0, __ATOMIC_ACQ_REL))
		return;
	if (guest_can_take)
		v->nmi_pending = true; /* several collapse into one, as on hardware */
}

/* The processor part of INIT: the core's state for this vCPU and its
 * local APIC are reset; the registers are set at SIPI. */
static void do_init(struct vcpu *v)
{
	lapic_init_reset();
	v->nmi_pending = false;
	for (unsigned i = 0; i < 4; i++) /* the local APIC's reset dropped them too */
		__atomic_store_n(&v->irq_pending[i], 0, __ATOMIC_RELAXED);
	v->started_logged = false;
	log_info("CPU %u (APIC %u): INIT; waiting inside Shoji for a start-up IPI", v->id,
		 v->apic_id);
}

static void park(struct vcpu *v)
{
	/* GIF on so Shoji's kicks (NMIs) reach us; IF stays off: the guest's
	 * interrupts wait in the local APIC, as they would for a CPU in the
	 * wait-for-SIPI state. */
	vm_backend->host_allow_events(true);
	cpu_unblock_nmi();
	for (;;) {
		/* NMIs that arrived: kicks (clearing kick_outstanding lets the
		 * next request send a fresh one), or guest NMIs, which a CPU
		 * waiting for SIPI does not take.  Requests are looked at only
		 * after that, so a request whose kick was folded into an
		 * earlier one is still seen. */
		account_nmis(v, false);
		if (__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE))
			break;
		park_wait(&v->requests);
	}
	vm_backend->host_allow_events(false);
}

void vcpu_handle_requests(struct vcpu *v, struct vm_exit *last)
{
	/* The common case, on every exit: nothing to do, no lock taken. */
	if (v->state == VCPU_RUNNING && !v->cpu->nmi_count &&
	    !__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE))
		return;
	account_nmis(v, v->state == VCPU_RUNNING);
	for (;;) {
		spin_lock(&v->lock);
		uint32_t req = v->requests;

		if (req & VCPU_REQ_INIT) {
			/* Waiting for SIPI from this moment, under the lock: a SIPI
			 * that comes while the INIT is carried out is kept. */
			v->state = VCPU_WAIT_SIPI;
			v->requests &= ~VCPU_REQ_INIT;
			spin_unlock(&v->lock);
			last->complete = false; /* the instruction before INIT is moot */
			do_init(v);
			continue;
		}
		if (v->state == VCPU_WAIT_SIPI && (req & VCPU_REQ_SIPI)) {
			uint8_t vector = v->sipi_vector;

			v->requests &= ~VCPU_REQ_SIPI;
			v->state = VCPU_RUNNING;
			spin_unlock(&v->lock);
			vm_backend->set_startup_state(v, vector);
			log_info("CPU %u (APIC %u): started by SIPI at %#x", v->id, v->apic_id,
				 vector << 12);
			return;
		}
		v->requests &= ~VCPU_REQ_SIPI; /* a SIPI to a running CPU is ignored */
		spin_unlock(&v->lock);
		if (v->state == VCPU_RUNNING)
			return;
		park(v);
	}
}
