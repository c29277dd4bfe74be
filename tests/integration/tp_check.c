/* tp_check.c - the trace processor's view of an export against the model
 * (tp_check.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tp.h"
#include "tp_check.h"
#include "userspace/recording/syscalls.h"
#include "userspace/export/perfetto/perfetto_impl.h"

enum { Q_STATS, Q_THREADS, Q_PROCS, Q_STATES, Q_TRACKS, Q_N };

static const char *const queries[Q_N] = {
	[Q_STATS] = "select name, idx, value from stats "
		    "where severity in ('error', 'data_loss') and value > 0",
	[Q_THREADS] = "select utid, tid, upid, name from thread where utid != 0 "
		      "order by utid",
	[Q_PROCS] = "select p.upid, p.pid, p.name, pp.pid as ppid, "
		    "extract_arg(p.arg_set_id, 'process_sort_index_hint') as hint "
		    "from process p "
		    "left join process pp on pp.upid = p.parent_upid "
		    "where p.upid != 0 order by p.upid",
	[Q_STATES] = "select ts.utid, ts.ts, ts.dur, ts.state, w.tid as waker, "
		     "ts.irq_context, ts.blocked_function, ts.io_wait "
		     "from thread_state ts join thread t using (utid) "
		     "left join thread w on w.utid = ts.waker_utid "
		     "where t.upid is not null order by ts.utid, ts.ts",
	[Q_TRACKS] = "select (select count(*) from slice s join thread_track tt "
		     "on s.track_id = tt.id) as thread_slices, "
		     "(select count(*) from counter_track "
		     "where name = 'parallelism') as par_tracks",
};

/* States as the model counts them; -1 for the ones it has no time for
 * (dead, zombie, and states no switch of ours writes). */
static int model_state(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "Running"))
		return TL_ST_RUNNING;
	if (!strcmp(s, "R") || !strcmp(s, "R+"))
		return TL_ST_RUNNABLE;
	if (!strcmp(s, "D"))
		return TL_ST_UNINT;
	if (strchr("STtPI", s[0]) && !s[1])
		return TL_ST_SLEEPING;
	return -1;
}

static int run_export(const char *rec, const char *out)
{
	char log[PATH_MAX + 8];
	int status, fd;
	pid_t pid;

	snprintf(log, sizeof(log), "%s.log", out);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char tl[PATH_MAX + 16];

		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		snprintf(tl, sizeof(tl), "%s/threadline", th_build_dir());
		execl(tl, "threadline", "export", rec, "-o", out, "--check",
		      (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char line[512];
		FILE *f = fopen(log, "r");

		while (f && fgets(line, sizeof(line), f))
			fputs(line, stderr);
		if (f)
			fclose(f);
		return -1;
	}
	unlink(log);
	return 0;
}

void tpc_export(const struct th_run *r, const char *path)
{
	if (run_export(r->path, path))
		fail_msg("threadline export --check %s failed", r->path);
}

/* ---- threads and processes ---- */

struct tpc {
	const struct th_run *r;
	const char *path;
	struct tp_rows q[Q_N];
	const struct tl_thread **by_utid;   /* the model's thread of each utid */
	size_t nutid;
};

static long proc_pid_of_upid(const struct tpc *c, int64_t upid)
{
	const struct tp_rows *p = &c->q[Q_PROCS];

	for (size_t i = 0; i < p->nrows; i++)
		if (tp_int(p, i, 0) == upid)
			return (long)tp_int(p, i, 1);
	return -1;
}

/* The model's threads with t's TID, in creation order: t is the k-th. */
static size_t gen_index(const struct tl_model *m, const struct tl_thread *t,
			size_t *count)
{
	size_t k = 0, n = 0;

	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *x = tl_model_thread(m, i);

		if (x->tid != t->tid)
			continue;
		if (x->gen < t->gen)
			k++;
		n++;
	}
	*count = n;
	return k;
}

