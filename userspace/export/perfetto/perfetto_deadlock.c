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

int tl_pf_write_deadlocks(struct tl_pf_te *te, const struct tl_model *m,
			  struct tl_pf_track_stats *st)
{
	struct tl_symbolizer *sym = tl_symbolizer_new(m);
	struct tl_deadlock *d = NULL;
	size_t nd = 0;
	char name[256];
	int err = sym ? tl_model_deadlocks(m, TL_DEADLOCK_THRESHOLD_NS, &d, &nd) : -ENOMEM;

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
	free(d);
	tl_symbolizer_free(sym);
	return err;
}
