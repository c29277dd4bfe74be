/* test_waitfor.c - the deadlock finder on synthetic wait-for graphs (edges
 * waiter -> target over a time window), and end to end from a synthetic
 * record stream: two threads blocking on mutexes the other owns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/analysis/waitfor.h"
#include "userspace/model/model.h"
#include "records.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define TH TL_DEADLOCK_THRESHOLD_NS

static struct tl_wait_edge E(uint32_t w, uint32_t t, uint64_t s_ms, uint64_t e_ms, bool unres)
{
	return (struct tl_wait_edge){ .waiter = w, .target = t, .start = MS(s_ms),
				      .end = MS(e_ms), .kind = TL_EDGE_LOCK,
				      .unresolved = unres };
}

static size_t find(struct tl_wait_edge *e, size_t n, struct tl_deadlock **d)
{
	size_t nd = 99;

	assert_int_equal(tl_find_deadlocks(e, n, TH, d, &nd), 0);
	return nd;
}

static void test_two_threads_crossed(void **state)
{
	struct tl_wait_edge e[] = { E(11, 10, 120, 1500, false), E(10, 11, 100, 1500, false) };
	struct tl_deadlock *d;

	(void)state;
	assert_int_equal(find(e, 2, &d), 1);
	assert_int_equal(d[0].n, 2);
	assert_int_equal(d[0].e[0].waiter, 10); /* the smallest TID first */
	assert_int_equal(d[0].e[0].target, 11);
	assert_int_equal(d[0].e[1].target, 10);
	assert_int_equal(d[0].since, MS(120));
	assert_int_equal(d[0].until, MS(1500));
	assert_false(d[0].unresolved);
	free(d);
}

static void test_short_cycle_is_not_a_deadlock_unless_it_stands(void **state)
{
	struct tl_wait_edge e[] = { E(10, 11, 100, 110, false), E(11, 10, 105, 120, false) };
	struct tl_wait_edge u[] = { E(10, 11, 100, 110, true), E(11, 10, 105, 110, true) };
	struct tl_deadlock *d;

	(void)state;
	assert_int_equal(find(e, 2, &d), 0);
	assert_null(d);
	assert_int_equal(find(u, 2, &d), 1);
	assert_true(d[0].unresolved);
	free(d);
}

static void test_self_deadlock(void **state)
{
	struct tl_wait_edge e[] = { E(7, 7, 0, 1000, false), E(8, 7, 0, 1000, false) };
	struct tl_deadlock *d;

	(void)state;
	assert_int_equal(find(e, 2, &d), 1);
	assert_int_equal(d[0].n, 1);
	assert_int_equal(d[0].e[0].waiter, 7);
	free(d);
}

static void test_five_philosophers(void **state)
{
	struct tl_wait_edge e[6];
	struct tl_deadlock *d;

	(void)state;
	for (uint32_t i = 0; i < 5; i++)
		e[i] = E(20 + i, 20 + (i + 1) % 5, 10 * i, 1500, true);
	e[5] = E(1, 20, 0, 1500, true); /* main joins one: on no cycle */
	assert_int_equal(find(e, 6, &d), 1);
	assert_int_equal(d[0].n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(d[0].e[i].waiter, 20 + i);
		assert_int_equal(d[0].e[i].target, d[0].e[(i + 1) % 5].waiter);
	}
	assert_int_equal(d[0].since, MS(40));
	assert_int_equal(d[0].nbehind, 1); /* main, joining philosopher 20 */
	assert_int_equal(d[0].behind[0].waiter, 1);
	assert_int_equal(d[0].behind[0].target, 20);
	free(d);
}

static void test_chains_and_disjoint_times(void **state)
{
	/* a chain with no way back; a cycle whose edges never hold together */
	struct tl_wait_edge e[] = { E(1, 2, 0, 2000, true), E(2, 3, 0, 2000, true),
				    E(5, 6, 0, 1000, false), E(6, 5, 1000, 3000, false) };
	struct tl_deadlock *d;

	(void)state;
	assert_int_equal(find(e, 4, &d), 0);
	assert_null(d);
}

