/* perfetto_flows.c - the flows along wakeup chains (see perfetto_impl.h),
 * found without keeping every thread's slices or every flow.
 *
 * The wakeups come in time order, so each thread's slices are made as the
 * wakeups reach them, and only those ending at or after the latest
 * wakeup's time are kept (with the one before them): a wakee's slice is
 * the first ending at or after the wakeup, a waker's the last ending at or
 * before it. For the same reason the flows leaving (or ending at) one
 * slice come one after another, so the caps need a count of the current
 * slice's only. A thread whose slices do not end in order (syscalls were
 * lost) keeps all of them instead, searched by bisection, with a count for
 * each: which threads those are is learnt by making a thread's slices
 * once when the first wakeup reaches it. What a thread's search needs
 * beyond 48 bytes is allocated then, and freed once its slices are all made
 * and end before the latest wakeup: from then on it can only be a waker
 * whose last slice is known. A recording of many short processes has few
 * threads in between at once.
 *
 * Each flow found is appended to its waker's stream of flows leaving and
 * its wakee's of flows ending: per entry one variable length integer of
 * the id's step from the stream's previous one and, in its two low bits,
 * the slice's step (zigzag: 0, -1, +1, or 3: the step follows). The
 * thread writer reads a thread's two streams as it makes its slices again.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/model.h"
#include "util/varint.h"
#include "util/vec.h"

/* A slice as the search needs it: written (PF_BS_WRITTEN) in the end's
 * top bit. */
#define KEY_WRITTEN (1ull << 63)
struct key {
	uint64_t start, end;
};

/* The previous entry of a stream being written. */
struct enc {
	uint32_t slice, id;
};

/* A thread while the flows are found: what its slices still to come need,
 * allocated when a wakeup first reaches it and freed once they are all
 * made and end before the latest wakeup (done). */
struct flive {
	struct tl_pf_slice_it it;
	struct tl_vec win;        /* struct key: slices ending at or after the
				   * latest wakeup, the last ending after it */
	uint32_t in_slice;        /* the current slice flows end at */
	uint8_t in_n;             /* and its flows so far */
	bool made;                /* every slice made */
	struct key *all;          /* slices not ending in order: all of them */
	uint32_t nall;
	uint8_t *outs, *ins;      /* and each one's flows so far */
	struct enc in_enc;
};

/* What a thread keeps for the flows leaving its last slice once done. */
enum { F_NEW, F_LIVE, F_DONE };
struct finder {
	struct flive *l;          /* F_LIVE */
	struct key prev;          /* slice base - 1 */
	uint32_t base;            /* index of win's first (or of the next) */
	uint32_t out_slice;       /* the current slice flows leave */
	struct enc out_enc;
	uint8_t out_n;            /* its flows so far */
	uint8_t state;            /* F_* */
};

struct fthread {
	struct tl_vec out, in;    /* uint8_t streams */
	bool sorted;              /* its slices end in order */
};

struct tl_pf_flows {
	struct fthread *t;
	size_t n;
	uint64_t nflows;
};

/* Where a flow's end is: slice i of a thread. */
struct sref {
	uint32_t i;
	uint64_t end;
	bool written;
};

static struct sref sref_of(uint32_t i, const struct key *k)
{
	return (struct sref){ i, k->end & ~KEY_WRITTEN, k->end & KEY_WRITTEN };
}

static struct key key_of(const struct tl_pf_bslice *b)
{
	return (struct key){ b->start, b->end | (b->sc & PF_BS_WRITTEN ? KEY_WRITTEN : 0) };
}

static uint64_t key_end(const struct key *k)
{
	return k->end & ~KEY_WRITTEN;
}

/* ---- a thread's slices made as the wakeups reach them ---- */

static void drop_before(struct finder *x, uint64_t ts)
{
	struct tl_vec *win = &x->l->win;
	struct key *w = win->p;
	size_t d = 0;

	while (d < win->n && key_end(&w[d]) < ts)
		d++;
	if (!d)
		return;
	x->prev = w[d - 1];
	x->base += (uint32_t)d;
	win->n -= d;
	memmove(w, w + d, win->n * sizeof(*w));
}

/* Makes slices until one ends after ts (or there are no more), forgetting
 * those ending before it but the last. */
