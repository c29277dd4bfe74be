/* test_locksites.c - where a lock was waited for and held (record -g), from
 * a synthetic record stream: the waiter's stack by time, and the holder's
 * own blocked stretches (by stack, overlapping the wait) and CPU time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/analysis/locksites.h"
#include "userspace/model/model.h"
#include "records.h"

#define MS(x) ((uint64_t)((x) * 1000000.0))
#define LOCK 0x5000

static void put(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

/* Thread 101 waits 40 ms for LOCK (in stack 2), held by 102, which is
 * asleep elsewhere (in stack 1) for the first 20 ms of it, then Runnable
 * 5 ms and Running 15 ms before it wakes 101. */
static struct tl_model *lock_held_while_asleep(void)
{
	struct tl_model *m = tl_model_new(NULL);
	uint64_t b[16];
	struct tl_switch *s;

	put(m, TR_SNAP(.ts = MS(0), .tid = 101, .pid = 100, .on_cpu = true, .comm = "w"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 102, .pid = 100, .on_cpu = true,
		       .comm = "h"));
	put(m, TR_SWITCH(.ts = MS(10), .cpu = 1, .prev = 102, .prev_pid = 100, .state = 1,
			 .nr = 230));
	put(m, tr_stack(b, TL_STACK, MS(10), 102, 1));
	s = (struct tl_switch *)TR_SWITCH(.ts = MS(20), .prev = 101, .prev_pid = 100,
					  .state = 1, .nr = 202, .a0 = LOCK, .a1 = 128);
	s->why.args[2] = 2;
	s->lock_owner = 102;
	put(m, s);
	put(m, tr_stack(b, TL_STACK, MS(20), 101, 2));
	put(m, TR_WAKING(.ts = MS(40), .irq = true, .wakee = 102, .wakee_pid = 100,
			 .target_cpu = 1));
	put(m, TR_SWITCH(.ts = MS(45), .cpu = 1, .next = 102, .next_pid = 100));
	put(m, TR_WAKING(.ts = MS(60), .cpu = 1, .waker = 102, .waker_pid = 100,
			 .wakee = 101, .wakee_pid = 100, .target_cpu = 0));
	put(m, TR_SWITCH(.ts = MS(62), .next = 101, .next_pid = 100));
	assert_int_equal(tl_model_finish(m, MS(80)), 0);
	return m;
}

static void test_waiter_and_holder_sites(void **state)
{
	struct tl_model *m = lock_held_while_asleep();
	struct tl_symbolizer *sym = tl_symbolizer_new(m);
	struct tl_lock_sites r[2] = { { .addr = 0x9999 }, { .addr = LOCK } };
	const struct tl_process *p = tl_model_find_proc(m, 100, 0);

	(void)state;
	assert_non_null(sym);
	assert_non_null(p);
	assert_int_equal(tl_lock_sites(sym, p, r, 2), 0);
	assert_int_equal(r[0].nwait, 0); /* no wait on it: empty */
	assert_int_equal(r[0].nheld + r[0].held_cpu_ns, 0);
	assert_int_equal(r[1].addr, LOCK);
	assert_int_equal(r[1].nwait, 1);
	assert_int_equal(r[1].wait[0].stack, 2);
	assert_int_equal(r[1].wait[0].ns, MS(40));
	assert_int_equal(r[1].wait_other_ns, 0);
	assert_int_equal(r[1].nheld, 1);
	assert_int_equal(r[1].held[0].stack, 1);
	assert_int_equal(r[1].held[0].ns, MS(20)); /* its sleep within the wait */
	assert_int_equal(r[1].held_cpu_ns, MS(20)); /* Runnable 5 + Running 15 */
	assert_int_equal(r[1].held_other_ns, 0);
	tl_symbolizer_free(sym);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiter_and_holder_sites),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
