/* model_finish.c - the end of the stream: close every open interval at the
 * end time, link parents and children, total each thread's time per state
 * and reason, and build the parallelism/concurrency step series.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

static void close_thread(struct tl_model *m, struct thr *t, uint64_t end)
{
	if (!t->ended) {
		thr_end(m, t, end);
		t->pub.end = end;
	}
	if (!t->names.n) {
		struct comm_ent *c = umap_get(&m->comm_map, t->pub.tid);
		struct tl_name *n = vec_push(m, &t->names, sizeof(*n));
		if (n) {
			n->ts = t->pub.start;
			if (c)
				memcpy(n->name, c->comm, TL_COMM_LEN);
		}
	}
	t->pub.names = t->names.p;
	t->pub.nnames = t->names.n;
	t->pub.iv = t->iv.p;
	t->pub.niv = t->iv.n;
	t->pub.marks = t->marks.p;
	t->pub.nmarks = t->marks.n;
	t->pub.sys = t->sys.p;
	t->pub.nsys = t->sys.n;
}

static void sum_thread(struct thr *t, bool have_sys)
{
	struct tl_thread_sum *s = &t->pub.sum;
	uint32_t socket_blocks = 0;

	for (size_t i = 0; i < t->pub.niv; i++) {
		const struct tl_interval *iv = &t->pub.iv[i];
		uint64_t d = iv->end - iv->start;
		s->ns[iv->state] += d;
		if (iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT)
			continue;
		s->blocked_ns[iv->block.why] += d;
		if (iv->block.why == TL_WHY_FUTEX)
			s->futex_waits++;
		if (iv->block.why == TL_WHY_SOCKET)
			socket_blocks++;
	}
	if (!have_sys)
		s->socket_ops = socket_blocks;
}

static struct proc *proc_alive_at(struct tl_model *m, uint32_t pid, uint64_t ts)
{
	for (struct proc *p = umap_get(&m->pid_map, pid); p; p = p->prev_gen)
		if (p->pub.start <= ts && (p->pub.end >= ts || !p->ended))
			return p;
	return NULL;
}

static void link_proc(struct tl_model *m, struct proc *p, uint64_t end)
{
	if (!p->ended)
		p->pub.end = end;
	if (!p->pub.parent && p->pub.ppid) {
		struct proc *pp = proc_alive_at(m, p->pub.ppid, p->pub.start);
		if (pp && pp != p)
			p->pub.parent = &pp->pub;
	}
	if (p->pub.parent) {
		struct proc *pp = (struct proc *)p->pub.parent;
		struct tl_process **c = vec_push(m, &pp->children, sizeof(*c));
		if (c)
			*c = &p->pub;
	}
	if (!p->names.n) {
		/* no leader seen: the PID's last known comm, else any thread's */
		struct comm_ent *ce = umap_get(&m->comm_map, p->pub.pid);
		const char *n = ce ? ce->comm : "";
		struct tl_thread **th = p->threads.p;
		for (size_t i = 0; !n[0] && i < p->threads.n; i++)
			if (th[i]->nnames)
				n = th[i]->names[0].name;
		struct tl_name *nm = vec_push(m, &p->names, sizeof(*nm));
		if (nm) {
			nm->ts = p->pub.start;
			snprintf(nm->name, sizeof(nm->name), "%s", n);
		}
	}
}

static void publish_proc(struct proc *p)
{
	p->pub.cmdline = p->cmdline ? p->cmdline : "";
	p->pub.names = p->names.p;
	p->pub.nnames = p->names.n;
	p->pub.execs = p->execs.p;
	p->pub.nexecs = p->execs.n;
	p->pub.threads = p->threads.p;
	p->pub.nthreads = p->threads.n;
	p->pub.children = p->children.p;
	p->pub.nchildren = p->children.n;
}

/* ---- step series ---- */

struct delta {
	uint64_t ts;
	int8_t run, rdy, unk;
};

