/* Test hooks: behaviour a CI scenario switches on with vmm.test_hook, so
 * that a rule can be shown to hold where the emulator alone cannot provoke
 * the case.  Off unless configured; a guest cannot switch one on. */
#ifndef SHOJI_TEST_HOOKS_H
#define SHOJI_TEST_HOOKS_H

#include "vm.h"

/* CPUID with this leaf (in the hidden 0x4xxxxxxx range, so it reads zeros
 * as always) asks for a self-NMI inside the next entry window. */
#define TEST_LEAF_ENTRY_WINDOW_NMI 0x4E4D4921

void test_hook_cpuid(struct vcpu *v, uint32_t leaf);

#endif
