/* test_demos_h.c - the scheduling demos (H1-H4) run under the real tracer;
 * each test asserts states, preemptions and parallelism from the model,
 * never from the demo's own output. Tolerances fit a noisy 2-core machine
 * (other work may take CPU time at any moment). */
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

static int ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/* Runnable intervals of t that began with a preemption by thread `by`
 * (0: by anyone). */
static size_t preemptions_by(const struct tl_thread *t, uint32_t by)
{
	size_t n = 0;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state == TL_ST_RUNNABLE && iv->cause == TL_RUN_PREEMPTED &&
		    (!by || iv->preempted_by == by))
			n++;
	}
	return n;
}

/* Threads named prefix* whose creation the trace saw. */
static size_t created(const struct th_run *r, const char *prefix)
{
	const struct tl_thread *t[MAXT];
	size_t n = th_threads_prefixed(r, prefix, t, MAXT), k = 0;

	for (size_t i = 0; i < n && i < MAXT; i++)
		k += (t[i]->flags & TL_THR_CREATED) != 0;
	return k;
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void test_h1_timeslicing(void **state)
{
	const struct tl_process *task[MAXT];
	struct tl_par_stats st;
	uint64_t t0, t1;
	struct th_run r;
	size_t n;

	(void)state;
	dc_run_ok(&r, "h1_timeslicing");
	n = th_procs_prefixed(&r, "task-", task, MAXT);
	assert_int_equal(n, (size_t)ncpus() + 2);
	/* every task waits for a CPU and is preempted: time slicing */
	for (size_t i = 0; i < n; i++) {
		const struct tl_thread *t = task[i]->threads[0];
		uint64_t runnable = tl_thread_state_ns(t, TL_ST_RUNNABLE, 0, 0);

		print_message("h1: %s runnable %.0f ms, %u preemptions\n", tl_proc_name(task[i]),
			      (double)runnable / 1e6, t->sum.ivcsw);
		assert_true(runnable >= TH_MS(30));
		assert_true(t->sum.ivcsw >= 3);
		assert_true(preemptions_by(t, 0) >= 3);
	}
	/* never more Running than CPUs; close to all of them busy */
	dc_phase(&r, "timeslicing", &t0, &t1);
	assert_int_equal(tl_tree_par_stats(r.root, t0, t1, &st), 0);
	print_message("h1: parallelism max %u mean %.2f, concurrency max %u mean %.2f\n",
		      st.max_par, st.mean_par, st.max_conc, st.mean_conc);
	assert_true(st.max_par <= (uint32_t)ncpus());
	/* all CPUs busy with tasks at once (ideally for ~800 ms; other load
	 * on a shared machine may take CPUs away for most of it) */
	assert_int_equal(st.max_par, (uint32_t)ncpus());
	assert_true(st.par_ns[ncpus()] >= TH_MS(50));
	assert_true(st.max_conc >= (uint32_t)ncpus() + 1);
	assert_true(st.mean_conc > st.mean_par + 1.0);
	th_free(&r);
}

static void test_h2_states(void **state)
{
	const struct tl_thread *w, *hog;
	struct tl_iv_filter f = { 0 };
	uint64_t t0, t1, run, runnable;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "h2_states");
	w = dc_main(&r);
	assert_string_equal(tl_thread_name(w), "worker");
	/* running: computing */
	dc_phase(&r, "running", &t0, &t1);
	run = tl_thread_state_ns(w, TL_ST_RUNNING, t0, t1);
	assert_true(pct(run, t1 - t0) >= 60);
	/* sleeping: in nanosleep */
	dc_phase(&r, "sleeping", &t0, &t1);
	f = (struct tl_iv_filter){ .states = TL_F_STATE(TL_ST_SLEEPING), .t0 = t0,
				   .t1 = t1, .by_reason = true, .why = TL_WHY_SLEEP };
	assert_true(pct(tl_thread_sum_ns(w, &f), t1 - t0) >= 80);
	/* disk: Uninterruptible while the device works */
	dc_phase(&r, "disk", &t0, &t1);
	f = (struct tl_iv_filter){ .states = TL_F_STATE(TL_ST_UNINT), .t0 = t0, .t1 = t1 };
	print_message("h2: disk phase %.0f ms, %zu uninterruptible waits, %.1f ms\n",
		      (double)(t1 - t0) / 1e6, tl_thread_count_iv(w, &f),
		      (double)tl_thread_sum_ns(w, &f) / 1e6);
	assert_true(tl_thread_count_iv(w, &f) >= 3);
	f.by_reason = true;
	f.why = TL_WHY_DISK;
	assert_true(tl_thread_count_iv(w, &f) >= 3);
	/* preempted: Runnable, the CPU taken by the hog */
	dc_phase(&r, "preempted", &t0, &t1);
	hog = dc_proc(&r, "hog")->threads[0];
	runnable = tl_thread_state_ns(w, TL_ST_RUNNABLE, t0, t1);
	print_message("h2: preempted phase %.0f ms, runnable %.0f ms\n",
		      (double)(t1 - t0) / 1e6, (double)runnable / 1e6);
	assert_true(pct(runnable, t1 - t0) >= 20);
	assert_true(preemptions_by(w, hog->tid) >= 1);
	/* all four states on the one track */
	for (int s = TL_ST_RUNNING; s <= TL_ST_UNINT; s++)
		assert_true(tl_sum_ns(&w->sum, s) > 0);
	th_free(&r);
}

