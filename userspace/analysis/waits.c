/* waits.c - futex waits grouped by object (waits.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "waits.h"
#include "waitfor.h"
#include "util/vec.h"

struct sample {
	uint64_t addr, dur;
	uint32_t waiter, holder, waker;
	const struct tl_obj_name *obj;
};

/* t's futex waits as samples (struct sample) appended to s. */
static int collect(struct tl_symbolizer *sym, const struct tl_thread *t, struct tl_vec *s)
{
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		const struct tl_block *b = iv->block;
		const struct tl_thread *h;
		struct sample *x;

		if ((iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT) ||
		    b->why != TL_WHY_FUTEX || !b->has_obj)
			continue;
		h = tl_block_holder(tl_symbolizer_model(sym), t, iv);
		x = tl_vec_push_uninit(s, sizeof(*x));
		if (!x)
			return -ENOMEM;
		*x = (struct sample){ .dur = iv->end - iv->start,
				     .waiter = t->tid, .holder = h ? h->tid : 0,
				     .waker = iv->waker_irq ? 0 : iv->waker,
				     .obj = tl_sym_futex(sym, t->proc, iv->start, b) };
		x->addr = x->obj ? x->obj->base : b->obj; /* one row per object */
	}
	return 0;
}

static int by_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The most frequent non-zero value of v (sorted in place), how often it
 * occurs, and how many distinct non-zero values there are. */
static void top_of(uint32_t *v, size_t n, uint32_t *top, uint32_t *topn, uint32_t *distinct)
{
	*top = *topn = *distinct = 0;
	if (n > 1) /* never qsort(NULL, 0): undefined */
		qsort(v, n, sizeof(*v), by_u32);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && v[j] == v[i]; j++)
			;
		if (!v[i])
			continue;
		(*distinct)++;
		if (j - i > *topn) {
			*top = v[i];
			*topn = (uint32_t)(j - i);
		}
	}
}

static void group(const struct sample *v, size_t n, uint32_t *tmp, struct tl_wait_stat *w)
{
	uint32_t top, topn, distinct;

	memset(w, 0, sizeof(*w));
	w->addr = v[0].addr;
	w->obj = v[0].obj;
	w->kind = v[0].obj ? v[0].obj->lock : TL_LK_OTHER;
	w->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		w->total_ns += v[i].dur;
		if (v[i].dur > w->longest_ns)
			w->longest_ns = v[i].dur;
	}
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[i].holder;
	top_of(tmp, n, &w->top_holder, &w->top_holder_n, &w->holders);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[i].waker;
	top_of(tmp, n, &w->top_waker, &w->top_waker_n, &distinct);
	for (size_t i = 0; i < n; i++)
		tmp[i] = v[i].waiter;
	top_of(tmp, n, &top, &topn, &w->waiters);
}

static int by_addr(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int by_total(const void *a, const void *b)
{
	const struct tl_wait_stat *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Samples sorted by address: one group per address. */
static size_t ngroups(const struct sample *v, size_t n)
{
	size_t g = 0;

	for (size_t i = 0; i < n; i++)
		g += !i || v[i].addr != v[i - 1].addr;
	return g;
}

static int summarize(struct tl_vec *s, struct tl_wait_stat **out, size_t *nout)
{
	struct sample *v = s->p;
	size_t nw = 0;

	*out = NULL;
	*nout = 0;
	if (s->n > 1)
		qsort(v, s->n, sizeof(*v), by_addr);
	/* one entry per object, not per wait */
	size_t ng = ngroups(v, s->n);
	uint32_t *tmp = s->n ? malloc(s->n * sizeof(*tmp)) : NULL;
	struct tl_wait_stat *w = ng ? calloc(ng, sizeof(*w)) : NULL;
	if (s->n && (!tmp || !w)) {
		free(tmp);
		free(w);
		return -ENOMEM;
	}
	for (size_t i = 0, j; i < s->n; i = j) {
		for (j = i; j < s->n && v[j].addr == v[i].addr; j++)
			;
		group(&v[i], j - i, tmp, &w[nw++]);
	}
	free(tmp);
	if (nw)
		qsort(w, nw, sizeof(*w), by_total);
	*out = w;
	*nout = nw;
	return 0;
}

int tl_thread_waits(struct tl_symbolizer *s, const struct tl_thread *t,
		    struct tl_wait_stat **out, size_t *n)
{
	struct tl_vec v = { 0 };
	int r = collect(s, t, &v);

	if (!r)
		r = summarize(&v, out, n);
	tl_vec_free(&v);
	return r;
}

int tl_threads_waits(struct tl_symbolizer *s, const struct tl_thread *const *t, size_t nt,
		     struct tl_wait_stat **out, size_t *n)
{
	struct tl_vec v = { 0 };
	int r = 0;

	for (size_t i = 0; i < nt && !r; i++)
		r = collect(s, t[i], &v);
	if (!r)
		r = summarize(&v, out, n);
	tl_vec_free(&v);
	return r;
}

int tl_proc_waits(struct tl_symbolizer *s, const struct tl_process *p,
		  struct tl_wait_stat **out, size_t *n)
{
	return tl_threads_waits(s, (const struct tl_thread *const *)p->threads, p->nthreads,
				out, n);
}
