/* test_demos_a.c - the process demos (A1-A5) run under the real tracer; each
 * test asserts the demo's kernel-visible signature from the model, never
 * from the demo's own output. Tolerances fit a noisy 2-core machine. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "harness.h"

#define MAXP 64

static void assert_exited_ok(const struct tl_process *p)
{
	assert_true(p->flags & TL_PROC_EXITED);
	assert_int_equal(tl_proc_exit_code(p), 0);
}

/* Fork edges (processes, not threads) from process parent to child. */
static size_t forks_between(const struct tl_model *m, uint32_t parent, uint32_t child)
{
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nforks(m); i++) {
		const struct tl_fork_ev *f = tl_model_fork(m, i);

		if (!f->thread && f->parent_pid == parent && (!child || f->child_pid == child))
			n++;
	}
	return n;
}

static const struct tl_exit_ev *group_exit(const struct tl_model *m, uint32_t pid)
{
	for (size_t i = 0; i < tl_model_nexits(m); i++) {
		const struct tl_exit_ev *e = tl_model_exit(m, i);

		if (e->pid == pid && e->group_dead)
			return e;
	}
	return NULL;
}

static void test_a1_fork(void **state)
{
	const struct tl_process *parent, *child;
	const struct tl_interval *wait;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "a1_fork", NULL);
	parent = r.root;
	assert_string_equal(tl_proc_name(parent), "parent");
	assert_exited_ok(parent);
	child = dc_proc(&r, "child");
	/* one fork, parent -> child, and the child's parent is the parent */
	assert_int_equal(forks_between(r.m, parent->pid, 0), 1);
	assert_int_equal(forks_between(r.m, parent->pid, child->pid), 1);
	assert_ptr_equal(child->parent, parent);
	assert_int_equal(child->ppid, parent->pid);
	assert_int_equal(tl_proc_exit_code(child), 7);
	/* the parent Sleeping in wait4 from the fork until the child exits */
	wait = dc_last_blocked(dc_main(&r), TL_WHY_CHILD);
	assert_non_null(wait);
	assert_int_equal(wait->block->sys_nr, TL_NR_WAIT4);
	assert_true(wait->start < child->start + TH_MS(50));
	assert_true(child->end - child->start >= TH_MS(250));
	assert_true(wait->end >= child->end);
	assert_true(wait->end - child->end < TH_MS(20));
	assert_int_equal(wait->waker, child->pid);
	assert_true(child->flags & TL_PROC_REAPED);
	assert_true(child->reaped_ts >= child->end);
	th_free(&r);
}

/* Asserts A2's signature; false if the machine was too busy to measure. */
static bool check_a2(const struct th_run *r, size_t workers)
{
	const struct tl_process *w[MAXP];
	uint64_t first_fork = UINT64_MAX, last_fork = 0, first_end = UINT64_MAX, last_end = 0;
	uint64_t serial_run;
	double par, meas;
	struct tl_par_stats s;
	struct tl_iv_filter f = { .states = TL_F_BLOCKED, .by_reason = true, .why = TL_WHY_CHILD };

	assert_exited_ok(r->root);
	assert_int_equal(th_procs_prefixed(r, "worker-", w, MAXP), workers);
	for (size_t i = 0; i < workers; i++) {
		first_fork = w[i]->start < first_fork ? w[i]->start : first_fork;
		last_fork = w[i]->start > last_fork ? w[i]->start : last_fork;
		first_end = w[i]->end < first_end ? w[i]->end : first_end;
		last_end = w[i]->end > last_end ? w[i]->end : last_end;
	}
	/* serial phase: one thread computing, parallelism never above 1 */
	assert_int_equal(tl_tree_par_stats(r->root, r->root->start, first_fork, &s), 0);
	assert_true(s.max_par <= 1);
	serial_run = tl_thread_state_ns(dc_main(r), TL_ST_RUNNING, r->root->start, first_fork);
	assert_true(serial_run >= TH_MS(700));
	/* the parent Sleeping in wait4 until the last worker exits */
	f.t0 = last_fork;
	f.t1 = last_end;
	assert_true((double)tl_thread_sum_ns(dc_main(r), &f) >= 0.9 * (double)(last_end - last_fork));
	assert_true(dc_last_blocked(dc_main(r), TL_WHY_CHILD)->end >= last_end);
	/* process phase: both workers Running at once for most of it */
	assert_true(first_end > last_fork + TH_MS(250));
	par = dc_par_share_free(tl_proc_tree_series(r->root), last_fork, first_end, 2, &meas);
	print_message("a2: process phase %.0f ms, parallelism 2 for %.0f%% of the %.0f%% "
		      "when no CPU was taken from it\n", (double)(first_end - last_fork) / 1e6,
		      100 * par, 100 * meas);
	if (meas < DC_MIN_MEASURABLE)
		return false;
	assert_true(par >= 0.7);
	/* wall time about half of the serial phase's (when the machine was ours) */
	if (meas >= 0.9)
		assert_true((double)(last_end - first_fork) <= 0.7 * (double)serial_run);
	return true;
}

