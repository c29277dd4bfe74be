/* test_model.c - the model against synthetic event streams: states and
 * their reasons, wakeups, migration, exits, the snapshot, loss, PID reuse,
 * exec, ordering, and parallelism statistics. Every test ends by checking
 * the tiling invariant on every thread of its model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/model/model.h"
#include "userspace/analysis/analysis.h"
#include "records.h"

#define BASE 1000000000ull
#define MS(x) (BASE + (uint64_t)((x) * 1000000.0))
#define D(x) ((uint64_t)((x) * 1000000.0)) /* a duration in ms */

static int feed(struct tl_model *m, const void *rec)
{
	return tl_model_feed(m, rec);
}

static void put(struct tl_model *m, const void *rec)
{
	assert_int_equal(feed(m, rec), 0);
}

/* A new task: task_newtask and sched_process_fork, as the kernel emits. */
static void spawn(struct tl_model *m, struct tr_newtask a)
{
	put(m, tr_newtask(&(struct tl_newtask){ 0 }, a));
	put(m, tr_fork(&(struct tl_fork){ 0 }, a));
}

static void finish(struct tl_model *m, uint64_t end)
{
	char err[256] = "";

	assert_int_equal(tl_model_finish(m, end), 0);
	if (tl_model_check(m, err, sizeof(err)))
		fail_msg("tiling invariant: %s", err);
}

static const struct tl_thread *thr(struct tl_model *m, uint32_t tid)
{
	const struct tl_thread *t = tl_model_find_thread(m, tid, 0);

	assert_non_null(t);
	return t;
}

/* Asserts interval i of t: state, start and end in ms. */
static const struct tl_interval *iv_is(const struct tl_thread *t, size_t i, int state,
				       double a, double b)
{
	/* the model hands intervals out by value: a copy, in slots used in
	 * turn so that a test can hold a few */
	static struct tl_interval slots[8];
	static unsigned next;

	assert_true(i < t->niv);
	struct tl_interval *iv = &slots[next++ % 8];
	*iv = tl_thread_iv(t, i);
	if (iv->state != state || iv->start != MS(a) || iv->end != MS(b))
		fail_msg("thread %u interval %zu: %s [%.3f, %.3f], want %s [%.3f, %.3f]",
			 t->tid, i, tl_state_name(iv->state),
			 (double)(iv->start - BASE) / 1e6, (double)(iv->end - BASE) / 1e6,
			 tl_state_name(state), a, b);
	return iv;
}

/* A thread's totals (of those not 0, the only ones kept) read back as
 * its intervals add up. */
static void totals_match(const struct tl_thread *t)
{
	for (int st = 0; st < TL_ST_COUNT; st++)
		assert_int_equal(tl_sum_ns(&t->sum, st), tl_thread_state_ns(t, st, 0, 0));
	for (int r = 0; r < TL_WHY_COUNT; r++) {
		struct tl_iv_filter f = { .states = TL_F_BLOCKED, .by_reason = true,
					  .why = r };
		assert_int_equal(tl_sum_blocked_ns(&t->sum, r),
				 r == TL_WHY_NONE ? 0 : tl_thread_sum_ns(t, &f));
	}
}

/* ---- tests ---- */

static void test_preempt_vs_block(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true,
		       .comm = "main"));
	put(m, TR_SNAP(.ts = MS(0), .tid = 101, .pid = 100, .comm = "worker"));
	put(m, TR_SWITCH(.ts = MS(10), .prev = 100, .prev_pid = 100, .preempt = true,
			 .next = 101, .next_pid = 100));
	put(m, TR_SWITCH(.ts = MS(20), .prev = 101, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x1000, .next = 100, .next_pid = 100));
	put(m, TR_WAKING(.ts = MS(30), .waker = 100, .waker_pid = 100, .wakee = 101,
			 .wakee_pid = 100));
	put(m, TR_SWITCH(.ts = MS(40), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 0, .a0 = 3, .fd_kind = TL_FD_PIPE, .next = 101,
			 .next_pid = 100));
	finish(m, MS(50));

	const struct tl_thread *a = thr(m, 100), *b = thr(m, 101);
	assert_int_equal(a->niv, 4);
	iv_is(a, 0, TL_ST_RUNNING, 0, 10);
	const struct tl_interval *iv = iv_is(a, 1, TL_ST_RUNNABLE, 10, 20);
	assert_int_equal(iv->cause, TL_RUN_PREEMPTED);
	assert_int_equal(iv->preempted_by, 101);
	iv_is(a, 2, TL_ST_RUNNING, 20, 40);
	iv = iv_is(a, 3, TL_ST_SLEEPING, 40, 50);
	assert_int_equal(iv->block->why, TL_WHY_PIPE);
	assert_true(iv->block->has_obj);
	assert_int_equal(iv->block->obj, 3);
	assert_int_equal(a->sum.ivcsw, 1);
	assert_int_equal(a->sum.vcsw, 1);
	assert_int_equal(a->sum.wakeups_given, 1);

	assert_int_equal(b->niv, 5);
	iv = iv_is(b, 0, TL_ST_RUNNABLE, 0, 10);
	assert_int_equal(iv->cause, TL_RUN_SNAPSHOT);
	iv_is(b, 1, TL_ST_RUNNING, 10, 20);
	iv = iv_is(b, 2, TL_ST_SLEEPING, 20, 30);
	assert_int_equal(iv->block->why, TL_WHY_FUTEX);
	assert_int_equal(iv->block->obj, 0x1000);
	assert_int_equal(iv->block->futex, TL_FUTEX_WAIT);
	assert_int_equal(iv->waker, 100);
	iv = iv_is(b, 3, TL_ST_RUNNABLE, 30, 40);
	assert_int_equal(iv->cause, TL_RUN_WOKEN);
	assert_int_equal(iv->waker, 100);
	iv_is(b, 4, TL_ST_RUNNING, 40, 50);
	assert_int_equal(b->sum.futex_waits, 1);
	assert_int_equal(b->sum.wakeups_received, 1);
	assert_int_equal(tl_sum_ns(&b->sum, TL_ST_RUNNING), D(20));
	assert_int_equal(tl_sum_blocked_ns(&b->sum, TL_WHY_FUTEX), D(10));
	assert_int_equal(tl_sum_ns(&a->sum, TL_ST_UNINT), 0);
	assert_int_equal(tl_sum_blocked_ns(&a->sum, TL_WHY_PIPE), D(10));
	totals_match(a);
	totals_match(b);

	struct tl_iv_filter f = { .by_reason = true, .why = TL_WHY_FUTEX,
				  .by_obj = true, .obj = 0x1000 };
	assert_int_equal(tl_thread_sum_ns(b, &f), D(10));
	f.obj = 0x2000;
	assert_int_equal(tl_thread_sum_ns(b, &f), 0);
	assert_int_equal(tl_model_count_wakeups(m, 100, 101, 0, 0), 1);
	assert_int_equal(tl_model_count_wakeups(m, 101, 100, 0, 0), 0);
	assert_int_equal(tl_model_stats(m)->inconsistencies, 0);
	tl_model_free(m);
}

static void test_wakeup_then_delayed_run(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 200, .pid = 200, .state = 1,
		       .comm = "sleeper", .nr = 35, .a0 = 0x7ffd0000));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 201, .pid = 200, .on_cpu = true,
		       .comm = "spinner"));
	put(m, TR_WAKING(.ts = MS(10), .cpu = 1, .wakee = 200,
			 .wakee_pid = 200)); /* timer: woken from idle/irq */
	put(m, TR_SWITCH(.ts = MS(25), .prev = 999, .prev_pid = 999, .preempt = true,
			 .next = 200, .next_pid = 200));
	finish(m, MS(30));

	const struct tl_thread *t = thr(m, 200);
	const struct tl_interval *iv = iv_is(t, 0, TL_ST_SLEEPING, 0, 10);
	assert_int_equal(iv->block->why, TL_WHY_SLEEP);
	assert_int_equal(iv->block->sys_nr, 35);
	iv_is(t, 1, TL_ST_RUNNABLE, 10, 25);
	iv_is(t, 2, TL_ST_RUNNING, 25, 30);
	assert_int_equal(tl_thread_state_ns(t, TL_ST_RUNNABLE, 0, 0), D(15));
	assert_int_equal(tl_thread_iv(t, 2).cpu, 0);
	/* a window cuts intervals */
	assert_int_equal(tl_thread_state_ns(t, TL_ST_RUNNABLE, MS(20), MS(30)), D(5));
	/* task 999 is outside the trace: named, but no thread */
	assert_false(tl_model_is_traced(m, 999));
	assert_int_equal(tl_model_nthreads(m), 2);
	tl_model_free(m);
}

