/* test_critical_path.c - the critical path over synthetic streams: a wait
 * ended by a traced thread is followed into it, one ended by an interrupt
 * is not, runnable time names who held the CPU, a window clips the walk,
 * and the totals add up to the window.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/model/model.h"
#include "userspace/analysis/critical_path.h"
#include "records.h"

#define BASE 1000000000ull
#define MS(x) (BASE + (uint64_t)((x) * 1000000.0))
#define D(x) ((uint64_t)((x) * 1000000.0))

enum { PID = 200, CONS = 201, PROD = 202, HOG = 203 };

static void put(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

/* consumer: runs 0-10 on CPU 0, blocks in futex 10-30, runnable 30-32
 * (the hog holds CPU 0), runs 32-40.
 * producer: sleeps until a timer interrupt at 20, runs 20-31 on CPU 1 and
 * wakes the consumer at 30, then sleeps.
 * hog: runs on CPU 0 from 10 to 32. */
static struct tl_model *story(void)
{
	struct tl_model *m = tl_model_new(NULL);

	assert_non_null(m);
	put(m, TR_SNAP(.ts = MS(0), .tid = CONS, .pid = PID, .on_cpu = true, .comm = "consumer"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = PROD, .pid = PID, .state = 1, .nr = 35,
		       .comm = "producer"));
	put(m, TR_SNAP(.ts = MS(0), .tid = HOG, .pid = PID, .comm = "hog"));
	put(m, TR_SWITCH(.ts = MS(10), .prev = CONS, .prev_pid = PID, .state = 1, .nr = 202,
			 .a0 = 0x1000, .next = HOG, .next_pid = PID));
	put(m, TR_WAKING(.ts = MS(20), .cpu = 1, .wakee = PROD, .wakee_pid = PID,
			 .target_cpu = 1, .irq = true));
	put(m, TR_SWITCH(.ts = MS(20), .cpu = 1, .next = PROD, .next_pid = PID));
	put(m, TR_WAKING(.ts = MS(30), .cpu = 1, .waker = PROD, .waker_pid = PID,
			 .wakee = CONS, .wakee_pid = PID));
	put(m, TR_SWITCH(.ts = MS(31), .cpu = 1, .prev = PROD, .prev_pid = PID, .state = 1,
			 .nr = 35));
	put(m, TR_SWITCH(.ts = MS(32), .prev = HOG, .prev_pid = PID, .preempt = true,
			 .next = CONS, .next_pid = PID));
	assert_int_equal(tl_model_finish(m, MS(40)), 0);
	return m;
}

static const struct tl_cp_seg *seg(const struct tl_cp *cp, size_t i, uint32_t tid,
				   int state, double a, double b, unsigned depth)
{
	const struct tl_cp_seg *s;

	assert_true(i < cp->n);
	s = &cp->seg[i];
	assert_non_null(s->thread);
	assert_int_equal(s->thread->tid, tid);
	assert_int_equal(s->state, state);
	assert_int_equal(s->start, MS(a));
	assert_int_equal(s->end, MS(b));
	assert_int_equal(s->depth, depth);
	return s;
}

static void test_follows_the_waker(void **state)
{
	struct tl_model *m = story();
	const struct tl_thread *c = tl_model_find_thread(m, CONS, 0);
	const struct tl_cp_seg *s;
	struct tl_cp cp;

	(void)state;
	assert_int_equal(tl_critical_path(m, c, 0, 0, &cp), 0);
	assert_int_equal(cp.n, 6);
	seg(&cp, 0, CONS, TL_ST_RUNNING, 0, 10, 0);
	s = seg(&cp, 1, CONS, TL_ST_SLEEPING, 10, 30, 0);
	assert_true(s->followed);
	assert_int_equal(s->other, PROD);
	assert_int_equal(s->block->why, TL_WHY_FUTEX);
	assert_int_equal(s->block->obj, 0x1000);
	/* the producer's own wait was ended by a timer: not followed */
	s = seg(&cp, 2, PROD, TL_ST_SLEEPING, 10, 20, 1);
	assert_false(s->followed);
	assert_true(s->irq);
	assert_int_equal(s->other, 0);
	seg(&cp, 3, PROD, TL_ST_RUNNING, 20, 30, 1);
	s = seg(&cp, 4, CONS, TL_ST_RUNNABLE, 30, 32, 0);
	assert_int_equal(tl_cp_holder(m, s), HOG);
	seg(&cp, 5, CONS, TL_ST_RUNNING, 32, 40, 0);
	tl_cp_free(&cp);
	tl_model_free(m);
}

static void test_totals_cover_the_window(void **state)
{
	struct tl_model *m = story();
	const struct tl_thread *c = tl_model_find_thread(m, CONS, 0);
	struct tl_cp_total t[8];
	struct tl_cp cp;
	uint64_t sum = 0;
	size_t n;

	(void)state;
	assert_int_equal(tl_critical_path(m, c, 0, 0, &cp), 0);
	n = tl_cp_totals(&cp, t, 8);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		sum += t[i].ns;
	assert_int_equal(sum, D(40));
	/* largest first: the consumer's own running, 18 ms */
	assert_int_equal(t[0].thread->tid, CONS);
	assert_int_equal(t[0].state, TL_ST_RUNNING);
	assert_int_equal(t[0].ns, D(18));
	for (size_t i = 0; i < n; i++)
		if (t[i].thread->tid == PROD && t[i].state == TL_ST_SLEEPING)
			assert_int_equal(t[i].why, TL_WHY_SLEEP);
	tl_cp_free(&cp);
	tl_model_free(m);
}

static void test_window(void **state)
{
	struct tl_model *m = story();
	const struct tl_thread *c = tl_model_find_thread(m, CONS, 0);
	struct tl_cp cp;

	(void)state;
	assert_int_equal(tl_critical_path(m, c, MS(25), MS(31), &cp), 0);
	assert_int_equal(cp.n, 3);
	seg(&cp, 0, CONS, TL_ST_SLEEPING, 25, 30, 0);
	seg(&cp, 1, PROD, TL_ST_RUNNING, 25, 30, 1);
	seg(&cp, 2, CONS, TL_ST_RUNNABLE, 30, 31, 0);
	tl_cp_free(&cp);
	assert_int_equal(tl_critical_path(m, c, MS(50), MS(60), &cp), -EINVAL);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_follows_the_waker),
		cmocka_unit_test(test_totals_cover_the_window),
		cmocka_unit_test(test_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