/* One utid per generation of each traced TID, in its process, named as
 * the model names it. A utid of that TID in no process is another task
 * that had the TID before (PIDs are reused: an untraced task seen as a
 * switch partner keeps its own utid); a traced generation that landed in
 * no process leaves fewer utids in processes than the model's threads. */
static void check_thread(struct tpc *c, const struct tl_thread *t)
{
	const struct tp_rows *th = &c->q[Q_THREADS];
	size_t ngen, k = gen_index(c->r->m, t, &ngen), seen = 0, loose = 0;
	long utid = -1;

	for (size_t i = 0; i < th->nrows; i++) {
		if (tp_int(th, i, 1) != t->tid)
			continue;
		if (!tp_cell(th, i, 2)) {
			loose++;
			continue;
		}
		if (seen++ == k)
			utid = (long)tp_int(th, i, 0);
	}
	if (seen != ngen)
		fail_msg("thread %u (%s): %zu utids in processes in Perfetto (%zu in "
			 "none), %zu threads in the model", t->tid,
			 tl_thread_name(t), seen, loose, ngen);
	for (size_t i = 0; i < th->nrows; i++) {
		const char *name = tp_cell(th, i, 3);

		if (tp_int(th, i, 0) != utid)
			continue;
		if (t->proc && proc_pid_of_upid(c, tp_int(th, i, 2)) != (long)t->proc->pid)
			fail_msg("thread %u is in process %ld in Perfetto, %u in the model",
				 t->tid, proc_pid_of_upid(c, tp_int(th, i, 2)), t->proc->pid);
		if (!name || strcmp(name, tl_thread_name(t)))
			fail_msg("thread %u is named %s in Perfetto, %s in the model",
				 t->tid, name ? name : "NULL", tl_thread_name(t));
		if ((size_t)utid < c->nutid)
			c->by_utid[utid] = t;
	}
}

/* A process's name in Perfetto is its argv[0] (a path) or its comm; the
 * model's is the comm, which the kernel cuts to 15 characters. */
static bool same_proc_name(const char *pf, const char *model)
{
	const char *base = pf ? strrchr(pf, '/') : NULL;

	base = base ? base + 1 : pf;
	if (!base)
		return false;
	if (strlen(model) >= TL_COMM_LEN - 1)
		return !strncmp(base, model, strlen(model));
	return !strcmp(base, model);
}

static void check_proc(const struct tpc *c, const struct tl_process *p)
{
	const struct tp_rows *pr = &c->q[Q_PROCS];
	size_t want = 0, seen = 0;
	bool named = false, parent_ok = !p->ppid;

	for (size_t i = 0; i < tl_model_nprocs(c->r->m); i++)
		want += tl_model_proc(c->r->m, i)->pid == p->pid;
	for (size_t i = 0; i < pr->nrows; i++) {
		if (tp_int(pr, i, 1) != p->pid)
			continue;
		seen++;
		/* the UI lists processes by this hint, lowest first, others at 0 */
		if (!tp_cell(pr, i, 4) || tp_int(pr, i, 4) >= 0)
			fail_msg("process %u (%s) is not ranked before the untraced ones",
				 p->pid, tl_proc_name(p));
		named |= same_proc_name(tp_cell(pr, i, 2), tl_proc_name(p));
		/* Perfetto keeps the parent that created it; the model's ppid is
		 * the latest (an orphan's is its new reaper) */
		parent_ok |= tp_int(pr, i, 3) == p->ppid ||
			     (p->parent && tp_int(pr, i, 3) == p->parent->pid);
	}
	if (seen != want)
		fail_msg("process %u (%s): %zu upids in Perfetto, %zu processes in the model",
			 p->pid, tl_proc_name(p), seen, want);
	if (!named)
		fail_msg("process %u is not named %s in Perfetto", p->pid, tl_proc_name(p));
	if (!parent_ok)
		fail_msg("process %u: Perfetto's parent is not %u", p->pid, p->ppid);
}

/* ---- states ---- */

