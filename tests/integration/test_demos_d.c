/* test_demos_d.c - the queue demos (D1-D3) run under the real tracer; each
 * test asserts the demo's kernel-visible signature from the model (states,
 * wakeups, USDT queue marks), never from the demo's own output. Tolerances
 * fit a noisy 2-core machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "harness.h"
#include "userspace/analysis/critical_path.h"

static bool blocked_in_futex_at(const struct tl_thread *t, uint64_t ts)
{
	struct tl_interval at;
	const struct tl_interval *iv = tl_thread_at(t, ts, &at) ? &at : NULL;

	return iv && iv->state == TL_ST_SLEEPING && iv->block->why == TL_WHY_FUTEX;
}

/* Futex waits of t in [t0, t1) that lasted at least min_ns and were ended
 * by a wakeup from thread `waker`. */
static size_t futex_waits_woken_by(const struct tl_thread *t, uint32_t waker,
				   uint64_t min_ns, uint64_t t0, uint64_t t1)
{
	size_t n = 0;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_FUTEX ||
		    iv->start < t0 || iv->start >= t1 || iv->end - iv->start < min_ns)
			continue;
		n += iv->waker == waker;
	}
	return n;
}

/* Marks of kind by thread t with string name and depth arg == depth
 * (depth < 0: any) in [t0, t1). */
static size_t queue_marks(const struct tl_thread *t, uint32_t kind, const char *name,
			  long depth, uint64_t t0, uint64_t t1)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmarks; i++) {
		const struct tl_mark *mk = &t->marks[i];

		if (mk->kind == kind && !strcmp(mk->str, name) && mk->ts >= t0 &&
		    mk->ts < t1 && (depth < 0 || (long)mk->args[1] == depth))
			n++;
	}
	return n;
}

/* Whether t's longest futex wait in [t0, t1) was on an object named with
 * prefix (the queue its USDT marks named), of kind `kind`. */
static void waits_named(const struct th_run *r, const struct tl_thread *t, uint64_t t0,
			uint64_t t1, const char *prefix, enum tl_lock_kind kind)
{
	const struct tl_interval *best = NULL;
	struct tl_interval kept;
	enum tl_lock_kind k;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_FUTEX ||
		    iv->start < t0 || iv->start >= t1)
			continue;
		if (!best || iv->end - iv->start > best->end - best->start) {
			kept = *iv;   /* iv is this turn's copy */
			best = &kept;
		}
	}
	assert_non_null(best);
	assert_true(!strncmp(dc_futex_name(r, t, best, &k), prefix, strlen(prefix)));
	assert_int_equal(k, kind);
}

static void test_d1_queues(void **state)
{
	const struct tl_thread *main_t, *prod, *w[2];
	uint64_t t0, t1;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "d1_queues");
	main_t = dc_main(&r);
	/* the three kinds: five puts and five gets each, by main */
	assert_int_equal(queue_marks(main_t, TL_USDT_QUEUE_PUT, "fifo", -1, 0, UINT64_MAX), 5);
	assert_int_equal(queue_marks(main_t, TL_USDT_QUEUE_GET, "lifo", -1, 0, UINT64_MAX), 5);
	assert_int_equal(queue_marks(main_t, TL_USDT_QUEUE_GET, "priority", 0, 0, UINT64_MAX), 1);
	/* bounded: put_nowait on the full queue leaves no put mark (5, not 6) */
	assert_int_equal(queue_marks(main_t, TL_USDT_QUEUE_PUT, "bounded", -1, 0, UINT64_MAX), 5);

	/* blocking put: the producer fills the queue of 2, then each put
	 * sleeps in futex until main's get wakes it */
	dc_phase(&r, "blocking-put", &t0, &t1);
	prod = dc_thread(&r, "producer");
	assert_int_equal(queue_marks(prod, TL_USDT_QUEUE_PUT, "bounded2", -1, t0, t1), 6);
	assert_true(queue_marks(prod, TL_USDT_QUEUE_PUT, "bounded2", 2, t0, t1) >= 2);
	assert_true(futex_waits_woken_by(prod, main_t->tid, TH_MS(40), t0, t1) >= 2);
	assert_true(tl_model_count_wakeups(r.m, main_t->tid, prod->tid, t0, t1) >= 2);
	/* on the queue's condition (not_full), named after the queue's marks */
	waits_named(&r, prod, t0, t1, "queue bounded2+0x", TL_LK_WAIT_OR_SIGNAL);

	/* join: main Sleeping in futex until the last task_done by a worker */
	dc_phase(&r, "join", &t0, &t1);
	w[0] = dc_thread(&r, "worker-1");
	w[1] = dc_thread(&r, "worker-2");
	assert_true(futex_waits_woken_by(main_t, w[0]->tid, TH_MS(100), t0, t1) +
		    futex_waits_woken_by(main_t, w[1]->tid, TH_MS(100), t0, t1) >= 1);
	th_free(&r);
}

/* Share (per cent) of marks (kind, depth) by any of `who` in [t0, t1) at
 * whose instant thread `sleeper` (or any of `sleepers`) was in a futex wait. */
static int share_with_sleeper(const struct tl_thread *const *who, size_t nwho,
			      uint32_t kind, long depth,
			      const struct tl_thread *const *sleepers, size_t nsl,
			      uint64_t t0, uint64_t t1, size_t *total)
{
	size_t hit = 0, n = 0;

	for (size_t w = 0; w < nwho; w++) {
		for (size_t i = 0; i < who[w]->nmarks; i++) {
			const struct tl_mark *mk = &who[w]->marks[i];
			bool asleep = false;

			if (mk->kind != kind || (long)mk->args[1] != depth ||
			    mk->ts < t0 || mk->ts >= t1)
				continue;
			n++;
			for (size_t s = 0; s < nsl; s++)
				asleep |= blocked_in_futex_at(sleepers[s], mk->ts);
			hit += asleep;
		}
	}
	*total = n;
	return n ? (int)(hit * 100 / n) : 0;
}

