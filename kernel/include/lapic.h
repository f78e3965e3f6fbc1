/* The calling CPU's local APIC, as the core uses it: in whatever mode the
 * guest has put it (xAPIC MMIO or x2APIC MSRs), and without disturbing an
 * ICR programming the guest is in the middle of. */
#ifndef SHOJI_LAPIC_H
#define SHOJI_LAPIC_H

#include "errors.h"
#include "types.h"

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xB0
#define LAPIC_LDR 0xD0
#define LAPIC_DFR 0xE0
#define LAPIC_SVR 0xF0
#define LAPIC_ISR 0x100
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIVIDE 0x3E0

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_BSP BIT(8)
#define APIC_BASE_X2APIC BIT(10)
#define APIC_BASE_ENABLE BIT(11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* ICR low bits of the NMI Shoji sends (kicks, test hooks): delivery mode
 * NMI, level assert. */
#define LAPIC_ICR_NMI 0x4400

uint32_t lapic_read(unsigned reg);
void lapic_write(unsigned reg, uint32_t value);
uint32_t lapic_id(void);

/* Sends an IPI (ICR low bits: vector, delivery mode...) to a physical
 * APIC ID, preserving the guest's ICR high half.  E_UNSUPP if the local
 * APIC is disabled. */
enum err lapic_send(uint32_t apic_id, uint32_t icr_low);

/* Test hooks: makes the IPI one store of ICR-low bits to the returned
 * register sends go to this CPU (xAPIC mode only; NULL otherwise). */
volatile uint32_t *lapic_prepare_self_ipi(void);

/* Writes a guest's complete ICR value (as decoded from its writes). */
void lapic_write_icr(uint64_t value, bool x2apic);

/* The local-APIC half of an INIT (SDM 11.4.7.3): LVTs masked, software
 * disabled, TPR, timer and error status cleared, and pending and
 * in-service interrupts drained. */
void lapic_init_reset(void);

#endif