static void test_migration(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	struct tl_migrate mg = { 0 };

	put(m, TR_SNAP(.ts = MS(0), .tid = 300, .pid = 300, .on_cpu = true,
		       .comm = "mover"));
	put(m, TR_SWITCH(.ts = MS(10), .prev = 300, .prev_pid = 300, .preempt = true,
			 .next = 999, .next_pid = 999));
	hdr(&mg.h, TL_MIGRATE, sizeof(mg), MS(12), 1, 0, 0);
	mg.tid = 300;
	mg.tgid = 300;
	mg.orig_cpu = 0;
	mg.dest_cpu = 1;
	assert_int_equal(feed(m, &mg), 0);
	put(m, TR_SWITCH(.ts = MS(15), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 300, .next_pid = 300));
	finish(m, MS(20));

	const struct tl_thread *t = thr(m, 300);
	assert_int_equal(t->niv, 3);
	assert_int_equal(iv_is(t, 0, TL_ST_RUNNING, 0, 10)->cpu, 0);
	assert_int_equal(iv_is(t, 1, TL_ST_RUNNABLE, 10, 15)->cpu, 1);
	assert_int_equal(iv_is(t, 2, TL_ST_RUNNING, 15, 20)->cpu, 1);
	assert_int_equal(t->sum.migrations, 1);
	struct tl_iv_filter f = { .states = TL_F_STATE(TL_ST_RUNNING), .by_cpu = true, .cpu = 1 };
	assert_int_equal(tl_thread_sum_ns(t, &f), D(5));
	assert_string_equal(tl_model_task_name(m, 300), "mover");
	tl_model_free(m);
}

static void test_exit_while_blocked(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 400, .pid = 400, .on_cpu = true,
		       .comm = "main"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 401, .pid = 400, .state = 1,
		       .comm = "worker", .nr = 202, .a0 = 0xa0));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 402, .pid = 400, .state = 1,
		       .comm = "stuck", .nr = 202, .a0 = 0xb0));
	/* main calls exit_group: the worker is woken to die */
	put(m, TR_WAKING(.ts = MS(20), .waker = 400, .waker_pid = 400, .wakee = 401,
			 .wakee_pid = 400, .target_cpu = 1));
	put(m, TR_EXIT(.ts = MS(21), .tid = 400, .pid = 400, .status = 3 << 8));
	put(m, TR_SWITCH(.ts = MS(22), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 401, .next_pid = 400));
	/* the third thread's wakeup is missed: its exit contradicts its sleep */
	put(m, TR_EXIT(.ts = MS(22.5), .tid = 402, .pid = 400, .status = 3 << 8));
	put(m, TR_EXIT(.ts = MS(23), .cpu = 1, .tid = 401, .pid = 400,
		       .status = 3 << 8, .group_dead = true));
	finish(m, MS(30));

	const struct tl_thread *w = thr(m, 401);
	const struct tl_interval *iv = iv_is(w, 0, TL_ST_SLEEPING, 0, 20);
	assert_int_equal(iv->waker, 400);
	iv_is(w, 1, TL_ST_RUNNABLE, 20, 22);
	iv_is(w, 2, TL_ST_RUNNING, 22, 23);
	assert_int_equal(w->end, MS(23));
	assert_true(w->flags & TL_THR_EXITED);

	const struct tl_thread *s = thr(m, 402);
	assert_int_equal(s->niv, 1);
	iv = iv_is(s, 0, TL_ST_UNKNOWN, 0, 22.5);
	assert_int_equal(iv->cause, TL_UNK_INCONSISTENT);
	assert_int_equal(tl_model_stats(m)->inconsistencies, 1);

	const struct tl_process *p = tl_model_find_proc(m, 400, 0);
	assert_non_null(p);
	assert_true(p->flags & TL_PROC_EXITED);
	assert_int_equal(tl_proc_exit_code(p), 3);
	assert_int_equal(tl_proc_exit_signal(p), 0);
	assert_int_equal(p->end, MS(23));
	assert_int_equal(thr(m, 400)->end, MS(21));
	assert_int_equal(tl_model_nexits(m), 3);
	tl_model_free(m);
}

static void test_snapshot_only_and_first_sight(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 500, .pid = 500, .state = 1,
		       .comm = "parent", .nr = 61, .a0 = (uint64_t)-1));
	/* 501 of the same process is first seen switching in at 10 */
	put(m, TR_SWITCH(.ts = MS(10), .cpu = 1, .prev = 999, .prev_pid = 999,
			 .preempt = true, .next = 501, .next_pid = 500));
	put(m, TR_SNAP(.ts = MS(12), .cpu = 1, .tid = 600, .pid = 600, .state = 2,
		       .comm = "disk", .nr = 0, .a0 = 5, .fd_kind = TL_FD_FILE));
	finish(m, MS(40));

	const struct tl_thread *t = thr(m, 500);
	assert_int_equal(t->niv, 1);
	const struct tl_interval *iv = iv_is(t, 0, TL_ST_SLEEPING, 0, 40);
	assert_int_equal(iv->block->why, TL_WHY_CHILD);
	assert_int_equal((int64_t)iv->block->obj, -1);
	assert_true(t->flags & TL_THR_SNAPSHOT);

	const struct tl_thread *u = thr(m, 501);
	assert_int_equal(u->niv, 2);
	iv = iv_is(u, 0, TL_ST_UNKNOWN, 0, 10);
	assert_int_equal(iv->cause, TL_UNK_BEFORE_FIRST);
	iv_is(u, 1, TL_ST_RUNNING, 10, 40);
	assert_false(u->flags & TL_THR_SNAPSHOT);

	const struct tl_thread *d = thr(m, 600);
	iv = iv_is(d, 0, TL_ST_UNINT, 12, 40);
	assert_int_equal(iv->block->why, TL_WHY_DISK);
	assert_int_equal(tl_thread_name(d)[0], 'd');
	tl_model_free(m);
}

/* The start snapshot is taken while tracing runs: a task met while it was
 * exiting, after its exit record, is not a new one (it was created before
 * that exit); a task created after the exit that took the TID is. */
static void test_snapshot_after_exit(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	spawn(m, (struct tr_newtask){ .ts = MS(2), .tid = 900, .pid = 900,
				      .child = 901, .child_pid = 901, .process = true,
				      .comm = "sh" });
	put(m, TR_SWITCH(.ts = MS(3), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 901, .next_pid = 901));
	put(m, TR_EXIT(.ts = MS(4), .cpu = 1, .tid = 901, .pid = 901,
		       .group_dead = true));
	put(m, TR_SNAP(.ts = MS(5), .cpu = 1, .tid = 901, .pid = 901, .on_cpu = true,
		       .start_ns = MS(2), .comm = "true"));
	put(m, TR_SWITCH(.ts = MS(6), .cpu = 1, .prev = 901, .prev_pid = 901,
			 .state = 0x40 /* TASK_DEAD */, .next = 0, .next_pid = 0));
	assert_int_equal(tl_model_nprocs(m), 2);  /* 900 and 901 */
	/* PID 902 exits, then a task created after that exit gets it */
	put(m, TR_SWITCH(.ts = MS(7), .cpu = 0, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 902, .next_pid = 902));
	put(m, TR_EXIT(.ts = MS(8), .tid = 902, .pid = 902, .group_dead = true));
	put(m, TR_SNAP(.ts = MS(10), .tid = 902, .pid = 902, .state = 1,
		       .start_ns = MS(9), .comm = "new"));
	finish(m, MS(20));

	const struct tl_process *p = tl_model_find_proc(m, 901, 0);
	assert_int_equal(p->gen, 0);
	assert_int_equal(p->end, MS(4));
	assert_true(p->flags & TL_PROC_EXITED);
	assert_null(tl_model_find_proc(m, 901, MS(10)));
	assert_int_equal(tl_model_find_proc(m, 902, 0)->gen, 1);
	assert_int_equal(tl_model_find_thread(m, 902, MS(15))->gen, 1);
	assert_int_equal(tl_model_nprocs(m), 4);
	tl_model_free(m);
}

/* With --all every task is traced but the recorder itself, which still
 * shows as the other side of others' switches. */
