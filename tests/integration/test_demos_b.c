/* test_demos_b.c - the thread demos (B1-B5) run under the real tracer; each
 * test asserts the demo's kernel-visible signature from the model, never
 * from the demo's own output. Tolerances fit a noisy 2-core machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "harness.h"

#define MAXT 64
#define CLONE_THREAD_FLAG 0x10000ull

/* Earliest and latest start and end of threads t[0..n). */
struct span {
	uint64_t first_start, last_start, first_end, last_end;
};

static struct span span_of(const struct tl_thread *const *t, size_t n)
{
	struct span s = { UINT64_MAX, 0, UINT64_MAX, 0 };

	for (size_t i = 0; i < n; i++) {
		s.first_start = t[i]->start < s.first_start ? t[i]->start : s.first_start;
		s.last_start = t[i]->start > s.last_start ? t[i]->start : s.last_start;
		s.first_end = t[i]->end < s.first_end ? t[i]->end : s.first_end;
		s.last_end = t[i]->end > s.last_end ? t[i]->end : s.last_end;
	}
	return s;
}

static uint64_t futex_ns(const struct tl_thread *t, uint64_t t0, uint64_t t1)
{
	struct tl_iv_filter f = { .states = TL_F_BLOCKED, .by_reason = true,
				  .why = TL_WHY_FUTEX, .t0 = t0, .t1 = t1 };

	return tl_thread_sum_ns(t, &f);
}

/* A futex wait of `main` that ended when `w` exited, woken by it (a join). */
static bool joined_by_exit(const struct th_run *r, const struct tl_thread *main_t,
			   const struct tl_thread *w)
{
	for (size_t i = 0; i < main_t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(main_t, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_FUTEX)
			continue;
		if (iv->waker == w->tid && iv->end + TH_MS(20) >= w->end &&
		    iv->end <= w->end + TH_MS(20) && tl_iv_is_join(r->m, iv))
			return true;
	}
	return false;
}

static void test_b1_threads(void **state)
{
	const struct tl_thread *w[3], *main_t;
	size_t clones = 0;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "b1_threads", NULL);
	main_t = dc_main(&r);
	w[0] = dc_thread(&r, "worker-1");
	w[1] = dc_thread(&r, "worker-2");
	w[2] = dc_thread(&r, "worker-3");
	/* three clones with CLONE_THREAD by main, all in main's process */
	for (size_t i = 0; i < tl_model_nforks(r.m); i++) {
		const struct tl_fork_ev *f = tl_model_fork(r.m, i);

		if (f->parent_pid != r.root->pid)
			continue;
		assert_true(f->thread);
		assert_int_equal(f->parent_tid, main_t->tid);
		assert_int_equal(f->child_pid, r.root->pid);
		if (f->clone_flags)
			assert_true(f->clone_flags & CLONE_THREAD_FLAG);
		clones++;
	}
	assert_int_equal(clones, 3);
	assert_int_equal(r.root->nthreads, 4);
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(w[i]->proc, r.root);
		assert_true(w[i]->flags & TL_THR_EXITED);
		/* main Sleeping in futex (the join) until each worker exits */
		assert_true(joined_by_exit(&r, main_t, w[i]));
	}
	assert_true((double)futex_ns(main_t, span_of(w, 3).last_start, w[2]->end) >=
		    0.85 * (double)(w[2]->end - span_of(w, 3).last_start));
	th_free(&r);
}

static void test_b2_daemon_threads(void **state)
{
	const struct tl_thread *d[2], *w[2], *main_t;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "b2_daemon_threads", NULL);
	main_t = dc_main(&r);
	d[0] = dc_thread(&r, "daemon-1");
	d[1] = dc_thread(&r, "daemon-2");
	w[0] = dc_thread(&r, "worker-1");
	w[1] = dc_thread(&r, "worker-2");
	/* the non-daemon workers run to completion first */
	assert_true(w[0]->end - w[0]->start >= TH_MS(250));
	assert_true(w[1]->end - w[1]->start >= TH_MS(450));
	assert_true(w[1]->end <= main_t->end);
	for (int i = 0; i < 2; i++) {
		/* the daemons were still ticking and died with the process */
		assert_true(d[i]->start < w[0]->start);
		assert_true(dc_thread_marks(d[i], TL_USDT_MARK, "daemon-tick") >= 10);
		assert_true(d[i]->end >= w[1]->end);
		assert_true(d[i]->end + TH_MS(20) >= main_t->end);
		assert_true(d[i]->end <= main_t->end + TH_MS(20));
		assert_true(d[i]->end <= r.root->end);
	}
	th_free(&r);
}

