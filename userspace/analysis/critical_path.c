/* critical_path.c - the walk back through waits and their wakers (see
 * critical_path.h). Pieces are collected latest first and reversed at the
 * end, which puts each followed wait before the waker's pieces below it. */
#include "critical_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/vec.h"

struct walk {
	const struct tl_model *m;
	struct tl_cp *cp;
	int err;
};

static struct tl_cp_seg *add(struct walk *w)
{
	struct tl_cp *cp = w->cp;

	if (cp->n == TL_CP_MAX_SEGS) {
		cp->truncated = true;
		return NULL;
	}
	/* grown as util's vec; struct tl_cp keeps its public seg/n/cap */
	struct tl_vec v = { cp->seg, cp->n, cp->cap };
	struct tl_cp_seg *s = tl_vec_push(&v, sizeof(*s));

	if (!s) {
		w->err = -ENOMEM;
		return NULL;
	}
	cp->seg = v.p;
	cp->n = v.n;
	cp->cap = v.cap;
	return s;
}

static bool blocked(uint8_t st)
{
	return st == TL_ST_SLEEPING || st == TL_ST_UNINT;
}

/* The traced thread running on cpu at ts, other than t: who held the CPU
 * a runnable thread waited for, when it was not recorded as a preemption. */
static uint32_t cpu_holder(const struct tl_model *m, const struct tl_thread *t, int16_t cpu,
			   uint64_t ts)
{
	for (size_t i = 0; cpu >= 0 && i < tl_model_nthreads(m); i++) {
		const struct tl_thread *o = tl_model_thread(m, i);
		struct tl_interval iv;

		if (o == t || ts < o->start || ts >= o->end)
			continue;
		if (tl_thread_at(o, ts, &iv) && iv.state == TL_ST_RUNNING && iv.cpu == cpu)
			return o->tid;
	}
	return 0;
}

/* The waker to follow for a blocked interval ending at `end`: a traced
 * thread alive then, not the thread itself, not an interrupt. */
static const struct tl_thread *waker_of(const struct tl_model *m, const struct tl_thread *t,
					const struct tl_interval *iv)
{
	const struct tl_thread *w;

	if (!blocked(iv->state) || iv->waker_irq || !iv->waker || iv->waker == t->tid)
		return NULL;
	w = tl_model_find_thread(m, iv->waker, iv->end);
	return w && w->start < iv->end ? w : NULL;
}

static void fill(struct tl_cp_seg *s, const struct tl_thread *t, const struct tl_interval *iv,
		 uint64_t a, uint64_t b, unsigned depth)
{
	s->start = a;
	s->end = b;
	s->thread = t;
	s->state = iv->state;
	s->depth = (uint8_t)depth;
	s->cpu = iv->cpu;
	if (blocked(iv->state)) {
		s->block = iv->block;
		s->other = iv->waker_irq ? 0 : iv->waker;
		s->irq = iv->waker_irq;
	} else if (iv->state == TL_ST_RUNNABLE && iv->cause == TL_RUN_PREEMPTED) {
		s->other = iv->preempted_by;
	}
}

static void walk(struct walk *w, const struct tl_thread *t, uint64_t t0, uint64_t t1,
		 unsigned depth);

/* Before the thread existed (a waker created later than the span). */
static void absent(struct walk *w, uint64_t a, uint64_t b, unsigned depth)
{
	struct tl_cp_seg *s = add(w);

	if (s) {
		s->start = a;
		s->end = b;
		s->state = TL_ST_UNKNOWN;
		s->depth = (uint8_t)depth;
		s->cpu = -1;
	}
}

/* One step back from `cur`: returns where the next step starts. */
static uint64_t step(struct walk *w, const struct tl_thread *t, uint64_t t0, uint64_t cur,
		     unsigned depth)
{
	struct tl_interval at;
	const struct tl_interval *iv = tl_thread_at(t, cur - 1, &at) ? &at : NULL;
	const struct tl_thread *waker;
	struct tl_cp_seg *s;
	uint64_t a;

	if (!iv) {
		a = t->start > t0 && t->start < cur ? t->start : t0;
		absent(w, a, cur, depth);
		return a;
	}
	a = iv->start > t0 ? iv->start : t0;
	waker = depth + 1 < TL_CP_MAX_DEPTH ? waker_of(w->m, t, iv) : NULL;
	if (waker)
		walk(w, waker, a, cur, depth + 1);
	s = add(w);
	if (!s)
		return t0;
	fill(s, t, iv, a, cur, depth);
	s->followed = waker != NULL;
	return a;
}

static void walk(struct walk *w, const struct tl_thread *t, uint64_t t0, uint64_t t1,
		 unsigned depth)
{
	uint64_t cur = t1;

	while (cur > t0 && !w->err && !w->cp->truncated)
		cur = step(w, t, t0, cur, depth);
}

static void reverse(struct tl_cp *cp)
{
	for (size_t i = 0, j = cp->n; i + 1 < j; i++, j--) {
		struct tl_cp_seg tmp = cp->seg[i];

		cp->seg[i] = cp->seg[j - 1];
		cp->seg[j - 1] = tmp;
	}
}

int tl_critical_path(const struct tl_model *m, const struct tl_thread *t, uint64_t t0,
		     uint64_t t1, struct tl_cp *out)
{
	struct walk w = { .m = m, .cp = out };

	memset(out, 0, sizeof(*out));
	if (!t1 || t1 > t->end)
		t1 = t->end;
	if (t0 < t->start)
		t0 = t->start;
	if (t0 >= t1)
		return -EINVAL;
	out->t0 = t0;
	out->t1 = t1;
	walk(&w, t, t0, t1, 0);
	if (w.err) {
		tl_cp_free(out);
		return w.err;
	}
	reverse(out);
	return 0;
}

void tl_cp_free(struct tl_cp *cp)
{
	free(cp->seg);
	memset(cp, 0, sizeof(*cp));
}

uint32_t tl_cp_holder(const struct tl_model *m, const struct tl_cp_seg *s)
{
	if (s->state != TL_ST_RUNNABLE || s->other || !s->thread)
		return s->other;
	return cpu_holder(m, s->thread, s->cpu, s->start + (s->end - s->start) / 2);
}

static int total_cmp(const void *a, const void *b)
{
	const struct tl_cp_total *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static int why_of(const struct tl_cp_seg *s)
{
	return blocked(s->state) && s->block ? (int)s->block->why : -1;
}

/* Adds s to the list of n totals (a linear search: a path has few
 * distinct threads and states). Returns the new n. */
static size_t add_total(struct tl_cp_total *t, size_t n, size_t cap,
			const struct tl_cp_seg *s)
{
	int why = why_of(s);

	for (size_t i = 0; i < n; i++) {
		if (t[i].thread == s->thread && t[i].state == s->state && t[i].why == why) {
			t[i].ns += s->end - s->start;
			return n;
		}
	}
	if (n == cap)
		return n;
	t[n] = (struct tl_cp_total){ s->thread, s->state, why, s->end - s->start };
	return n + 1;
}

size_t tl_cp_totals(const struct tl_cp *cp, struct tl_cp_total *out, size_t max)
{
	size_t cap = 256, n = 0;
	struct tl_cp_total *all = calloc(cap, sizeof(*all));

	if (!all)
		return 0;
	for (size_t i = 0; i < cp->n; i++)
		if (!cp->seg[i].followed)
			n = add_total(all, n, cap, &cp->seg[i]);
	qsort(all, n, sizeof(*all), total_cmp);
	if (out)
		memcpy(out, all, (n < max ? n : max) * sizeof(*all));
	free(all);
	return n;
}
