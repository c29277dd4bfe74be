/* test_demos_c.c - the synchronisation demos (C1-C8) run under the real
 * tracer; each test asserts the demo's kernel-visible signature from the
 * model, never from the demo's own output. Locks are named by the product's
 * symbolizer (from the recorded maps and the demo's DWARF), holders come
 * from the recording, and deadlocks from the wait-for graph. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "userspace/load/load.h"

#include "demo_checks.h"
#include "harness.h"

#define MAXT 256

static bool is_futex_wait(const struct tl_interval *iv)
{
	return iv->state == TL_ST_SLEEPING && iv->block->why == TL_WHY_FUTEX;
}

/* The futex address most futex waits of the threads are on. */
static uint64_t busiest_futex(const struct tl_thread *const *t, size_t nt, size_t *waits)
{
	uint64_t best = 0;
	size_t best_n = 0;

	for (size_t i = 0; i < nt; i++)
		for (size_t j = 0; j < t[i]->niv; j++) {
			size_t c = 0;

			if (!is_futex_wait((struct tl_interval[1]){ tl_thread_iv(t[i], j) }))
				continue;
			for (size_t k = 0; k < nt; k++)
				c += dc_count_blocked(t[k], TL_WHY_FUTEX, true,
						      tl_thread_iv(t[i], j).block->obj, 0, 0);
			if (c > best_n) {
				best_n = c;
				best = tl_thread_iv(t[i], j).block->obj;
			}
		}
	*waits = best_n;
	return best;
}

static void no_deadlock(const struct th_run *r)
{
	struct tl_deadlock *d;

	assert_int_equal(dc_deadlocks(r, &d), 0);
	free(d);
}

/* The one deadlock of the recording, of n threads (the caller frees it). */
static struct tl_deadlock *one_deadlock(const struct th_run *r, size_t n)
{
	struct tl_deadlock *d;

	assert_int_equal(dc_deadlocks(r, &d), 1);
	assert_int_equal(d[0].n, n);
	return d;
}

static bool is_thread_of(const struct th_run *r, uint32_t tid, const char *prefix)
{
	const struct tl_thread *t = tl_model_find_thread(r->m, tid, 0);

	return t && t->proc == r->root && !strncmp(tl_thread_name(t), prefix, strlen(prefix));
}

/* What an unlocked thread waited on, when it did: none of the demo's own
 * locks, but glibc's internal ones may be contended by 100 threads
 * starting and ending at once. */
static void print_unlocked_waits(struct th_run *r, const struct tl_thread *t)
{
	for (size_t j = 0; j < t->niv; j++) {
		struct tl_interval iv = tl_thread_iv(t, j);

		if (is_futex_wait(&iv))
			print_message("  %s waited on %s\n", tl_thread_name(t),
				      dc_addr_name(r, iv.block->obj));
	}
}

