#ifndef SHOJI_SMP_H
#define SHOJI_SMP_H

#include "acpi.h"
#include "types.h"

/* Brings every processor the MADT lists into Shoji: each runs cpu_init and
 * enables virtualization, then waits inside Shoji (as a guest CPU waiting
 * for SIPI) until the guest starts it.  `ap_ready` runs on each AP after
 * its tables are set up; returns how many APs came up. */
unsigned smp_start_aps(const struct cpu_list *cpus, void (*ap_ready)(void));

/* Called by each AP once it can run guests: lets the boot CPU go on. */
void smp_ap_up(void);

#endif