uint64_t tpc_known_ns(const struct tl_thread *t, uint64_t a, uint64_t b)
{
	uint64_t ns;

	a = a > t->start ? a : t->start;
	b = b < t->end ? b : t->end;
	if (b <= a)
		return 0;
	ns = b - a;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		uint64_t s = iv->start > a ? iv->start : a, e = iv->end < b ? iv->end : b;

		if (iv->state == TL_ST_UNKNOWN && e > s)
			ns -= e - s;
	}
	return ns;
}

static const char *const state_names[TL_ST_COUNT] = {
	"unknown", "running", "runnable", "sleeping", "uninterruptible"
};

/* The model's time of t in state st from `from` on (the report's totals
 * when from is t's start). */
static uint64_t model_ns_from(const struct tl_thread *t, int st, uint64_t from)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		uint64_t a = iv->start > from ? iv->start : from;

		if (iv->state == st && iv->end > a)
			ns += iv->end - a;
	}
	return ns;
}

/* Perfetto knows nothing of a thread before its first scheduler event;
 * the model has the start snapshot's state from the start of the trace
 * (a launched program's child waits for a CPU there on a busy machine),
 * so the model's times count from that event. */
static void check_times(const struct tpc *c, const struct tl_thread *t,
			const uint64_t *pf, uint64_t first)
{
	bool verbose = getenv("TL_TEST_VERBOSE") != NULL;

	if (verbose)
		printf("  %-7u %-16s", t->tid, tl_thread_name(t));
	for (int s = TL_ST_RUNNING; s < TL_ST_COUNT; s++) {
		uint64_t want = first > t->start ? model_ns_from(t, s, first) : tl_sum_ns(&t->sum, s);
		uint64_t got = pf[s];
		uint64_t diff = got > want ? got - want : want - got;

		if (verbose)
			printf(" %s %.3f/%.3f ms", state_names[s], got / 1e6, want / 1e6);
		if (diff > want / 100 + TPC_SLACK_NS)
			fail_msg("thread %u (%s) %s: %" PRIu64 " ns in Perfetto, %" PRIu64
				 " in the model (%s)", t->tid, tl_thread_name(t), state_names[s],
				 got, want, c->path);
	}
	if (verbose)
		printf("\n");
}

/* The index of t's interval starting at ts, or t->niv. */
static size_t iv_at(const struct tl_thread *t, uint64_t ts)
{
	size_t i = tl_thread_iv_find(t, ts);

	return i < t->niv && tl_thread_iv(t, i).start == ts ? i : t->niv;
}

struct wakers { size_t model, matched, irq, blocked, named; };

/* A blocked row starting where a blocked interval of the model does (in a
 * known syscall, for at least TL_PF_BLOCKED_MIN_NS, ended by a wakeup)
 * names that syscall as its blocked_function. */
static void check_blocked(const struct tl_thread *t, const struct tp_rows *st,
			  size_t row, struct wakers *w)
{
	size_t i = iv_at(t, (uint64_t)tp_int(st, row, 1));
	const char *state = tp_cell(st, row, 3), *fn = tp_cell(st, row, 6);
	const char *want;

	if (i + 1 >= t->niv)
		return;
	struct tl_interval here = tl_thread_iv(t, i), next = tl_thread_iv(t, i + 1);
	const struct tl_interval *iv = &here;
	if (next.state != TL_ST_RUNNABLE ||
	    next.cause != TL_RUN_WOKEN || iv->end - iv->start < TL_PF_BLOCKED_MIN_NS)
		return;
	if ((iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT) ||
	    !state || (strcmp(state, "S") && strcmp(state, "D")) ||
	    iv->block->sys_nr < 0 || !(want = tl_syscall_name(iv->block->sys_nr)))
		return;
	w->blocked++;
	if (!fn || strcmp(fn, want))
		fail_msg("thread %u blocked at %" PRIu64 " in %s: blocked_function %s "
			 "in Perfetto", t->tid, iv->start, want, fn ? fn : "NULL");
	w->named++;
}

