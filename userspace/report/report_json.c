/* report_json.c - the report as one JSON object for scripts, with a small
 * streaming JSON writer (commas, nesting) of its own; strings are escaped
 * by the one JSON string writer (util/json.h).
 * Instants (*_ns) are relative to recording.start_ns; durations are ns.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/analysis.h"
#include "analysis/locksites.h"
#include "analysis/syswaits.h"
#include "util/json.h"

#define JMAX_DEPTH 32

struct json {
	FILE *f;
	int depth;
	bool first[JMAX_DEPTH];
};

/* Comma, newline and indent before a member or element; its key if any. */
static void j_key(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->f);
		j->first[j->depth] = false;
		fprintf(j->f, "\n%*s", j->depth * 2, "");
	}
	if (key) {
		tl_json_str(j->f, key);
		fputs(": ", j->f);
	}
}

static void j_open(struct json *j, const char *key, char c)
{
	j_key(j, key);
	fputc(c, j->f);
	if (j->depth < JMAX_DEPTH - 1)
		j->first[++j->depth] = true;
}

static void j_close(struct json *j, char c)
{
	bool empty = j->first[j->depth];

	j->depth--;
	if (!empty)
		fprintf(j->f, "\n%*s", j->depth * 2, "");
	fputc(c, j->f);
	if (!j->depth)
		fputc('\n', j->f);
}

static void j_str(struct json *j, const char *key, const char *v)
{
	j_key(j, key);
	tl_json_str(j->f, v ? v : "");
}

