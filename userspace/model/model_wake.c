/* model_wake.c - how wakeup edges are stored: 20 bytes each instead of the
 * 40 of struct tl_wakeup_ev, which is what readers get back
 * (tl_model_wakeup). There is about one for every two records of a busy
 * recording.
 *
 * The time is kept as 48 bits from the first record's; a traced waker or
 * wakee as its thread's index (its TID is the thread's), another as its
 * TID; the waker's awake_since as the time before ts. An edge that does
 * not fit (times out of range, a CPU beyond 4094, a TID or index of 2^31
 * or more) is kept whole in a side array, and its compact entry says
 * where.
 */
#include "model_impl.h"

#define WK_OFF_MAX ((1ull << 48) - 1)
#define WK_CPU_MAX 4094           /* target_cpu + 1 in 12 bits */
#define WK_TID 0x80000000u        /* a reference holding a TID, not traced */
#define WK_IRQ 0x10000000u        /* flags in hi */
#define WK_NEW 0x20000000u
#define WK_EFF 0x40000000u
#define WK_ESC 0x80000000u

struct wkc {
	uint32_t lo;      /* ts - base, low 32 bits; escaped: index in wkx */
	uint32_t hi;      /* 0-15 ts - base, high 16 bits; 16-27 target_cpu
			   * + 1; 28 irq, 29 new_task, 30 effective, 31 escaped */
	uint32_t waker, wakee; /* thread index, or WK_TID | TID */
	uint32_t awake;   /* ts - waker_awake_since (traced waker) */
};
_Static_assert(sizeof(struct wkc) == 20, "a stored wakeup is 20 bytes");

static bool ref_of(uint32_t idx, uint32_t tid, uint32_t *out)
{
	if (idx != TL_NO_THREAD) {
		*out = idx;
		return idx < WK_TID;
	}
	*out = WK_TID | tid;
	return tid < WK_TID;
}

static bool fits(const struct tl_model *m, const struct tl_wakeup_ev *e)
{
	return e->ts >= m->iv_base && e->ts - m->iv_base <= WK_OFF_MAX &&
	       e->target_cpu >= -1 && e->target_cpu < WK_CPU_MAX &&
	       (e->waker_idx == TL_NO_THREAD ||
		(e->waker_awake_since <= e->ts && e->ts - e->waker_awake_since <= UINT32_MAX));
}

int tl_wake_push(struct tl_model *m, const struct tl_wakeup_ev *e)
{
	m->nwakeups++;
	if (m->o.no_wakeup_edges)
		return 0;
	struct wkc *c = model_push_uninit(m, &m->wakeups, sizeof(*c));

	if (!c)
		return -1;
	if (!fits(m, e) || !ref_of(e->waker_idx, e->waker, &c->waker) ||
	    !ref_of(e->wakee_idx, e->wakee, &c->wakee)) {
		struct tl_wakeup_ev *x = model_push_uninit(m, &m->wakes_x, sizeof(*x));
		if (!x) {
			m->wakeups.n--;
			return -1;
		}
		*x = *e;
		*c = (struct wkc){ .lo = (uint32_t)(m->wakes_x.n - 1), .hi = WK_ESC };
		return 0;
	}
	uint64_t off = e->ts - m->iv_base;
	c->lo = (uint32_t)off;
	c->hi = (uint32_t)(off >> 32) | (uint32_t)(e->target_cpu + 1) << 16 |
		(e->irq ? WK_IRQ : 0) | (e->new_task ? WK_NEW : 0) |
		(e->effective ? WK_EFF : 0);
	c->awake = e->waker_idx == TL_NO_THREAD ? 0 : (uint32_t)(e->ts - e->waker_awake_since);
	return 0;
}

void tl_wake_set_effective(struct tl_model *m, size_t i)
{
	if (m->o.no_wakeup_edges)
		return;
	struct wkc *c = &((struct wkc *)m->wakeups.p)[i];

	if (c->hi & WK_ESC)
		((struct tl_wakeup_ev *)m->wakes_x.p)[c->lo].effective = true;
	else
		c->hi |= WK_EFF;
}

static void ref_get(const struct tl_model *m, uint32_t ref, uint32_t *idx, uint32_t *tid)
{
	if (ref & WK_TID) {
		*idx = TL_NO_THREAD;
		*tid = ref & ~WK_TID;
		return;
	}
	*idx = ref;
	*tid = ((struct thr *const *)m->thrs.p)[ref]->pub.tid;
}

struct tl_wakeup_ev tl_model_wakeup(const struct tl_model *m, size_t i)
{
	const struct wkc *c = &((const struct wkc *)m->wakeups.p)[i];
	struct tl_wakeup_ev e;

	if (c->hi & WK_ESC)
		return ((const struct tl_wakeup_ev *)m->wakes_x.p)[c->lo];
	e = (struct tl_wakeup_ev){
		.ts = m->iv_base + ((uint64_t)(c->hi & 0xffff) << 32 | c->lo),
		.target_cpu = (int32_t)((c->hi >> 16) & 0xfff) - 1,
		.irq = c->hi & WK_IRQ, .new_task = c->hi & WK_NEW,
		.effective = c->hi & WK_EFF,
	};
	ref_get(m, c->waker, &e.waker_idx, &e.waker);
	ref_get(m, c->wakee, &e.wakee_idx, &e.wakee);
	if (e.waker_idx != TL_NO_THREAD)
		e.waker_awake_since = e.ts - c->awake;
	return e;
}