static int delta_cmp(const void *a, const void *b)
{
	const struct delta *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void add_deltas(struct tl_model *m, struct vec *d, const struct tl_thread *t)
{
	for (size_t i = 0; i < t->niv; i++) {
		const struct tl_interval *iv = &t->iv[i];
		int8_t r = iv->state == TL_ST_RUNNING, q = iv->state == TL_ST_RUNNABLE;
		int8_t u = iv->state == TL_ST_UNKNOWN;
		if (!r && !q && !u)
			continue;
		struct delta *a = vec_push(m, d, sizeof(*a));
		struct delta *b = vec_push(m, d, sizeof(*b));
		if (!a || !b)
			return;
		*a = (struct delta){ iv->start, r, q, u };
		*b = (struct delta){ iv->end, (int8_t)-r, (int8_t)-q, (int8_t)-u };
	}
}

static void tree_deltas(struct tl_model *m, struct vec *d, const struct tl_process *p,
			uint64_t *end, int depth)
{
	for (size_t i = 0; i < p->nthreads; i++)
		add_deltas(m, d, p->threads[i]);
	if (p->end > *end)
		*end = p->end;
	if (depth > 4096) /* a parent cycle cannot happen; stay bounded anyway */
		return;
	for (size_t i = 0; i < p->nchildren; i++)
		tree_deltas(m, d, p->children[i], end, depth + 1);
}

static void push_step(struct tl_model *m, struct vec *s, uint64_t ts, int run,
		      int rdy, int unk)
{
	struct tl_step *last = s->n ? (struct tl_step *)s->p + s->n - 1 : NULL;

	if (last && last->ts == ts) {
		last->running = run;
		last->runnable = rdy;
		last->unknown = unk;
		struct tl_step *before = s->n > 1 ? last - 1 : NULL;
		if (before && before->running == run && before->runnable == rdy &&
		    before->unknown == unk)
			s->n--;
		return;
	}
	if (last && last->running == run && last->runnable == rdy && last->unknown == unk)
		return;
	struct tl_step *st = vec_push(m, s, sizeof(*st));
	if (st)
		*st = (struct tl_step){ ts, run, rdy, unk };
}

static void build_series(struct tl_model *m, struct vec *d, struct vec *steps,
			 struct tl_series *out, uint64_t start, uint64_t end)
{
	int run = 0, rdy = 0, unk = 0;

	if (d->n)
		qsort(d->p, d->n, sizeof(struct delta), delta_cmp);
	push_step(m, steps, start, 0, 0, 0);
	struct delta *ds = d->p;
	for (size_t i = 0; i < d->n; i++) {
		run += ds[i].run;
		rdy += ds[i].rdy;
		unk += ds[i].unk;
		if (ds[i].ts >= start && ds[i].ts < end)
			push_step(m, steps, ds[i].ts, run, rdy, unk);
	}
	out->steps = steps->p;
	out->nsteps = steps->n;
	out->end = end;
	vec_free(d);
}

static void proc_series(struct tl_model *m, struct proc *p)
{
	struct vec d = { 0 };
	uint64_t end = p->pub.end;

	for (size_t i = 0; i < p->pub.nthreads; i++)
		add_deltas(m, &d, p->pub.threads[i]);
	build_series(m, &d, &p->steps, &p->series, p->pub.start, p->pub.end);
	tree_deltas(m, &d, &p->pub, &end, 0);
	build_series(m, &d, &p->tree_steps, &p->tree_series, p->pub.start, end);
}

int model_finish(struct tl_model *m, uint64_t end)
{
	struct thr **ts = m->thrs.p;
	struct proc **ps = m->procs.p;
	bool have_sys = m->st.per_type[TL_SYS_ENTER] > 0;

	for (size_t i = 0; i < m->thrs.n; i++) {
		close_thread(m, ts[i], end);
		sum_thread(ts[i], have_sys);
	}
	for (size_t i = 0; i < m->procs.n; i++)
		link_proc(m, ps[i], end);
	for (size_t i = 0; i < m->procs.n; i++)
		publish_proc(ps[i]);
	for (size_t i = 0; i < m->procs.n; i++)
		proc_series(m, ps[i]);
	struct vec d = { 0 };
	for (size_t i = 0; i < m->thrs.n; i++)
		add_deltas(m, &d, &ts[i]->pub);
	build_series(m, &d, &m->all_steps, &m->all_series, m->st.start, end);
	return m->oom ? -ENOMEM : 0;
}

/* ---- invariants ---- */

static int check_thread(const struct tl_thread *t, char *err, size_t len)
{
	uint64_t at = t->start;

	if (t->end < t->start || (t->end > t->start && !t->niv)) {
		snprintf(err, len, "thread %u: bad life [%llu, %llu]", t->tid,
			 (unsigned long long)t->start, (unsigned long long)t->end);
		return -1;
	}
	for (size_t i = 0; i < t->niv; i++) {
		const struct tl_interval *iv = &t->iv[i];
		if (iv->start != at || iv->end <= iv->start || iv->state >= TL_ST_COUNT) {
			snprintf(err, len, "thread %u: interval %zu [%llu, %llu] "
				 "does not follow %llu", t->tid, i,
				 (unsigned long long)iv->start,
				 (unsigned long long)iv->end, (unsigned long long)at);
			return -1;
		}
		at = iv->end;
	}
	if (at != t->end) {
		snprintf(err, len, "thread %u: intervals end at %llu, life at %llu",
			 t->tid, (unsigned long long)at, (unsigned long long)t->end);
		return -1;
	}
	return 0;
}

int tl_model_check(const struct tl_model *m, char *err, size_t len)
{
	struct thr *const *ts = m->thrs.p;

	if (!m->finished) {
		snprintf(err, len, "model not finished");
		return -1;
	}
	for (size_t i = 0; i < m->thrs.n; i++)
		if (check_thread(&ts[i]->pub, err, len))
			return -1;
	const struct tl_wakeup_ev *w = m->wakeups.p;
	for (size_t i = 1; i < m->wakeups.n; i++)
		if (w[i].ts < w[i - 1].ts) {
			snprintf(err, len, "wakeup %zu out of order", i);
			return -1;
		}
	return 0;
}
