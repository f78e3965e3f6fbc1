/* CNodes: slot addressing and the core's lookup.  See include/cap_space.h. */
#include <string.h>

#include "cap_space.h"

void cap_cnode_init(struct cnode *cn, struct cte *slots, uint32_t count)
{
	cn->slots = slots;
	cn->count = count;
	memset(slots, 0, (size_t)count * sizeof(*slots));
	for (uint32_t i = 0; i < count; i++)
		slots[i].cnode = cn;
}

uint32_t cap_slot_index(const struct cte *slot)
{
	return (uint32_t)(slot - slot->cnode->slots);
}

enum err cap_slot(struct cnode *cn, uint64_t index, struct cte **out)
{
	if (index >= cn->count)
		return E_RANGE;
	*out = &cn->slots[index];
	return E_OK;
}

enum err cap_lookup(const struct cnode *cn, uint64_t index, enum cap_type type,
		    cap_rights_t rights, const struct cap **out)
{
	const struct cap *c;

	if (index >= cn->count)
		return E_RANGE;
	c = &cn->slots[index].cap;
	if (type == CAP_NULL || c->type != type || (c->rights & rights) != rights)
		return E_DENIED;
	*out = c;
	return E_OK;
}

enum err cap_lookup_range(const struct cnode *cn, uint64_t index, enum cap_type type,
			  cap_rights_t rights, uint64_t first, uint64_t count,
			  const struct cap **out)
{
	const struct cap *c;
	enum err e = cap_lookup(cn, index, type, rights, &c);

	if (e != E_OK)
		return e;
	if (!cap_covers(c, first, count))
		return E_DENIED;
	*out = c;
	return E_OK;
}
