/* The capability library against a reference model, over long random
 * operation sequences (issue #6, "Done when").
 *
 * The model is written from the rules in cap_space.h, not from the
 * library: each cap is a record with an id and its parent's id (0 for a
 * root) in a position (CNode, slot); revoke deletes every record whose
 * chain of parent ids reaches the revoked one; delete hands a record's
 * children to its parent.  After every step the whole state is compared
 * (every slot's cap and its parent's id), the hook's calls are compared
 * with the records the model removed, and cap_tree_check must pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cap_test_util.h"

#define NCN 4
#define NSLOT 12
#define SEEDS 20
#define STEPS 5000

/* ---- the model ---- */

struct rec {
	bool used;
	unsigned id;
	unsigned parent; /* the parent's id; 0 for a root */
	struct cap cap;
};

struct pos {
	unsigned cn, slot;
};

static struct rec model[NCN][NSLOT];
static unsigned next_id;
static struct pos expect_removed[NCN * NSLOT];
static unsigned expect_count;

/* The type rules, restated from cap.h's comments. */
static cap_rights_t m_type_rights(unsigned t)
{
	switch (t) {
	case CAP_DOMAIN: return CAP_R_READ | CAP_R_WRITE | CAP_R_CALL | CAP_R_GRANT;
	case CAP_ENDPOINT: return CAP_R_CALL | CAP_R_GRANT;
	case CAP_NOTIFICATION: return CAP_R_SIGNAL | CAP_R_WAIT | CAP_R_GRANT;
	case CAP_MEMORY: return CAP_R_READ | CAP_R_WRITE | CAP_R_EXEC | CAP_R_MAP | CAP_R_GRANT;
	case CAP_IOPORT: return CAP_R_READ | CAP_R_WRITE | CAP_R_GRANT;
	case CAP_MMIO: case CAP_DMA: return CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_GRANT;
	case CAP_IRQ: return CAP_R_WAIT | CAP_R_GRANT;
	default: return 0;
	}
}

static bool m_badgeable(unsigned t) { return t == CAP_ENDPOINT || t == CAP_NOTIFICATION; }
static bool m_has_object(unsigned t) { return t >= CAP_DOMAIN && t <= CAP_NOTIFICATION; }
static bool m_has_gen(unsigned t) { return t == CAP_DOMAIN || t == CAP_ENDPOINT; }
static bool m_ranged(unsigned t) { return t >= CAP_MEMORY && t <= CAP_DMA; }
static uint64_t m_align(unsigned t) { return t == CAP_IOPORT || t == CAP_IRQ ? 1 : 4096; }

static uint64_t m_limit(unsigned t)
{
	return t == CAP_IOPORT ? 65536 : t == CAP_IRQ ? 256 : 1ULL << 52;
}

static bool m_range_ok(unsigned t, uint64_t base, uint64_t size)
{
	uint64_t end = base + size;

	return size && base % m_align(t) == 0 && size % m_align(t) == 0 && end > base &&
	       end <= m_limit(t);
}

static bool m_value_ok(const struct cap *c)
{
	unsigned t = c->type;

	if (t == CAP_NULL || t >= CAP_TYPE_COUNT || (c->rights & ~m_type_rights(t)))
		return false;
	if ((!m_has_object(t) && c->object) || (!m_has_gen(t) && c->generation) ||
	    (!m_badgeable(t) && c->badge))
		return false;
	return m_ranged(t) ? m_range_ok(t, c->base, c->size) : !c->base && !c->size;
}

static struct rec *m_at(unsigned cn, uint64_t slot)
{
	return slot < NSLOT ? &model[cn][slot] : NULL;
}

static void m_expect_removed(unsigned cn, unsigned slot)
{
	expect_removed[expect_count++] = (struct pos){ cn, slot };
}

static enum err m_insert_root(unsigned cn, uint64_t slot, const struct cap *c)
{
	struct rec *r = m_at(cn, slot);

	if (!r)
		return E_RANGE;
	if (!m_value_ok(c))
		return E_INVAL;
	if (r->used)
		return E_EXISTS;
	*r = (struct rec){ true, ++next_id, 0, *c };
	return E_OK;
}

static enum err m_xfer_check(unsigned sc, uint64_t s, unsigned dc, uint64_t d)
{
	struct rec *src = m_at(sc, s), *dst = m_at(dc, d);

	if (!src || !dst)
		return E_RANGE;
	if (!src->used)
		return E_DENIED;
	if (dst->used)
		return E_EXISTS;
	if (sc != dc && !(src->cap.rights & CAP_R_GRANT))
		return E_DENIED;
	return E_OK;
}

static enum err m_copy(unsigned sc, uint64_t s, unsigned dc, uint64_t d)
{
	enum err e = m_xfer_check(sc, s, dc, d);