/* The futex address most of the threads' futex waits are on; *share = its
 * fraction of all their futex waits, *n = their number. */
static uint64_t main_futex(const struct tl_thread *const *t, size_t nt, double *share,
			   size_t *n)
{
	uint64_t best = 0;
	size_t best_n = 0, total = 0;

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->niv; j++) {
			struct tl_interval iv_v = tl_thread_iv(t[i], j);
			const struct tl_interval *iv = &iv_v;
			size_t c = 0;

			if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_FUTEX)
				continue;
			total++;
			for (size_t k = 0; k < nt; k++)
				c += dc_count_blocked(t[k], TL_WHY_FUTEX, true, iv->block->obj, 0, 0);
			if (c > best_n) {
				best_n = c;
				best = iv->block->obj;
			}
		}
	*share = total ? (double)best_n / (double)total : 0;
	*n = total;
	return best;
}

/* Woken from a futex wait on addr, ran under 1 ms, blocked on addr again. */
static size_t failed_wakeups(const struct tl_thread *t, uint64_t addr)
{
	size_t n = 0;

	for (size_t i = 0; i + 2 < t->niv; i++) {
		struct tl_interval a_v = tl_thread_iv(t, i);
		const struct tl_interval *a = &a_v;
		size_t j = i + 1;
		uint64_t ran = 0;

		if (a->state != TL_ST_SLEEPING || a->block->obj != addr)
			continue;
		for (; j < t->niv && tl_thread_iv(t, j).state <= TL_ST_RUNNABLE &&
		       tl_thread_iv(t, j).state != TL_ST_UNKNOWN; j++)
			if (tl_thread_iv(t, j).state == TL_ST_RUNNING)
				ran += tl_thread_iv(t, j).end - tl_thread_iv(t, j).start;
		if (j < t->niv && tl_thread_iv(t, j).state == TL_ST_SLEEPING &&
		    tl_thread_iv(t, j).block->obj == addr && ran < TH_MS(1))
			n++;
	}
	return n;
}

static void check_b3_gil(const struct th_run *r, size_t n)
{
	const struct tl_thread *t[MAXT];
	uint64_t t0, t1, gil;
	size_t waits, failed = 0;
	struct tl_par_stats s;
	double share;

	assert_int_equal(th_threads_prefixed(r, "gil-thread-", t, MAXT), n);
	t0 = span_of(t, n).first_start;
	t1 = span_of(t, n).last_end;
	/* no speed-up: n x 400 ms of work takes about n x 400 ms */
	assert_true(t1 - t0 >= (uint64_t)n * TH_MS(350));
	assert_int_equal(tl_proc_par_stats(r->root, t0, t1, &s), 0);
	print_message("b3 gil: %.0f ms, parallelism <= 1 for %.1f%%\n", (double)s.span_ns / 1e6,
		      100 * (tl_par_share(&s, 0) + tl_par_share(&s, 1)));
	assert_true(tl_par_share(&s, 0) + tl_par_share(&s, 1) >= 0.95);
	/* heavy futex contention, all on the variable `gil` */
	gil = main_futex(t, n, &share, &waits);
	print_message("b3 gil: %zu futex waits, %.0f%% on one address\n", waits, 100 * share);
	assert_true(waits >= 20);
	assert_true(share >= 0.95);
	assert_string_equal(dc_addr_name(r, gil), "gil");
	for (size_t i = 0; i < n; i++)
		failed += failed_wakeups(t[i], gil);
	print_message("b3 gil: %zu wakeups that failed to get the lock\n", failed);
	assert_true(failed >= 5);
}

