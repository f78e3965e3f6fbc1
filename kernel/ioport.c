/* Intercepted I/O ports: the A20 gate (kernel/ioport_filter.c).  Reads
 * pass through; writes are filtered, then done for the guest. */
#include "exit.h"
#include "ioport_filter.h"
#include "log.h"

static uint32_t port_in(uint16_t port, unsigned size)
{
	uint32_t v;

	if (size == 1) {
		uint8_t b;

		__asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"(port));
		v = b;
	} else if (size == 2) {
		uint16_t w;

		__asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"(port));
		v = w;
	} else {
		__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	}
	return v;
}

static void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("outb %b0, %1" : : "a"(v), "Nd"(port));
	else if (size == 2)
		__asm__ volatile("outw %w0, %1" : : "a"(v), "Nd"(port));
	else
		__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

void vmexit_io(struct vcpu *v, struct vm_exit *e)
{
	unsigned size = e->io.size;
	uint64_t mask = size == 4 ? 0xFFFFFFFFULL : (1ULL << (8 * size)) - 1;

	if (e->io.string) {
		/* No sane guest uses INS/OUTS on the A20 ports; doing them right
		 * would mean emulating the string walk for nothing. */
		log_warn("guest used string I/O on port %#x; refused with #GP", e->io.port);
		vcpu_inject_gp(v);
		return;
	}
	if (e->io.in) {
		v->regs.rax = (v->regs.rax & ~mask) | port_in(e->io.port, size);
	} else {
		struct kbc_state kbc = { v->kbc_pending_cmd };
		bool changed;
		uint32_t out = io_filter_out(&kbc, e->io.port, size, (uint32_t)(v->regs.rax & mask),
					     &changed);

		v->kbc_pending_cmd = kbc.pending_command;
		if (changed)
			log_info("guest tried to switch the A20 gate off (port %#x); it stays on",
				 e->io.port);
		port_out(e->io.port, size, out);
	}
	vcpu_skip_insn(v, e);
}