	if (e == E_OK)
		model[dc][d] = (struct rec){ true, ++next_id, model[sc][s].id, model[sc][s].cap };
	return e;
}

static enum err m_mint(unsigned sc, uint64_t s, unsigned dc, uint64_t d,
		       const struct cap_mint *m)
{
	enum err e = m_xfer_check(sc, s, dc, d);
	struct cap c;

	if (e != E_OK)
		return e;
	c = model[sc][s].cap;
	if (m->rights & ~c.rights)
		return E_DENIED;
	c.rights = m->rights;
	if (m->badge) {
		if (!m_badgeable(c.type))
			return E_INVAL;
		if (c.badge)
			return E_DENIED;
		c.badge = m->badge;
	}
	if (m->base || m->size) {
		if (!m_ranged(c.type) || !m_range_ok(c.type, m->base, m->size))
			return E_INVAL;
		if (m->base < c.base || m->base + m->size > c.base + c.size)
			return E_DENIED;
		c.base = m->base;
		c.size = m->size;
	}
	model[dc][d] = (struct rec){ true, ++next_id, model[sc][s].id, c };
	return E_OK;
}

static enum err m_move(unsigned sc, uint64_t s, unsigned dc, uint64_t d)
{
	enum err e = m_xfer_check(sc, s, dc, d);

	if (e == E_OK) {
		m_expect_removed(sc, (unsigned)s);
		model[dc][d] = model[sc][s];
		model[sc][s] = (struct rec){ 0 };
	}
	return e;
}

static enum err m_delete(unsigned cn, uint64_t slot)
{
	struct rec *r = m_at(cn, slot);

	if (!r)
		return E_RANGE;
	if (!r->used)
		return E_DENIED;
	for (unsigned i = 0; i < NCN; i++)
		for (unsigned j = 0; j < NSLOT; j++)
			if (model[i][j].used && model[i][j].parent == r->id)
				model[i][j].parent = r->parent;
	m_expect_removed(cn, (unsigned)slot);
	*r = (struct rec){ 0 };
	return E_OK;
}

/* Whether the record with id `id` descends from the record `top`. */
static bool m_descends(unsigned id, unsigned top)
{
	for (unsigned hops = 0; id && hops <= NCN * NSLOT; hops++) {
		unsigned parent = 0;

		for (unsigned i = 0; i < NCN; i++)
			for (unsigned j = 0; j < NSLOT; j++)
				if (model[i][j].used && model[i][j].id == id)
					parent = model[i][j].parent;
		if (parent == top)
			return true;
		id = parent;
	}
	return false;
}

static enum err m_revoke(unsigned cn, uint64_t slot)
{
	struct rec *r = m_at(cn, slot);
	bool doomed[NCN][NSLOT] = { { false } };

	if (!r)
		return E_RANGE;
	if (!r->used)
		return E_DENIED;
	for (unsigned i = 0; i < NCN; i++)
		for (unsigned j = 0; j < NSLOT; j++)
			doomed[i][j] = model[i][j].used && m_descends(model[i][j].id, r->id);
	for (unsigned i = 0; i < NCN; i++)
		for (unsigned j = 0; j < NSLOT; j++)
			if (doomed[i][j]) {
				m_expect_removed(i, j);
				model[i][j] = (struct rec){ 0 };
			}
	return E_OK;
}

static enum err m_refresh(unsigned cn, uint64_t slot, uint32_t gen)
{
	struct rec *r = m_at(cn, slot);

	if (!r)
		return E_RANGE;
	if (!r->used || !m_has_gen(r->cap.type))
		return E_DENIED;
	r->cap.generation = gen;
	return E_OK;
}

static enum err m_lookup(unsigned cn, uint64_t slot, unsigned type, cap_rights_t rights)
{
	struct rec *r = m_at(cn, slot);

	if (!r)
		return E_RANGE;
	if (!r->used || r->cap.type != type || (r->cap.rights & rights) != rights)
		return E_DENIED;
	return E_OK;
}

/* ---- the library side ---- */

static struct cte store[NCN][NSLOT];
static struct cnode cns[NCN];
static struct cnode *cnp[NCN];
static struct pos got_removed[NCN * NSLOT];
static unsigned got_count;

static struct pos pos_of(const struct cte *s)
{
	for (unsigned i = 0; i < NCN; i++)
		if (s->cnode == &cns[i])
			return (struct pos){ i, cap_slot_index(s) };
	fail_msg("a slot outside the CNodes");
	return (struct pos){ 0, 0 };
}

static void on_remove(void *opaque, struct cte *slot)
{
	(void)opaque;
	assert_int_not_equal(slot->cap.type, CAP_NULL); /* told before clearing */
	assert_true(got_count < NCN * NSLOT);
	got_removed[got_count++] = pos_of(slot);
}

