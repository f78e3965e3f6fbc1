/* The little of ACPI the core reads: the processors of the MADT.  The
 * table walk reads firmware memory through a callback, so the parser is
 * host-tested. */
#ifndef SHOJI_ACPI_H
#define SHOJI_ACPI_H

#include "boot_info.h"

#define MAX_CPUS 64

struct cpu_list {
	unsigned count;
	uint32_t apic_id[MAX_CPUS]; /* enabled processors, in MADT order */
	bool truncated;             /* more than MAX_CPUS were listed */
};

/* Finds the RSDP (at rsdp_pa if not 0, else in the EBDA, then
 * 0xE0000-0xFFFFF), follows the XSDT or RSDT to
 * the MADT and lists its enabled processors (local APIC and local x2APIC
 * entries).  E_NOTFOUND if there is no usable MADT. */
enum err acpi_find_cpus(phys_read_fn read, void *opaque, paddr_t rsdp_pa, struct cpu_list *out);

/* Parses one MADT already read into memory (exposed for the tests). */
enum err madt_parse(const uint8_t *madt, size_t len, struct cpu_list *out);

#endif