static void test_all_but_the_recorder(void **state)
{
	(void)state;
	struct tl_model_opts o = { .all_tasks = true, .recorder_pid = 500 };
	struct tl_model *m = tl_model_new(&o);
	put(m, TR_SWITCH(.ts = MS(1), .prev = 400, .prev_pid = 400, .state = 1,
			 .next = 501, .next_pid = 500));
	put(m, TR_WAKING(.ts = MS(1.5), .waker = 501, .waker_pid = 500, .wakee = 400,
			 .wakee_pid = 400));
	put(m, TR_SWITCH(.ts = MS(2), .prev = 501, .prev_pid = 500, .state = 1,
			 .next = 400, .next_pid = 400));
	finish(m, MS(3));
	assert_non_null(tl_model_find_proc(m, 400, 0));
	assert_null(tl_model_find_proc(m, 500, 0));
	assert_null(tl_model_find_thread(m, 501, 0));
	assert_int_equal(tl_model_nthreads(m), 1);
	iv_is(thr(m, 400), 0, TL_ST_SLEEPING, 1, 1.5);
	assert_int_equal(iv_is(thr(m, 400), 1, TL_ST_RUNNABLE, 1.5, 2)->waker, 501);
	iv_is(thr(m, 400), 2, TL_ST_RUNNING, 2, 3);
	tl_model_free(m);
}

static void test_loss_in_the_middle(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 700, .pid = 700, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 701, .pid = 700, .comm = "b"));
	put(m, TR_SWITCH(.ts = MS(5), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 701, .next_pid = 700));
	put(m, TR_SWITCH(.ts = MS(8), .cpu = 1, .prev = 701, .prev_pid = 700,
			 .state = 1, .nr = 202, .a0 = 0x10));
	put(m, TR_LOSS(.ts = MS(20), .cpu = 1, .lost = 5, .total = 5));
	put(m, TR_WAKING(.ts = MS(25), .waker = 700, .waker_pid = 700, .wakee = 701,
			 .wakee_pid = 700, .target_cpu = 1));
	put(m, TR_SWITCH(.ts = MS(27), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 701, .next_pid = 700));
	put(m, TR_SWITCH(.ts = MS(30), .prev = 700, .prev_pid = 700, .state = 1,
			 .nr = 35));
	finish(m, MS(40));

	const struct tl_thread *a = thr(m, 700), *b = thr(m, 701);
	/* a was Running since 0: after the loss, unknown until it is seen
	 * current again (the waking it sends at 25) */
	assert_int_equal(a->niv, 3);
	const struct tl_interval *iv = iv_is(a, 0, TL_ST_UNKNOWN, 0, 25);
	assert_int_equal(iv->cause, TL_UNK_LOSS);
	iv_is(a, 1, TL_ST_RUNNING, 25, 30);
	iv_is(a, 2, TL_ST_SLEEPING, 30, 40);
	/* b slept in futex since 8: unknown until the wakeup at 25 */
	iv_is(b, 0, TL_ST_RUNNABLE, 0, 5);
	iv_is(b, 1, TL_ST_RUNNING, 5, 8);
	iv = iv_is(b, 2, TL_ST_UNKNOWN, 8, 25);
	assert_int_equal(iv->cause, TL_UNK_LOSS);
	iv_is(b, 3, TL_ST_RUNNABLE, 25, 27);
	iv_is(b, 4, TL_ST_RUNNING, 27, 40);
	const struct tl_model_stats *st = tl_model_stats(m);
	assert_int_equal(st->lost_total, 5);
	assert_int_equal(st->first_loss_ts, MS(20));
	assert_int_equal(tl_model_nlosses(m), 1);
	assert_int_equal(st->inconsistencies, 0);
	/* unknown time shows in the parallelism statistics */
	struct tl_par_stats ps;
	assert_int_equal(tl_proc_par_stats(tl_model_find_proc(m, 700, 0), 0, 0, &ps), 0);
	assert_int_equal(ps.unknown_ns, D(25)); /* [0, 25): a or b unknown */
	assert_int_equal(ps.known_ns, D(15));
	tl_model_free(m);
}

/* keep: the fork and exit edges are kept (else only counted) */
static void pid_reuse(bool keep)
{
	struct tl_model_opts o = { .no_task_edges = !keep };
	struct tl_model *m = tl_model_new(&o);
	put(m, TR_SNAP(.ts = MS(0), .tid = 800, .pid = 800, .on_cpu = true,
		       .comm = "shell"));
	spawn(m, (struct tr_newtask){ .ts = MS(5), .tid = 800, .pid = 800,
				      .child = 801, .child_pid = 801, .process = true,
				      .comm = "shell" });
	put(m, TR_SWITCH(.ts = MS(6), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 801, .next_pid = 801));
	put(m, TR_EXIT(.ts = MS(10), .cpu = 1, .tid = 801, .pid = 801,
		       .group_dead = true));
	spawn(m, (struct tr_newtask){ .ts = MS(20), .tid = 800, .pid = 800,
				      .child = 801, .child_pid = 801, .process = true,
				      .comm = "shell" });
	put(m, TR_SWITCH(.ts = MS(21), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 801, .next_pid = 801));
	put(m, TR_EXIT(.ts = MS(25), .cpu = 1, .tid = 801, .pid = 801, .status = 9,
		       .group_dead = true)); /* SIGKILL */
	finish(m, MS(30));

	const struct tl_process *old = tl_model_find_proc(m, 801, MS(7));
	const struct tl_process *cur = tl_model_find_proc(m, 801, 0);
	assert_non_null(old);
	assert_non_null(cur);
	assert_ptr_not_equal(old, cur);
	assert_int_equal(old->gen, 0);
	assert_int_equal(cur->gen, 1);
	assert_int_equal(old->start, MS(5));
	assert_int_equal(old->end, MS(10));
	assert_int_equal(cur->start, MS(20));
	assert_int_equal(tl_proc_exit_code(old), 0);
	assert_int_equal(tl_proc_exit_code(cur), -1);
	assert_int_equal(tl_proc_exit_signal(cur), 9);
	assert_ptr_equal(old->parent, tl_model_find_proc(m, 800, 0));
	assert_ptr_equal(cur->parent, tl_model_find_proc(m, 800, 0));
	assert_int_equal(tl_model_find_proc(m, 800, 0)->nchildren, 2);
	const struct tl_thread *t0 = tl_model_find_thread(m, 801, MS(7));
	const struct tl_thread *t1 = tl_model_find_thread(m, 801, MS(22));
	assert_int_equal(t0->gen, 0);
	assert_int_equal(t1->gen, 1);
	iv_is(t0, 0, TL_ST_RUNNABLE, 5, 6);
	assert_int_equal(tl_thread_iv(t0, 0).cause, TL_RUN_NEW);
	iv_is(t1, 1, TL_ST_RUNNING, 21, 25);
	assert_int_equal(tl_proc_nforks(m, tl_model_find_proc(m, 800, 0)), keep ? 2 : 0);
	assert_int_equal(tl_model_nforks(m), 2); /* newtask + fork merged */
	assert_int_equal(tl_model_nexits(m), 2);
	if (keep)
		assert_false(tl_model_fork(m, 0)->thread);
	else
		assert_null(tl_model_fork(m, 0));
	assert_int_equal(thr(m, 800)->sum.forks, 2);
	assert_null(tl_model_find_proc(m, 801, MS(15)));
	tl_model_free(m);
}

static void test_pid_reuse(void **state)
{
	(void)state;
	pid_reuse(true);
	pid_reuse(false); /* the same model, the edges only counted */
}