static const struct cap_hooks hooks = { on_remove, NULL };

static int pos_cmp(const void *x, const void *y)
{
	const struct pos *p = x, *q = y;

	return p->cn != q->cn ? (int)p->cn - (int)q->cn : (int)p->slot - (int)q->slot;
}

/* ---- random inputs ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t rnd_slot(void)
{
	unsigned r = rnd() % 32;

	return r == 0 ? 1ULL << 40 : r < 3 ? NSLOT + r : rnd() % NSLOT;
}

static struct cap rnd_cap(void)
{
	struct cap c = { .type = (uint8_t)(1 + rnd() % (CAP_TYPE_COUNT - 1)) };
	unsigned t = c.type;

	c.rights = (cap_rights_t)(rnd() & m_type_rights(t));
	if (rnd() % 4)
		c.rights |= CAP_R_GRANT;
	if (rnd() % 16 == 0)
		c.rights |= (cap_rights_t)(1u << rnd() % CAP_RIGHT_COUNT); /* maybe invalid */
	if (m_has_object(t))
		c.object = (uint32_t)(rnd() % 4);
	if (m_has_gen(t))
		c.generation = (uint32_t)(rnd() % 3);
	if (m_badgeable(t) && rnd() % 2)
		c.badge = rnd() % 4;
	if (t == CAP_IOPORT) {
		c.base = rnd() % 0xFFF8;
		c.size = 1 + rnd() % 16;
	} else if (t == CAP_IRQ) {
		c.base = rnd() % 240;
		c.size = 1 + rnd() % 16;
	} else if (m_ranged(t)) {
		c.base = (rnd() % 64) * 4096;
		c.size = (1 + rnd() % 16) * 4096;
	}
	if (rnd() % 32 == 0)
		c.size = 0; /* invalid for range types */
	return c;
}

static struct cap_mint rnd_mint(unsigned cn, uint64_t slot)
{
	struct rec *r = m_at(cn, slot);
	struct cap src = r && r->used ? r->cap : rnd_cap();
	struct cap_mint m = { .rights = (cap_rights_t)(src.rights & rnd()) };
	uint64_t align = m_align(src.type);

	if (rnd() % 8 == 0)
		m.rights |= (cap_rights_t)(1u << rnd() % CAP_RIGHT_COUNT);
	if (rnd() % 3 == 0)
		m.badge = rnd() % 4;
	switch (rnd() % 4) {
	case 1:
	case 2:
		if (m_ranged(src.type) && src.size >= align) {
			uint64_t units = src.size / align, off = rnd() % units;

			m.base = src.base + off * align;
			m.size = (1 + rnd() % (units - off)) * align;
		}
		break;
	case 3:
		m.base = rnd() % 4 == 0 ? ~0ULL - rnd() % 8192 : src.base + rnd() % 8192 - 4096;
		m.size = rnd() % 3 == 0 ? 0 : rnd() % 12288;
		break;
	}
	return m;
}

/* ---- comparison ---- */

static void compare(unsigned step, const char *op)
{
	char why[160];

	if (!cap_tree_check(cnp, NCN, why, sizeof(why)))
		fail_msg("step %u (%s): cap_tree_check: %s", step, op, why);
	for (unsigned i = 0; i < NCN; i++) {
		for (unsigned j = 0; j < NSLOT; j++) {
			const struct rec *r = &model[i][j];
			const struct cte *s = &store[i][j];

			if (r->used != (s->cap.type != CAP_NULL))
				fail_msg("step %u (%s): cnode %u slot %u: model %s, library %s", step,
					 op, i, j, r->used ? "full" : "empty",
					 s->cap.type ? "full" : "empty");
			if (!r->used)
				continue;
			if (!cap_same(&r->cap, &s->cap))
				fail_msg("step %u (%s): cnode %u slot %u: caps differ", step, op, i, j);
			if (!r->parent != !s->parent)
				fail_msg("step %u (%s): cnode %u slot %u: root in one, child in other",
					 step, op, i, j);
			if (s->parent) {
				struct pos p = pos_of(s->parent);

				if (model[p.cn][p.slot].id != r->parent)
					fail_msg("step %u (%s): cnode %u slot %u: other parent", step,
						 op, i, j);
			}
		}
	}
	qsort(expect_removed, expect_count, sizeof(struct pos), pos_cmp);
	qsort(got_removed, got_count, sizeof(struct pos), pos_cmp);
	if (expect_count != got_count ||
	    memcmp(expect_removed, got_removed, got_count * sizeof(struct pos)))
		fail_msg("step %u (%s): model removed %u caps, the hook saw %u (or others)", step,
			 op, expect_count, got_count);
}