/* false if the machine was too busy to measure */
static bool check_b3_parallel(const struct th_run *r, const char *prefix, size_t n,
			      uint64_t gil)
{
	const struct tl_thread *t[MAXT];
	const struct tl_process *p[MAXT];
	uint64_t t0, t1;
	double par, meas;
	size_t nt = th_threads_prefixed(r, prefix, t, MAXT);

	if (!strcmp(prefix, "gil-proc-")) {
		assert_int_equal(th_procs_prefixed(r, prefix, p, MAXT), n);
		for (size_t i = 0; i < n; i++)
			t[i] = p[i]->threads[0];
		nt = n;
	}
	assert_int_equal(nt, n);
	t0 = span_of(t, n).last_start;
	t1 = span_of(t, n).first_end;
	assert_true(t1 > t0 + TH_MS(250));
	par = dc_par_share_free(tl_proc_tree_series(r->root), t0, t1, 2, &meas);
	print_message("b3 %s: parallelism 2 for %.1f%% (%.0f%% measurable)\n", prefix,
		      100 * par, 100 * meas);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(dc_count_blocked(t[i], TL_WHY_FUTEX, true, gil, 0, 0), 0);
	if (meas < DC_MIN_MEASURABLE)
		return false;
	assert_true(par >= 0.7);
	return true;
}

static bool check_b3(const struct th_run *r, size_t n)
{
	const struct tl_thread *t[MAXT];
	uint64_t gil;
	double share;
	size_t waits;
	bool nogil_ok, procs_ok;

	check_b3_gil(r, n);
	th_threads_prefixed(r, "gil-thread-", t, MAXT);
	gil = main_futex(t, n, &share, &waits);
	nogil_ok = check_b3_parallel(r, "nogil-thread-", n, gil);
	procs_ok = check_b3_parallel(r, "gil-proc-", n, gil);
	return nogil_ok && procs_ok;
}

static void test_b3_gil(void **state)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	dc_record_until("b3_gil", check_b3, cpus > 2 ? (size_t)cpus : 2);
}

static void test_b4_io_vs_cpu(void **state)
{
	const struct tl_thread *io[MAXT], *cpu[MAXT];
	uint64_t lo = 0, hi = UINT64_MAX, t0, t1;
	struct tl_par_stats s;
	size_t gil_waits = 0;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "b4_io_vs_cpu", NULL);
	/* I/O-bound threads: their 200 ms waits in poll overlap */
	assert_int_equal(th_threads_prefixed(&r, "io-thread-", io, MAXT), 4);
	for (int i = 0; i < 4; i++) {
		const struct tl_interval *iv = dc_longest_blocked(io[i], TL_WHY_POLL);

		assert_non_null(iv);
		assert_true(iv->end - iv->start >= TH_MS(150));
		lo = iv->start > lo ? iv->start : lo;
		hi = iv->end < hi ? iv->end : hi;
	}
	assert_true(hi > lo + TH_MS(150));
	assert_true(span_of(io, 4).last_end - span_of(io, 4).first_start <= TH_MS(350));
	/* ... and serially the same waits take four times as long */
	assert_int_equal(dc_count_blocked(dc_main(&r), TL_WHY_POLL, false, 0, 0,
					  span_of(io, 4).first_start), 4);
	/* CPU-bound threads under the lock: no speed-up, never in parallel */
	assert_int_equal(th_threads_prefixed(&r, "cpu-thread-", cpu, MAXT), 4);
	t0 = span_of(cpu, 4).first_start;
	t1 = span_of(cpu, 4).last_end;
	assert_true(t1 - t0 >= TH_MS(350));
	assert_int_equal(tl_proc_par_stats(r.root, t0, t1, &s), 0);
	assert_true(tl_par_share(&s, 0) + tl_par_share(&s, 1) >= 0.95);
	for (int i = 0; i < 4; i++)
		gil_waits += dc_count_blocked(cpu[i], TL_WHY_FUTEX, false, 0, 0, 0);
	assert_true(gil_waits >= 3);
	th_free(&r);
}

