/* Capabilities: small typed values with explicit rights (STYLE.md 11).
 * This header is the value alone: types, rights, the per-type table and
 * the checks on one cap.  Where caps live (CNodes, the derivation tree)
 * and the operations on them are in cap_space.h.  Pure logic, built into
 * the core and the host tests. */
#ifndef SHOJI_CAP_H
#define SHOJI_CAP_H

#include "errors.h"
#include "types.h"

enum cap_type {
	CAP_NULL = 0,     /* an empty slot */
	CAP_DOMAIN,       /* a protection domain: object = domain id */
	CAP_ENDPOINT,     /* an IPC endpoint: object = endpoint id */
	CAP_NOTIFICATION, /* a notification word: object = notification id */
	CAP_MEMORY,       /* host-physical RAM [base, base+size), page-granular */
	CAP_IOPORT,       /* I/O ports [base, base+size) */
	CAP_MMIO,         /* a device's MMIO window, page-granular */
	CAP_IRQ,          /* interrupt vectors [base, base+size) */
	CAP_DMA,          /* a device-visible DMA window, page-granular */
	CAP_TYPE_COUNT,
};

/* Rights, one bit each.  Which ones mean something depends on the type
 * (cap_type_info.rights); a cap never holds a right its type lacks. */
enum cap_right {
	CAP_R_READ = 1u << 0,
	CAP_R_WRITE = 1u << 1,
	CAP_R_EXEC = 1u << 2,
	CAP_R_CALL = 1u << 3,   /* call the endpoint or domain */
	CAP_R_SIGNAL = 1u << 4, /* signal the notification */
	CAP_R_WAIT = 1u << 5,   /* poll the notification; receive the IRQ */
	CAP_R_GRANT = 1u << 6,  /* may be copied, minted or moved into another CNode */
	CAP_R_MAP = 1u << 7,    /* may be mapped (memory, MMIO) or put in the IOMMU (DMA) */
};
#define CAP_RIGHT_COUNT 8
typedef uint16_t cap_rights_t;

/* A capability.  Which fields carry meaning is said by the type's entry
 * in the type table; the others are zero. */
struct cap {
	uint8_t type;        /* enum cap_type */
	cap_rights_t rights; /* enum cap_right bits */
	uint32_t object;     /* domain, endpoint or notification id */
	uint32_t generation; /* domain and endpoint: the callee generation it names */
	uint64_t badge;      /* endpoint and notification: set by mint; 0 = unbadged */
	uint64_t base;       /* range types: first byte, port or vector */
	uint64_t size;       /* range types: how many (> 0) */
};

/* What a type's caps carry, and the limits of their range. */
struct cap_type_info {
	const char *name;
	cap_rights_t rights; /* the rights this type's caps may hold */
	bool object;         /* names an object (the object field) */
	bool generation;     /* names a generation (refreshable) */
	bool badge;          /* may be badged by mint */
	bool range;          /* base/size carry a range */
	uint64_t align;      /* range types: base and size are multiples of this */
	uint64_t limit;      /* range types: base + size never exceeds this */
};

/* The entry for `type`; the CAP_NULL entry for an out-of-range type. */
const struct cap_type_info *cap_type_info(unsigned type);

/* E_OK if `c` is a cap the library may hold: a known non-null type, no
 * right beyond its type's, fields the type does not use all zero, and a
 * range (range types) that is non-empty, aligned and within the limit.
 * E_INVAL otherwise.  The core checks each manifest cap with this. */
enum err cap_value_check(const struct cap *c);

/* Whether `c` is a range cap covering all of [first, first + count),
 * with count > 0 and no wrap-around. */
bool cap_covers(const struct cap *c, uint64_t first, uint64_t count);

/* Whether `child` could be derived from `parent`: same type, object and
 * (for badged parents) badge, rights a subset, range inside the parent's.
 * The generation may differ (a refresh changes one cap only). */
bool cap_derivable(const struct cap *parent, const struct cap *child);

/* Formats `c` for the log, e.g. "endpoint obj=3 gen=2 badge=0x7 [call]"
 * or "ioport 0x3f8+0x8 [read,write]".  Always terminates buf (size >
 * 0); truncates to fit. */
void cap_describe(const struct cap *c, char *buf, size_t size);

#endif