static void test_a2_process_parallel(void **state)
{
	(void)state;
	dc_record_until("a2_process_parallel", check_a2, 2);
}

static bool signal_sent(const struct tl_model *m, uint32_t to_pid, int sig)
{
	for (size_t i = 0; i < tl_model_nsignals(m); i++) {
		const struct tl_signal_ev *e = tl_model_signal(m, i);

		if (!e->delivered && e->target_pid == to_pid && e->sig == sig)
			return true;
	}
	return false;
}

static void test_a3_process_lifecycle(void **state)
{
	const struct tl_process *worker, *zombie, *middle, *orphan, *owner, *daemon;
	const struct tl_exit_ev *e;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "a3_process_lifecycle", NULL);
	assert_exited_ok(r.root);
	/* terminate(): ended by SIGTERM, sent by the parent */
	worker = dc_proc(&r, "worker");
	assert_int_equal(tl_proc_exit_signal(worker), SIGTERM);
	assert_true(signal_sent(r.m, worker->pid, SIGTERM));
	/* zombie: exited with code 3, reaped about 300 ms later */
	zombie = dc_proc(&r, "short-lived");
	assert_int_equal(tl_proc_exit_code(zombie), 3);
	assert_true(zombie->flags & TL_PROC_REAPED);
	assert_true(zombie->reaped_ts - zombie->end >= TH_MS(250));
	assert_true(zombie->reaped_ts - zombie->end <= TH_MS(1000));
	/* orphan: forked by "middle", which exits first; reaped by the parent */
	middle = dc_proc(&r, "middle");
	orphan = dc_proc(&r, "orphan");
	assert_int_equal(forks_between(r.m, middle->pid, orphan->pid), 1);
	assert_true(middle->end < orphan->end);
	e = group_exit(r.m, orphan->pid);
	assert_non_null(e);
	assert_int_equal(e->reaper_tid, r.root->pid);
	/* daemon: killed (SIGKILL) when its parent "owner" exits */
	owner = dc_proc(&r, "owner");
	daemon = dc_proc(&r, "daemon");
	assert_int_equal(forks_between(r.m, owner->pid, daemon->pid), 1);
	assert_int_equal(tl_proc_exit_signal(daemon), SIGKILL);
	assert_true(signal_sent(r.m, daemon->pid, SIGKILL));
	assert_true(daemon->end >= owner->end);
	assert_true(daemon->end - owner->end < TH_MS(50));
	th_free(&r);
}

/* Task marks of the tree inside [t0, t1), sorted by time (model order). */
static size_t task_marks(const struct th_run *r, uint32_t kind, uint64_t t0, uint64_t t1,
			 uint64_t *ts, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nmarks(r->m); i++) {
		const struct tl_mark *mk = tl_model_mark(r->m, i);
		const struct tl_thread *t = tl_model_find_thread(r->m, mk->tid, mk->ts);

		if (mk->kind != kind || mk->ts < t0 || mk->ts >= t1 || !t ||
		    strncmp(tl_proc_name(t->proc), "pool-worker-", 12))
			continue;
		if (n < max)
			ts[n] = mk->ts;
		n++;
	}
	return n;
}

