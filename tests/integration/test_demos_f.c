/* test_demos_f.c - the coroutine demos (F1-F3) run under the real tracer.
 * Coroutine switches are invisible to the kernel: the tests assert that
 * the kernel saw ONE thread that does not block between coroutine steps,
 * and that the USDT coro_switch marks give the interleaving, in order.
 * Never from the demo's own output. Tolerances fit a noisy 2-core machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "harness.h"

#define MAXM 256

/* The program's only thread (fails if it has more). */
static const struct tl_thread *single_thread(const struct th_run *r)
{
	if (r->root->nthreads != 1 || r->root->nchildren != 0) {
		th_dump_log(r);
		fail_msg("expected one thread and no child process, got %zu threads, "
			 "%zu children", r->root->nthreads, r->root->nchildren);
	}
	return r->root->threads[0];
}

/* Checks that t's coro_switch marks name exactly `want` (NULL-ended) in
 * order and that t did not block (Sleeping/Unint) between the first and
 * the last of them: the switches are user-level only. */
static void assert_switches(const struct tl_thread *t, const char *const *want)
{
	const struct tl_mark *mk[MAXM];
	size_t n = tl_thread_marks(t, TL_USDT_CORO_SWITCH, mk, MAXM), nwant = 0;
	struct tl_iv_filter blocked = { .states = TL_F_BLOCKED };

	while (want[nwant])
		nwant++;
	assert_int_equal(n, nwant);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(mk[i]->str, want[i]))
			fail_msg("switch %zu goes to %s, expected %s", i, mk[i]->str, want[i]);
	}
	blocked.t0 = mk[0]->ts;
	blocked.t1 = mk[n - 1]->ts;
	assert_int_equal(tl_thread_count_iv(t, &blocked), 0);
}

static void test_f1_generator(void **state)
{
	static const char *const want[] = {
		"producer", "consumer", "producer",            /* start, prime */
		"consumer", "producer", "consumer", "producer", /* items 1, 2 */
		"consumer", "producer", "consumer", "producer", /* items 3, 4 */
		"consumer", "producer",                         /* item 5 */
		"consumer", "producer", "main",                 /* close, end */
		NULL,
	};
	const struct tl_thread *t;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "f1_generator");
	t = single_thread(&r);
	assert_switches(t, want);
	/* from/to ids are consistent: each switch leaves where the last went */
	for (size_t i = 1; i < t->nmarks; i++) {
		const struct tl_mark *a = &t->marks[i - 1], *b = &t->marks[i];

		if (a->kind == TL_USDT_CORO_SWITCH && b->kind == TL_USDT_CORO_SWITCH)
			assert_int_equal(b->args[0], a->args[1]);
	}
	th_free(&r);
}

static void test_f2_greenlet(void **state)
{
	static const char *const want[] = {
		"test1", "test2", "test1", "test2", "main", NULL,
	};
	const struct tl_thread *t;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "f2_greenlet");
	t = single_thread(&r);
	assert_switches(t, want);
	th_free(&r);
}

static void test_f3_scheduler(void **state)
{
	static const char *const tasks[] = { "eat", "play", "fetch", "server", NULL };
	const struct tl_thread *t;
	uint64_t t0, t1;
	struct th_run r;
	size_t poll_waits;

	(void)state;
	dc_run_ok(&r, "f3_scheduler");
	t = single_thread(&r);
	dc_phase(&r, "coroutines", &t0, &t1);
	/* the total is the longest task (400 ms), not the sum (900 ms) */
	print_message("f3: coroutine phase %.0f ms\n", (double)(t1 - t0) / 1e6);
	assert_true(t1 - t0 >= TH_MS(380));
	assert_true(t1 - t0 <= TH_MS(650));
	/* the thread blocks only in epoll_wait, and waits most of the time */
	poll_waits = dc_count_blocked(t, TL_WHY_POLL, false, 0, t0, t1);
	{
		struct tl_iv_filter other = { .states = TL_F_BLOCKED, .t0 = t0, .t1 = t1 };
		struct tl_iv_filter poll = other;

		poll.by_reason = true;
		poll.why = TL_WHY_POLL;
		assert_int_equal(tl_thread_count_iv(t, &other), tl_thread_count_iv(t, &poll));
		assert_true(tl_thread_sum_ns(t, &poll) >= (t1 - t0) / 2);
	}
	assert_true(poll_waits >= 3);
	/* each task is switched to, and the switches go through the scheduler */
	for (int i = 0; tasks[i]; i++)
		assert_true(dc_thread_marks(t, TL_USDT_CORO_SWITCH, tasks[i]) >= 2);
	assert_true(dc_thread_marks(t, TL_USDT_CORO_SWITCH, "scheduler") >= 6);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_f1_generator),
		cmocka_unit_test(test_f2_greenlet),
		cmocka_unit_test(test_f3_scheduler),
	};

	return cmocka_run_group_tests_name("demos_f", tests, NULL, NULL);
}
