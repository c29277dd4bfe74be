/* waitfor.c - builds the wait-for graph from the model's blocked intervals
 * and finds the cycles that are deadlocks (waitfor.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "waitfor.h"
#include "util/vec.h"

/* A wait that ends this close to its thread's end, not woken by the thread
 * it waited for, was ended by the thread's death (a watchdog's kill, the
 * process exiting): it never resolved. */
#define DEATH_SLACK_NS 10000000ull
#define FUTEX_PRIVATE 128 /* FUTEX_PRIVATE_FLAG: the futex is the process's own */

/* The edges found so far (struct tl_wait_edge). */
static int push(struct tl_vec *v, const struct tl_wait_edge *e)
{
	struct tl_wait_edge *n = tl_vec_push_uninit(v, sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *e;
	return 0;
}

static bool is_blocked(const struct tl_interval *iv)
{
	return iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;
}

static bool unresolved(const struct tl_thread *t, const struct tl_interval *iv,
		       uint32_t target)
{
	if (iv->waker == target && !iv->waker_irq && iv->end < t->end)
		return false;
	return iv->end + DEATH_SLACK_NS >= t->end;
}

static int add_edge(struct tl_vec *v, const struct tl_thread *t, const struct tl_interval *iv,
		    const struct tl_thread *target, enum tl_edge_kind kind)
{
	struct tl_wait_edge e = {
		.waiter = t->tid, .target = target->tid, .start = iv->start, .end = iv->end,
		.kind = kind, .unresolved = unresolved(t, iv, target->tid),
		.waiter_t = t, .target_t = target, .block = iv->block,
	};

	return push(v, &e);
}

/* wait4/waitid: pid > 0 names one child; otherwise any child alive then. */
static int child_edges(const struct tl_model *m, struct tl_vec *v, const struct tl_thread *t,
		       const struct tl_interval *iv)
{
	int64_t pid = (int64_t)iv->block->obj;
	const struct tl_process *p = t->proc;
	int e = 0;

	for (size_t i = 0; i < p->nchildren && !e; i++) {
		const struct tl_process *c = p->children[i];
		const struct tl_thread *lead;

		if ((pid > 0 && c->pid != (uint64_t)pid) || c->start > iv->start || c->end < iv->start)
			continue;
		lead = tl_model_find_thread(m, c->pid, iv->start);
		if (lead && lead->proc == c)
			e = add_edge(v, t, iv, lead, TL_EDGE_CHILD);
	}
	return e;
}

#define SNAPSHOT_SPREAD_NS 1000000000ull /* the snapshot takes less */

const struct tl_thread *tl_thread_alive(const struct tl_model *m, uint32_t tid, uint64_t ts)
{
	const struct tl_thread *t = tl_model_find_thread(m, tid, ts);

	if (t || !tid)
		return t;
	t = tl_model_find_thread(m, tid, 0); /* the latest with that TID */
	return t && (t->flags & TL_THR_SNAPSHOT) && t->born_ns <= ts &&
	       t->start <= ts + SNAPSHOT_SPREAD_NS ? t : NULL;
}

const struct tl_thread *tl_block_holder(const struct tl_model *m, const struct tl_thread *t,
				       const struct tl_interval *iv)
{
	const struct tl_block *b = iv->block;
	const struct tl_thread *h;

	if (!b->holder || b->why != TL_WHY_FUTEX)
		return NULL;
	h = tl_thread_alive(m, b->holder, iv->start);
	/* a private lock's owner is a thread of the same process; a shared
	 * one's any traced thread. A value that names none is an internal lock
	 * without an owner field. */
	if (!h || ((b->args[1] & FUTEX_PRIVATE) && h->proc != t->proc))
		return NULL;
	return h;
}

static int interval_edges(const struct tl_model *m, struct tl_vec *v, const struct tl_thread *t,
			  const struct tl_interval *iv)
{
	const struct tl_block *b = iv->block;
	const struct tl_thread *target;

	if (b->why == TL_WHY_CHILD && b->has_obj)
		return child_edges(m, v, t, iv);
	if (b->why != TL_WHY_FUTEX)
		return 0;
	if (b->holder) {
		target = tl_block_holder(m, t, iv);
		return target ? add_edge(v, t, iv, target, TL_EDGE_LOCK) : 0;
	}
	if (b->futex != TL_FUTEX_WAIT_BITSET || !b->args[2])
		return 0;
	/* pthread_join waits on the joined thread's TID word, value the TID */
	target = tl_thread_alive(m, (uint32_t)b->args[2], iv->start);
	if (!target || target == t || target->proc != t->proc)
		return 0;
	return add_edge(v, t, iv, target, TL_EDGE_JOIN);
}

int tl_wait_edges(const struct tl_model *m, struct tl_wait_edge **out, size_t *n)
{
	struct tl_vec v = { 0 };

	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		for (size_t j = 0; j < t->niv; j++) {
			struct tl_interval iv = tl_thread_iv(t, j);
			if (!is_blocked(&iv))
				continue;
			if (interval_edges(m, &v, t, &iv)) {
				tl_vec_free(&v);
				return -ENOMEM;
			}
		}
	}
	*out = v.p;
	*n = v.n;
	return 0;
}

/* ---- cycles ---- */

