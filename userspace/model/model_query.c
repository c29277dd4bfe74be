/* model_query.c - read-only questions to a finished model: find processes
 * and threads, names at a time, sums and counts of intervals matching a
 * filter, edges, marks and series.
 */
#include <string.h>
#include "model_impl.h"

#define VEC_AT(v, type, i) (&((type *)(v).p)[i])

size_t tl_model_nprocs(const struct tl_model *m) { return m->procs.n; }

const struct tl_process *tl_model_proc(const struct tl_model *m, size_t i)
{
	return i < m->procs.n ? &(*VEC_AT(m->procs, struct proc *, i))->pub : NULL;
}

const struct tl_process *tl_model_find_proc(const struct tl_model *m, uint32_t pid,
					    uint64_t ts)
{
	for (struct proc *p = tl_hmap_get_ptr(&m->pid_map, pid); p; p = p->prev_gen)
		if (!ts || (p->pub.start <= ts && ts <= p->pub.end))
			return &p->pub;
	return NULL;
}

const char *tl_proc_name(const struct tl_process *p)
{
	return p->nnames ? p->names[p->nnames - 1].name : "";
}

const char *tl_proc_label(const struct tl_process *p)
{
	if (p->nexecs) {
		const char *f = p->execs[p->nexecs - 1].filename;
		const char *b = strrchr(f, '/');
		if (b && b[1])
			return b + 1;
		if (f[0])
			return f;
	}
	return p->nnames ? p->names[0].name : "";
}

static const char *name_at(const struct tl_name *n, size_t nn, uint64_t ts)
{
	const char *r = nn ? n[0].name : "";

	for (size_t i = 0; i < nn && n[i].ts <= ts; i++)
		r = n[i].name;
	return r;
}

const char *tl_proc_name_at(const struct tl_process *p, uint64_t ts)
{
	return name_at(p->names, p->nnames, ts);
}

int tl_proc_exit_code(const struct tl_process *p)
{
	if (!(p->flags & TL_PROC_EXITED) || (p->exit_status & 0x7f))
		return -1;
	return (p->exit_status >> 8) & 0xff;
}

int tl_proc_exit_signal(const struct tl_process *p)
{
	if (!(p->flags & TL_PROC_EXITED))
		return 0;
	return p->exit_status & 0x7f;
}

size_t tl_proc_nforks(const struct tl_model *m, const struct tl_process *p)
{
	size_t n = 0;

	for (size_t i = 0; i < m->forks.n; i++) {
		const struct tl_fork_ev *f = VEC_AT(m->forks, struct tl_fork_ev, i);
		n += !f->thread && f->parent_pid == p->pid && f->ts >= p->start &&
		     f->ts <= p->end;
	}
	return n;
}

size_t tl_model_nthreads(const struct tl_model *m) { return m->thrs.n; }

const struct tl_thread *tl_model_thread(const struct tl_model *m, size_t i)
{
	return i < m->thrs.n ? &(*VEC_AT(m->thrs, struct thr *, i))->pub : NULL;
}

const struct tl_thread *tl_model_find_thread(const struct tl_model *m, uint32_t tid,
					     uint64_t ts)
{
	for (struct thr *t = tl_hmap_get_ptr(&m->tid_map, tid); t; t = t->prev_gen)
		if (!ts || (t->pub.start <= ts && ts <= t->pub.end))
			return &t->pub;
	return NULL;
}

const char *tl_thread_name(const struct tl_thread *t)
{
	return t->nnames ? t->names[t->nnames - 1].name : "";
}

const char *tl_thread_name_at(const struct tl_thread *t, uint64_t ts)
{
	return name_at(t->names, t->nnames, ts);
}

size_t tl_proc_threads_named(const struct tl_process *p, const char *name,
			     const struct tl_thread **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nthreads; i++) {
		if (strcmp(tl_thread_name(p->threads[i]), name) != 0)
			continue;
		if (out && n < max)
			out[n] = p->threads[i];
		n++;
	}
	return n;
}

const char *tl_model_task_name(const struct tl_model *m, uint32_t tid)
{
	const struct comm_ent *c = model_comm(m, tid);

	return c ? c->comm : "";
}

bool tl_model_is_traced(const struct tl_model *m, uint32_t tid)
{
	return tl_hmap_get_ptr(&m->tid_map, tid) != NULL;
}

/* The interval's waker: 0 where the shared field holds a preempter. */
static uint32_t iv_waker(const struct tl_interval *iv)
{
	bool preempted = iv->state == TL_ST_RUNNABLE && iv->cause == TL_RUN_PREEMPTED;

	return preempted ? 0 : iv->waker;
}

