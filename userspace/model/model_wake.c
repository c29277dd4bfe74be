/* model_wake.c - how wakeup edges are stored: about 6 to 8 bytes each
 * instead of the 40 of struct tl_wakeup_ev, which is what readers get back
 * (tl_model_wakeup). There is about one for every two records of a busy
 * recording.
 *
 * Each edge is a few bytes in one byte stream: a byte of flags and of its
 * target CPU + 1 (when below 3), then as variable length integers (7 bits a
 * byte) its time after the previous edge's, its target CPU + 1 less 3 (when
 * not below 3), the waker and the wakee (a traced thread as its index, its
 * TID being the thread's, a wakee's as its step from a traced waker's,
 * zigzag: they are mostly near; another as its TID) and, for a traced
 * waker, how long before ts it had been awake. Most edges come in runs from one waker
 * that stays awake: an edge whose waker and awake time are the previous
 * edge's says so by a flag and leaves both out. Every 32nd edge starts a
 * group, which leaves nothing out: a checkpoint keeps its time and where it
 * is. Readers walk the edges in order; the model remembers where the last
 * read stopped (so two threads of a program must not read one model at
 * once). An edge is known by where it starts in the stream until it is
 * final: a waking that came while its wakee was still on a CPU is found
 * effective later. A caller that reads the edges once, in order, has the
 * stream given back as it goes (tl_model_opts.wakeup_edges_read_once): the
 * rest is moved to the front and the room after it freed.
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
#define WK_SAME_WAKER 0x20  /* waker and awake: the previous edge's */
#define WK_CPU_SHIFT 6      /* the top two bits: target CPU + 1, or */
#define WK_CPU_MORE 3       /* it is 3 or more, and it less 3 follows */

struct wkck {
	uint64_t ts;      /* the group's first edge's */
	uint64_t off;     /* where it is in the stream */
};

/* The waker of an edge as the next one may repeat it. wk_ck begins with
 * two of these, the same size as a checkpoint: the last edge pushed's and
 * the last one read's (at the read position, wk_cache). */
struct wkwaker {
	uint64_t since;   /* waker_awake_since */
	uint64_t idx1;    /* waker_idx + 1; 0: not a traced thread */
};
#define WK_HEAD 2
_Static_assert(sizeof(struct wkwaker) == sizeof(struct wkck), "wk_ck's head");

static struct wkck *ck_of(const struct tl_model *m, size_t g)
{
	return &((struct wkck *)m->wk_ck.p)[WK_HEAD + g];
}

static struct wkwaker *head(const struct tl_model *m, size_t which)
{
	return &((struct wkwaker *)m->wk_ck.p)[which];
}

static struct wkwaker waker_of(const struct tl_wakeup_ev *e)
{
	if (e->waker_idx == TL_NO_THREAD)
		return (struct wkwaker){ 0, 0 };
	return (struct wkwaker){ e->waker_awake_since, e->waker_idx + 1ull };
}

/* Starts group wk_n / WK_GROUP at the stream's end: false when out of
 * memory (the model is marked). */
static bool group(struct tl_model *m, uint64_t ts)
{
	struct wkck *ck;

	while (m->wk_ck.n < WK_HEAD)
		if (!model_push(m, &m->wk_ck, sizeof(*ck)))
			return false;
	ck = model_push_uninit(m, &m->wk_ck, sizeof(*ck));
	if (ck)
		*ck = (struct wkck){ ts, m->wakeups.n };
	return ck != NULL;
}

static uint64_t zigzag(int64_t v)
{
	return v < 0 ? 2 * (uint64_t)-v - 1 : 2 * (uint64_t)v;
}

static int64_t unzigzag(uint64_t z)
{
	return z & 1 ? -(int64_t)((z + 1) / 2) : (int64_t)(z / 2);
}

/* Encodes e after the flags byte at buf; returns the end. */
static uint8_t *encode(uint8_t *buf, const struct tl_wakeup_ev *e, uint64_t delta,
		       bool same)
{
	uint32_t cpu1 = (uint32_t)(e->target_cpu + 1);
	bool waker_thr = e->waker_idx != TL_NO_THREAD;
	bool wakee_thr = e->wakee_idx != TL_NO_THREAD;
	uint8_t *p = buf + 1;

	buf[0] = (uint8_t)((e->irq ? WK_IRQ : 0) | (e->new_task ? WK_NEW : 0) |
			   (e->effective ? WK_EFF : 0) | (waker_thr ? WK_WAKER_THR : 0) |
			   (wakee_thr ? WK_WAKEE_THR : 0) | (same ? WK_SAME_WAKER : 0) |
			   (cpu1 < WK_CPU_MORE ? cpu1 : WK_CPU_MORE) << WK_CPU_SHIFT);
	p = tl_put_var(p, delta);
	if (cpu1 >= WK_CPU_MORE)
		p = tl_put_var(p, cpu1 - WK_CPU_MORE);
	if (!same)
		p = tl_put_var(p, waker_thr ? e->waker_idx : e->waker);
	if (waker_thr && wakee_thr)
		p = tl_put_var(p, zigzag((int64_t)e->wakee_idx - e->waker_idx));
	else
		p = tl_put_var(p, wakee_thr ? e->wakee_idx : e->wakee);
	if (waker_thr && !same)
		p = tl_put_var(p, e->ts - e->waker_awake_since);
	return p;
}