static double par_at_least(const struct tl_par_stats *s, unsigned k)
{
	double share = 0;

	for (unsigned i = k; i < TL_PAR_LEVELS; i++)
		share += tl_par_share(s, i);
	return share;
}

static void check_a4_sync(const struct th_run *r, int n)
{
	uint64_t t0, t1, b[MAXP], e[MAXP];
	struct tl_par_stats s;

	dc_phase(r, "sync", &t0, &t1);
	assert_int_equal(task_marks(r, TL_USDT_TASK_BEGIN, t0, t1, b, MAXP), n + 1);
	assert_int_equal(task_marks(r, TL_USDT_TASK_END, t0, t1, e, MAXP), n + 1);
	for (int i = 1; i <= n; i++)
		assert_true(b[i] >= e[i - 1]); /* one task at a time */
	assert_int_equal(tl_tree_par_stats(r->root, t0, t1, &s), 0);
	print_message("a4 sync: parallelism >= 2 for %.1f%%\n", 100 * par_at_least(&s, 2));
	assert_true(par_at_least(&s, 2) <= 0.1);
}

static bool check_a4_async(const struct th_run *r, int n)
{
	uint64_t t0, t1, b[MAXP], e[MAXP];
	double par, meas;

	dc_phase(r, "async", &t0, &t1);
	assert_int_equal(task_marks(r, TL_USDT_TASK_BEGIN, t0, t1, b, MAXP), n + 1);
	assert_int_equal(task_marks(r, TL_USDT_TASK_END, t0, t1, e, MAXP), n + 1);
	assert_true(b[n - 1] < e[0]);  /* N tasks started before any ended */
	assert_true(b[n] >= e[0]);     /* task N+1 waited for a free worker */
	/* while the first wave runs, N workers are Running at once */
	assert_true(e[0] > b[n - 1] + TH_MS(150));
	par = dc_par_share_free(tl_proc_tree_series(r->root), b[n - 1], e[0], (unsigned)n,
				&meas);
	print_message("a4 async: parallelism %d for %.1f%% of the first wave (%.0f%% measurable)\n",
		      n, 100 * par, 100 * meas);
	if (meas < DC_MIN_MEASURABLE)
		return false;
	assert_true(par >= 0.7);
	return true;
}

/* Asserts A4's signature for `workers` = N; false if the machine was too
 * busy to measure. */
static bool check_a4(const struct th_run *r, size_t workers)
{
	const struct tl_process *w[MAXP];
	uint64_t t0, t1, c0, c1;
	int n = (int)workers;

	assert_exited_ok(r->root);
	/* exactly N workers, forked once each, alive from before the first
	 * task until the pool is closed; nothing forked per task */
	assert_int_equal(th_procs_prefixed(r, "pool-worker-", w, MAXP), n);
	assert_int_equal(tl_proc_nforks(r->m, r->root), (size_t)n);
	assert_int_equal(th_procs_prefixed(r, "", NULL, 0), (size_t)n + 1);
	dc_phase(r, "sync", &t0, &t1);
	dc_phase(r, "close", &c0, &c1);
	for (int i = 0; i < n; i++) {
		assert_int_equal(w[i]->nthreads, 1);
		assert_true(w[i]->start < t0);
		assert_true(w[i]->end >= c0);
	}
	/* 2 x (N+1) tasks, all run by those N processes */
	assert_int_equal(dc_count_marks(r, TL_USDT_TASK_BEGIN, "pool-task"), 2 * (size_t)(n + 1));
	check_a4_sync(r, n);
	return check_a4_async(r, n);
}