static void test_c1_race(void **state)
{
	const struct tl_thread *all[MAXT], *unl[MAXT] = { 0 }, *lck[MAXT] = { 0 };
	size_t n, nu = 0, nl = 0, waits, blocked = 0, handoffs = 0, unl_waits = 0;
	uint64_t t0, t1, addr;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c1_race", NULL);
	dc_phase(&r, "locked", &t0, &t1);
	n = th_threads_prefixed(&r, "sub-", all, MAXT);
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++) {
		if (all[i]->start < t0)
			unl[nu++] = all[i];
		else
			lck[nl++] = all[i];
	}
	assert_int_equal(nu, 100);
	assert_int_equal(nl, 100);
	/* with the lock: contention on `num_lock`, handed from thread to thread */
	addr = busiest_futex(lck, nl, &waits);
	assert_string_equal(dc_addr_name(&r, addr), "num_lock");
	for (size_t i = 0; i < nl; i++) {
		blocked += dc_count_blocked(lck[i], TL_WHY_FUTEX, true, addr, 0, 0) > 0;
		for (size_t j = 0; j < lck[i]->niv; j++)
			if (is_futex_wait((struct tl_interval[1]){ tl_thread_iv(lck[i], j) }) && tl_thread_iv(lck[i], j).block->obj == addr &&
			    is_thread_of(&r, tl_thread_iv(lck[i], j).waker, "sub-"))
				handoffs++;
	}
	print_message("c1 locked: %zu of 100 threads waited on num_lock, %zu handoffs\n",
		      blocked, handoffs);
	assert_true(blocked >= 90);
	assert_true(handoffs >= 80);
	/* without it: nobody waits on that lock (and hardly on any futex) */
	for (size_t i = 0; i < nu; i++) {
		assert_int_equal(dc_count_blocked(unl[i], TL_WHY_FUTEX, true, addr, 0, 0), 0);
		unl_waits += dc_count_blocked(unl[i], TL_WHY_FUTEX, false, 0, 0, 0);
	}
	print_message("c1 unlocked: %zu futex waits\n", unl_waits);
	for (size_t i = 0; i < nu && unl_waits; i++)
		print_unlocked_waits(&r, unl[i]);
	assert_true(unl_waits <= 5);
	no_deadlock(&r);
	th_free(&r);
}

/* Whether t entered section addr (USDT) before ts and had not left it. */
static bool holds_at(const struct tl_thread *t, uint64_t addr, uint64_t ts)
{
	int depth = 0;

	for (size_t i = 0; i < t->nmarks && t->marks[i].ts <= ts; i++) {
		if (t->marks[i].args[0] != addr)
			continue;
		if (t->marks[i].kind == TL_USDT_SECTION_ENTER)
			depth++;
		else if (t->marks[i].kind == TL_USDT_SECTION_EXIT)
			depth--;
	}
	return depth > 0;
}

static void test_c2_mutex_self_deadlock(void **state)
{
	enum tl_lock_kind kind;
	struct tl_deadlock *d;
	const struct tl_interval *iv;
	const struct tl_thread *kh;
	struct th_run r;

	(void)state;
	/* The host hides its own threads from every tracer (docs/model.md):
	 * a switch it makes may go unreported, and the model then calls the
	 * stretch Unknown. Only then is the demo recorded again. */
	for (int tries = 1;; tries++) {
		th_record_demo(&r, "c2_mutex_self_deadlock", NULL);
		kh = dc_thread(&r, "key-holder");
		/* Sleeping about 1 s in futex on `lock`, which it holds itself */
		iv = dc_longest_blocked(kh, TL_WHY_FUTEX);
		if (iv || tries == 3 || !tl_model_stats(r.m)->inconsistencies)
			break;
		print_message("c2: the key-holder's wait was not seen whole "
			      "(%llu inconsistencies): again\n",
			      (unsigned long long)tl_model_stats(r.m)->inconsistencies);
		r.tp_skipped = false; /* not skipped yet: recorded again */
		th_free(&r);
	}
	assert_non_null(iv);
	assert_true(iv->end - iv->start >= TH_MS(900));
	kind = TL_LK_OTHER;
	assert_string_equal(dc_futex_name(&r, kh, iv, &kind), "lock");
	assert_int_equal(kind, TL_LK_MUTEX);
	assert_true(holds_at(kh, iv->block->obj, iv->start));
	assert_int_equal(iv->block->holder, kh->tid); /* read from the mutex */
	d = one_deadlock(&r, 1);
	assert_int_equal(d[0].e[0].waiter, kh->tid);
	free(d);
	/* nobody released it: the wait ended by its timeout, not by a thread */
	assert_false(is_thread_of(&r, iv->waker, "") && !iv->waker_irq);
	th_free(&r);
}