static void j_u64(struct json *j, const char *key, uint64_t v)
{
	j_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

static void j_i64(struct json *j, const char *key, int64_t v)
{
	j_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

static void j_dbl(struct json *j, const char *key, double v)
{
	j_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

static void j_bool(struct json *j, const char *key, bool v)
{
	j_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

/* ---- content ---- */

struct jctx {
	struct json j;
	unsigned cols;           /* timeline cells per thread */
	uint64_t span_t0, span_t1;
	const struct tl_model *m;
	const struct tl_load_result *lr;
	const struct tl_process *root;
	uint64_t t0;
	struct tl_report_waits *waits;
};

static uint64_t at(const struct jctx *c, uint64_t ts)
{
	return ts > c->t0 ? ts - c->t0 : 0;
}

static bool shown(const struct jctx *c, const struct tl_process *p)
{
	return tl_report_under(p, c->root);
}

static void recording(struct jctx *c)
{
	const struct tl_model_stats *st = tl_model_stats(c->m);
	struct json *j = &c->j;

	j_open(j, "recording", '{');
	if (c->lr) {
		const struct tl_rec_info *in = &c->lr->info;
		j_str(j, "command", in->cmdline);
		j_str(j, "target", in->target);
		j_str(j, "host", in->host);
		j_str(j, "kernel", in->kernel);
		j_str(j, "machine", in->machine);
		j_u64(j, "ncpus", in->ncpus);
		j_str(j, "tool_version", in->tool_version);
		j_bool(j, "complete", c->lr->status == TL_READ_END);
		j_bool(j, "truncated", c->lr->status == TL_READ_TRUNCATED);
		if (c->lr->status == TL_READ_TRUNCATED) {
			j_u64(j, "truncated_at", c->lr->offset);
			j_str(j, "truncated_reason", c->lr->msg);
		}
		if (in->real_ns)
			j_u64(j, "start_realtime_ns", (uint64_t)((int64_t)in->real_ns +
					(int64_t)(st->start - in->boot_ns)));
	}
	j_u64(j, "start_ns", st->start);
	j_u64(j, "duration_ns", st->end - st->start);
	j_u64(j, "records", st->records);
	j_close(j, '}');
}

static void loss(struct jctx *c)
{
	const struct tl_model_stats *st = tl_model_stats(c->m);
	uint64_t unk[4] = { 0 };
	struct json *j = &c->j;

	for (size_t i = 0; i < tl_model_nthreads(c->m); i++) {
		const struct tl_thread *t = tl_model_thread(c->m, i);
		for (size_t k = 0; k < t->niv; k++) {
			struct tl_interval iv = tl_thread_iv(t, k);
			if (iv.state == TL_ST_UNKNOWN && iv.cause < 4)
				unk[iv.cause] += iv.end - iv.start;
		}
	}
	j_open(j, "loss", '{');
	j_u64(j, "lost_events", st->lost_total);
	j_u64(j, "loss_records", st->loss_records);
	if (st->lost_total) {
		j_u64(j, "first_ns", at(c, st->first_loss_ts));
		j_u64(j, "last_ns", at(c, st->last_loss_ts));
	}
	j_u64(j, "unknown_after_loss_ns", unk[TL_UNK_LOSS]);
	j_u64(j, "unknown_inconsistent_ns", unk[TL_UNK_INCONSISTENT]);
	j_u64(j, "unknown_before_first_ns", unk[TL_UNK_BEFORE_FIRST]);
	j_u64(j, "inconsistencies", st->inconsistencies);
	j_u64(j, "out_of_order", st->out_of_order);
	j_u64(j, "malformed", st->malformed);
	j_close(j, '}');
}

static void levels(struct json *j, const char *key, const uint64_t *ns, unsigned top)
{
	j_open(j, key, '[');
	for (unsigned k = 0; k <= top && k < TL_PAR_LEVELS; k++)
		j_u64(j, NULL, ns[k]);
	j_close(j, ']');
}

static void par_stats(struct json *j, const char *key, const struct tl_par_stats *s)
{
	unsigned top = s->max_conc > s->max_par ? s->max_conc : s->max_par;

	j_open(j, key, '{');
	j_u64(j, "span_ns", s->span_ns);
	j_u64(j, "unknown_ns", s->unknown_ns);
	j_dbl(j, "parallelism_mean", s->mean_par);
	j_u64(j, "parallelism_max", s->max_par);
	levels(j, "parallelism_ns", s->par_ns, top);
	j_dbl(j, "concurrency_mean", s->mean_conc);
	j_u64(j, "concurrency_max", s->max_conc);
	levels(j, "concurrency_ns", s->conc_ns, top);
	j_close(j, '}');
}

/* Time per state, st[TL_ST_COUNT], and blocked per reason, why[TL_WHY_COUNT]
 * (only the reasons with time): one thread's, or all of them added up. */
static void state_times(struct json *j, const uint64_t *st, const uint64_t *why)
{
	j_u64(j, "running_ns", st[TL_ST_RUNNING]);
	j_u64(j, "runnable_ns", st[TL_ST_RUNNABLE]);
	j_u64(j, "sleeping_ns", st[TL_ST_SLEEPING]);
	j_u64(j, "uninterruptible_ns", st[TL_ST_UNINT]);
	j_u64(j, "unknown_ns", st[TL_ST_UNKNOWN]);
	j_open(j, "blocked_ns", '{');
	for (int r = 1; r < TL_WHY_COUNT; r++)
		if (why[r])
			j_u64(j, tl_reason_name(r), why[r]);
	j_close(j, '}');
}

static void thread_sum(struct json *j, const struct tl_thread_sum *s)
{
	uint64_t st[TL_ST_COUNT], why[TL_WHY_COUNT] = { 0 };

	for (int k = 0; k < TL_ST_COUNT; k++)
		st[k] = tl_sum_ns(s, (enum tl_state)k);
	for (int r = 1; r < TL_WHY_COUNT; r++)
		why[r] = tl_sum_blocked_ns(s, r);
	state_times(j, st, why);
	j_u64(j, "voluntary_switches", s->vcsw);
	j_u64(j, "involuntary_switches", s->ivcsw);
	j_u64(j, "wakeups_given", s->wakeups_given);
	j_u64(j, "wakeups_received", s->wakeups_received);
	j_u64(j, "wakeups_from_interrupt", s->wakeups_irq);
	j_u64(j, "forks", s->forks);
	j_u64(j, "clones", s->clones);
	j_u64(j, "futex_waits", s->futex_waits);
	j_u64(j, "socket_ops", s->socket_ops);
	j_u64(j, "migrations", s->migrations);
}

/* Every reported thread's time added up, as the text's header says it:
 * per state, blocked per reason, and the CPUs kept busy on average over
 * the span of the processes shown. */
static void threads_total(struct jctx *c)
{
	uint64_t st[TL_ST_COUNT] = { 0 }, why[TL_WHY_COUNT] = { 0 };
	struct json *j = &c->j;

	j_open(j, "threads_total", '{');
	j_u64(j, "threads", tl_report_time_totals(c->m, c->root, st, why));
	state_times(j, st, why);
	if (c->span_t1 > c->span_t0)
		j_dbl(j, "cpus_busy_mean",
		      (double)st[TL_ST_RUNNING] / (double)(c->span_t1 - c->span_t0));
	j_close(j, '}');
}

/* One letter per cell: R running, r runnable, S sleeping, D uninterruptible,
 * ? unknown, '.' not alive. */
static void timeline(struct jctx *c, const struct tl_thread *t)
{
	static const char letters[TL_ST_COUNT] = { '?', 'R', 'r', 'S', 'D' };
	int8_t cells[512];
	char s[513];

	if (!c->cols)
		return;
	tl_timeline_cells(t, c->span_t0, c->span_t1, c->cols, cells);
	for (unsigned i = 0; i < c->cols; i++)
		s[i] = cells[i] >= 0 ? letters[cells[i]] : '.';
	s[c->cols] = '\0';
	j_str(&c->j, "timeline", s);
}

/* Stacks of one side of a lock (record -g): id, time, where. */
static void sites_arr(struct jctx *c, const char *key, const struct tl_lock_site *s,
		      size_t n)
{
	char buf[320];

	j_open(&c->j, key, '[');
	for (size_t i = 0; i < n; i++) {
		j_open(&c->j, NULL, '{');
		j_u64(&c->j, "stack", s[i].stack);
		j_u64(&c->j, "ns", s[i].ns);
		j_str(&c->j, "at", tl_report_site_text(c->waits, s[i].stack, buf, sizeof(buf)));
		j_close(&c->j, '}');
	}
	j_close(&c->j, ']');
}

/* Where a lock was waited for and what its holder did meanwhile. */
static void lock_sites(struct jctx *c, const struct tl_lock_sites *r)
{
	sites_arr(c, "waiters_at", r->wait, r->nwait);
	j_u64(&c->j, "waiters_elsewhere_ns", r->wait_other_ns);
	sites_arr(c, "holder_blocked_at", r->held, r->nheld);
	j_u64(&c->j, "holder_blocked_elsewhere_ns", r->held_other_ns);
	j_u64(&c->j, "holder_on_cpu_ns", r->held_cpu_ns);
}

/* One object waited on: its name, kind, counts and times, holder/waker;
 * for a lock of process p (else NULL), whether an idle thread's, and
 * (sites not NULL) where it was waited for. */
static void wait_stat(struct jctx *c, const struct tl_wait_stat *s,
		      const struct tl_process *p, const struct tl_lock_sites *sites)
{
	struct json *j = &c->j;

	j_open(j, NULL, '{');
	j_str(j, "name", s->obj ? s->obj->name : "?");
	j_str(j, "kind", tl_lock_kind_name(s->kind));
	j_u64(j, "addr", s->addr);
	j_u64(j, "waits", s->count);
	j_u64(j, "total_ns", s->total_ns);
	j_u64(j, "longest_ns", s->longest_ns);
	j_u64(j, "waiters", s->waiters);
	j_u64(j, "holders", s->holders);
	if (s->top_holder)
		j_u64(j, "top_holder", s->top_holder);
	if (s->top_waker)
		j_u64(j, "top_waker", s->top_waker);
	if (p && tl_report_idle_wait(s, p))
		j_bool(j, "idle", true);
	if (sites && sites->addr)
		lock_sites(c, sites);
	j_close(j, '}');
}

/* p: a process's locks table, with the sites of each lock (record -g). */
static void waits_arr(struct jctx *c, const char *key, const struct tl_process *p,
		      struct tl_wait_stat *s, size_t n)
{
	struct tl_lock_sites *sites = p ? tl_report_lock_sites(c->waits, p, s, n) : NULL;

	j_open(&c->j, key, '[');
	for (size_t i = 0; i < n; i++)
		wait_stat(c, &s[i], p, sites ? &sites[i] : NULL);
	j_close(&c->j, ']');
	free(sites);
	free(s);
}

static void edge_obj(struct jctx *c, const struct tl_wait_edge *e)
{
	struct json *j = &c->j;
	enum tl_lock_kind k;
	const char *obj = tl_report_edge_obj(c->waits, e, &k);

	j_open(j, NULL, '{');
	j_u64(j, "waiter", e->waiter);
	j_str(j, "waiter_name", e->waiter_t ? tl_thread_name(e->waiter_t) : "?");
	j_u64(j, "target", e->target);
	j_str(j, "target_name", e->target_t ? tl_thread_name(e->target_t) : "?");
	j_str(j, "edge", tl_edge_kind_name(e->kind));
	j_str(j, "object", obj);
	j_str(j, "kind", tl_lock_kind_name(k));
	j_u64(j, "start_ns", at(c, e->start));
	j_close(j, '}');
}

static void deadlock_obj(struct jctx *c, const struct tl_deadlock *d)
{
	struct json *j = &c->j;

	j_open(j, NULL, '{');
	j_u64(j, "since_ns", at(c, d->since));
	j_u64(j, "until_ns", at(c, d->until));
	j_bool(j, "unresolved", d->unresolved);
	j_open(j, "edges", '[');
	for (size_t i = 0; i < d->n; i++)
		edge_obj(c, &d->e[i]);
	j_close(j, ']');
	j_open(j, "behind", '[');
	for (size_t i = 0; i < d->nbehind; i++)
		edge_obj(c, &d->behind[i]);
	j_close(j, ']');
	j_close(j, '}');
}

static void deadlocks(struct jctx *c)
{
	j_open(&c->j, "deadlocks", '[');
	for (size_t i = 0; i < c->waits->ndl; i++)
		if (tl_report_deadlock_shown(&c->waits->dl[i], c->root))
			deadlock_obj(c, &c->waits->dl[i]);
	j_close(&c->j, ']');
}

/* A socket's far end as the kernel told it (TL_SOCK_PEER). */
static void peer_obj(struct json *j, const struct tl_peer *p)
{
	char buf[96];

	j_open(j, "peer", '{');
	j_str(j, "proto", tl_peer_proto(p));
	j_str(j, "text", tl_peer_text(p, buf, sizeof(buf)));
	j_u64(j, "family", p->family);
	j_u64(j, "inode", p->ino);
	j_u64(j, "local_port", p->sport);
	j_u64(j, "remote_port", p->dport);
	j_u64(j, "state", p->state);
	if (p->peer_pid)
		j_u64(j, "peer_pid", p->peer_pid);
	j_close(j, '}');
}

/* One syscall and object a thread blocked in (analysis/syswaits.h). */
static void syswait_obj(struct jctx *c, const struct tl_syswait *w)
{
	struct json *j = &c->j;
	char obj[256];

	j_open(j, NULL, '{');
	j_str(j, "syscall", tl_syscall_label(w->sys_nr));
	j_i64(j, "nr", w->sys_nr);
	j_str(j, "reason", tl_reason_name(w->why));
	j_str(j, "object", tl_syswait_obj(w, obj, sizeof(obj)));
	if (w->fd_kind != TL_FD_NONE && tl_syscall_takes_fd(w->sys_nr)) {
		j_u64(j, "fd", w->obj);
		j_str(j, "fd_kind", tl_fd_kind_name(w->fd_kind));
	}
	if (w->why == TL_WHY_FUTEX && w->has_obj)
		j_u64(j, "addr", w->obj);
	if (w->peer)
		peer_obj(j, w->peer);
	j_u64(j, "count", w->count);
	j_u64(j, "total_ns", w->total_ns);
	j_u64(j, "longest_ns", w->longest_ns);
	j_u64(j, "longest_at_ns", at(c, w->longest_ts));
	if (w->top_waker) {
		j_u64(j, "top_waker", w->top_waker);
		j_str(j, "top_waker_name", tl_model_task_name(c->m, w->top_waker));
		j_u64(j, "top_waker_pid", w->top_waker_pid);
		j_u64(j, "top_waker_count", w->top_waker_n);
	}
	j_u64(j, "wakers", w->wakers);
	j_u64(j, "irq_wakes", w->irq_wakes);
	j_close(j, '}');
}

static void syswaits_arr(struct jctx *c, const struct tl_thread *t)
{
	struct tl_syswait *w;
	size_t n;

	if (tl_thread_syswaits(c->m, c->waits->sym, t, &w, &n))
		return;
	j_open(&c->j, "syscall_waits", '[');
	for (size_t i = 0; i < n; i++)
		syswait_obj(c, &w[i]);
	j_close(&c->j, ']');
	free(w);
}

static void thread_obj(struct jctx *c, const struct tl_thread *t)
{
	struct json *j = &c->j;
	struct tl_wait_stat *ws;
	size_t nws;

	j_open(j, NULL, '{');
	j_u64(j, "tid", t->tid);
	j_u64(j, "gen", t->gen);
	j_str(j, "name", tl_thread_name(t));
	j_open(j, "names", '[');
	for (size_t i = 0; i < t->nnames; i++)
		j_str(j, NULL, t->names[i].name);
	j_close(j, ']');
	j_u64(j, "start_ns", at(c, t->start));
	j_u64(j, "end_ns", at(c, t->end));
	j_bool(j, "exited", t->flags & TL_THR_EXITED);
	if (t->flags & TL_THR_EXITED)
		j_i64(j, "exit_status", t->exit_code);
	thread_sum(j, &t->sum);
	if (!tl_thread_waits(c->waits->sym, t, &ws, &nws))
		waits_arr(c, "waits", NULL, ws, nws);
	syswaits_arr(c, t);
	timeline(c, t);
	j_close(j, '}');
}

static void proc_exit(struct jctx *c, const struct tl_process *p)
{
	struct json *j = &c->j;
	bool ex = p->flags & TL_PROC_EXITED;

	j_bool(j, "exited", ex);
	if (!ex)
		return;
	j_i64(j, "exit_status", p->exit_status);
	if (tl_proc_exit_signal(p))
		j_i64(j, "signal", tl_proc_exit_signal(p));
	else
		j_i64(j, "exit_code", tl_proc_exit_code(p));
	if (p->flags & TL_PROC_REAPED)
		j_u64(j, "reaped_ns", at(c, p->reaped_ts));
}

static void proc_obj(struct jctx *c, const struct tl_process *p)
{
	struct json *j = &c->j;
	struct tl_par_stats s;
	struct tl_wait_stat *ws;
	size_t nws;

	j_open(j, NULL, '{');
	j_u64(j, "pid", p->pid);
	j_u64(j, "gen", p->gen);
	j_u64(j, "ppid", p->ppid);
	j_str(j, "name", tl_proc_label(p));
	j_str(j, "comm", tl_proc_name(p));
	j_str(j, "cmdline", p->cmdline);
	j_u64(j, "start_ns", at(c, p->start));
	j_u64(j, "end_ns", at(c, p->end));
	proc_exit(c, p);
	j_open(j, "children", '[');
	for (size_t i = 0; i < p->nchildren; i++)
		j_u64(j, NULL, p->children[i]->pid);
	j_close(j, ']');
	if (tl_proc_par_stats(p, 0, 0, &s) == 0)
		par_stats(j, "parallelism", &s);
	if (p->nchildren && tl_tree_par_stats(p, 0, 0, &s) == 0)
		par_stats(j, "tree_parallelism", &s);
	if (!tl_proc_waits(c->waits->sym, p, &ws, &nws))
		waits_arr(c, "locks", p, ws, nws);
	j_open(j, "threads", '[');
	for (size_t i = 0; i < p->nthreads; i++)
		thread_obj(c, p->threads[i]);
	j_close(j, ']');
	j_close(j, '}');
}

int tl_report_json(FILE *out, const struct tl_model *m, const struct tl_load_result *lr,
		   const struct tl_report_opts *o)
{
	struct tl_report_waits w;
	struct jctx c = { .j = { .f = out }, .m = m, .lr = lr,
			  .t0 = tl_model_stats(m)->start, .waits = &w };
	int e;

	if (o->pid && !(c.root = tl_model_find_proc(m, o->pid, 0)))
		return -ENOENT;
	if ((e = tl_report_waits_init(&w, m, o->deadlock_ns))) {
		tl_report_waits_fini(&w);
		return e;
	}
	tl_report_span(m, c.root, &c.span_t0, &c.span_t1);
	if (o->timeline) {
		unsigned w = o->width ? o->width : 80;
		c.cols = w < 60 ? 35 : w > 537 ? 512 : w - 25;
	}
	j_open(&c.j, NULL, '{');
	recording(&c);
	loss(&c);
	j_u64(&c.j, "wakeups", tl_model_nwakeups(m));
	j_u64(&c.j, "forks", tl_model_nforks(m));
	threads_total(&c);
	deadlocks(&c);
	if (c.cols) {
		j_u64(&c.j, "timeline_start_ns", at(&c, c.span_t0));
		j_u64(&c.j, "timeline_columns", c.cols);
		j_u64(&c.j, "timeline_column_ns", (c.span_t1 - c.span_t0) / c.cols);
	}
	j_open(&c.j, "processes", '[');
	for (size_t i = 0; i < tl_model_nprocs(m); i++)
		if (shown(&c, tl_model_proc(m, i)))
			proc_obj(&c, tl_model_proc(m, i));
	j_close(&c.j, ']');
	j_close(&c.j, '}');
	tl_report_waits_fini(&w);
	return ferror(out) ? -EIO : 0;
}