static void test_h3_policies(void **state)
{
	const struct tl_thread *n0, *n10, *fifo, *rr1, *rr2, *normal;
	uint64_t t0, t1, c0, c10;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "h3_policies");
	/* nice: CPU share follows the weights (nice 0 : nice 10 = 1024 : 110) */
	dc_phase(&r, "nice", &t0, &t1);
	n0 = dc_proc(&r, "nice-0")->threads[0];
	n10 = dc_proc(&r, "nice-10")->threads[0];
	c0 = tl_thread_state_ns(n0, TL_ST_RUNNING, t0, t1);
	c10 = tl_thread_state_ns(n10, TL_ST_RUNNING, t0, t1);
	print_message("h3: nice-0 ran %.0f ms, nice-10 %.0f ms\n", (double)c0 / 1e6,
		      (double)c10 / 1e6);
	assert_true(c10 > 0);
	assert_true(c0 >= 4 * c10);
	assert_true(tl_thread_state_ns(n10, TL_ST_RUNNABLE, t0, t1) >= TH_MS(100));
	/* realtime needs root: under sudo, record runs the demo as the user
	 * and the demo skips the phase (it says so) */
	if (r.root->uid != 0 && r.root->uid != (uint32_t)-1) {
		assert_int_equal(th_threads_prefixed(&r, "fifo", NULL, 0), 0);
		print_message("h3: demo ran as uid %u: realtime phase skipped\n", r.root->uid);
		th_free(&r);
		return;
	}
	/* fifo is never preempted by the RR or normal threads */
	fifo = dc_thread(&r, "fifo");
	rr1 = dc_thread(&r, "rr-1");
	rr2 = dc_thread(&r, "rr-2");
	normal = dc_thread(&r, "normal");
	assert_int_equal(preemptions_by(fifo, rr1->tid), 0);
	assert_int_equal(preemptions_by(fifo, rr2->tid), 0);
	assert_int_equal(preemptions_by(fifo, normal->tid), 0);
	assert_true(tl_thread_state_ns(fifo, TL_ST_RUNNING, 0, 0) >= TH_MS(140));
	/* the RR pair takes turns (round robin), fifo takes the CPU from one */
	assert_true(preemptions_by(rr1, rr2->tid) + preemptions_by(rr2, rr1->tid) >= 2);
	assert_true(preemptions_by(rr1, fifo->tid) + preemptions_by(rr2, fifo->tid) >= 1);
	/* the normal thread waits while any real-time thread can run */
	assert_true(tl_thread_state_ns(normal, TL_ST_RUNNABLE, 0, 0) >= TH_MS(400));
	th_free(&r);
}

static void test_h4_concurrency_vs_parallelism(void **state)
{
	struct tl_par_stats one, two;
	uint64_t t0, t1;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "h4_concurrency_vs_parallelism");
	assert_int_equal(created(&r, "one-core-"), 2);
	assert_int_equal(created(&r, "two-cores-"), 2);
	dc_phase(&r, "one-core", &t0, &t1);
	assert_int_equal(tl_proc_par_stats(r.root, t0, t1, &one), 0);
	dc_phase(&r, "two-cores", &t0, &t1);
	assert_int_equal(tl_proc_par_stats(r.root, t0, t1, &two), 0);
	print_message("h4: one core %.0f ms par max %u conc@2 %.0f%%; two cores %.0f ms "
		      "par@2 %.0f%%\n", (double)one.span_ns / 1e6, one.max_par,
		      100 * tl_conc_share(&one, 2), (double)two.span_ns / 1e6,
		      100 * tl_par_share(&two, 2));
	/* one core: two ready threads (concurrency 2), one running at a time */
	assert_true(one.max_par <= 1);
	assert_true(tl_conc_share(&one, 2) >= 0.6);
	/* two cores: both running at once. Other load on a shared machine
	 * can take one core away for a while, so ask for 50 ms of parallel
	 * running (ideally 250) rather than a share of the phase. */
	if (ncpus() >= 2) {
		assert_int_equal(two.max_par, 2);
		assert_true(two.par_ns[2] >= TH_MS(50));
	}
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_h1_timeslicing),
		cmocka_unit_test(test_h2_states),
		cmocka_unit_test(test_h3_policies),
		cmocka_unit_test(test_h4_concurrency_vs_parallelism),
	};

	return cmocka_run_group_tests_name("demos_h", tests, NULL, NULL);
}