static bool iv_match(const struct tl_interval *iv, const struct tl_iv_filter *f)
{
	if (f->states && !(f->states & TL_F_STATE(iv->state)))
		return false;
	if (f->t1 && (iv->end <= f->t0 || iv->start >= f->t1))
		return false;
	bool blocked = iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;
	if (f->by_reason && (!blocked || iv->block->why != f->why))
		return false;
	if (f->by_sys && iv->block->sys_nr != f->sys_nr)
		return false;
	if (f->by_obj && (!iv->block->has_obj || iv->block->obj != f->obj))
		return false;
	if (f->by_waker && iv_waker(iv) != f->waker)
		return false;
	return !f->by_cpu || iv->cpu == f->cpu;
}

uint64_t tl_thread_sum_ns(const struct tl_thread *t, const struct tl_iv_filter *f)
{
	static const struct tl_iv_filter all;
	uint64_t sum = 0;

	if (!f)
		f = &all;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &v;
		if (!iv_match(iv, f))
			continue;
		uint64_t a = iv->start, b = iv->end;
		if (f->t1) {
			a = a > f->t0 ? a : f->t0;
			b = b < f->t1 ? b : f->t1;
		}
		sum += b - a;
	}
	return sum;
}

size_t tl_thread_count_iv(const struct tl_thread *t, const struct tl_iv_filter *f)
{
	static const struct tl_iv_filter all;
	size_t n = 0;

	if (!f)
		f = &all;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval v = tl_thread_iv(t, i);
		n += iv_match(&v, f);
	}
	return n;
}

uint64_t tl_thread_state_ns(const struct tl_thread *t, enum tl_state st,
			    uint64_t t0, uint64_t t1)
{
	struct tl_iv_filter f = { .states = TL_F_STATE(st), .t0 = t0, .t1 = t1 };

	return tl_thread_sum_ns(t, &f);
}

size_t tl_thread_marks(const struct tl_thread *t, uint32_t kind,
		       const struct tl_mark **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmarks; i++) {
		if (kind && t->marks[i].kind != kind)
			continue;
		if (out && n < max)
			out[n] = &t->marks[i];
		n++;
	}
	return n;
}

size_t tl_model_nwakeups(const struct tl_model *m) { return m->nwakeups; }


size_t tl_model_count_wakeups(const struct tl_model *m, uint32_t waker,
			      uint32_t wakee, uint64_t t0, uint64_t t1)
{
	size_t n = 0;

	for (size_t i = 0; i < m->wk_n; i++) {
		struct tl_wakeup_ev e = tl_model_wakeup(m, i);
		const struct tl_wakeup_ev *w = &e;
		if ((waker && w->waker != waker) || (wakee && w->wakee != wakee))
			continue;
		if (t1 && (w->ts < t0 || w->ts > t1))
			continue;
		n++;
	}
	return n;
}

size_t tl_model_nforks(const struct tl_model *m) { return m->nforks; }

const struct tl_fork_ev *tl_model_fork(const struct tl_model *m, size_t i)
{
	return i < m->forks.n ? VEC_AT(m->forks, struct tl_fork_ev, i) : NULL;
}

size_t tl_model_nexits(const struct tl_model *m) { return m->nexits; }

const struct tl_exit_ev *tl_model_exit(const struct tl_model *m, size_t i)
{
	return i < m->exits.n ? VEC_AT(m->exits, struct tl_exit_ev, i) : NULL;
}

size_t tl_model_nsignals(const struct tl_model *m) { return m->nsignals; }

const struct tl_signal_ev *tl_model_signal(const struct tl_model *m, size_t i)
{
	return i < m->signals.n ? VEC_AT(m->signals, struct tl_signal_ev, i) : NULL;
}

size_t tl_model_nlosses(const struct tl_model *m) { return m->losses.n; }

const struct tl_loss_ev *tl_model_loss(const struct tl_model *m, size_t i)
{
	return i < m->losses.n ? VEC_AT(m->losses, struct tl_loss_ev, i) : NULL;
}

size_t tl_model_nmarks(const struct tl_model *m) { return m->marks.n; }

const struct tl_mark *tl_model_mark(const struct tl_model *m, size_t i)
{
	return i < m->marks.n ? VEC_AT(m->marks, struct tl_mark, i) : NULL;
}

/* The series of a process that has none (both left out): empty. */
static const struct tl_series no_series;

const struct tl_series *tl_proc_series(const struct tl_process *p)
{
	const struct proc_series *ser = ((const struct proc *)p)->ser;

	return ser ? &ser->own : &no_series;
}

const struct tl_series *tl_proc_tree_series(const struct tl_process *p)
{
	const struct proc_series *ser = ((const struct proc *)p)->ser;

	return ser ? &ser->tree : &no_series;
}

const struct tl_series *tl_model_series(const struct tl_model *m)
{
	return &m->all_series;
}

const char *tl_state_name(enum tl_state s)
{
	static const char *const n[TL_ST_COUNT] = { "unknown", "running", "runnable",
						    "sleeping", "uninterruptible" };
	return (unsigned)s < TL_ST_COUNT ? n[s] : "?";
}