static int advance(struct finder *x, uint64_t ts)
{
	struct flive *l = x->l;
	struct tl_pf_bslice b;

	if (x->state != F_LIVE || l->all)
		return 0;
	for (;;) {
		drop_before(x, ts);
		if (l->win.n && key_end(&TL_VEC_AT(&l->win, struct key, l->win.n - 1)) > ts)
			return 0;
		if (l->made || !tl_pf_slices_next(&l->it, &b)) {
			l->made = true;
			return 0;
		}
		struct key *k = tl_vec_push_uninit(&l->win, sizeof(*k));
		if (!k)
			return -ENOMEM;
		*k = key_of(&b);
	}
}

/* First of all the slices with end >= ts (after: end > ts). */
static uint32_t first_ending(const struct flive *l, uint64_t ts, bool after)
{
	uint32_t lo = 0, hi = l->nall;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint64_t end = key_end(&l->all[mid]);

		if (end < ts || (after && end == ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The wakee's slice containing ts. A thread done has none. */
static bool wakee_slice(const struct finder *x, uint64_t ts, struct sref *r)
{
	const struct flive *l = x->l;
	const struct key *k;
	uint32_t i = 0;

	if (x->state != F_LIVE)
		return false;
	if (l->all) {
		i = first_ending(l, ts, false);
		k = i < l->nall ? &l->all[i] : NULL;
	} else {
		k = l->win.n ? l->win.p : NULL;
		i = x->base;
	}
	if (!k || k->start > ts || key_end(k) < ts)
		return false;
	*r = sref_of(i, k);
	return true;
}

/* The waker's last slice ending at or before ts, if it ended after the
 * waker last became Running or Runnable (since): it has not blocked since,
 * so that slice is the one whose end led to this wakeup. */
static bool waker_slice(const struct finder *x, uint64_t ts, uint64_t since,
			struct sref *r)
{
	const struct flive *l = x->state == F_LIVE ? x->l : NULL;
	const struct key *w = l ? l->win.p : NULL, *k;
	uint32_t i = 0;

	if (l && l->all) {
		i = first_ending(l, ts, true);
		k = i ? &l->all[i - 1] : NULL;
	} else {
		while (l && i < l->win.n && key_end(&w[i]) <= ts)
			i++;
		k = i ? &w[i - 1] : x->base ? &x->prev : NULL;
		i += x->base;
	}
	if (!k || key_end(k) < since)
		return false;
	*r = sref_of(i - 1, k);
	return true;
}

/* The count of slice i's flows so far, one way. */
static uint8_t *count_of(uint8_t *per_slice, uint32_t *cur, uint8_t *n, uint32_t i)
{
	if (per_slice)
		return &per_slice[i];
	if (*cur != i) {
		*cur = i;
		*n = 0;
	}
	return n;
}

/* ---- the streams ---- */

static int put(struct tl_vec *v, struct enc *e, uint32_t slice, uint32_t id)
{
	uint8_t buf[2 * TL_VARINT_MAX], *p = buf;
	uint64_t z = slice >= e->slice ? 2ull * (slice - e->slice)
				       : 2ull * (e->slice - slice) - 1;

	p = tl_put_var(p, (uint64_t)(id - e->id - 1) << 2 | (z < 3 ? z : 3));
	if (z >= 3)
		p = tl_put_var(p, z - 3);
	if (tl_vec_reserve_lean(v, 1, v->n + (size_t)(p - buf)))
		return -ENOMEM;
	memcpy((uint8_t *)v->p + v->n, buf, (size_t)(p - buf));
	v->n += (size_t)(p - buf);
	*e = (struct enc){ slice, id };
	return 0;
}

static void cur_next(struct tl_pf_flow_cur *c)
{
	uint64_t v, z;

	if (c->pairs) {
		c->have = c->at < c->npairs;
		if (c->have) {
			c->slice = c->pairs[2 * c->at];
			c->id = c->pairs[2 * c->at + 1];
			c->at++;
		}
		return;
	}
	c->have = c->p != c->end;
	if (!c->have)
		return;
	v = tl_get_var(&c->p);
	z = v & 3;
	if (z == 3)
		z += tl_get_var(&c->p);
	c->id += (uint32_t)(v >> 2) + 1;
	c->slice = z & 1 ? c->slice - (uint32_t)((z + 1) / 2) : c->slice + (uint32_t)(z / 2);
}

/* ---- finding them ---- */

/* Whether thread t's slices end in order; if not, keeps them all. A
 * thread without recorded syscalls has a slice per blocked interval,
 * ending where it does: in order, the intervals being. */
static int prepare(struct flive *l, struct fthread *ft, const struct tl_thread *t)
{
	struct tl_pf_bslice b;
	struct tl_vec all = { 0 };

	*l = (struct flive){ .in_slice = UINT32_MAX };
	tl_pf_slices_begin(&l->it, t, false);
	while (t->nsys && tl_pf_slices_next(&l->it, &b))
		;
	ft->sorted = l->it.sorted;
	tl_pf_slices_begin(&l->it, t, false);
	if (ft->sorted)
		return 0;
	while (tl_pf_slices_next(&l->it, &b)) {
		struct key *k = tl_vec_push_uninit(&all, sizeof(*k));
		if (!k) {
			tl_vec_free(&all);
			return -ENOMEM;
		}
		*k = key_of(&b);
	}
	l->all = all.p;
	l->nall = (uint32_t)all.n;
	l->outs = calloc(all.n + 1, 1);
	l->ins = calloc(all.n + 1, 1);
	return l->all && l->outs && l->ins ? 0 : -ENOMEM;
}

static void live_free(struct finder *x)
{
	struct flive *l = x->l;

	if (!l)
		return;
	tl_vec_free(&l->win);
	free(l->all);
	free(l->outs);
	free(l->ins);
	free(l);
	x->l = NULL;
}

/* The threads whose slices are being made, and when to look again for
 * those done. */
struct finding {
	struct tl_pf_flows *f;
	const struct tl_model *m;
	struct finder *x;
	struct tl_vec live;       /* uint32_t: thread indices, F_LIVE */
	size_t sweep_at;          /* live.n at which to */
};

/* Thread i as a wakeup first reaches it: its slices begun. */
static int start(struct finding *g, uint32_t i)
{
	struct finder *x = &g->x[i];
	uint32_t *slot;

	if (x->state != F_NEW)
		return 0;
	x->l = malloc(sizeof(*x->l));
	slot = tl_vec_push_uninit(&g->live, sizeof(*slot));
	if (!x->l || !slot)
		return -ENOMEM;
	*slot = i;
	x->state = F_LIVE;
	return prepare(x->l, &g->f->t[i], tl_model_thread(g->m, i));
}

/* Frees what the threads done by ts kept: wakeups come in time order, so
 * making a thread's slices up to ts now is what the next wakeup reaching
 * it would do first. */
static int sweep(struct finding *g, uint64_t ts)
{
	uint32_t *v = g->live.p;
	size_t n = 0;

	for (size_t j = 0; j < g->live.n; j++) {
		struct finder *x = &g->x[v[j]];

		if (advance(x, ts))
			return -ENOMEM;
		if (x->l->made && !x->l->all && !x->l->win.n) {
			live_free(x);
			x->state = F_DONE;
		} else {
			v[n++] = v[j];
		}
	}
	g->live.n = n;
	g->sweep_at = 2 * n + 256;
	return 0;
}

static int flow_for(struct finding *g, const struct tl_wakeup_ev *w)
{
	struct tl_pf_flows *f = g->f;
	struct finder *er, *ee;
	struct sref src, dst;
	uint8_t *no, *ni;

	if (w->waker_idx == TL_NO_THREAD || w->wakee_idx == TL_NO_THREAD ||
	    w->waker_idx == w->wakee_idx)
		return 0;
	if (start(g, w->wakee_idx) || start(g, w->waker_idx))
		return -ENOMEM;
	er = &g->x[w->waker_idx];
	ee = &g->x[w->wakee_idx];
	if (advance(ee, w->ts) || advance(er, w->ts))
		return -ENOMEM;
	if (!wakee_slice(ee, w->ts, &dst) ||
	    !waker_slice(er, w->ts, w->waker_awake_since, &src) ||
	    src.end > dst.end || !src.written || !dst.written)
		return 0;   /* only flows between slices that are written */
	no = count_of(er->l ? er->l->outs : NULL, &er->out_slice, &er->out_n, src.i);
	ni = count_of(ee->l->ins, &ee->l->in_slice, &ee->l->in_n, dst.i);
	if (*no == PF_SLICE_FLOWS || *ni == PF_SLICE_FLOWS)
		return 0;
	(*no)++;
	(*ni)++;
	f->nflows++;
	if (put(&f->t[w->waker_idx].out, &er->out_enc, src.i, (uint32_t)f->nflows) ||
	    put(&f->t[w->wakee_idx].in, &ee->l->in_enc, dst.i, (uint32_t)f->nflows))
		return -ENOMEM;
	return 0;
}

static int find(struct finding *g)
{
	for (size_t i = 0; i < tl_model_nwakeups(g->m); i++) {
		struct tl_wakeup_ev e = tl_model_wakeup(g->m, i);

		if (!e.effective || e.irq || !e.waker || e.new_task)
			continue;
		if (flow_for(g, &e))
			return -ENOMEM;
		if (g->live.n >= g->sweep_at && sweep(g, e.ts))
			return -ENOMEM;
	}
	return 0;
}

struct tl_pf_flows *tl_pf_flows_find(const struct tl_model *m)
{
	struct tl_pf_flows *f = calloc(1, sizeof(*f));
	struct finding g = { .f = f, .m = m, .sweep_at = 256 };
	int err;

	if (!f)
		return NULL;
	f->n = tl_model_nthreads(m);
	f->t = calloc(f->n + 1, sizeof(*f->t));
	g.x = calloc(f->n + 1, sizeof(*g.x));
	for (size_t i = 0; f->t && g.x && i < f->n; i++) {
		g.x[i].out_slice = UINT32_MAX;
		f->t[i].sorted = true;   /* no flows to read otherwise */
	}
	err = f->t && g.x ? find(&g) : -ENOMEM;
	for (size_t i = 0; g.x && i < f->n; i++)
		live_free(&g.x[i]);
	free(g.x);
	tl_vec_free(&g.live);
	if (err) {
		tl_pf_flows_free(f);
		return NULL;
	}
	return f;
}

void tl_pf_flows_free(struct tl_pf_flows *f)
{
	if (!f)
		return;
	for (size_t i = 0; f->t && i < f->n; i++) {
		tl_vec_free(&f->t[i].out);
		tl_vec_free(&f->t[i].in);
	}
	free(f->t);
	free(f);
}

uint64_t tl_pf_flows_count(const struct tl_pf_flows *f)
{
	return f->nflows;
}

/* ---- reading them ---- */

static int by_slice(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* A thread whose slices do not end in order: its entries by slice, each
 * slice's in the order found (ids rise along a stream). */
static int cur_sort(struct tl_pf_flow_cur *c)
{
	struct tl_pf_flow_cur d = *c;
	uint32_t *pairs;
	size_t n = 0;

	for (cur_next(&d); d.have; cur_next(&d))
		n++;
	pairs = malloc((n + 1) * 2 * sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	n = 0;
	for (cur_next(c); c->have; cur_next(c), n++) {
		pairs[2 * n] = c->slice;
		pairs[2 * n + 1] = c->id;
	}
	qsort(pairs, n, 2 * sizeof(*pairs), by_slice);
	*c = (struct tl_pf_flow_cur){ .pairs = pairs, .npairs = n };
	return 0;
}

static int cur_open(struct tl_pf_flow_cur *c, const struct tl_vec *s, bool sorted)
{
	*c = (struct tl_pf_flow_cur){ 0 };
	if (s->n) {
		c->p = s->p;
		c->end = c->p + s->n;
	}
	if (!sorted && cur_sort(c))
		return -ENOMEM;
	cur_next(c);
	return 0;
}

int tl_pf_flows_open(struct tl_pf_flows *f, size_t ti, struct tl_pf_flow_rd *rd)
{
	const struct fthread *t = &f->t[ti];

	memset(rd, 0, sizeof(*rd));
	rd->f = f;
	rd->ti = ti;
	if (cur_open(&rd->out, &t->out, t->sorted) || cur_open(&rd->in, &t->in, t->sorted)) {
		tl_pf_flows_close(rd);
		return -ENOMEM;
	}
	return 0;
}

static unsigned ids_of(struct tl_pf_flow_cur *c, uint32_t i, uint64_t *ids)
{
	unsigned n = 0;

	while (c->have && c->slice < i)
		cur_next(c);
	while (c->have && c->slice == i) {
		if (n < PF_SLICE_FLOWS)
			ids[n++] = c->id;
		cur_next(c);
	}
	return n;
}

void tl_pf_flows_at(struct tl_pf_flow_rd *rd, uint32_t i, struct tl_pf_ev *ev)
{
	ev->nflows = ids_of(&rd->out, i, rd->ids_out);
	ev->nterm = ids_of(&rd->in, i, rd->ids_in);
	ev->flows = rd->ids_out;
	ev->term_flows = rd->ids_in;
}

void tl_pf_flows_close(struct tl_pf_flow_rd *rd)
{
	free(rd->out.pairs);
	free(rd->in.pairs);
	rd->out.pairs = rd->in.pairs = NULL;
	if (rd->f) {
		tl_vec_free(&rd->f->t[rd->ti].out);
		tl_vec_free(&rd->f->t[rd->ti].in);
	}
}