/* The critical path of a consumer over the slow-producer phase: its waits
 * on the empty queue are followed into the producer that ended them, and
 * much of its time is the producer's. */
static void check_consumer_path(struct th_run *r, const struct tl_thread *cons,
				const struct tl_thread *prod)
{
	struct tl_cp_total t[16];
	uint64_t t0, t1, on_prod = 0;
	size_t followed = 0, n;
	struct tl_cp cp;

	dc_phase(r, "slow-producer", &t0, &t1);
	assert_int_equal(tl_critical_path(r->m, cons, t0, t1, &cp), 0);
	for (size_t i = 0; i < cp.n; i++)
		followed += cp.seg[i].followed && cp.seg[i].other == prod->tid &&
			    i + 1 < cp.n && cp.seg[i + 1].thread == prod;
	n = tl_cp_totals(&cp, t, 16);
	for (size_t i = 0; i < n && i < 16; i++)
		if (t[i].thread == prod)
			on_prod += t[i].ns;
	print_message("d2: %s's critical path: %zu waits followed into the producer, "
		      "%.0f%% of its time is the producer's\n", tl_thread_name(cons), followed,
		      100.0 * (double)on_prod / (double)(t1 - t0));
	assert_true(followed >= 2);
	assert_true(on_prod * 4 >= t1 - t0);
	tl_cp_free(&cp);
}

static void test_d2_producer_consumer(void **state)
{
	const struct tl_thread *prod, *cons[2];
	uint64_t t0, t1;
	size_t n, to_c = 0, to_p = 0;
	struct th_run r;
	int pct;

	(void)state;
	dc_run_ok(&r, "d2_producer_consumer");
	prod = dc_thread(&r, "producer");
	cons[0] = dc_thread(&r, "consumer-1");
	cons[1] = dc_thread(&r, "consumer-2");
	for (int c = 0; c < 2; c++) {
		to_c += tl_model_count_wakeups(r.m, prod->tid, cons[c]->tid, 0, 0);
		to_p += tl_model_count_wakeups(r.m, cons[c]->tid, prod->tid, 0, 0);
	}
	/* wakeups both ways: puts wake waiting gets, gets wake waiting puts */
	assert_true(to_c >= 5);
	assert_true(to_p >= 3);

	/* slow producer: whenever a put finds the queue empty (depth 1 after
	 * it), a consumer was Sleeping in futex on the empty queue */
	dc_phase(&r, "slow-producer", &t0, &t1);
	pct = share_with_sleeper(&prod, 1, TL_USDT_QUEUE_PUT, 1, cons, 2, t0, t1, &n);
	print_message("d2: %d%% of %zu puts into an empty queue found a consumer asleep\n",
		      pct, n);
	assert_true(n >= 6);
	assert_true(pct >= 80);
	waits_named(&r, cons[0], t0, t1, "queue items+0x", TL_LK_WAIT_OR_SIGNAL);

	/* fast producer: a get from the full queue (depth 2 after it) finds
	 * the producer Sleeping in futex on the full queue */
	dc_phase(&r, "fast-producer", &t0, &t1);
	pct = share_with_sleeper(cons, 2, TL_USDT_QUEUE_GET, 2, &prod, 1, t0, t1, &n);
	print_message("d2: %d%% of %zu gets from a full queue found the producer asleep\n",
		      pct, n);
	assert_true(n >= 4);
	assert_true(pct >= 50);
	check_consumer_path(&r, cons[0], prod);

	/* Perfetto's own critical path of a consumer's longest wait for the
	 * producer goes through the producer */
	for (int c = 0; c < 2; c++) {
		const struct tl_interval *iv =
			dc_longest_woken_by(cons[c], TL_WHY_FUTEX, prod->tid);

		if (iv) {
			dc_critical_path_through_waker(&r, cons[c], iv);
			break;
		}
		assert_true(c == 0);
	}
	th_free(&r);
}

static void test_d3_process_queue(void **state)
{
	const struct tl_process *prod, *cons;
	const struct tl_thread *pt, *ct;
	uint64_t t0, t1;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "d3_process_queue");
	prod = dc_proc(&r, "producer");
	cons = dc_proc(&r, "consumer");
	assert_int_not_equal(prod->pid, cons->pid);
	pt = dc_only_thread(prod);
	ct = dc_only_thread(cons);
	/* slow producer: the writer process wakes the reader process */
	dc_phase(&r, "slow-producer", &t0, &t1);
	assert_true(tl_model_count_wakeups(r.m, pt->tid, ct->tid, t0, t1) >= 5);
	assert_true(futex_waits_woken_by(ct, pt->tid, TH_MS(20), t0, t1) >= 5);
	/* slow consumer: the reader process wakes the writer */
	dc_phase(&r, "slow-consumer", &t0, &t1);
	assert_true(tl_model_count_wakeups(r.m, ct->tid, pt->tid, t0, t1) >= 3);
	/* the marks come from both processes, on the one shared queue */
	assert_int_equal(queue_marks(pt, TL_USDT_QUEUE_PUT, "shared-items", -1, 0,
				     UINT64_MAX), 17);
	assert_int_equal(queue_marks(ct, TL_USDT_QUEUE_GET, "shared-items", -1, 0,
				     UINT64_MAX), 17);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_d1_queues),
		cmocka_unit_test(test_d2_producer_consumer),
		cmocka_unit_test(test_d3_process_queue),
	};

	return cmocka_run_group_tests_name("demos_d", tests, NULL, NULL);
}