static void test_exec_in_multithreaded(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	struct tl_exec e = { 0 };

	put(m, TR_SNAP(.ts = MS(0), .tid = 900, .pid = 900, .state = 1,
		       .comm = "oldprog", .nr = 202, .a0 = 0x40));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 901, .pid = 900, .on_cpu = true,
		       .comm = "oldprog"));
	put(m, TR_SNAP(.ts = MS(0), .tid = 902, .pid = 900, .state = 1,
		       .comm = "oldprog", .nr = 202, .a0 = 0x48));
	/* 901 execs: the others are killed first */
	put(m, TR_WAKING(.ts = MS(10), .cpu = 1, .waker = 901, .waker_pid = 900,
			 .wakee = 902, .wakee_pid = 900));
	put(m, TR_WAKING(.ts = MS(10), .cpu = 1, .waker = 901, .waker_pid = 900,
			 .wakee = 900, .wakee_pid = 900));
	put(m, TR_SWITCH(.ts = MS(11), .prev = 0, .prev_pid = 0, .preempt = true,
			 .next = 902, .next_pid = 900));
	put(m, TR_EXIT(.ts = MS(12), .tid = 902, .pid = 900));
	put(m, TR_SWITCH(.ts = MS(13), .prev = 902, .prev_pid = 900, .state = 0x80,
			 .nr = -1, .next = 900, .next_pid = 900));
	put(m, TR_EXIT(.ts = MS(14), .tid = 900, .pid = 900));
	put(m, TR_SWITCH(.ts = MS(15), .prev = 900, .prev_pid = 900, .state = 0x80,
			 .nr = -1));
	hdr(&e.h, TL_EXEC, sizeof(e), MS(20), 1, 900, 900);
	e.old_tid = 901;
	strcpy(e.comm, "newprog");
	strcpy(e.filename, "/usr/bin/newprog");
	assert_int_equal(feed(m, &e), 0);
	put(m, TR_SWITCH(.ts = MS(25), .cpu = 1, .prev = 900, .prev_pid = 900,
			 .preempt = true));
	finish(m, MS(30));

	const struct tl_process *p = tl_model_find_proc(m, 900, 0);
	assert_int_equal(p->nthreads, 4);
	assert_string_equal(tl_proc_name(p), "newprog");
	assert_string_equal(tl_proc_name_at(p, MS(5)), "oldprog");
	assert_int_equal(p->nexecs, 1);
	assert_int_equal(p->execs[0].old_tid, 901);
	assert_string_equal(p->execs[0].filename, "/usr/bin/newprog");
	assert_false(p->flags & TL_PROC_EXITED);
	assert_int_equal(p->end, MS(30));

	const struct tl_thread *o = tl_model_find_thread(m, 901, 0);
	assert_true(o->flags & TL_THR_EXECED);
	assert_int_equal(o->exec_to, 900);
	assert_int_equal(o->end, MS(20));
	iv_is(o, 0, TL_ST_RUNNING, 0, 20);

	const struct tl_thread *old_leader = tl_model_find_thread(m, 900, MS(5));
	const struct tl_thread *leader = tl_model_find_thread(m, 900, 0);
	assert_int_equal(old_leader->gen, 0);
	assert_int_equal(old_leader->end, MS(14));
	assert_int_equal(leader->gen, 1);
	assert_int_equal(leader->start, MS(20));
	iv_is(leader, 0, TL_ST_RUNNING, 20, 25);
	iv_is(leader, 1, TL_ST_RUNNABLE, 25, 30);
	assert_string_equal(tl_thread_name(leader), "newprog");
	const struct tl_thread *named[4];
	assert_int_equal(tl_proc_threads_named(p, "oldprog", named, 4), 3);
	assert_int_equal(tl_model_stats(m)->inconsistencies, 0);
	tl_model_free(m);
}

static void test_out_of_order_rejected(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	struct tl_switch s = { 0 };
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SWITCH(.ts = MS(10), .prev = 100, .prev_pid = 100, .preempt = true,
			 .next = 999, .next_pid = 999));
	hdr(&s.h, TL_SWITCH, sizeof(s), MS(5), 0, 999, 999);
	s.next_tid = 100;
	s.next_tgid = 100;
	assert_int_equal(tl_model_feed(m, &s.h), -ERANGE);
	/* too short for its type */
	hdr(&s.h, TL_SWITCH, sizeof(struct tl_hdr), MS(11), 0, 999, 999);
	assert_int_equal(tl_model_feed(m, &s.h), -EINVAL);
	hdr(&s.h, 77, sizeof(s), MS(11), 0, 999, 999);
	assert_int_equal(tl_model_feed(m, &s.h), -EINVAL);
	finish(m, MS(20));

	const struct tl_model_stats *st = tl_model_stats(m);
	assert_int_equal(st->out_of_order, 1);
	assert_int_equal(st->malformed, 2);
	assert_int_equal(st->records, 2);
	const struct tl_thread *t = thr(m, 100);
	assert_int_equal(t->niv, 2);
	iv_is(t, 1, TL_ST_RUNNABLE, 10, 20);
	tl_model_free(m);
}

static void test_pending_wakeup_race(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 101, .pid = 100, .on_cpu = true,
		       .comm = "b"));
	/* b wakes a while a is still switching out */
	put(m, TR_WAKING(.ts = MS(10), .cpu = 1, .waker = 101, .waker_pid = 100,
			 .wakee = 100, .wakee_pid = 100));
	put(m, TR_SWITCH(.ts = MS(10.05), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x30));
	put(m, TR_SWITCH(.ts = MS(12), .prev = 0, .prev_pid = 0, .preempt = true,
			 .next = 100, .next_pid = 100));
	/* a later sleep with its wakeup missed: becomes unknown */
	put(m, TR_SWITCH(.ts = MS(20), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x30));
	put(m, TR_SWITCH(.ts = MS(25), .prev = 0, .prev_pid = 0, .preempt = true,
			 .next = 100, .next_pid = 100));
	finish(m, MS(30));

	const struct tl_thread *a = thr(m, 100);
	iv_is(a, 0, TL_ST_RUNNING, 0, 10.05);
	const struct tl_interval *iv = iv_is(a, 1, TL_ST_RUNNABLE, 10.05, 12);
	assert_int_equal(iv->waker, 101);
	iv_is(a, 2, TL_ST_RUNNING, 12, 20);
	assert_int_equal(iv_is(a, 3, TL_ST_UNKNOWN, 20, 25)->cause, TL_UNK_INCONSISTENT);
	iv_is(a, 4, TL_ST_RUNNING, 25, 30);
	assert_int_equal(a->sum.wakeups_received, 1);
	assert_int_equal(thr(m, 101)->sum.wakeups_given, 1);
	assert_int_equal(tl_model_stats(m)->inconsistencies, 1);
	tl_model_free(m);
}

/* The kernel leaves out the switch that puts a woken thread on its CPU:
 * the thread is Runnable until the last switch reported on that CPU (which
 * put another task there), Unknown from then until it is seen current. */
static void test_missed_switch_in(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 101, .pid = 100, .on_cpu = true,
		       .comm = "b"));
	put(m, TR_SWITCH(.ts = MS(5), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x30, .next = 74, .next_pid = 1));
	put(m, TR_WAKING(.ts = MS(10), .cpu = 1, .waker = 101, .waker_pid = 100,
			 .wakee = 100, .wakee_pid = 100, .target_cpu = 0));
	/* the last switch on CPU 0 the kernel reports: to an untraced task */
	put(m, TR_SWITCH(.ts = MS(12), .prev = 74, .prev_pid = 1, .next = 75,
			 .next_pid = 1));
	/* a is current on CPU 0 (it wakes b): its switch-in was missed */
	put(m, TR_WAKING(.ts = MS(15), .waker = 100, .waker_pid = 100,
			 .wakee = 101, .wakee_pid = 100, .target_cpu = 1));
	put(m, TR_SWITCH(.ts = MS(20), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x30));
	finish(m, MS(30));

	const struct tl_thread *a = thr(m, 100);
	iv_is(a, 0, TL_ST_RUNNING, 0, 5);
	iv_is(a, 1, TL_ST_SLEEPING, 5, 10);
	assert_int_equal(iv_is(a, 2, TL_ST_RUNNABLE, 10, 12)->waker, 101);
	assert_int_equal(iv_is(a, 3, TL_ST_UNKNOWN, 12, 15)->cause, TL_UNK_INCONSISTENT);
	iv_is(a, 4, TL_ST_RUNNING, 15, 20);
	iv_is(a, 5, TL_ST_SLEEPING, 20, 30);
	assert_int_equal(tl_model_stats(m)->inconsistencies, 1);
	tl_model_free(m);
}

