/* Test hooks: behaviour a CI scenario switches on with vmm.test_hook, so
 * that a rule can be shown to hold where the emulator alone cannot provoke
 * the case.  Off unless configured; a guest cannot switch one on. */
#ifndef SHOJI_TEST_HOOKS_H
#define SHOJI_TEST_HOOKS_H

#include "vm.h"

/* CPUID with this leaf (in the hidden 0x4xxxxxxx range, so it reads zeros
 * as always) asks for a self-NMI inside the next entry window. */
#define TEST_LEAF_ENTRY_WINDOW_NMI 0x4E4D4921

/* CPUID with this leaf and ECX = a page frame number write-protects that
 * guest page in the nested tables; the first write to it exits, and the
 * hook makes it writable again (a delivery cut short by an exit). */
#define TEST_LEAF_PROTECT_PAGE 0x4F50524F
/* The same, and the write fault also sends this CPU an NMI: it is pending
 * while the event cut short is delivered again. */
#define TEST_LEAF_PROTECT_PAGE_NMI 0x4F50524E

/* CPUID with this leaf and ECX = a vector makes the core post that vector
 * to the guest as an external interrupt (vcpu_post_interrupt), as the host
 * interrupt path would, right after this CPUID exit. */
#define TEST_LEAF_POST_INTERRUPT 0x4F504931


/* CPUID with this leaf calls a domain (vmm.test_hook=domain-call): ECX =
 * domain index << 16 | label, EBX and EDX = words 0 and 1.  Answers EAX =
 * the call's enum err, EBX = out word 0, ECX = reply label (the callee's
 * answer, or its generation after E_DEAD), EDX = out word 1. */
#define TEST_LEAF_DOMAIN_CALL 0x4F444F4D
/* With ECX = a domain index: EAX = generation, EBX = vector of its last
 * crash, ECX = calls served, EDX = the last crash's address (low 32 bits). */
#define TEST_LEAF_DOMAIN_INFO 0x4F444F49
/* With ECX = a kind (test_hooks.c lists them): EDX:EAX = an address of the
 * core's state, EBX = how many kinds there are. */
#define TEST_LEAF_CORE_ADDRESS 0x4F444F41
/* EDX:EAX = a checksum of the core's text, IDT, GDTs, TSSs and PML4. */
#define TEST_LEAF_CORE_CHECKSUM 0x4F444F53

/* True if the hook answered the CPUID itself (in v->regs). */
bool test_hook_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf);

/* True if the write fault at gpa was the protect-page hook's (now undone). */
bool test_hook_write_fault(struct vcpu *v, paddr_t gpa, bool in_delivery);

#endif
