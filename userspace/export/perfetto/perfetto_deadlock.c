/* perfetto_deadlock.c - every deadlock of the model (analysis/waitfor.h) as
 * an instant on the track of each thread in its cycle, at the moment the
 * cycle closed, naming what the thread waits for and who holds it, so the
 * Perfetto UI shows the cycle where the threads' Sleeping states begin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "perfetto_impl.h"
#include "analysis/symbolize.h"
#include "analysis/waitfor.h"

static void edge_name(struct tl_symbolizer *sym, const struct tl_wait_edge *e,
		      char *buf, size_t len)
{
	const char *target = e->target_t ? tl_thread_name(e->target_t) : "?";
	const struct tl_obj_name *o = NULL;

	if (e->kind == TL_EDGE_LOCK && e->block)
		o = tl_sym_futex(sym, e->waiter_t->proc, e->start, e->block);
	if (e->kind == TL_EDGE_LOCK && e->waiter == e->target)
		snprintf(buf, len, "deadlock: waits for %s, which it holds",
			 o ? o->name : "a lock");
	else if (e->kind == TL_EDGE_LOCK)
		snprintf(buf, len, "deadlock: waits for %s held by %s",
			 o ? o->name : "a lock", target);
	else if (e->kind == TL_EDGE_JOIN)
		snprintf(buf, len, "deadlock: joins %s", target);
	else
		snprintf(buf, len, "deadlock: waits for child %s", target);
}

static int by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

void tl_pf_deadlocks_find(struct tl_pf_deadlocks *dl, const struct tl_model *m)
{
	size_t n = 0;

	*dl = (struct tl_pf_deadlocks){ 0 };
	dl->err = tl_model_deadlocks(m, TL_DEADLOCK_THRESHOLD_NS, &dl->d, &dl->nd);
	for (size_t i = 0; i < dl->nd; i++)
		n += dl->d[i].n;
	dl->waiters = malloc((n ? n : 1) * sizeof(*dl->waiters));
	if (!dl->waiters) {
		dl->all_wait = true;
		return;
	}
	for (size_t i = 0; i < dl->nd; i++)
		for (size_t k = 0; k < dl->d[i].n; k++)
			if (dl->d[i].e[k].waiter_t)
				dl->waiters[dl->nwaiters++] = dl->d[i].e[k].waiter_t;
	qsort(dl->waiters, dl->nwaiters, sizeof(*dl->waiters), by_ptr);
	dl->all_wait = dl->err != 0;
}

bool tl_pf_deadlocks_waits(const struct tl_pf_deadlocks *dl, const struct tl_thread *t)
{
	return dl->all_wait ||
	       bsearch(&t, dl->waiters, dl->nwaiters, sizeof(*dl->waiters), by_ptr);
}

void tl_pf_deadlocks_free(struct tl_pf_deadlocks *dl)
{
	free(dl->d);
	free(dl->waiters);
	*dl = (struct tl_pf_deadlocks){ 0 };
}

int tl_pf_write_deadlocks(struct tl_pf_te *te, const struct tl_pf_deadlocks *dl,
			  const struct tl_model *m, struct tl_pf_track_stats *st)
{
	struct tl_symbolizer *sym = tl_symbolizer_new(m);
	const struct tl_deadlock *d = sym ? dl->d : NULL;
	size_t nd = sym ? dl->nd : 0;
	char name[256];
	int err = sym ? dl->err : -ENOMEM;

	for (size_t i = 0; i < nd; i++)
		for (size_t k = 0; k < d[i].n; k++) {
			const struct tl_wait_edge *e = &d[i].e[k];
			struct tl_pf_arg a = { .name = PF_A_ADDRESS, .kind = PF_ARG_PTR,
					       .u = e->block ? e->block->obj : 0 };
			struct tl_pf_ev ev = { .ts = d[i].since, .type = PF_INSTANT,
					       .name = name, .args = &a, .nargs = 1 };

			if (!e->waiter_t)
				continue;
			ev.track = tl_pf_thread_uuid(e->waiter_t->tid, e->waiter_t->gen);
			edge_name(sym, e, name, sizeof(name));
			tl_pf_te_event(te, &ev);
			st->deadlock_instants++;
		}
	tl_symbolizer_free(sym);
	return err;
}