static void mark_span(const struct th_run *r, uint32_t kind, uint64_t *first, uint64_t *last)
{
	*first = UINT64_MAX;
	*last = 0;
	for (size_t i = 0; i < tl_model_nmarks(r->m); i++) {
		const struct tl_mark *mk = tl_model_mark(r->m, i);

		if (mk->kind != kind)
			continue;
		*first = mk->ts < *first ? mk->ts : *first;
		*last = mk->ts > *last ? mk->ts : *last;
	}
}

static void test_b5_thread_pool(void **state)
{
	const struct tl_thread *w[MAXT], *main_t;
	uint64_t b0, b1, e0, e1;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "b5_thread_pool", NULL);
	main_t = dc_main(&r);
	/* exactly 2 worker threads, each reused for several tasks */
	assert_int_equal(th_threads_prefixed(&r, "pool-worker-", w, MAXT), 2);
	assert_int_equal(r.root->nthreads, 3);
	assert_int_equal(dc_count_marks(&r, TL_USDT_TASK_BEGIN, "square"), 8);
	for (int i = 0; i < 2; i++) {
		assert_ptr_equal(w[i]->proc, r.root);
		assert_true(dc_thread_marks(w[i], TL_USDT_TASK_BEGIN, "square") >= 2);
	}
	/* every done-callback ran on a worker thread, none on main */
	assert_int_equal(dc_count_marks(&r, TL_USDT_MARK, "callback"), 8);
	assert_int_equal(dc_thread_marks(main_t, TL_USDT_MARK, "callback"), 0);
	/* main Sleeping in futex while it waits for the results */
	mark_span(&r, TL_USDT_TASK_BEGIN, &b0, &b1);
	mark_span(&r, TL_USDT_TASK_END, &e0, &e1);
	assert_true(e1 > b0 + TH_MS(150));
	assert_true((double)futex_ns(main_t, b0, e1) >= 0.6 * (double)(e1 - b0));
	th_free(&r);
}

/* A real interpreter: CPython with two CPU-bound threads. They take turns
 * on the interpreter's GIL, which the report names as such, and are never
 * Running at once for more than the moments of a hand-over. */
static void test_python_gil(void **state)
{
	static const char prog[] =
		"import threading, time\n"
		"def spin():\n"
		"    end = time.monotonic() + 0.6\n"
		"    n = 0\n"
		"    while time.monotonic() < end:\n"
		"        n += 1\n"
		"ts = [threading.Thread(target=spin) for _ in range(2)]\n"
		"for t in ts: t.start()\n"
		"for t in ts: t.join()\n";
	struct tl_par_stats ps;
	size_t named = 0, workers = 0;
	enum tl_lock_kind kind;
	struct th_run r;

	(void)state;
	if (access("/usr/bin/python3", X_OK))
		skip();
	assert_int_equal(th_record_cmd(&r, NULL, (const char *[]){ "/usr/bin/python3", "-c",
								 prog, NULL }), 0);
	assert_non_null(r.root);
	for (size_t i = 0; i < r.root->nthreads; i++) {
		const struct tl_thread *t = r.root->threads[i];
		const struct tl_interval *iv;

		if (t->tid == r.root->pid || tl_sum_ns(&t->sum, TL_ST_RUNNING) < TH_MS(100))
			continue;
		workers++;
		iv = dc_longest_blocked(t, TL_WHY_FUTEX);
		if (iv && strstr(dc_futex_name(&r, t, iv, &kind), "the GIL"))
			named++;
	}
	assert_int_equal(tl_proc_par_stats(r.root, 0, 0, &ps), 0);
	print_message("python: %zu CPU-bound threads, %zu wait on a lock named the GIL; "
		      "parallelism 2 for %.1f%% of the run\n", workers, named,
		      100 * tl_par_share(&ps, 2));
	assert_int_equal(workers, 2);
	assert_int_equal(named, 2);
	assert_true(tl_par_share(&ps, 2) < 0.05);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b1_threads),
		cmocka_unit_test(test_b2_daemon_threads),
		cmocka_unit_test(test_b3_gil),
		cmocka_unit_test(test_python_gil),
		cmocka_unit_test(test_b4_io_vs_cpu),
		cmocka_unit_test(test_b5_thread_pool),
	};

	return cmocka_run_group_tests_name("demos_b", tests, NULL, NULL);
}