static void test_c3_rlock(void **state)
{
	static const char *const names[] = { "owner", "next-owner" };
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c3_rlock", NULL);
	for (int i = 0; i < 2; i++) {
		const struct tl_thread *t = dc_thread(&r, names[i]);

		/* taken 3 levels deep, released as often, never blocked on it */
		assert_int_equal(dc_thread_marks(t, TL_USDT_SECTION_ENTER, "rlock"), 3);
		assert_int_equal(dc_thread_marks(t, TL_USDT_SECTION_EXIT, NULL), 3);
		assert_true(holds_at(t, t->marks[0].args[0], t->marks[2].ts));
		assert_false(holds_at(t, t->marks[0].args[0], t->end));
		assert_int_equal(dc_count_blocked(t, TL_WHY_FUTEX, false, 0, 0, 0), 0);
		assert_true(dc_count_blocked(t, TL_WHY_SLEEP, false, 0, 0, 0) >= 3);
	}
	th_free(&r);
}

/* t's last futex wait, lasting until t ended, at least min_ns long. The
 * killed thread needs a moment to exit after its wait ends: on a loaded
 * machine (load 10 on 2 CPUs measured) more than 5 ms. */
static const struct tl_interval *stuck_wait(const struct tl_thread *t, uint64_t min_ns)
{
	const struct tl_interval *iv = dc_last_blocked(t, TL_WHY_FUTEX);

	assert_non_null(iv);
	assert_true(iv->end + TH_MS(20) >= t->end);
	assert_true(iv->end - iv->start >= min_ns);
	return iv;
}

static void test_c4_deadlock(void **state)
{
	const struct tl_interval *w1, *w2;
	const struct tl_thread *t1, *t2;
	struct tl_deadlock *d;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c4_deadlock", NULL);
	t1 = dc_thread(&r, "thread-1");
	t2 = dc_thread(&r, "thread-2");
	/* each waits, until the watchdog ends the process, on the other's lock */
	w1 = stuck_wait(t1, TH_MS(1000));
	w2 = stuck_wait(t2, TH_MS(1000));
	assert_string_equal(dc_futex_name(&r, t1, w1, NULL), "mutexB");
	assert_string_equal(dc_futex_name(&r, t2, w2, NULL), "mutexA");
	assert_true(holds_at(t1, w2->block->obj, w1->start)); /* thread-1 holds mutexA */
	assert_true(holds_at(t2, w1->block->obj, w2->start)); /* thread-2 holds mutexB */
	assert_int_equal(w1->block->holder, t2->tid);
	assert_int_equal(w2->block->holder, t1->tid);
	assert_true(r.root->end - w1->end < TH_MS(20));
	d = one_deadlock(&r, 2);
	assert_true(d[0].unresolved);
	assert_int_equal(d[0].e[0].waiter, t1->tid < t2->tid ? t1->tid : t2->tid);
	/* main, joining thread-1, is stuck behind the cycle */
	assert_int_equal(d[0].nbehind, 1);
	assert_int_equal(d[0].behind[0].waiter, dc_main(&r)->tid);
	assert_int_equal(d[0].behind[0].kind, TL_EDGE_JOIN);
	free(d);
	th_free(&r);

	/* --fixed: one lock order, both finish quickly, no long wait */
	th_record_demo(&r, "c4_deadlock", (const char *[]){ "--fixed", NULL });
	for (int i = 0; i < 2; i++) {
		const struct tl_thread *t = dc_thread(&r, i ? "thread-2" : "thread-1");
		const struct tl_interval *iv = dc_longest_blocked(t, TL_WHY_FUTEX);

		assert_true(t->flags & TL_THR_EXITED);
		assert_true(!iv || iv->end - iv->start < TH_MS(400));
	}
	assert_int_equal(tl_proc_exit_code(r.root), 0);
	assert_int_equal(r.root->nexecs, 1);
	assert_true(r.root->end - r.root->execs[0].ts < TH_MS(1000));
	no_deadlock(&r);
	th_free(&r);
}