static void test_threads_names_marks_syscalls(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	struct tl_rename r = { 0 };
	struct tl_usdt u = { 0 };
	struct tl_sys_enter se = { 0 };
	struct tl_sys_exit sx = { 0 };

	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true,
		       .comm = "main"));
	spawn(m, (struct tr_newtask){ .ts = MS(1), .tid = 100, .pid = 100,
				      .child = 101, .child_pid = 100, .comm = "main" });
	spawn(m, (struct tr_newtask){ .ts = MS(2), .tid = 100, .pid = 100,
				      .child = 102, .child_pid = 100, .comm = "main" });
	hdr(&r.h, TL_RENAME, sizeof(r), MS(3), 0, 100, 100);
	r.tid = 101;
	strcpy(r.oldcomm, "main");
	strcpy(r.newcomm, "worker");
	assert_int_equal(feed(m, &r), 0);
	r.h.ts = MS(3.5);
	r.tid = 102;
	assert_int_equal(feed(m, &r), 0);
	for (int i = 0; i < 3; i++) {
		hdr(&u.h, TL_USDT, sizeof(u), MS(4 + i), 0, 100, 100);
		u.kind = i == 1 ? TL_USDT_MARK : TL_USDT_QUEUE_PUT;
		u.args[1] = (uint64_t)i + 1;
		snprintf(u.str, sizeof(u.str), "q%d", i);
		assert_int_equal(feed(m, &u), 0);
	}
	hdr(&se.h, TL_SYS_ENTER, sizeof(se), MS(8), 0, 100, 100);
	se.nr = 202;
	se.args[0] = 0x50;
	assert_int_equal(feed(m, &se), 0);
	put(m, TR_SWITCH(.ts = MS(9), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x50));
	put(m, TR_WAKING(.ts = MS(19), .cpu = 1, .wakee = 100, .wakee_pid = 100));
	put(m, TR_SWITCH(.ts = MS(20), .prev = 0, .prev_pid = 0, .preempt = true,
			 .next = 100, .next_pid = 100));
	hdr(&sx.h, TL_SYS_EXIT, sizeof(sx), MS(20.5), 0, 100, 100);
	sx.nr = 202;
	assert_int_equal(feed(m, &sx), 0);
	finish(m, MS(30));

	const struct tl_process *p = tl_model_find_proc(m, 100, 0);
	const struct tl_thread *w[4];
	assert_int_equal(tl_proc_threads_named(p, "worker", w, 4), 2);
	assert_int_equal(w[0]->tid, 101);
	assert_int_equal(w[1]->tid, 102);
	assert_string_equal(tl_thread_name_at(w[0], MS(2)), "main");
	assert_int_equal(thr(m, 100)->sum.clones, 2);
	assert_int_equal(tl_model_nforks(m), 2);
	assert_true(tl_model_fork(m, 0)->thread);
	assert_int_equal(tl_model_fork(m, 0)->clone_flags, 0x3d0f00);

	const struct tl_thread *t = thr(m, 100);
	const struct tl_mark *mk[4];
	assert_int_equal(tl_thread_marks(t, TL_USDT_QUEUE_PUT, mk, 4), 2);
	assert_int_equal(mk[0]->args[1], 1);
	assert_int_equal(mk[1]->args[1], 3);
	assert_string_equal(mk[1]->str, "q2");
	assert_int_equal(tl_thread_marks(t, 0, NULL, 0), 3);
	assert_int_equal(tl_model_nmarks(m), 3);

	assert_int_equal(t->nsys, 1);
	assert_int_equal(t->sys[0].start, MS(8));
	assert_int_equal(t->sys[0].end, MS(20.5));
	assert_int_equal(t->sys[0].flags, 0);
	assert_int_equal(t->sum.syscalls, 1);
	/* the new threads: Runnable from creation, never run */
	iv_is(thr(m, 101), 0, TL_ST_RUNNABLE, 1, 30);
	tl_model_free(m);
}

static void sock_count(struct tl_model *m, uint64_t ts, uint32_t tid,
		       uint64_t sends, uint64_t recvs)
{
	struct tl_sock_count c = { 0 };

	hdr(&c.h, TL_SOCK_COUNT, sizeof(c), ts, 0, tid, 200);
	c.sends = sends;
	c.recvs = recvs;
	put(m, &c);
}

/* Socket operations are the kernel's counts of sends and receives (one
 * record at a thread's exit, one more at the end); a socket syscall entered
 * is then not counted again. Without counts, socket syscalls count; and
 * without those, the blocks in socket syscalls. */
static void test_socket_ops(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	struct tl_sys_enter se = { 0 };

	put(m, TR_SNAP(.ts = MS(0), .tid = 200, .pid = 200, .on_cpu = true,
		       .comm = "srv"));
	spawn(m, (struct tr_newtask){ .ts = MS(1), .tid = 200, .pid = 200,
				      .child = 201, .child_pid = 200, .comm = "srv" });
	hdr(&se.h, TL_SYS_ENTER, sizeof(se), MS(2), 0, 200, 200);
	se.nr = 44; /* sendto */
	put(m, &se);
	sock_count(m, MS(3), 201, 7, 9);
	put(m, TR_EXIT(.ts = MS(3.1), .tid = 201, .pid = 200));
	sock_count(m, MS(10), 200, 1, 2);
	finish(m, MS(10));
	assert_int_equal(thr(m, 200)->sum.socket_ops, 3);
	assert_int_equal(tl_model_find_thread(m, 201, MS(1))->sum.socket_ops, 16);
	tl_model_free(m);

	m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 200, .pid = 200, .on_cpu = true,
		       .comm = "srv"));
	se.h.ts = MS(2);
	put(m, &se);
	finish(m, MS(10));
	assert_int_equal(thr(m, 200)->sum.socket_ops, 1);
	tl_model_free(m);
}

/* Two threads overlapping: exact shares of each level. */
static void test_parallelism_two_threads(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 101, .pid = 100, .comm = "b"));
	put(m, TR_SWITCH(.ts = MS(10), .cpu = 1, .prev = 999, .prev_pid = 999,
			 .preempt = true, .next = 101, .next_pid = 100));
	put(m, TR_SWITCH(.ts = MS(20), .cpu = 1, .prev = 101, .prev_pid = 100,
			 .state = 1, .nr = 35));
	put(m, TR_SWITCH(.ts = MS(30), .prev = 100, .prev_pid = 100, .preempt = true,
			 .next = 999, .next_pid = 999));
	finish(m, MS(40));

	const struct tl_process *p = tl_model_find_proc(m, 100, 0);
	struct tl_par_stats s;
	assert_int_equal(tl_proc_par_stats(p, 0, 0, &s), 0);
	assert_int_equal(s.span_ns, D(40));
	assert_int_equal(s.par_ns[0], D(10));
	assert_int_equal(s.par_ns[1], D(20));
	assert_int_equal(s.par_ns[2], D(10));
	assert_int_equal(s.max_par, 2);
	assert_true(s.mean_par > 0.999 && s.mean_par < 1.001);
	assert_int_equal(s.conc_ns[1], D(20));
	assert_int_equal(s.conc_ns[2], D(20));
	assert_int_equal(s.max_conc, 2);
	assert_true(s.mean_conc > 1.499 && s.mean_conc < 1.501);
	assert_true(tl_par_share(&s, 1) > 0.499 && tl_par_share(&s, 1) < 0.501);
	assert_true(tl_conc_share(&s, 2) > 0.499 && tl_conc_share(&s, 2) < 0.501);
	assert_int_equal(s.unknown_ns, 0);
	/* a window */
	assert_int_equal(tl_proc_par_stats(p, MS(10), MS(30), &s), 0);
	assert_true(s.mean_par > 1.499 && s.mean_par < 1.501);
	assert_int_equal(s.par_ns[2], D(10));
	struct tl_step st;
	assert_true(tl_series_at(tl_proc_series(p), MS(15), &st));
	assert_int_equal(st.running, 2);
	assert_int_equal(tl_proc_series(p)->nsteps, 4);
	assert_int_equal(tl_model_par_stats(m, 0, 0, &s), 0);
	assert_int_equal(s.max_par, 2);
	tl_model_free(m);
}

/* The tree series counts a child process's threads with its parent's. */
static void test_tree_parallelism(void **state)
{
	(void)state;
	struct tl_model *m = tl_model_new(NULL);
	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true,
		       .comm = "parent"));
	spawn(m, (struct tr_newtask){ .ts = MS(10), .tid = 100, .pid = 100,
				      .child = 110, .child_pid = 110, .process = true,
				      .comm = "child" });
	put(m, TR_SWITCH(.ts = MS(10), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 110, .next_pid = 110));
	put(m, TR_EXIT(.ts = MS(30), .cpu = 1, .tid = 110, .pid = 110,
		       .group_dead = true));
	finish(m, MS(40));

	const struct tl_process *p = tl_model_find_proc(m, 100, 0);
	struct tl_par_stats s;
	assert_int_equal(tl_tree_par_stats(p, 0, 0, &s), 0);
	assert_int_equal(s.par_ns[2], D(20));
	assert_int_equal(s.par_ns[1], D(20));
	assert_int_equal(tl_proc_par_stats(p, 0, 0, &s), 0);
	assert_int_equal(s.par_ns[1], D(40));
	assert_int_equal(s.max_par, 1);
	tl_model_free(m);
}

/* Zombie intervals: reaped when an exiting child wakes its parent blocked
 * in wait4, or when a later wait finds the child already dead. */