struct stats {
	unsigned ok[8];
	unsigned revoked; /* descendants removed by revokes */
	unsigned deepest; /* the deepest chain seen */
};

static unsigned depth_of(const struct cte *s)
{
	unsigned d = 0;

	for (; s->parent; s = s->parent)
		d++;
	return d;
}

/* One random operation on both sides; returns its name. */
static const char *step_once(struct stats *st)
{
	unsigned op = rnd() % 100, sc = rnd() % NCN, dc = rnd() % NCN;
	uint64_t s = rnd_slot(), d = rnd_slot();
	enum err want, got;
	const char *name;
	unsigned kind;

	if (op < 8) {
		struct cap c = rnd_cap();

		name = "insert_root", kind = 0;
		want = m_insert_root(sc, s, &c);
		got = cap_insert_root(&cns[sc], s, &c);
	} else if (op < 28) {
		name = "copy", kind = 1;
		want = m_copy(sc, s, dc, d);
		got = cap_op_copy(&cns[sc], s, &cns[dc], d);
	} else if (op < 53) {
		struct cap_mint m = rnd_mint(sc, s);

		name = "mint", kind = 2;
		want = m_mint(sc, s, dc, d, &m);
		got = cap_op_mint(&cns[sc], s, &cns[dc], d, &m);
	} else if (op < 65) {
		name = "move", kind = 3;
		want = m_move(sc, s, dc, d);
		got = cap_op_move(&cns[sc], s, &cns[dc], d, &hooks);
	} else if (op < 75) {
		name = "delete", kind = 4;
		want = m_delete(sc, s);
		got = cap_op_delete(&cns[sc], s, &hooks);
	} else if (op < 84) {
		name = "revoke", kind = 5;
		want = m_revoke(sc, s);
		st->revoked += expect_count;
		got = cap_op_revoke(&cns[sc], s, &hooks);
	} else if (op < 90) {
		uint32_t gen = (uint32_t)rnd();

		name = "refresh", kind = 6;
		want = m_refresh(sc, s, gen);
		got = cap_op_refresh(&cns[sc], s, gen);
	} else {
		unsigned type = (unsigned)(rnd() % CAP_TYPE_COUNT);
		cap_rights_t rights = (cap_rights_t)(rnd() % 4 ? 1u << rnd() % CAP_RIGHT_COUNT : 0);
		const struct cap *c = NULL;
		const struct rec *r = m_at(sc, s);

		if (r && r->used && rnd() % 2) { /* mostly a fitting question */
			type = r->cap.type;
			rights = (cap_rights_t)(rnd() % 4 ? r->cap.rights & rnd() : rights);
		}

		name = "lookup", kind = 7;
		want = m_lookup(sc, s, type, rights);
		got = cap_lookup(&cns[sc], s, (enum cap_type)type, rights, &c);
		if (got == E_OK && c != &store[sc][s].cap)
			fail_msg("lookup returned another slot");
	}
	if (want != got)
		fail_msg("%s: model says %s, library %s", name, err_name(want), err_name(got));
	st->ok[kind] += got == E_OK;
	return name;
}

static void run_seed(uint64_t seed, struct stats *st)
{
	memset(model, 0, sizeof(model));
	next_id = 0;
	for (unsigned i = 0; i < NCN; i++) {
		cap_cnode_init(&cns[i], store[i], NSLOT);
		cnp[i] = &cns[i];
	}
	rng = seed * 0x9E3779B97F4A7C15ULL | 1;
	for (unsigned step = 0; step < STEPS; step++) {
		const char *name;

		expect_count = got_count = 0;
		name = step_once(st);
		compare(step, name);
		for (unsigned i = 0; i < NCN; i++)
			for (unsigned j = 0; j < NSLOT; j++)
				if (store[i][j].cap.type != CAP_NULL)
					st->deepest = MAX(st->deepest, depth_of(&store[i][j]));
	}
}

static void test_random_sequences_match_the_model(void **state)
{
	(void)state;
	struct stats st = { 0 };

	for (uint64_t seed = 1; seed <= SEEDS; seed++)
		run_seed(seed, &st);
	printf("successes: insert %u copy %u mint %u move %u delete %u revoke %u refresh %u "
	       "lookup %u; %u caps revoked, deepest chain %u\n",
	       st.ok[0], st.ok[1], st.ok[2], st.ok[3], st.ok[4], st.ok[5], st.ok[6], st.ok[7],
	       st.revoked, st.deepest);
	/* The sequences must exercise every operation, not only its errors. */
	for (unsigned k = 0; k < 8; k++)
		assert_true(st.ok[k] > 500);
	assert_true(st.revoked > 1000);
	assert_true(st.deepest >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences_match_the_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
