/* See test_hooks.h. */
#include "config.h"
#include "log.h"
#include "test_hooks.h"

void test_hook_cpuid(struct vcpu *v, uint32_t leaf)
{
	if (leaf == TEST_LEAF_ENTRY_WINDOW_NMI &&
	    (core_config->test_hooks & CONFIG_TEST_ENTRY_WINDOW_NMI)) {
		log_info("test hook: CPU %u gets a self-NMI inside the next entry window", v->id);
		v->test_nmi_in_entry_window = true;
	}
}
