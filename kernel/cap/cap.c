/* The capability value: the per-type table and the checks on one cap.
 * See include/cap.h. */
#include <stdio.h>

#include "cap.h"

#define PHYS_LIMIT (1ULL << 52) /* the architectural maximum physical address width */
#define IOPORT_LIMIT 0x10000ULL
#define VECTOR_LIMIT 256ULL

#define RW (CAP_R_READ | CAP_R_WRITE)

/* Every type-dependent fact lives in this table (STYLE.md 11). */
static const struct cap_type_info cap_types[CAP_TYPE_COUNT] = {
	[CAP_NULL] = { .name = "null" },
	[CAP_DOMAIN] = { .name = "domain", .rights = RW | CAP_R_CALL | CAP_R_GRANT,
			 .object = true, .generation = true },
	[CAP_ENDPOINT] = { .name = "endpoint", .rights = CAP_R_CALL | CAP_R_GRANT,
			   .object = true, .generation = true, .badge = true },
	[CAP_NOTIFICATION] = { .name = "notification",
			       .rights = CAP_R_SIGNAL | CAP_R_WAIT | CAP_R_GRANT,
			       .object = true, .badge = true },
	[CAP_MEMORY] = { .name = "memory",
			 .rights = RW | CAP_R_EXEC | CAP_R_MAP | CAP_R_GRANT,
			 .range = true, .align = PAGE_SIZE, .limit = PHYS_LIMIT },
	[CAP_IOPORT] = { .name = "ioport", .rights = RW | CAP_R_GRANT,
			 .range = true, .align = 1, .limit = IOPORT_LIMIT },
	[CAP_MMIO] = { .name = "mmio", .rights = RW | CAP_R_MAP | CAP_R_GRANT,
		       .range = true, .align = PAGE_SIZE, .limit = PHYS_LIMIT },
	[CAP_IRQ] = { .name = "irq", .rights = CAP_R_WAIT | CAP_R_GRANT,
		      .range = true, .align = 1, .limit = VECTOR_LIMIT },
	[CAP_DMA] = { .name = "dma", .rights = RW | CAP_R_MAP | CAP_R_GRANT,
		      .range = true, .align = PAGE_SIZE, .limit = PHYS_LIMIT },
};

static const char *const cap_right_names[CAP_RIGHT_COUNT] = {
	"read", "write", "exec", "call", "signal", "wait", "grant", "map",
};

const struct cap_type_info *cap_type_info(unsigned type)
{
	return &cap_types[type < CAP_TYPE_COUNT ? type : CAP_NULL];
}

/* Whether [base, base + size) is a valid range for a cap of `t`. */
static bool range_valid(const struct cap_type_info *t, uint64_t base, uint64_t size)
{
	return size > 0 && base % t->align == 0 && size % t->align == 0 && base <= t->limit &&
	       size <= t->limit - base;
}

enum err cap_value_check(const struct cap *c)
{
	const struct cap_type_info *t = cap_type_info(c->type);

	if (c->type == CAP_NULL || c->type >= CAP_TYPE_COUNT)
		return E_INVAL;
	if ((c->rights & ~t->rights) || (!t->object && c->object) ||
	    (!t->generation && c->generation) || (!t->badge && c->badge))
		return E_INVAL;
	if (!t->range)
		return c->base || c->size ? E_INVAL : E_OK;
	return range_valid(t, c->base, c->size) ? E_OK : E_INVAL;
}

/* Whether [first, first + count) lies inside [base, base + size); all
 * four are trusted not to wrap except first + count. */
static bool range_inside(uint64_t first, uint64_t count, uint64_t base, uint64_t size)
{
	return count > 0 && first >= base && count <= size && first - base <= size - count;
}

bool cap_covers(const struct cap *c, uint64_t first, uint64_t count)
{
	return cap_type_info(c->type)->range && range_inside(first, count, c->base, c->size);
}

bool cap_derivable(const struct cap *parent, const struct cap *child)
{
	if (child->type != parent->type || child->object != parent->object)
		return false;
	if (child->rights & ~parent->rights)
		return false;
	if (parent->badge && child->badge != parent->badge)
		return false;
	return !cap_type_info(parent->type)->range ||
	       range_inside(child->base, child->size, parent->base, parent->size);
}

/* snprintf at *pos, advancing it; stops at the end of buf. */
#define APPEND(buf, size, pos, ...)                                                  \
	do {                                                                         \
		if (*(pos) < (size)) {                                              \
			int n_ = snprintf((buf) + *(pos), (size) - *(pos), __VA_ARGS__); \
			*(pos) += n_ > 0 ? (size_t)n_ : 0;                          \
		}                                                                    \
	} while (0)

void cap_describe(const struct cap *c, char *buf, size_t size)
{
	const struct cap_type_info *t = cap_type_info(c->type);
	size_t pos = 0;
	const char *sep = "";

	if (size == 0)
		return;
	buf[0] = '\0';
	APPEND(buf, size, &pos, "%s", c->type < CAP_TYPE_COUNT ? t->name : "bad-type");
	if (t->object)
		APPEND(buf, size, &pos, " obj=%u", (unsigned)c->object);
	if (t->generation)
		APPEND(buf, size, &pos, " gen=%u", (unsigned)c->generation);
	if (t->badge && c->badge)
		APPEND(buf, size, &pos, " badge=%#llx", (unsigned long long)c->badge);
	if (t->range)
		APPEND(buf, size, &pos, " %#llx+%#llx", (unsigned long long)c->base,
		       (unsigned long long)c->size);
	APPEND(buf, size, &pos, " [");
	for (unsigned i = 0; i < CAP_RIGHT_COUNT; i++) {
		if (c->rights & (1u << i)) {
			APPEND(buf, size, &pos, "%s%s", sep, cap_right_names[i]);
			sep = ",";
		}
	}
	APPEND(buf, size, &pos, "]");
}