static void test_a4_process_pool(void **state)
{
	(void)state;
	dc_record_until("a4_process_pool", check_a4, (size_t)sysconf(_SC_NPROCESSORS_ONLN));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* When the creator's clone-family syscall that returned t's TID began
 * (from the opt-in group "syscalls": the fork and new-task events come at
 * the end of the creation, after the copying this test measures). */
static uint64_t clone_start(const struct tl_model *m, const struct tl_thread *t)
{
	const struct tl_thread *c = tl_model_find_thread(m, t->creator_tid, t->start);

	for (size_t i = 0; c && i < c->nsys; i++)
		if (tl_syscall_is_clone(c->sys[i].nr) && c->sys[i].ret == (int64_t)t->tid)
			return c->sys[i].start;
	fail_msg("no clone syscall of %u returned %u", t->creator_tid, t->tid);
	return 0;
}

/* The work of creating t up to `until`: the time from its creator's clone
 * to until, less what t spent Runnable meanwhile (waiting for a CPU, as a
 * new task placed on an idle virtual CPU does for tens of microseconds,
 * is no part of the cost of creating it). */
static uint64_t creation_ns(const struct tl_model *m, const struct tl_thread *t,
			    uint64_t until)
{
	uint64_t from = clone_start(m, t);

	assert_true(until > from);
	return until - from - tl_thread_state_ns(t, TL_ST_RUNNABLE, from, until);
}

/* One run of a5: whether the best thread creation beat the best fork and
 * the best fork the best spawn. */
static bool a5_once(void)
{
	const struct tl_thread *th[MAXP];
	const struct tl_process *p[MAXP];
	uint64_t lt[MAXP], lf[MAXP], ls[MAXP];
	struct th_run r;
	size_t k = 30;
	bool ordered;

	th_record_demo_with(&r, TH_WITH_SYSCALLS, "a5_spawn_cost", NULL);
	assert_exited_ok(r.root);
	assert_int_equal(th_threads_prefixed(&r, "thread-", th, MAXP), k);
	for (size_t i = 0; i < k; i++)
		lt[i] = creation_ns(r.m, th[i], dc_first_run(th[i]));
	assert_int_equal(th_procs_prefixed(&r, "forked-", p, MAXP), k);
	for (size_t i = 0; i < k; i++)
		lf[i] = creation_ns(r.m, p[i]->threads[0], dc_first_run(p[i]->threads[0]));
	/* spawned: a clone sharing memory, then a whole exec of the program */
	assert_int_equal(th_procs_prefixed(&r, "spawned", p, MAXP), k);
	for (size_t i = 0; i < k; i++) {
		assert_int_equal(p[i]->nexecs, 1);
		ls[i] = creation_ns(r.m, p[i]->threads[0], p[i]->execs[0].ts);
	}
	print_message("a5 medians: thread %.1f us, fork %.1f us, spawn to exec %.1f us\n",
		      (double)median(lt, k) / 1e3, (double)median(lf, k) / 1e3,
		      (double)median(ls, k) / 1e3);
	/* compare the best cases (median() sorted them): the cost of creation
	 * itself, without what a busy machine adds at random */
	print_message("a5 minima:  thread %.1f us, fork %.1f us, spawn to exec %.1f us\n",
		      (double)lt[0] / 1e3, (double)lf[0] / 1e3, (double)ls[0] / 1e3);
	ordered = lt[0] < lf[0] && lf[0] < ls[0];
	th_free(&r);
	return ordered;
}

/* A thread costs less to create than a process, and a process less than
 * one that also runs a new program. Stalls the machine adds at random
 * (another program holding the address-space lock a new thread's stack
 * needs) can hide that in one run: up to DC_ATTEMPTS runs. */
static void test_a5_spawn_cost(void **state)
{
	bool ordered = false;

	(void)state;
	for (int i = 0; i < DC_ATTEMPTS && !ordered; i++)
		ordered = a5_once();
	assert_true(ordered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a1_fork),
		cmocka_unit_test(test_a2_process_parallel),
		cmocka_unit_test(test_a3_process_lifecycle),
		cmocka_unit_test(test_a4_process_pool),
		cmocka_unit_test(test_a5_spawn_cost),
	};

	return cmocka_run_group_tests_name("demos_a", tests, NULL, NULL);
}