/* Each Runnable row a wakeup of the model starts names the model's waker. */
static void check_waker(const struct tl_thread *t, const struct tp_rows *st,
			size_t row, struct wakers *w)
{
	uint64_t ts = (uint64_t)tp_int(st, row, 1);
	size_t i = iv_at(t, ts);
	const char *state = tp_cell(st, row, 3);
	struct tl_interval at;
	const struct tl_interval *iv = i < t->niv ? &at : NULL;

	if (iv)
		at = tl_thread_iv(t, i);
	/* a waking from an interrupt replayed after its wakee's switch-out
	 * sits 1 ns after it (docs/perfetto.md) */
	if (!iv || iv->state != TL_ST_RUNNABLE) {
		i = iv_at(t, ts - 1);
		iv = i < t->niv ? &at : NULL;
		if (iv)
			at = tl_thread_iv(t, i);
	}

	if (!iv || iv->state != TL_ST_RUNNABLE || iv->cause != TL_RUN_WOKEN ||
	    !state || strcmp(state, "R"))
		return;
	if (iv->waker_irq) {
		if (tp_int(st, row, 5) != 1)
			fail_msg("thread %u woken from an interrupt at %" PRIu64
				 ": irq_context %s in Perfetto", t->tid, iv->start,
				 tp_cell(st, row, 5) ? tp_cell(st, row, 5) : "NULL");
		w->irq++;
		return;
	}
	if (!iv->waker)
		return;
	if (tp_int(st, row, 4) != iv->waker)
		fail_msg("thread %u woken at %" PRIu64 " by %u in the model, by %s in "
			 "Perfetto", t->tid, iv->start, iv->waker,
			 tp_cell(st, row, 4) ? tp_cell(st, row, 4) : "nobody");
	w->matched++;
}

static size_t model_wakeups(const struct tl_thread *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->niv; i++)
		n += tl_thread_iv(t, i).state == TL_ST_RUNNABLE && tl_thread_iv(t, i).cause == TL_RUN_WOKEN &&
		     (tl_thread_iv(t, i).waker || tl_thread_iv(t, i).waker_irq);
	return n;
}

static void check_states(struct tpc *c)
{
	const struct tp_rows *st = &c->q[Q_STATES];
	uint64_t end = tl_model_stats(c->r->m)->end;
	struct wakers w = { 0 };
	size_t i = 0;

	while (i < st->nrows) {
		int64_t utid = tp_int(st, i, 0);
		const struct tl_thread *t = (size_t)utid < c->nutid ? c->by_utid[utid] : NULL;
		uint64_t ns[TL_ST_COUNT] = { 0 }, first = (uint64_t)tp_int(st, i, 1);

		for (; i < st->nrows && tp_int(st, i, 0) == utid; i++) {
			uint64_t ts = (uint64_t)tp_int(st, i, 1);
			int64_t dur = tp_int(st, i, 2);
			int s = model_state(tp_cell(st, i, 3));

			if (!t)
				continue;
			if (s >= 0)
				ns[s] += tpc_known_ns(t, ts, dur < 0 ? end : ts + (uint64_t)dur);
			check_waker(t, st, i, &w);
			check_blocked(t, st, i, &w);
		}
		if (t)
			check_times(c, t, ns, first);
	}
	for (size_t k = 0; k < tl_model_nthreads(c->r->m); k++)
		w.model += model_wakeups(tl_model_thread(c->r->m, k));
	if (getenv("TL_TEST_VERBOSE"))
		printf("  wakeups: %zu in the model, %zu with Perfetto's waker, %zu irq;"
		       " %zu blocked rows named\n", w.model, w.matched, w.irq, w.named);
	/* each one starts a Runnable row (one that beat its wakee's switch-out
	 * too: the export replays it after the switch) */
	/* one in a hundred (at least one) may race its wakee's switch-out on
	 * another CPU by less than the importer's ordering can tell */
	if (w.matched + w.irq > w.model ||
	    (w.model - w.matched - w.irq) > (w.model / 100 > 1 ? w.model / 100 : 1))
		fail_msg("%zu of the model's %zu wakeups have Perfetto's waker (%s)",
			 w.matched + w.irq, w.model, c->path);
}