/* keep: the exit edges are kept (else only counted) */
static void reaping(bool keep)
{
	struct tl_model_opts o = { .no_task_edges = !keep };
	struct tl_model *m = tl_model_new(&o);
	struct tl_wait w = { 0 };

	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true,
		       .comm = "parent"));
	spawn(m, (struct tr_newtask){ .ts = MS(1), .tid = 100, .pid = 100,
				      .child = 200, .child_pid = 200, .process = true,
				      .comm = "quick" });
	put(m, TR_SWITCH(.ts = MS(2), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 200, .next_pid = 200));
	put(m, TR_SWITCH(.ts = MS(3), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 61, .a0 = (uint64_t)-1));
	put(m, TR_EXIT(.ts = MS(10), .cpu = 1, .tid = 200, .pid = 200,
		       .group_dead = true));
	put(m, TR_WAKING(.ts = MS(10.1), .cpu = 1, .waker = 200, .waker_pid = 200,
			 .wakee = 100, .wakee_pid = 100));
	/* after its exit it is still preempted once and comes back */
	put(m, TR_SWITCH(.ts = MS(10.15), .cpu = 1, .prev = 200, .prev_pid = 200,
			 .preempt = true, .next = 999, .next_pid = 999));
	put(m, TR_SWITCH(.ts = MS(10.17), .cpu = 1, .prev = 999, .prev_pid = 999,
			 .preempt = true, .next = 200, .next_pid = 200));
	put(m, TR_SWITCH(.ts = MS(10.2), .cpu = 1, .prev = 200, .prev_pid = 200,
			 .state = 0x80, .nr = -1));
	put(m, TR_SWITCH(.ts = MS(10.3), .prev = 0, .prev_pid = 0, .preempt = true,
			 .next = 100, .next_pid = 100));
	spawn(m, (struct tr_newtask){ .ts = MS(11), .tid = 100, .pid = 100,
				      .child = 201, .child_pid = 201, .process = true,
				      .comm = "zombie" });
	put(m, TR_SWITCH(.ts = MS(11.5), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .preempt = true, .next = 201, .next_pid = 201));
	put(m, TR_EXIT(.ts = MS(12), .cpu = 1, .tid = 201, .pid = 201,
		       .status = 2 << 8, .group_dead = true));
	hdr(&w.h, TL_WAIT, sizeof(w), MS(20), 0, 100, 100);
	w.pid = -1;
	assert_int_equal(feed(m, &w), 0);
	finish(m, MS(30));

	const struct tl_process *a = tl_model_find_proc(m, 200, 0);
	const struct tl_process *b = tl_model_find_proc(m, 201, 0);
	assert_true(a->flags & TL_PROC_REAPED);
	assert_int_equal(a->reaped_ts, MS(10.1));
	assert_true(b->flags & TL_PROC_REAPED);
	assert_int_equal(b->reaped_ts, MS(20));
	assert_int_equal(tl_proc_exit_code(b), 2);
	/* the parent's wait4 block ended with the child's wakeup */
	const struct tl_thread *p = thr(m, 100);
	const struct tl_interval *iv = iv_is(p, 1, TL_ST_SLEEPING, 3, 10.1);
	assert_int_equal(iv->block->why, TL_WHY_CHILD);
	assert_int_equal(iv->waker, 200);
	assert_int_equal(thr(m, 200)->sum.wakeups_given, 1);
	/* no new thread from the exited child's last moments */
	assert_int_equal(tl_model_nthreads(m), 3);
	const struct tl_exit_ev *x = tl_model_exit(m, 0);
	if (keep) {
		assert_int_equal(x->reaped_ts, MS(10.1));
		assert_int_equal(x->reaper_tid, 100);
	} else {
		assert_null(x);
		assert_int_equal(tl_model_nexits(m), 2);
	}
	tl_model_free(m);
}

static void test_reaping(void **state)
{
	(void)state;
	reaping(true);
	reaping(false);
}

/* Without --all only traced processes get threads; with it every task. */
static void test_traced_set(void **state)
{
	(void)state;
	struct tl_model_opts all = { .all_tasks = true };
	char buf[sizeof(struct tl_proc_info) + 32] = { 0 };
	struct tl_proc_info *pi = (void *)buf;
	static const char cmd[] = "srv\0--port\08080\0";

	for (int mode = 0; mode < 2; mode++) {
		struct tl_model *m = tl_model_new(mode ? &all : NULL);
		hdr(&pi->h, TL_PROC_INFO, (uint16_t)(sizeof(*pi) + sizeof(cmd) - 1), MS(0),
		    0, 300, 300);
		pi->ppid = 7;
		pi->uid = 1000;
		memcpy(pi + 1, cmd, sizeof(cmd) - 1);
		assert_int_equal(feed(m, pi), 0);
		put(m, TR_SWITCH(.ts = MS(1), .prev = 500, .prev_pid = 500,
				 .preempt = true, .next = 300, .next_pid = 300));
		put(m, TR_SWITCH(.ts = MS(2), .prev = 300, .prev_pid = 300, .state = 1,
				 .nr = 7, .next = 501, .next_pid = 501));
		finish(m, MS(3));
		assert_int_equal(tl_model_nthreads(m), mode ? 3 : 1);
		assert_int_equal(tl_model_nprocs(m), mode ? 3 : 1);
		assert_int_equal(tl_model_is_traced(m, 500), mode == 1);
		assert_string_equal(tl_model_task_name(m, 500), "");
		const struct tl_process *p = tl_model_find_proc(m, 300, 0);
		assert_string_equal(p->cmdline, "srv --port 8080");
		assert_int_equal(p->ppid, 7);
		assert_int_equal(p->uid, 1000);
		const struct tl_thread *t = thr(m, 300);
		iv_is(t, 0, TL_ST_UNKNOWN, 0, 1);
		iv_is(t, 1, TL_ST_RUNNING, 1, 2);
		assert_int_equal(iv_is(t, 2, TL_ST_SLEEPING, 2, 3)->block->why, TL_WHY_POLL);
		tl_model_free(m);
	}
}

/* Intervals, wakeup edges and steps are stored compactly (model_iv.c,
 * model_wake.c, model_steps.c) and must read back the same at the edges
 * of those encodings: times more than 2^32 ns and more than 2^48 ns after
 * the first record, 140000 distinct blocks (ids of several bytes), an
 * unknown CPU (-1), an unknown prio, groups and checkpoints crossed. */
