/* analysis.c - statistics over a finished model: parallelism and
 * concurrency of a step series over a window (mean, max, time at each
 * level), per-process totals, and the pthread_join pattern of futex waits.
 */
#include <errno.h>
#include <string.h>
#include "analysis.h"

/* o from totals made over [t0, t1). */
static void from_sum(struct tl_par_stats *o, const struct tl_series_sum *x,
		     uint64_t t0, uint64_t t1)
{
	o->t0 = t0;
	o->t1 = t1;
	o->span_ns = t1 - t0;
	o->known_ns = x->known_ns;
	o->unknown_ns = x->unknown_ns;
	o->max_par = x->max_par;
	o->max_conc = x->max_conc;
	memcpy(o->par_ns, x->par_ns, sizeof(o->par_ns));
	memcpy(o->conc_ns, x->conc_ns, sizeof(o->conc_ns));
	o->mean_par = x->par_sum / (double)o->span_ns;
	o->mean_conc = x->conc_sum / (double)o->span_ns;
}

int tl_series_stats(const struct tl_series *s, uint64_t t0, uint64_t t1,
		    struct tl_par_stats *o)
{
	struct tl_series_sum x = { 0 };

	memset(o, 0, sizeof(*o));
	if (s->sum) { /* kept as its totals: the whole span only */
		if (t0 || t1 || s->end <= s->sum->start)
			return -EINVAL;
		from_sum(o, s->sum, s->sum->start, s->end);
		return 0;
	}
	if (!s->nsteps)
		return -EINVAL;
	struct tl_step cur = tl_series_step(s, 0);
	uint64_t lo = cur.ts, hi = s->end;
	if (t0 || t1) {
		lo = t0 > lo ? t0 : lo;
		hi = t1 && t1 < hi ? t1 : hi;
	}
	if (hi <= lo)
		return -EINVAL;
	for (size_t i = 0; i < s->nsteps; i++) {
		struct tl_step next = i + 1 < s->nsteps ? tl_series_step(s, i + 1) : cur;
		uint64_t a = cur.ts;
		uint64_t b = i + 1 < s->nsteps ? next.ts : s->end;
		a = a > lo ? a : lo;
		b = b < hi ? b : hi;
		if (b > a)
			tl_series_sum_add(&x, &cur, b - a);
		cur = next;
	}
	from_sum(o, &x, lo, hi);
	return 0;
}

int tl_proc_par_stats(const struct tl_process *p, uint64_t t0, uint64_t t1,
		      struct tl_par_stats *out)
{
	return tl_series_stats(tl_proc_series(p), t0, t1, out);
}

int tl_tree_par_stats(const struct tl_process *p, uint64_t t0, uint64_t t1,
		      struct tl_par_stats *out)
{
	return tl_series_stats(tl_proc_tree_series(p), t0, t1, out);
}

int tl_model_par_stats(const struct tl_model *m, uint64_t t0, uint64_t t1,
		       struct tl_par_stats *out)
{
	return tl_series_stats(tl_model_series(m), t0, t1, out);
}

double tl_par_share(const struct tl_par_stats *s, unsigned k)
{
	if (!s->span_ns || k >= TL_PAR_LEVELS)
		return 0;
	return (double)s->par_ns[k] / (double)s->span_ns;
}

double tl_conc_share(const struct tl_par_stats *s, unsigned k)
{
	if (!s->span_ns || k >= TL_PAR_LEVELS)
		return 0;
	return (double)s->conc_ns[k] / (double)s->span_ns;
}

bool tl_series_at(const struct tl_series *s, uint64_t ts, struct tl_step *out)
{
	if (!s->nsteps || ts < tl_series_step(s, 0).ts || ts >= s->end)
		return false;
	size_t lo = 0, hi = s->nsteps;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (tl_series_step(s, mid).ts <= ts)
			lo = mid;
		else
			hi = mid;
	}
	*out = tl_series_step(s, lo);
	return true;
}

bool tl_iv_is_join(const struct tl_model *m, const struct tl_interval *iv)
{
	if (iv->block->why != TL_WHY_FUTEX || !iv->waker || iv->waker_irq)
		return false;
	/* the joined thread wakes its joiner from its exit path, just before
	 * or after its exit event: within 1 ms */
	const uint64_t win = 1000000;
	const struct tl_thread *w = tl_model_find_thread(m, iv->waker, iv->end);
	if (!w && iv->end > win)
		w = tl_model_find_thread(m, iv->waker, iv->end - win);
	if (!w || !(w->flags & TL_THR_EXITED))
		return false;
	uint64_t d = w->end > iv->end ? w->end - iv->end : iv->end - w->end;
	return d <= win;
}