static void check_stats(const struct tp_rows *s)
{
	for (size_t i = 0; i < s->nrows; i++)
		fprintf(stderr, "stat %s[%s] = %s\n", tp_cell(s, i, 0),
			tp_cell(s, i, 1) ? tp_cell(s, i, 1) : "", tp_cell(s, i, 2));
	if (s->nrows)
		fail_msg("the trace processor reports %zu error/data-loss stats", s->nrows);
}

static void check_tracks(const struct tpc *c)
{
	const struct tl_model *m = c->r->m;
	bool blocked = false;

	for (size_t i = 0; i < tl_model_nthreads(m) && !blocked; i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		blocked = tl_sum_ns(&t->sum, TL_ST_SLEEPING) + tl_sum_ns(&t->sum, TL_ST_UNINT) > 0;
	}
	if (blocked && tp_int(&c->q[Q_TRACKS], 0, 0) == 0)
		fail_msg("no blocking slice on any thread track");
	if (tp_int(&c->q[Q_TRACKS], 0, 1) == 0)
		fail_msg("no parallelism counter track");
}

/* The model's parallelism of r's root process against Perfetto's. */
static void check_parallelism(const struct th_run *r)
{
	const struct tl_process *p = r->root;
	uint64_t pf[TL_PAR_LEVELS] = { 0 }, slack;
	struct tl_par_stats ms;

	if (!p || tl_proc_par_stats(p, 0, 0, &ms))
		return;
	tpc_parallelism(r, p, pf, TL_PAR_LEVELS);
	slack = ms.span_ns / 100 + ms.unknown_ns + TPC_SLACK_NS;
	for (unsigned k = 0; k < TL_PAR_LEVELS; k++) {
		uint64_t d = pf[k] > ms.par_ns[k] ? pf[k] - ms.par_ns[k] : ms.par_ns[k] - pf[k];

		if (getenv("TL_TEST_VERBOSE") && (pf[k] || ms.par_ns[k]))
			printf("  parallelism %u: %.3f ms in Perfetto, %.3f in the model\n",
			       k, pf[k] / 1e6, ms.par_ns[k] / 1e6);
		if (d > slack)
			fail_msg("process %u: %" PRIu64 " ns at parallelism %u in Perfetto, %"
				 PRIu64 " in the model", p->pid, pf[k], k, ms.par_ns[k]);
	}
}

bool tpc_check(const struct th_run *r, const char *path)
{
	struct tpc c = { .r = r, .path = path };

	if (!tp_path())
		return false;
	tpc_export(r, path);
	tp_query(path, NULL, queries, Q_N, c.q);
	if (getenv("TL_TEST_VERBOSE"))
		printf("trace processor on %s (Perfetto / model):\n", path);
	check_stats(&c.q[Q_STATS]);
	c.nutid = c.q[Q_THREADS].nrows ? (size_t)tp_int(&c.q[Q_THREADS],
						c.q[Q_THREADS].nrows - 1, 0) + 1 : 0;
	c.by_utid = calloc(c.nutid + 1, sizeof(*c.by_utid));
	assert_non_null(c.by_utid);
	for (size_t i = 0; i < tl_model_nprocs(r->m); i++)
		check_proc(&c, tl_model_proc(r->m, i));
	for (size_t i = 0; i < tl_model_nthreads(r->m); i++)
		check_thread(&c, tl_model_thread(r->m, i));
	check_states(&c);
	check_tracks(&c);
	free(c.by_utid);
	tp_free(c.q, Q_N);
	check_parallelism(r);
	return true;
}