int tl_wake_push(struct tl_model *m, const struct tl_wakeup_ev *e)
{
	uint8_t buf[1 + 10 + 5 + 5 + 5 + 10], *p;
	bool start = m->wk_n % WK_GROUP == 0;
	struct wkwaker w = waker_of(e);
	bool same = false;

	m->nwakeups++;
	if (m->o.no_wakeup_edges)
		return 0;
	if (start && !group(m, e->ts))
		return -1;
	if (!start)
		same = w.idx1 && !memcmp(&w, head(m, 0), sizeof(w));
	p = encode(buf, e, start ? 0 : e->ts - m->wk_last, same);
	if (tl_vec_reserve_lean(&m->wakeups, 1, m->wakeups.n + (size_t)(p - buf))) {
		if (start)
			m->wk_ck.n--;
		m->oom = true;
		return -1;
	}
	memcpy((uint8_t *)m->wakeups.p + m->wakeups.n, buf, (size_t)(p - buf));
	m->wakeups.n += (size_t)(p - buf);
	m->wk_last = e->ts;
	*head(m, 0) = w;
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

static void decode_waker(const struct tl_model *m, const uint8_t **p, uint8_t b,
			 struct wkwaker *last, struct tl_wakeup_ev *e)
{
	uint32_t waker;

	if (b & WK_SAME_WAKER) {
		e->waker_idx = (uint32_t)(last->idx1 - 1);
		e->waker = tid_of(m, e->waker_idx);
		e->waker_awake_since = last->since;
		return;
	}
	waker = (uint32_t)tl_get_var(p);
	if (b & WK_WAKER_THR) {
		e->waker_idx = waker;
		e->waker = tid_of(m, waker);
	} else {
		e->waker = waker;
	}
}

/* Decodes the edge at c (last: the waker of the one before it, if in its
 * group) and moves c past it. */
static void decode(const struct tl_model *m, struct tl_ivpos *c, struct wkwaker *last,
		   struct tl_wakeup_ev *e)
{
	const uint8_t *p = (const uint8_t *)m->wakeups.p + c->off;
	uint8_t b = *p++;
	uint64_t delta = tl_get_var(&p);
	uint32_t cpu1 = (uint32_t)b >> WK_CPU_SHIFT;

	*e = (struct tl_wakeup_ev){ .irq = b & WK_IRQ, .new_task = b & WK_NEW,
				    .effective = b & WK_EFF,
				    .waker_idx = TL_NO_THREAD, .wakee_idx = TL_NO_THREAD };
	e->ts = c->i % WK_GROUP ? c->prev + delta : ck_of(m, c->i / WK_GROUP)->ts;
	if (cpu1 == WK_CPU_MORE)
		cpu1 += (uint32_t)tl_get_var(&p);
	e->target_cpu = (int32_t)(cpu1 - 1);
	decode_waker(m, &p, b, last, e);
	uint64_t wakee = tl_get_var(&p);
	if (b & WK_WAKEE_THR && e->waker_idx != TL_NO_THREAD)
		wakee = (uint64_t)((int64_t)e->waker_idx + unzigzag(wakee));
	if (b & WK_WAKEE_THR) {
		e->wakee_idx = (uint32_t)wakee;
		e->wakee = tid_of(m, (uint32_t)wakee);
	} else {
		e->wakee = (uint32_t)wakee;
	}
	if ((b & (WK_WAKER_THR | WK_SAME_WAKER)) == WK_WAKER_THR)
		e->waker_awake_since = e->ts - tl_get_var(&p);
	*last = waker_of(e);
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
	size_t gone = ck_of(m, g)->off, rest = m->wakeups.n - gone;
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
	for (size_t j = g; j < m->wk_ck.n - WK_HEAD; j++)
		ck_of(m, j)->off -= gone;
	m->wk_cache.off -= gone;
}

struct tl_wakeup_ev tl_model_wakeup(const struct tl_model *m, size_t i)
{
	struct tl_model *mm = (struct tl_model *)m; /* only its read position */
	struct tl_ivpos c = m->wk_cache;
	struct wkwaker last = *head(m, 1);
	struct tl_wakeup_ev e;

	if (c.i > i || c.i / WK_GROUP != i / WK_GROUP) {
		const struct wkck *ck = ck_of(m, i / WK_GROUP);
		c = (struct tl_ivpos){ .i = i - i % WK_GROUP, .off = ck->off, .prev = ck->ts };
	}
	do
		decode(m, &c, &last, &e);
	while (c.i <= i);
	mm->wk_cache = c;
	*head(mm, 1) = last;
	if (m->o.wakeup_edges_read_once && i % WK_GROUP == 0)
		give_back(mm, i / WK_GROUP);
	return e;
}