static int by_waiter(const void *a, const void *b)
{
	const struct tl_wait_edge *x = a, *y = b;

	if (x->waiter != y->waiter)
		return x->waiter < y->waiter ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

struct search {
	const struct tl_wait_edge *e;
	size_t n;
	uint64_t threshold;
	size_t path[TL_CYCLE_MAX], depth;
	struct tl_vec found;       /* struct tl_deadlock */
	bool oom;
};

/* First edge of waiter w in the sorted edges. */
static size_t first_of(const struct search *s, uint32_t w)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->e[mid].waiter < w)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool on_path(const struct search *s, uint32_t w)
{
	for (size_t i = 0; i < s->depth; i++)
		if (s->e[s->path[i]].waiter == w)
			return true;
	return false;
}

static bool same_cycle(const struct tl_deadlock *a, const struct tl_deadlock *b)
{
	if (a->n != b->n || a->since != b->since)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (a->e[i].waiter != b->e[i].waiter)
			return false;
	return true;
}

static void record_cycle(struct search *s, uint64_t lo, uint64_t hi)
{
	struct tl_deadlock d = { .n = s->depth, .since = lo, .until = hi, .unresolved = true };
	struct tl_deadlock *f;

	for (size_t i = 0; i < s->depth; i++) {
		d.e[i] = s->e[s->path[i]];
		d.unresolved &= d.e[i].unresolved;
	}

	if (!d.unresolved && hi - lo < s->threshold)
		return;
	for (size_t i = 0; i < s->found.n; i++)
		if (same_cycle(&TL_VEC_AT(&s->found, struct tl_deadlock, i), &d))
			return;
	f = tl_vec_push_uninit(&s->found, sizeof(*f));
	if (!f)
		s->oom = true;
	else
		*f = d;
}

/* Extends the path, whose edges all hold over [lo, hi), along the edges of
 * the last edge's target. Only cycles whose first waiter has the smallest
 * TID are kept, so each cycle is found from one place only. */
static void extend(struct search *s, uint64_t lo, uint64_t hi)
{
	const struct tl_wait_edge *first = &s->e[s->path[0]];
	const struct tl_wait_edge *last = &s->e[s->path[s->depth - 1]];
	uint32_t next = last->target;

	if (next == first->waiter) {
		record_cycle(s, lo, hi);
		return;
	}
	if (s->depth == TL_CYCLE_MAX || next < first->waiter || on_path(s, next))
		return;
	for (size_t i = first_of(s, next); i < s->n && s->e[i].waiter == next; i++) {
		const struct tl_wait_edge *f = &s->e[i];

		if (f->start >= hi)
			break;
		if (f->end <= lo)
			continue;
		s->path[s->depth++] = i;
		extend(s, lo > f->start ? lo : f->start, hi < f->end ? hi : f->end);
		s->depth--;
	}
}

static bool in_cycle(const struct tl_deadlock *d, uint32_t tid)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->e[i].waiter == tid)
			return true;
	return false;
}

/* Edges into the cycle from outside it that held while it stood. */
static void find_behind(struct tl_deadlock *d, const struct tl_wait_edge *e, size_t n)
{
	for (size_t i = 0; i < n && d->nbehind < TL_CYCLE_MAX; i++) {
		const struct tl_wait_edge *x = &e[i];
		bool dup = false;

		if (!in_cycle(d, x->target) || in_cycle(d, x->waiter) ||
		    x->start >= d->until || x->end <= d->since)
			continue;
		for (size_t k = 0; k < d->nbehind; k++)
			dup |= d->behind[k].waiter == x->waiter;
		if (!dup)
			d->behind[d->nbehind++] = *x;
	}
}

static int by_since(const void *a, const void *b)
{
	const struct tl_deadlock *x = a, *y = b;

	return x->since < y->since ? -1 : x->since > y->since;
}

int tl_find_deadlocks(struct tl_wait_edge *e, size_t n, uint64_t threshold_ns,
		      struct tl_deadlock **out, size_t *nout)
{
	struct search s = { .e = e, .n = n, .threshold = threshold_ns };
	struct tl_deadlock *d;

	if (n) /* e may be NULL when there are no edges */
		qsort(e, n, sizeof(*e), by_waiter);
	for (size_t i = 0; i < n && !s.oom; i++) {
		if (e[i].end <= e[i].start)
			continue;
		s.path[0] = i;
		s.depth = 1;
		extend(&s, e[i].start, e[i].end);
	}
	d = s.found.p;
	if (s.oom) {
		tl_vec_free(&s.found);
		return -ENOMEM;
	}
	for (size_t i = 0; i < s.found.n; i++)
		find_behind(&d[i], e, n);
	if (s.found.n)
		qsort(d, s.found.n, sizeof(*d), by_since);
	*out = d;
	*nout = s.found.n;
	return 0;
}

int tl_model_deadlocks(const struct tl_model *m, uint64_t threshold_ns,
		       struct tl_deadlock **out, size_t *nout)
{
	struct tl_wait_edge *e;
	size_t n;
	int r = tl_wait_edges(m, &e, &n);

	if (r)
		return r;
	r = tl_find_deadlocks(e, n, threshold_ns, out, nout);
	free(e);
	return r;
}

const char *tl_edge_kind_name(enum tl_edge_kind k)
{
	switch (k) {
	case TL_EDGE_LOCK: return "lock";
	case TL_EDGE_CHILD: return "child";
	case TL_EDGE_JOIN: return "join";
	}
	return "?";
}