static void test_two_episodes(void **state)
{
	struct tl_wait_edge e[] = { E(1, 2, 0, 1000, false), E(2, 1, 0, 1000, false),
				    E(1, 2, 2000, 3000, false), E(2, 1, 2000, 3000, false) };
	struct tl_deadlock *d;

	(void)state;
	assert_int_equal(find(e, 4, &d), 2);
	assert_int_equal(d[0].since, 0);
	assert_int_equal(d[1].since, MS(2000));
	free(d);
}

/* ---- from records ---- */

static void feed(struct tl_model *m, const struct tl_hdr *h)
{
	assert_int_equal(tl_model_feed(m, h), 0);
}

static void newthread(struct tl_model *m, uint64_t ts, uint32_t pid, uint32_t tid)
{
	struct tl_newtask n = { 0 };

	hdr(&n.h, TL_NEWTASK, sizeof(n), ts, 0, pid, pid);
	n.tid = tid;
	n.tgid = pid;
	n.clone_flags = 0x10000;
	strcpy(n.comm, "t");
	feed(m, &n.h);
}

/* tid blocks on the mutex at lock (FUTEX_WAIT_PRIVATE, 2) owned by owner. */
static void block_on(struct tl_model *m, uint64_t ts, uint32_t pid, uint32_t tid,
		     uint64_t lock, uint32_t owner)
{
	struct tl_switch s = { 0 };

	hdr(&s.h, TL_SWITCH, sizeof(s), ts, 0, tid, pid);
	s.prev_state = 1;
	s.lock_owner = owner;
	s.why = (struct tl_blocked){ .sys_nr = 202, .args = { lock, 128, 2 } };
	feed(m, &s.h);
}

static void test_from_records(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_proc_info pi = { 0 };
	struct tl_deadlock *d;
	size_t n;

	(void)state;
	hdr(&pi.h, TL_PROC_INFO, sizeof(pi), MS(1), 0, 100, 100);
	feed(m, &pi.h);
	newthread(m, MS(2), 100, 101);
	newthread(m, MS(3), 100, 102);
	block_on(m, MS(10), 100, 101, 0x4040, 102);
	block_on(m, MS(12), 100, 102, 0x4080, 101);
	assert_int_equal(tl_model_finish(m, MS(100)), 0); /* still standing */
	assert_int_equal(tl_model_deadlocks(m, TH, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].n, 2);
	assert_true(d[0].unresolved);
	assert_int_equal(d[0].since, MS(12));
	assert_int_equal(d[0].e[0].block->obj, 0x4040);
	assert_int_equal(d[0].e[0].block->holder, 102);
	free(d);
	tl_model_free(m);
}

/* A task of the start snapshot blocked on a mutex: owner read by record. */
static void snap_blocked(struct tl_model *m, uint64_t ts, uint32_t tid, uint64_t lock,
			 uint32_t owner)
{
	struct tl_task_snap s = { 0 };

	hdr(&s.h, TL_TASK_SNAP, sizeof(s), ts, 0, tid, 100);
	s.ppid = 1;
	s.state = 1;
	s.start_ns = 1;
	s.lock_owner = owner;
	s.why = (struct tl_blocked){ .sys_nr = 202, .args = { lock, 128, 2 } };
	strcpy(s.comm, "t");
	feed(m, &s.h);
}

/* Attached to a process already deadlocked: the snapshot lists thread 101,
 * waiting for 102's lock, before 102 itself. */
static void test_from_snapshot(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_deadlock *d;
	size_t n;

	(void)state;
	snap_blocked(m, MS(1), 101, 0x4040, 102);
	snap_blocked(m, MS(2), 102, 0x4080, 101);
	assert_int_equal(tl_model_finish(m, MS(1000)), 0);
	assert_int_equal(tl_model_deadlocks(m, TH, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_true(d[0].unresolved);
	assert_int_equal(d[0].e[0].target, 102);
	free(d);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_threads_crossed),
		cmocka_unit_test(test_short_cycle_is_not_a_deadlock_unless_it_stands),
		cmocka_unit_test(test_self_deadlock),
		cmocka_unit_test(test_five_philosophers),
		cmocka_unit_test(test_chains_and_disjoint_times),
		cmocka_unit_test(test_two_episodes),
		cmocka_unit_test(test_from_records),
		cmocka_unit_test(test_from_snapshot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