static void test_compact_intervals(void **state)
{
	(void)state;
	enum { N = 140000, STEP = 99999, THIRD = STEP / 3 };
	const uint64_t far = MS(0) + (1ull << 48) + D(5);
	struct tl_model *m = tl_model_new(NULL);

	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 100, .pid = 100, .on_cpu = true,
		       .comm = "main"));
	put(m, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 101, .pid = 100, .state = 1,
		       .nr = 202, .a0 = 0x9000, .comm = "other"));
	for (uint64_t i = 0; i < N; i++) {
		uint64_t t = MS(0) + (i + 1) * STEP;
		/* 100 blocks on its own futex each time: N distinct blocks */
		put(m, TR_SWITCH(.ts = t, .cpu = 1, .prev = 100, .prev_pid = 100,
				 .state = 1, .nr = 202, .a0 = 0x1000 + 8 * i,
				 .next = 101, .next_pid = 100));
		put(m, TR_WAKING(.ts = t + THIRD, .cpu = 1, .waker = 101, .waker_pid = 100,
				 .wakee = 100, .wakee_pid = 100, .target_cpu = -1,
				 .prio = -1));
		put(m, TR_SWITCH(.ts = t + 2 * THIRD, .cpu = 1, .prev = 101,
				 .prev_pid = 100, .state = 1, .nr = 202, .a0 = 0x9000,
				 .next = 100, .next_pid = 100));
	}
	put(m, TR_SWITCH(.ts = far, .cpu = 1, .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0x7777, .next = 101, .next_pid = 100));
	finish(m, far + D(10));

	const struct tl_thread *a = thr(m, 100);
	assert_int_equal(a->niv, 3 * N + 2);
	struct tl_interval iv = tl_thread_iv(a, 0);
	assert_int_equal(iv.state, TL_ST_RUNNING);
	assert_int_equal(iv.start, MS(0));
	for (uint64_t i = 0; i < N; i++) {
		uint64_t t = MS(0) + (i + 1) * STEP;
		size_t k = 1 + 3 * i;

		iv = tl_thread_iv(a, k);
		if (iv.state != TL_ST_SLEEPING || iv.start != t || iv.end != t + THIRD ||
		    iv.block->obj != 0x1000 + 8 * i || iv.block->why != TL_WHY_FUTEX ||
		    iv.waker != 101 || iv.cpu != -1)
			fail_msg("wait %llu: state %d [%llu, %llu] obj %llx waker %u cpu %d",
				 (unsigned long long)i, iv.state,
				 (unsigned long long)iv.start, (unsigned long long)iv.end,
				 (unsigned long long)iv.block->obj, iv.waker, iv.cpu);
		iv = tl_thread_iv(a, k + 1);
		if (iv.state != TL_ST_RUNNABLE || iv.cause != TL_RUN_WOKEN ||
		    iv.start != t + THIRD || iv.cpu != -1 || iv.prio != TL_PRIO_UNKNOWN ||
		    iv.waker != 101 || iv.waker_irq || iv.block != tl_thread_iv(a, 0).block)
			fail_msg("runnable %llu: cause %d cpu %d prio %u waker %u",
				 (unsigned long long)i, iv.cause, iv.cpu, iv.prio, iv.waker);
		iv = tl_thread_iv(a, k + 2);
		if (iv.state != TL_ST_RUNNING || iv.start != t + 2 * THIRD || iv.cpu != 1 ||
		    iv.prio != 120)
			fail_msg("running %llu: cpu %d prio %u", (unsigned long long)i,
				 iv.cpu, iv.prio);
		if (i % 9973 == 0)
			assert_int_equal(tl_thread_iv_find(a, t + THIRD - 1), k);
	}
	/* the last run lasted 2^48 ns; the wait after it starts beyond what a
	 * stored start can hold */
	iv = tl_thread_iv(a, 3 * N);
	assert_int_equal(iv.end, far);
	iv = tl_thread_iv(a, 3 * N + 1);
	assert_int_equal(iv.state, TL_ST_SLEEPING);
	assert_int_equal(iv.start, far);
	assert_int_equal(iv.end, far + D(10));
	assert_int_equal(iv.block->obj, 0x7777);
	assert_int_equal(tl_thread_iv_find(a, far + D(1)), 3 * N + 1);
	assert_int_equal(tl_thread_iv_find(a, far - 1), 3 * N);
	assert_int_equal(tl_thread_iv_find(a, far + D(10)), a->niv);
	assert_int_equal(tl_thread_iv_find(a, MS(0) - 1), a->niv);
	assert_true(tl_thread_at(a, far, &iv));
	assert_int_equal(iv.start, far);
	/* the wakeup edges too, in order and out of it */
	assert_int_equal(tl_model_nwakeups(m), N);
	for (uint64_t k = 0; k < 2 * N; k += 7907) {
		uint64_t i = k < N ? k : 2 * N - 1 - k;   /* forward, then back */
		uint64_t t = MS(0) + (i + 1) * STEP;
		struct tl_wakeup_ev w = tl_model_wakeup(m, i);
		if (w.ts != t + THIRD || w.waker != 101 || w.wakee != 100 ||
		    w.target_cpu != -1 || !w.effective || w.irq || w.new_task ||
		    w.waker_awake_since != t || w.waker_idx != thr(m, 101)->tid - 101 + 1 ||
		    w.wakee_idx != 0)
			fail_msg("edge %llu: ts %llu %u -> %u cpu %d since %llu idx %u %u",
				 (unsigned long long)i, (unsigned long long)w.ts, w.waker,
				 w.wakee, w.target_cpu, (unsigned long long)w.waker_awake_since,
				 w.waker_idx, w.wakee_idx);
	}
	assert_int_equal(tl_model_count_wakeups(m, 101, 100, 0, 0), N);
	/* the series' steps too: 4.3 s and 2^48 ns apart, read back */
	const struct tl_series *se = tl_proc_series(a->proc);
	struct tl_step st;
	for (uint64_t i = 0; i < N; i += 7919) {
		uint64_t t = MS(0) + (i + 1) * STEP;
		assert_true(tl_series_at(se, t + THIRD / 2, &st));
		assert_int_equal(st.running, 1);      /* 101 */
		assert_int_equal(st.runnable, 0);
		assert_true(tl_series_at(se, t + THIRD + 1, &st));
		assert_int_equal(st.runnable, 1);     /* 100, woken */
	}
	assert_true(tl_series_at(se, far + D(1), &st));
	assert_int_equal(st.running, 1);
	assert_int_equal(st.runnable, 0);
	assert_true(tl_series_at(se, far - 1, &st));
	assert_int_equal(st.running, 1);
	assert_int_equal(tl_series_step(se, se->nsteps - 1).ts, far);
	assert_int_equal(a->sum.futex_waits, N + 1);
	assert_int_equal(tl_sum_blocked_ns(&a->sum, TL_WHY_FUTEX), (uint64_t)N * THIRD + D(10));
	totals_match(a);
	tl_model_free(m);
}

/* Wakeup edges read back as they were made: runs from one waker that stays
 * awake (stored without it), wakers that are not threads (an interrupt, an
 * untraced task), wakees before and after their waker, target CPUs on both
 * sides of what the flags byte holds; and, read once in order
 * (wakeup_edges_read_once), the same edges while the store is given back. */
static const int32_t edge_cpus[] = { -1, 0, 1, 2, 3, 7, 200 };

static uint32_t edge_waker(size_t i)
{
	return i % 97 < 60 ? 100 : i % 97 < 90 ? 101 : 300;
}

static uint32_t edge_wakee(size_t i)
{
	return edge_waker(i) == 101 && i % 5 == 0 ? 100 : 200 + (uint32_t)(i % 8);
}

/* Threads 100, 101, 200.. are made in that order; 300 is not traced. */
static uint32_t edge_idx(uint32_t tid)
{
	return tid == 300 ? TL_NO_THREAD : tid < 200 ? tid - 100 : tid - 200 + 2;
}

static struct tl_model *edge_model(bool read_once, size_t n)
{
	struct tl_model_opts o = { .wakeup_edges_read_once = read_once };
	struct tl_model *m = tl_model_new(&o);

	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .tid = 101, .pid = 100, .cpu = 1, .on_cpu = true,
		       .comm = "b"));
	for (uint32_t k = 0; k < 8; k++)
		put(m, TR_SNAP(.ts = MS(0), .tid = 200 + k, .pid = 100, .state = 1,
			       .comm = "c"));
	for (size_t i = 0; i < n; i++) {
		uint32_t waker = edge_waker(i);
		put(m, TR_WAKING(.ts = MS(1) + i * 1000 + (i % 13) * 7, .cpu = waker == 101,
				 .waker = waker, .waker_pid = waker == 300 ? 300 : 100,
				 .wakee = edge_wakee(i), .wakee_pid = 100,
				 .target_cpu = edge_cpus[i % 7], .irq = i % 89 == 0));
	}
	if (read_once) /* tl_model_check would read the edges */
		assert_int_equal(tl_model_finish(m, MS(1) + n * 1000 + D(1)), 0);
	else
		finish(m, MS(1) + n * 1000 + D(1));
	return m;
}

static void check_edge(size_t i, const struct tl_wakeup_ev *w)
{
	bool irq = i % 89 == 0;
	uint32_t waker = irq ? 0 : edge_waker(i), wakee = edge_wakee(i);
	uint32_t waker_idx = irq ? TL_NO_THREAD : edge_idx(waker);

	if (w->ts != MS(1) + i * 1000 + (i % 13) * 7 || w->irq != irq ||
	    w->waker != waker || w->wakee != wakee || w->target_cpu != edge_cpus[i % 7] ||
	    w->waker_idx != waker_idx || w->wakee_idx != edge_idx(wakee) ||
	    (waker_idx != TL_NO_THREAD && w->waker_awake_since != MS(0)))
		fail_msg("edge %zu: ts %llu %u -> %u cpu %d irq %d idx %u %u since %llu", i,
			 (unsigned long long)w->ts, w->waker, w->wakee, w->target_cpu,
			 w->irq, w->waker_idx, w->wakee_idx,
			 (unsigned long long)w->waker_awake_since);
}

static void test_wakeup_edges(void **state)
{
	(void)state;
	enum { N = 100000 };
	struct tl_model *m = edge_model(false, N), *once = edge_model(true, N);

	assert_int_equal(tl_model_nwakeups(m), N);
	for (size_t k = 0; k < 2 * N; k += 331) {   /* forward, then back */
		size_t i = k < N ? k : 2 * N - 1 - k;
		struct tl_wakeup_ev w = tl_model_wakeup(m, i);

		check_edge(i, &w);
	}
	for (size_t i = 0; i < N; i++) {
		struct tl_wakeup_ev w = tl_model_wakeup(m, i), o = tl_model_wakeup(once, i);

		check_edge(i, &o);
		assert_memory_equal(&w, &o, sizeof(w));
	}
	tl_model_free(m);
	tl_model_free(once);
}