/* Attached with -p to C4 once it is deadlocked: no thread switches again,
 * so only the start snapshot (with each waiter's lock owner, read from the
 * process's memory by `record`) shows the cycle. */
/* Starts C4 with a long watchdog and returns once both threads said they
 * wait for the other's lock (then they block at once). */
static pid_t start_stuck_c4(void)
{
	char line[256];
	int out[2], waiting = 0;
	pid_t pid;
	FILE *f;

	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		execl(th_demo_path("c4_deadlock"), "c4_deadlock", "--seconds", "60", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	while (waiting < 2 && fgets(line, sizeof(line), f))
		waiting += strstr(line, ": waiting for mutex") != NULL;
	fclose(f); /* the demo's later writes fail quietly; it is killed anyway */
	assert_int_equal(waiting, 2);
	usleep(200000);
	return pid;
}

/* Attached with -p to C4 once it is deadlocked: no thread switches again,
 * so only the start snapshot (with each waiter's lock owner, read from the
 * process's memory by `record`) shows the cycle. */
static void test_c4_attach_deadlocked(void **state)
{
	char path[64], cmd[512];
	struct tl_load_result lr;
	struct tl_model *m = NULL;
	struct tl_deadlock *d;
	size_t n;
	pid_t pid;

	(void)state;
	pid = start_stuck_c4();
	snprintf(path, sizeof(path), "/tmp/tl-attach-%d.tlr", (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s/threadline record -p %d -d 0.5 -o %s >/dev/null 2>&1",
		 th_build_dir(), (int)pid, path);
	assert_int_equal(system(cmd), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	memset(&lr, 0, sizeof(lr));
	assert_int_equal(tl_load(path, NULL, &m, &lr), 0);
	assert_int_equal(tl_model_deadlocks(m, TL_DEADLOCK_THRESHOLD_NS, &d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].n, 2);
	assert_true(d[0].unresolved);
	free(d);
	tl_model_free(m);
	unlink(path);
}

static void check_c5_cycle(const struct th_run *r)
{
	const struct tl_thread *ph[5];
	struct tl_deadlock *d;
	char name[32], fork_name[16];
	enum tl_lock_kind kind;

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "philosopher-%d", i);
		ph[i] = dc_thread(r, name);
	}
	for (int i = 0; i < 5; i++) {
		const struct tl_interval *iv = stuck_wait(ph[i], TH_MS(1000));

		/* philosopher-i waits for fork_(i+1), held by philosopher-(i+1) */
		snprintf(fork_name, sizeof(fork_name), "fork_%d", (i + 1) % 5);
		assert_string_equal(dc_futex_name(r, ph[i], iv, &kind), fork_name);
		assert_int_equal(kind, TL_LK_MUTEX);
		assert_int_equal(iv->block->holder, ph[(i + 1) % 5]->tid);
	}
	d = one_deadlock(r, 5);
	assert_true(d[0].unresolved);
	for (size_t k = 0; k < 5; k++)
		assert_int_equal(d[0].e[k].target, d[0].e[(k + 1) % 5].waiter);
	free(d);
}

static void test_c5_philosophers(void **state)
{
	size_t waits = 0;
	char name[32];
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c5_philosophers", NULL);
	check_c5_cycle(&r);
	th_free(&r);

	th_record_demo(&r, "c5_philosophers", (const char *[]){ "--fixed", NULL });
	assert_int_equal(tl_proc_exit_code(r.root), 0);
	for (int i = 0; i < 5; i++) {
		const struct tl_thread *t;

		snprintf(name, sizeof(name), "philosopher-%d", i);
		t = dc_thread(&r, name);
		assert_true(t->flags & TL_THR_EXITED);
		assert_int_equal(dc_thread_marks(t, TL_USDT_TASK_BEGIN, "eat"), 3);
		waits += dc_count_blocked(t, TL_WHY_FUTEX, false, 0, 0, 0);
	}
	assert_true(waits >= 1); /* they did compete for forks */
	no_deadlock(&r);
	th_free(&r);
}

static uint64_t mark_ts(const struct th_run *r, const char *label, size_t nth)
{
	for (size_t i = 0; i < tl_model_nmarks(r->m); i++) {
		const struct tl_mark *mk = tl_model_mark(r->m, i);

		if (mk->kind == TL_USDT_MARK && !strcmp(mk->str, label) && nth-- == 0)
			return mk->ts;
	}
	fail_msg("no mark %s", label);
	return 0;
}

static void check_c6_wait(const struct th_run *r)
{
	uint64_t set = mark_ts(r, "event-set", 0);
	uint32_t main_tid = dc_main(r)->tid;

	for (int i = 1; i <= 2; i++) {
		const struct tl_thread *w = dc_thread(r, i == 1 ? "worker-1" : "worker-2");
		const struct tl_interval *iv = dc_longest_blocked(w, TL_WHY_FUTEX);

		/* Sleeping in futex until the set, woken by main at that instant */
		assert_non_null(iv);
		assert_true(iv->end - iv->start >= TH_MS(400));
		assert_int_equal(iv->waker, main_tid);
		assert_true(iv->end >= set && iv->end - set < TH_MS(10));
	}
}

static void check_c6_timeout(const struct th_run *r)
{
	uint64_t t0, t1, set = mark_ts(r, "event-set", 1);
	uint32_t main_tid = dc_main(r)->tid;

	dc_phase(r, "timeout", &t0, &t1);
	for (int i = 1; i <= 2; i++) {
		const struct tl_thread *w = dc_thread(r, i == 1 ? "waiter-1" : "waiter-2");
		size_t timeouts = 0, by_main = 0;

		for (size_t j = 0; j < w->niv; j++) {
			struct tl_interval iv_v = tl_thread_iv(w, j);
			const struct tl_interval *iv = &iv_v;
			uint64_t len = iv->end - iv->start;

			if (!is_futex_wait(iv))
				continue;
			if (len >= TH_MS(250) && len <= TH_MS(400) && iv->waker != main_tid)
				timeouts++; /* periodic wake-up by its timer */
			if (iv->waker == main_tid && iv->end >= set)
				by_main++;
		}
		print_message("c6 %s: %zu timed-out waits\n", tl_thread_name(w), timeouts);
		assert_true(timeouts >= 2);
		assert_true(dc_thread_marks(w, TL_USDT_MARK, "wait-timeout") >= 2);
		assert_true(by_main >= 1);
	}
}

static void test_c6_event(void **state)
{
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c6_event", NULL);
	check_c6_wait(&r);
	check_c6_timeout(&r);
	th_free(&r);
}

static void test_c7_semaphore(void **state)
{
	const struct tl_thread *t[MAXT];
	size_t n, inside = 0, max_inside = 0, enters = 0, blocked = 0, waits;
	uint64_t sem;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c7_semaphore", NULL);
	n = th_threads_prefixed(&r, "conn-", t, MAXT);
	assert_int_equal(n, 20);
	/* never more than 5 inside the section: replay the marks in order */
	for (size_t i = 0; i < tl_model_nmarks(r.m); i++) {
		const struct tl_mark *mk = tl_model_mark(r.m, i);

		if (mk->kind == TL_USDT_SECTION_ENTER && !strcmp(mk->str, "pool")) {
			enters++;
			inside++;
			max_inside = inside > max_inside ? inside : max_inside;
		} else if (mk->kind == TL_USDT_SECTION_EXIT && inside) {
			inside--;
		}
	}
	assert_int_equal(enters, 20);
	assert_int_equal(max_inside, 5);
	/* the others Sleeping in futex on `pool_sem`, woken by leavers */
	sem = busiest_futex(t, n, &waits);
	assert_string_equal(dc_addr_name(&r, sem), "pool_sem");
	for (size_t i = 0; i < n; i++) {
		const struct tl_interval *iv = dc_longest_blocked(t[i], TL_WHY_FUTEX);
		enum tl_lock_kind kind;

		if (iv && iv->block->obj == sem) {
			dc_futex_name(&r, t[i], iv, &kind);
			assert_int_equal(kind, TL_LK_SEMAPHORE);
			break;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct tl_interval *iv = dc_longest_blocked(t[i], TL_WHY_FUTEX);

		if (iv && iv->block->obj == sem) {
			blocked++;
			assert_true(is_thread_of(&r, iv->waker, "conn-"));
		}
	}
	assert_true(blocked >= 12);
	th_free(&r);
}

/* Distinct threads named prefix* whose futex wait ended in [t0, t1], woken by waker. */
static size_t woken_in(const struct th_run *r, const char *prefix, uint32_t waker,
		       uint64_t t0, uint64_t t1)
{
	const struct tl_thread *t[MAXT];
	size_t n = th_threads_prefixed(r, prefix, t, MAXT), woken = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < t[i]->niv; j++) {
			struct tl_interval iv_v = tl_thread_iv(t[i], j);
			const struct tl_interval *iv = &iv_v;

			if (is_futex_wait(iv) && iv->waker == waker && iv->end >= t0 &&
			    iv->end <= t1) {
				woken++;
				break;
			}
		}
	return woken;
}

static void test_c8_condition(void **state)
{
	const struct tl_thread *waiter;
	const struct tl_interval *iv;
	uint32_t main_tid;
	uint64_t ts;
	struct th_run r;

	(void)state;
	th_record_demo(&r, "c8_condition", NULL);
	main_tid = dc_main(&r)->tid;
	assert_int_equal(th_threads_prefixed(&r, "consumer-", NULL, 0), 4);
	assert_int_equal(th_threads_prefixed(&r, "runner-", NULL, 0), 4);
	/* notify: each call wakes exactly one consumer */
	for (size_t i = 0; i < 4; i++) {
		ts = mark_ts(&r, "notify", i);
		assert_int_equal(woken_in(&r, "consumer-", main_tid, ts, ts + TH_MS(20)), 1);
	}
	/* notify_all: one call wakes all four runners at once */
	ts = mark_ts(&r, "notify-all", 0);
	assert_int_equal(woken_in(&r, "runner-", main_tid, ts, ts + TH_MS(5)), 4);
	/* Perfetto's own critical path of a waiter goes through the thread
	 * that notified it */
	waiter = dc_thread(&r, "consumer-1");
	iv = dc_longest_woken_by(waiter, TL_WHY_FUTEX, main_tid);
	assert_non_null(iv);
	dc_critical_path_through_waker(&r, waiter, iv);
	/* the consumers wait on the condition variable `cond` */
	for (int i = 1; i <= 4; i++) {
		char nm[16];
		const struct tl_thread *t;
		const struct tl_interval *iv;
		enum tl_lock_kind kind;

		snprintf(nm, sizeof(nm), "consumer-%d", i);
		t = dc_thread(&r, nm);
		iv = dc_longest_blocked(t, TL_WHY_FUTEX);
		assert_non_null(iv);
		assert_string_equal(dc_futex_name(&r, t, iv, &kind), "cond");
		assert_int_equal(kind, TL_LK_CONDVAR);
	}
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c1_race),
		cmocka_unit_test(test_c2_mutex_self_deadlock),
		cmocka_unit_test(test_c3_rlock),
		cmocka_unit_test(test_c4_deadlock),
		cmocka_unit_test(test_c4_attach_deadlocked),
		cmocka_unit_test(test_c5_philosophers),
		cmocka_unit_test(test_c6_event),
		cmocka_unit_test(test_c7_semaphore),
		cmocka_unit_test(test_c8_condition),
	};

	return cmocka_run_group_tests_name("demos_c", tests, NULL, NULL);
}
