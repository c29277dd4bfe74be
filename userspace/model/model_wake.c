/* model_wake.c - how wakeup edges are stored: about 10 bytes each instead
 * of the 40 of struct tl_wakeup_ev, which is what readers get back
 * (tl_model_wakeup). There is about one for every two records of a busy
 * recording.
 *
 * Each edge is a few bytes in one byte stream: a byte of flags, then as
 * variable length integers (7 bits a byte) its time after the previous
 * edge's, its target CPU + 1, the waker and the wakee (a traced thread as
 * its index, its TID being the thread's; another as its TID) and, for a
 * traced waker, how long before ts it had been awake. Every 32nd edge
 * starts a group: a checkpoint keeps its time and where it is. Readers walk
 * the edges in order; the model remembers where the last read stopped
 * (so two threads of a program must not read one model at once). An edge
 * is known by where it starts in the stream until it is final: a waking
 * that came while its wakee was still on a CPU is found effective later.
 * A caller that reads the edges once, in order, has the stream given back
 * as it goes (tl_model_opts.wakeup_edges_read_once): the rest is moved to
 * the front and the room after it freed.
 */
#include <stdlib.h>
#include "model_impl.h"
#include "util/varint.h"

#define WK_GROUP 32
#define WK_IRQ 0x01
#define WK_NEW 0x02
#define WK_EFF 0x04
#define WK_WAKER_THR 0x08   /* waker: a thread index, and awake follows */
#define WK_WAKEE_THR 0x10   /* wakee: a thread index */

struct wkck {
	uint64_t ts;      /* the group's first edge's */
	uint64_t off;     /* where it is in the stream */
};

int tl_wake_push(struct tl_model *m, const struct tl_wakeup_ev *e)
{
	uint8_t buf[1 + 10 + 5 + 5 + 5 + 10], *p = buf;
	bool waker_thr = e->waker_idx != TL_NO_THREAD;
	bool wakee_thr = e->wakee_idx != TL_NO_THREAD;
	uint64_t delta = e->ts - m->wk_last;

	m->nwakeups++;
	if (m->o.no_wakeup_edges)
		return 0;
	if (m->wk_n % WK_GROUP == 0) {
		struct wkck *ck = model_push_uninit(m, &m->wk_ck, sizeof(*ck));
		if (!ck)
			return -1;
		*ck = (struct wkck){ e->ts, m->wakeups.n };
		delta = 0;
	}
	*p++ = (uint8_t)((e->irq ? WK_IRQ : 0) | (e->new_task ? WK_NEW : 0) |
			 (e->effective ? WK_EFF : 0) | (waker_thr ? WK_WAKER_THR : 0) |
			 (wakee_thr ? WK_WAKEE_THR : 0));
	p = tl_put_var(p, delta);
	p = tl_put_var(p, (uint32_t)(e->target_cpu + 1));
	p = tl_put_var(p, waker_thr ? e->waker_idx : e->waker);
	p = tl_put_var(p, wakee_thr ? e->wakee_idx : e->wakee);
	if (waker_thr)
		p = tl_put_var(p, e->ts - e->waker_awake_since);
	if (tl_vec_reserve_lean(&m->wakeups, 1, m->wakeups.n + (size_t)(p - buf))) {
		if (m->wk_n % WK_GROUP == 0)
			m->wk_ck.n--;
		m->oom = true;
		return -1;
	}
	memcpy((uint8_t *)m->wakeups.p + m->wakeups.n, buf, (size_t)(p - buf));
	m->wakeups.n += (size_t)(p - buf);
	m->wk_last = e->ts;
	m->wk_n++;
	return 0;
}

size_t tl_wake_next_ref(const struct tl_model *m)
{
	return m->wakeups.n;
}

void tl_wake_set_effective(struct tl_model *m, size_t ref)
{
	if (!m->o.no_wakeup_edges)
		((uint8_t *)m->wakeups.p)[ref] |= WK_EFF;
}

static uint32_t tid_of(const struct tl_model *m, uint32_t idx)
{
	return ((struct thr *const *)m->thrs.p)[idx]->pub.tid;
}

/* Decodes the edge at c and moves c past it. */
static void decode(const struct tl_model *m, struct tl_ivpos *c, struct tl_wakeup_ev *e)
{
	const uint8_t *p = (const uint8_t *)m->wakeups.p + c->off;
	uint8_t b = *p++;
	uint64_t delta = tl_get_var(&p);

	*e = (struct tl_wakeup_ev){ .irq = b & WK_IRQ, .new_task = b & WK_NEW,
				    .effective = b & WK_EFF,
				    .waker_idx = TL_NO_THREAD, .wakee_idx = TL_NO_THREAD };
	e->ts = c->i % WK_GROUP ? c->prev + delta
				: ((const struct wkck *)m->wk_ck.p)[c->i / WK_GROUP].ts;
	e->target_cpu = (int32_t)((uint32_t)tl_get_var(&p) - 1);
	uint32_t waker = (uint32_t)tl_get_var(&p), wakee = (uint32_t)tl_get_var(&p);
	if (b & WK_WAKER_THR) {
		e->waker_idx = waker;
		e->waker = tid_of(m, waker);
		e->waker_awake_since = e->ts - tl_get_var(&p);
	} else {
		e->waker = waker;
	}
	if (b & WK_WAKEE_THR) {
		e->wakee_idx = wakee;
		e->wakee = tid_of(m, wakee);
	} else {
		e->wakee = wakee;
	}
	c->off = (size_t)(p - (const uint8_t *)m->wakeups.p);
	c->prev = e->ts;
	c->i++;
}

/* Gives back the bytes before group g once they are worth it: at least
 * WK_GIVE_MIN and an eighth of what stays, so moving what stays costs at
 * most eight times what is freed. */
#define WK_GIVE_MIN (256u << 10)
static void give_back(struct tl_model *m, size_t g)
{
	struct wkck *ck = m->wk_ck.p;
	size_t gone = ck[g].off, rest = m->wakeups.n - gone;
	uint8_t *p = m->wakeups.p;
	void *q;

	if (gone < WK_GIVE_MIN || gone < rest / 8)
		return;
	memmove(p, p + gone, rest);
	q = realloc(p, rest + 1);
	if (q) {
		m->wakeups.p = q;
		m->wakeups.cap = rest + 1;
	}
	m->wakeups.n = rest;
	for (size_t j = g; j < m->wk_ck.n; j++)
		ck[j].off -= gone;
	m->wk_cache.off -= gone;
}

struct tl_wakeup_ev tl_model_wakeup(const struct tl_model *m, size_t i)
{
	struct tl_model *mm = (struct tl_model *)m; /* only its read position */
	struct tl_ivpos c = m->wk_cache;
	struct tl_wakeup_ev e;

	if (c.i > i || c.i / WK_GROUP != i / WK_GROUP) {
		const struct wkck *ck = &((const struct wkck *)m->wk_ck.p)[i / WK_GROUP];
		c = (struct tl_ivpos){ .i = i - i % WK_GROUP, .off = ck->off, .prev = ck->ts };
	}
	do
		decode(m, &c, &e);
	while (c.i <= i);
	mm->wk_cache = c;
	if (m->o.wakeup_edges_read_once && i % WK_GROUP == 0)
		give_back(mm, i / WK_GROUP);
	return e;
}