/* A model that keeps only a series' totals (series_totals_only) gives the
 * same whole-span statistics as one that keeps its steps, and refuses a
 * window it cannot answer. */
static struct tl_model *busy_pair_o(const struct tl_model_opts *o, size_t n)
{
	struct tl_model *m = tl_model_new(o);

	put(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .on_cpu = true, .comm = "a"));
	put(m, TR_SNAP(.ts = MS(0), .tid = 101, .pid = 100, .cpu = 1, .on_cpu = true,
		       .comm = "b"));
	put(m, TR_SNAP(.ts = MS(0), .tid = 102, .pid = 100, .state = 1, .comm = "c"));
	for (size_t i = 0; i < n; i++) {
		uint64_t t = MS(1) + i * 1000 + (i % 7) * 100;
		/* 101 and 102 take turns on CPU 1, with a pause now and then */
		uint32_t out = i % 2 ? 102 : 101, in = i % 2 ? 101 : 102;
		put(m, TR_WAKING(.ts = t, .cpu = 0, .waker = 100, .waker_pid = 100,
				 .wakee = in, .wakee_pid = 100, .target_cpu = 1));
		put(m, TR_SWITCH(.ts = t + 300 + (i % 3) * 50, .cpu = 1, .prev = out,
				 .prev_pid = 100, .state = 1, .nr = 202, .next = in,
				 .next_pid = 100));
	}
	finish(m, MS(1) + n * 1000 + D(1));
	return m;
}

static struct tl_model *busy_pair(bool totals_only, size_t n)
{
	struct tl_model_opts o = { .series_totals_only = totals_only };

	return busy_pair_o(&o, n);
}

struct step_list {
	struct tl_step s[8192];
	size_t n;
};

static void take_step(void *arg, const struct tl_step *s)
{
	struct step_list *l = arg;

	if (l->n < 8192)
		l->s[l->n] = *s;
	l->n++;
}

/* A process's series streamed (tl_proc_series_each) is the one a model
 * keeps, step for step, though many changes share an instant; a model
 * told it is streamed keeps none of it. */
static void test_series_streamed(void **state)
{
	(void)state;
	/* as the exports load: no tree series either, so no series at all */
	struct tl_model_opts so = { .proc_series_streamed = true, .no_tree_series = true };
	struct tl_model *full = busy_pair(false, 3000), *str = busy_pair_o(&so, 3000);
	const struct tl_process *pf = tl_model_find_proc(full, 100, 0);
	const struct tl_process *ps = tl_model_find_proc(str, 100, 0);
	const struct tl_series *se = tl_proc_series(pf);
	struct step_list *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	assert_non_null(a);
	assert_non_null(b);
	assert_true(se->nsteps > 1000 && se->nsteps < 8192);
	assert_int_equal(tl_proc_series(ps)->nsteps, 0);
	assert_int_equal(tl_proc_tree_series(ps)->nsteps, 0);
	assert_true(tl_proc_tree_series(pf)->nsteps > 1000);
	assert_int_equal(tl_proc_series_each(pf, take_step, a), 0);
	assert_int_equal(tl_proc_series_each(ps, take_step, b), 0);
	assert_int_equal(a->n, se->nsteps);
	assert_int_equal(b->n, se->nsteps);
	for (size_t i = 0; i < se->nsteps; i++) {
		struct tl_step k = tl_series_step(se, i);
		if (k.ts != a->s[i].ts || k.running != a->s[i].running ||
		    k.runnable != a->s[i].runnable || k.unknown != a->s[i].unknown ||
		    memcmp(&a->s[i], &b->s[i], sizeof(k)))
			fail_msg("step %zu: %llu %u/%u/%u, streamed %llu %u/%u/%u", i,
				 (unsigned long long)k.ts, k.running, k.runnable, k.unknown,
				 (unsigned long long)a->s[i].ts, a->s[i].running,
				 a->s[i].runnable, a->s[i].unknown);
	}
	free(a);
	free(b);
	tl_model_free(full);
	tl_model_free(str);
}

static void test_series_totals(void **state)
{
	(void)state;
	struct tl_model *full = busy_pair(false, 3000), *tot = busy_pair(true, 3000);
	const struct tl_process *pf = tl_model_find_proc(full, 100, 0);
	const struct tl_process *pt = tl_model_find_proc(tot, 100, 0);
	struct tl_par_stats a, b;

	assert_true(tl_proc_series(pf)->nsteps > 1000);
	assert_null(tl_proc_series(pf)->sum);
	assert_non_null(tl_proc_series(pt)->sum);
	assert_int_equal(tl_proc_series(pt)->nsteps, 0);
	assert_int_equal(tl_proc_par_stats(pf, 0, 0, &a), 0);
	assert_int_equal(tl_proc_par_stats(pt, 0, 0, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(a.max_conc >= 2 && a.mean_par > 1.0);
	assert_int_equal(tl_tree_par_stats(pt, 0, 0, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(tl_model_par_stats(full, 0, 0, &a), 0);
	assert_int_equal(tl_model_par_stats(tot, 0, 0, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(tl_proc_par_stats(pt, MS(1), MS(2), &b), -EINVAL);
	tl_model_free(full);
	tl_model_free(tot);
}

/* Tracing the whole system starts: a switch from rcu (15) comes before
 * the start snapshot has reached kthreadd (2), so rcu is seen 6 ms before
 * its parent. Both
 * were there at the start: rcu is still kthreadd's child. A process forked
 * during the trace is not given an earlier parent that way. */
static void test_parent_seen_after_child(void **state)
{
	struct tl_model *m = tl_model_new(&(struct tl_model_opts){ .all_tasks = true });
	const struct tl_process *rcu, *late;

	(void)state;
	put(m, TR_SWITCH(.ts = MS(0), .cpu = 0, .prev = 15, .prev_pid = 15, .state = 1,
			 .prev_comm = "rcu", .next = 0, .next_pid = 0));
	put(m, TR_SNAP(.ts = MS(6), .tid = 2, .pid = 2, .ppid = 0, .comm = "kthreadd"));
	put(m, TR_SNAP(.ts = MS(6), .tid = 15, .pid = 15, .ppid = 2, .comm = "rcu",
		       .state = 1));
	put(m, TR_SNAP(.ts = MS(6), .tid = 300, .pid = 300, .ppid = 0, .comm = "sh"));
	spawn(m, (struct tr_newtask){ .ts = MS(10), .tid = 300, .pid = 300, .child = 301,
				      .child_pid = 301, .process = true, .comm = "late" });
	finish(m, MS(20));
	rcu = tl_model_find_proc(m, 15, 0);
	late = tl_model_find_proc(m, 301, 0);
	assert_non_null(rcu);
	assert_non_null(late);
	assert_ptr_equal(rcu->parent, tl_model_find_proc(m, 2, 0));
	assert_ptr_equal(late->parent, tl_model_find_proc(m, 300, 0));
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preempt_vs_block),
		cmocka_unit_test(test_wakeup_then_delayed_run),
		cmocka_unit_test(test_migration),
		cmocka_unit_test(test_exit_while_blocked),
		cmocka_unit_test(test_snapshot_only_and_first_sight),
		cmocka_unit_test(test_loss_in_the_middle),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_snapshot_after_exit),
		cmocka_unit_test(test_all_but_the_recorder),
		cmocka_unit_test(test_exec_in_multithreaded),
		cmocka_unit_test(test_out_of_order_rejected),
		cmocka_unit_test(test_pending_wakeup_race),
		cmocka_unit_test(test_missed_switch_in),
		cmocka_unit_test(test_threads_names_marks_syscalls),
		cmocka_unit_test(test_socket_ops),
		cmocka_unit_test(test_parallelism_two_threads),
		cmocka_unit_test(test_tree_parallelism),
		cmocka_unit_test(test_reaping),
		cmocka_unit_test(test_traced_set),
		cmocka_unit_test(test_compact_intervals),
		cmocka_unit_test(test_wakeup_edges),
		cmocka_unit_test(test_series_totals),
		cmocka_unit_test(test_series_streamed),
		cmocka_unit_test(test_parent_seen_after_child),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

