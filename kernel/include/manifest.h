/* The static manifest (STYLE.md 13): what each domain is and what it is
 * granted when it starts.  domains/manifest.toml is checked at build time by
 * tools/manifest, which writes it out as manifest.c in the build directory:
 * the core reads the table at boot and trusts it.
 *
 * Everything here is set at build time and read-only. */
#ifndef SHOJI_MANIFEST_H
#define SHOJI_MANIFEST_H

#include <stdbool.h>
#include <stdint.h>

/* Slots in a domain's CNode.  Slot 0 is never granted: it stays empty, so a
 * slot variable left at zero is denied rather than naming something. */
#define MANIFEST_CNODE_SLOTS 64

/* manifest_cap.target when the capability names no other domain. */
#define MANIFEST_NO_TARGET 0xFFFF

enum manifest_cap_kind {
	MANIFEST_CAP_ENDPOINT = 1, /* call domain `target`; the server sees `badge` */
	MANIFEST_CAP_NOTIFICATION, /* target's notification, or the domain's own */
	MANIFEST_CAP_MEMORY,       /* `size` bytes of zeroed RAM, fresh at each start */
	MANIFEST_CAP_IOPORT,       /* ports base .. base + size - 1 */
	MANIFEST_CAP_MMIO,         /* physical [base, base + size) */
	MANIFEST_CAP_IRQ,          /* vector `base` (size 1), delivered as a notification */
	MANIFEST_CAP_DMA,          /* device-visible [base, base + size) (IOMMU) */
};

/* Rights (manifest_cap.rights); which apply depends on the kind. */
#define MANIFEST_RIGHT_READ (1u << 0)   /* memory, MMIO, DMA */
#define MANIFEST_RIGHT_WRITE (1u << 1)  /* memory, MMIO, DMA */
#define MANIFEST_RIGHT_EXEC (1u << 2)   /* memory */
#define MANIFEST_RIGHT_CALL (1u << 3)   /* endpoint */
#define MANIFEST_RIGHT_SIGNAL (1u << 4) /* notification */
#define MANIFEST_RIGHT_POLL (1u << 5)   /* notification */
/* endpoint: may give caps into the callee's CNode; memory: may be given on */
#define MANIFEST_RIGHT_GRANT (1u << 6)

struct manifest_cap {
	uint8_t slot;                /* 1 .. MANIFEST_CNODE_SLOTS - 1, unique in the domain */
	enum manifest_cap_kind kind;
	uint16_t rights;             /* MANIFEST_RIGHT_*; 0 for I/O ports and IRQs */
	uint16_t target;             /* index in manifest_domains, or MANIFEST_NO_TARGET */
	uint64_t base;               /* first port, physical address or vector */
	uint64_t size;               /* bytes, or number of ports; 1 for an IRQ */
	uint64_t badge;              /* endpoint only */
};

/* I/O ports, MMIO windows, IRQ vectors and DMA windows have one owner each:
 * no two capabilities in the manifest overlap. */
struct manifest_domain {
	const char *name;
	const uint8_t *image_start;  /* the domain's ELF image, linked into the core */
	const uint8_t *image_end;
	uint32_t budget_us;          /* longest a call may run before the domain is ended */
	uint32_t stack_size;         /* bytes, a multiple of 4 KiB */
	uint32_t backoff_ms;         /* first wait before a restart (ipc/ABI.md) */
	bool fpu;                    /* may use x87/SSE/AVX: its entries save the guest's */
	unsigned cap_count;
	const struct manifest_cap *caps;
};

extern const struct manifest_domain manifest_domains[];
extern const unsigned manifest_domain_count;

#endif