long tpc_utid(const struct th_run *r, const struct tl_thread *t)
{
	char sql[256];
	const char *q[1] = { sql };
	struct tp_rows rows;
	long utid = -1;

	snprintf(sql, sizeof(sql), "select utid from thread join process using (upid) "
		 "where tid = %u and pid = %u order by utid", t->tid,
		 t->proc ? t->proc->pid : t->tid);
	tp_query(r->pftrace, NULL, q, 1, &rows);
	if (rows.nrows)
		utid = (long)tp_int(&rows, rows.nrows > t->gen ? t->gen : 0, 0);
	tp_free(&rows, 1);
	if (utid < 0)
		fail_msg("thread %u is not in Perfetto's thread table", t->tid);
	return utid;
}

size_t tpc_critical_path(const struct th_run *r, const struct tl_thread *t,
			 uint64_t ts, uint64_t dur, struct tpc_cp *out, size_t max)
{
	char sql[512];
	const char *q[1] = { sql };
	struct tp_rows rows;
	size_t n;

	snprintf(sql, sizeof(sql), "select t.tid, sum(cp.dur) as ns "
		 "from _thread_executing_span_critical_path(%ld, %" PRIu64 ", %" PRIu64
		 ") cp join thread t using (utid) group by t.tid order by ns desc",
		 tpc_utid(r, t), ts, dur);
	tp_query(r->pftrace, "include perfetto module sched.thread_executing_span;",
		 q, 1, &rows);
	n = rows.nrows;
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = (struct tpc_cp){ (uint32_t)tp_int(&rows, i, 0),
					  (uint64_t)tp_int(&rows, i, 1) };
	tp_free(&rows, 1);
	return n;
}

/* "with life(utid, s, e) as (values (...), ...)": p's threads' lives. */
static size_t lives_sql(const struct th_run *r, const struct tl_process *p,
			char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "life(utid, s, e) as (values ");

	for (size_t i = 0; i < p->nthreads && n < len; i++) {
		const struct tl_thread *t = p->threads[i];

		n += (size_t)snprintf(buf + n, len - n, "%s(%ld, %" PRIu64 ", %" PRIu64 ")",
				      i ? ", " : "", tpc_utid(r, t), t->start, t->end);
	}
	n += (size_t)snprintf(buf + n, len > n ? len - n : 0, ")");
	if (n >= len)
		fail_msg("too many threads for the parallelism query");
	return n;
}

void tpc_parallelism(const struct th_run *r, const struct tl_process *p,
		     uint64_t *ns_at, size_t max)
{
	char life[8192], sql[16384];
	const char *q[1] = { sql };
	struct tp_rows rows;

	lives_sql(r, p, life, sizeof(life));
	snprintf(sql, sizeof(sql),
		 "with %s, run as (select max(ts.ts, life.s) as ts, "
		 "min(ts.ts + ts.dur, life.e) - max(ts.ts, life.s) as dur "
		 "from thread_state ts join life using (utid) "
		 "where ts.state = 'Running' and ts.dur > 0), "
		 "runs as (select * from run where dur > 0), "
		 "steps as (select ts, value, lead(ts, 1, %" PRIu64 ") over (order by ts) "
		 "as next from intervals_overlap_count!(runs, ts, dur)) "
		 "select value, sum(min(next, %" PRIu64 ") - max(ts, %" PRIu64 ")) as ns "
		 "from steps where next > %" PRIu64 " and ts < %" PRIu64 " group by value",
		 life, p->end, p->end, p->start, p->start, p->end);
	tp_query(r->pftrace, "include perfetto module intervals.overlap;", q, 1, &rows);
	memset(ns_at, 0, max * sizeof(*ns_at));
	for (size_t i = 1; i < max; i++)
		for (size_t k = 0; k < rows.nrows; k++)
			if (tp_int(&rows, k, 0) == (int64_t)i)
				ns_at[i] += (uint64_t)tp_int(&rows, k, 1);
	/* the counts start at the first Running row: level 0 is the rest */
	ns_at[0] = p->end - p->start;
	for (size_t i = 1; i < max; i++)
		ns_at[0] -= ns_at[i] < ns_at[0] ? ns_at[i] : ns_at[0];
	tp_free(&rows, 1);
}
