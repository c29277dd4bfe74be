/* test_report_rows.c - the report's thread table with many threads named
 * alike: one row for `worker-N` with its worst member, every thread with
 * --threads all, and at most N rows with --top N; and the deadlock and
 * waits lines of two threads blocked on each other's mutex; long object
 * names fitted to the locks table's column, idle waits summed up; the
 * header's split of the threads' time; a long blocked line wrapped. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/model/model.h"
#include "userspace/report/report.h"
#include "records.h"

#define MS(x) (1000000000ull + (uint64_t)((x) * 1000000.0))

static void feed(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

/* main (100) creates worker-3 first, then worker-1, -2, -4 and logger;
 * none of them runs, so worker-3 waits (runnable) longest. */
static struct tl_model *model(void)
{
	static const struct { uint32_t tid; double ts; const char *comm; } t[] = {
		{ 103, 1, "worker-3" }, { 101, 5, "worker-1" }, { 102, 5, "worker-2" },
		{ 104, 5, "worker-4" }, { 105, 6, "logger" },
	};
	struct tl_model *m = tl_model_new(NULL);

	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		feed(m, TR_NEWTASK(.ts = MS(t[i].ts), .tid = 100, .pid = 100, .child = t[i].tid,
				   .child_pid = 100, .comm = t[i].comm));
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	return m;
}

/* The text report (or with json, report --json) of m with options o. Not
 * inlined: GCC would take the buffer open_memstream fills for a pointer
 * to this function's local and warn of it dangling in the callers. */
static __attribute__((noinline)) char *render_with(const struct tl_model *m, const struct tl_report_opts *o, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(json ? tl_report_json(f, m, NULL, o) : tl_report_text(f, m, NULL, o), 0);
	fclose(f);
	return buf;
}

static char *render(const struct tl_model *m, bool all, unsigned top)
{
	return render_with(m, &(struct tl_report_opts){ .width = 100, .all_threads = all,
							.top = top }, false);
}

static void test_grouped(void **state)
{
	struct tl_model *m = model();
	char *txt = render(m, false, 0);

	(void)state;
	assert_non_null(strstr(txt, "  x4      worker-N "));
	assert_non_null(strstr(txt, "4 threads; waited longest: worker-3 (103)"));
	assert_null(strstr(txt, "  102     worker-2"));
	assert_non_null(strstr(txt, "  105     logger"));
	assert_non_null(strstr(txt, "  100     main"));
	free(txt);
	tl_model_free(m);
}

static void test_all_threads_and_top(void **state)
{
	struct tl_model *m = model();
	char *txt = render(m, true, 0);

	(void)state;
	assert_null(strstr(txt, "worker-N"));
	for (int i = 1; i <= 4; i++) {
		char row[48];

		snprintf(row, sizeof(row), "  %d     worker-%d", 100 + i, i);
		assert_non_null(strstr(txt, row));
	}
	free(txt);
	/* six rows, two kept: the two that waited longest, main not among them */
	txt = render(m, true, 2);
	assert_non_null(strstr(txt, "  103     worker-3"));
	assert_null(strstr(txt, "  100     main"));
	assert_non_null(strstr(txt, "(4 more rows, of threads that waited less"));
	free(txt);
	tl_model_free(m);
}

/* main (100) starts nine threads named unalike and sleeps; eight run for
 * 0.1 ms and sleep, the last, work (109), runs 50 ms. Ten rows: the
 * busiest comes first, where by the order of their start it is last. */
static void test_busiest_first(void **state)
{
	static const char *const names[] = { "gc", "jit", "timer", "log", "net",
					      "disk", "cache", "stats", "work" };
	struct tl_model *m = tl_model_new(NULL);
	char *txt;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	for (uint32_t i = 0; i < 9; i++) {
		double on = i < 8 ? 1.1 + i : 20, off = i < 8 ? 1.2 + i : 70;

		feed(m, TR_NEWTASK(.ts = MS(1 + i), .tid = 100, .pid = 100, .child = 101 + i,
				   .child_pid = 100, .comm = names[i]));
		if (i == 8)
			feed(m, TR_SWITCH(.ts = MS(10), .cpu = 0, .prev = 100, .prev_pid = 100,
					  .state = 1, .next = 0, .next_pid = 0));
		feed(m, TR_SWITCH(.ts = MS(on), .cpu = 1, .prev = 0, .prev_pid = 0,
				  .preempt = true, .next = 101 + i, .next_pid = 100,
				  .next_comm = names[i]));
		feed(m, TR_SWITCH(.ts = MS(off), .cpu = 1, .prev = 101 + i, .prev_pid = 100,
				  .state = 1, .next = 0, .next_pid = 0));
	}
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	txt = render(m, false, 0);
	assert_non_null(strstr(txt, "  109     work"));
	assert_non_null(strstr(txt, "  101     gc"));
	assert_non_null(strstr(txt, "  100     main"));
	assert_true(strstr(txt, "  109     work") < strstr(txt, "  100     main"));
	assert_true(strstr(txt, "  109     work") < strstr(txt, "  101     gc"));
	free(txt);
	tl_model_free(m);
}

/* worker-1 (101) and worker-2 (102) each block on the mutex the other
 * owns (no maps recorded: the locks are named by address). */
static void test_deadlock_lines(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_report_opts o = { .width = 100, .deadlocks_only = true };
	char *buf;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	for (uint32_t i = 1; i <= 2; i++)
		feed(m, TR_NEWTASK(.ts = MS(i), .tid = 100, .pid = 100, .child = 100 + i,
				   .child_pid = 100, .comm = i == 1 ? "worker-1" : "worker-2"));
	for (uint32_t i = 1; i <= 2; i++) {
		struct tl_switch *s;

		s = (struct tl_switch *)TR_SWITCH(.ts = MS(10 + i), .prev = 100 + i,
						  .prev_pid = 100, .state = 1, .nr = 202,
						  .a0 = 0x4000 + 0x40 * i, .a1 = 128);
		s->why.args[2] = 2;
		s->lock_owner = 100 + 3 - i;
		feed(m, s);
	}
	assert_int_equal(tl_model_finish(m, MS(2000)), 0);
	buf = render_with(m, &o, false);
	assert_non_null(strstr(buf, "DEADLOCK: 2 threads of main (100) wait for each other"));
	assert_non_null(strstr(buf, "worker-1 (101) waits for 0x4040 (mutex) held by "
				    "worker-2 (102), since"));
	assert_non_null(strstr(buf, "still at the end of the recording"));
	assert_null(strstr(buf, "Processes"));
	free(buf);
	/* at 60 columns an edge is wrapped between words, never cut */
	o.width = 60;
	buf = render_with(m, &o, false);
	assert_non_null(strstr(buf, "\n  worker-1 (101) waits for 0x4040 (mutex) held by worker-2\n"
				    "    (102)\n    since "));
	free(buf);
	o.width = 100;
	o.deadlocks_only = false;
	buf = render_with(m, &o, false);
	assert_non_null(strstr(buf, "waits: 0x4080 (mutex) 1x 1.99s, longest 1.99s, held by worker-1"));
	free(buf);
	tl_model_free(m);
}

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; s && (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* tid blocks in syscall nr (a0, a1) from a to b ms (woken by 100 at b;
 * b < 0: never). */
static void block_in(struct tl_model *m, uint32_t tid, int32_t nr, uint64_t a0, uint64_t a1,
		     double a, double b)
{
	feed(m, TR_SWITCH(.ts = MS(a), .cpu = 1, .prev = tid, .prev_pid = 100, .state = 1,
			  .nr = nr, .a0 = a0, .a1 = a1));
	if (b < 0)
		return;
	feed(m, TR_WAKING(.ts = MS(b), .cpu = 0, .waker = 100, .waker_pid = 100, .wakee = tid,
			  .wakee_pid = 100));
	feed(m, TR_SWITCH(.ts = MS(b), .cpu = 1, .prev = 0, .prev_pid = 0, .next = tid,
			  .next_pid = 100));
}

/* A futex wait of tid on addr from a to b ms, as block_in. */
static void futex_wait(struct tl_model *m, uint32_t tid, uint64_t addr, double a, double b)
{
	block_in(m, tid, 202, addr, 128, a, b);
}

/* Six service threads each park alone on a word of their own for the
 * whole recording (1.9 s each); three workers contend on 0x6000 for
 * 300 ms in all. The locks table lists the contended word and sums the six
 * idle ones up in one line, where before they filled its first rows; the
 * service threads' group row does the same, and the workers' row names
 * the word that all three waited on. */
static void test_idle_waits_summed_up(void **state)
{
	static const char *const worker[] = { "worker-1", "worker-2", "worker-3" };
	struct tl_model *m = tl_model_new(NULL);
	struct tl_report_opts o = { .width = 100 };
	char *buf, *locks;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	for (uint32_t i = 1; i <= 9; i++)
		feed(m, TR_NEWTASK(.ts = MS(i), .tid = 100, .pid = 100, .child = 100 + i,
				   .child_pid = 100, .comm = i <= 6 ? "service" : worker[i - 7]));
	for (uint32_t i = 1; i <= 6; i++)
		futex_wait(m, 100 + i, 0x5000 + 0x40 * i, 50, -1);
	for (uint32_t k = 0; k < 5; k++) {
		for (uint32_t i = 0; i < 3; i++)
			futex_wait(m, 107 + i, 0x6000, 100 + 100 * k + 30 * i,
				   120 + 100 * k + 30 * i);
	}
	assert_int_equal(tl_model_finish(m, MS(2000)), 0);
	buf = render_with(m, &o, false);
	/* the service threads' row: their waits are all idle ones */
	assert_non_null(strstr(buf, "6 threads; waited longest: service (102), 2.00s\n"
				    "           waits: 6 objects where one thread idled alone, "
				    "11.70s in all\n"));
	/* the workers' row: the word they contend on */
	assert_non_null(strstr(buf, "3 threads; waited longest: worker-"));
	assert_non_null(strstr(buf, "           waits: 0x6000 (futex) 15x 300ms, longest 20.0ms, "
				    "woken by main\n"));
	/* the contended word is the table's only row, the idle ones a line */
	assert_non_null(strstr(buf, "WAITS   TOTAL LONGEST WTRS HLDR\n  0x6000 "));
	assert_non_null(strstr(buf, "   15   300ms  20.0ms    3    -\n"
				    "  (6 objects where one thread idled alone, 11.70s in all, "
				    "not listed)\n"));
	/* the syscalls section still names each service thread's word */
	assert_non_null(strstr(buf, "1.95s  0x5040 (futex)"));
	free(buf);
	/* --json lists all seven, the six idle ones marked */
	buf = render_with(m, &o, true);
	assert_int_equal(count(buf, "\"idle\": true"), 6);
	locks = strstr(buf, "\"locks\": ");
	assert_non_null(locks);
	*strstr(locks, "\"threads\": ") = '\0'; /* the process's own array */
	assert_int_equal(count(locks, "\"addr\": "), 7);
	assert_int_equal(count(locks, "\"idle\": true"), 6);
	free(buf);
	tl_model_free(m);
}

/* main (100) runs on CPU 0 throughout; worker-1 (101), created at 5 ms,
 * runs 10-110 ms on CPU 1, blocks on a futex until main wakes it at 610,
 * gets CPU 1 at 620 and runs to the end (1 s). The header's two lines
 * add the threads' times up: 1.48 s ran (1.48 CPUs busy over the 1 s),
 * 15 ms ready, 500 ms blocked, all of it on the futex. */
static void test_header_time_split(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	char *txt;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	feed(m, TR_NEWTASK(.ts = MS(5), .tid = 100, .pid = 100, .child = 101, .child_pid = 100,
			   .comm = "worker-1"));
	feed(m, TR_SWITCH(.ts = MS(10), .cpu = 1, .prev = 0, .prev_pid = 0, .next = 101,
			  .next_pid = 100));
	futex_wait(m, 101, 0x6000, 110, -1);
	feed(m, TR_WAKING(.ts = MS(610), .cpu = 0, .waker = 100, .waker_pid = 100, .wakee = 101,
			  .wakee_pid = 100));
	feed(m, TR_SWITCH(.ts = MS(620), .cpu = 1, .prev = 0, .prev_pid = 0, .next = 101,
			  .next_pid = 100));
	assert_int_equal(tl_model_finish(m, MS(1000)), 0);
	txt = render(m, false, 0);
	assert_null(strstr(txt, "inconsistenc"));
	assert_non_null(strstr(txt, "\n  threads   2: ran 1.48s (1.48 CPUs), ready 15.0ms, "
				    "blocked 500ms\n  blocked   futex 500ms\n"));
	free(txt);
	/* report --json says the same */
	txt = render_with(m, &(struct tl_report_opts){ .width = 100 }, true);
	assert_non_null(strstr(txt, "\"threads_total\": {\n    \"threads\": 2,\n"
				    "    \"running_ns\": 1480000000,\n"
				    "    \"runnable_ns\": 15000000,\n"
				    "    \"sleeping_ns\": 500000000,\n"));
	assert_non_null(strstr(txt, "\"blocked_ns\": {\n      \"futex\": 500000000\n    },\n"
				    "    \"cpus_busy_mean\": 1.48"));
	free(txt);
	tl_model_free(m);
}

/* A thread blocked for four reasons (poll and select are both poll), at
 * 60 columns: its "blocked:" line and the header's lines go on below,
 * indented, and no reason is cut. */
static void test_blocked_line_wraps(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_report_opts o = { .width = 60 };
	char *buf;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main", .on_cpu = true));
	feed(m, TR_NEWTASK(.ts = MS(1), .tid = 100, .pid = 100, .child = 101, .child_pid = 100,
			   .comm = "io"));
	feed(m, TR_SWITCH(.ts = MS(2), .cpu = 1, .prev = 0, .prev_pid = 0, .next = 101,
			  .next_pid = 100));
	block_in(m, 101, 202, 0x6000, 128, 10, 20);  /* futex */
	block_in(m, 101, 230, 0, 0, 30, 50);         /* clock_nanosleep */
	block_in(m, 101, 7, 0, 0, 60, 90);           /* poll */
	block_in(m, 101, 61, 0, 0, 100, 140);        /* wait4 */
	block_in(m, 101, 23, 0, 0, 150, 200);        /* select */
	assert_int_equal(tl_model_finish(m, MS(300)), 0);
	buf = render_with(m, &o, false);
	assert_non_null(strstr(buf, "\n           blocked: futex 10.0ms, sleep 20.0ms, child 40.0ms,\n"
				    "             poll 80.0ms\n"));
	assert_non_null(strstr(buf, "\n  threads   2: ran 448ms (1.49 CPUs), ready 1.00ms,\n"
				    "            blocked 150ms\n"
				    "  blocked   poll 80.0ms, child 40.0ms, sleep 20.0ms,\n"
				    "            futex 10.0ms\n"));
	free(buf);
	tl_model_free(m);
}

/* The locks table's names cut to their column keep their last word: two
 * anonymous addresses differing at the end stay two different rows. */
static void test_fit_names(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(tl_fmt_fit("anonymous memory 0x7f4dd00161fc", 28, b, sizeof(b)),
			    "anonymous me..0x7f4dd00161fc");
	assert_string_equal(tl_fmt_fit("the_lock", 28, b, sizeof(b)), "the_lock");
	assert_string_equal(tl_fmt_fit("abcdefghijklmnopqrstuvwxyz0123456789", 20, b, sizeof(b)),
			    "abcdefgh..0123456789");
	/* no cut inside a character: head 9 would split the fifth "é" */
	assert_string_equal(tl_fmt_fit("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
				       "\u00e9\u00e9\u00e9\u00e9\u00e9 0x1234", 17, b, sizeof(b)),
			    "\u00e9\u00e9\u00e9\u00e9..0x1234");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped),
		cmocka_unit_test(test_all_threads_and_top),
		cmocka_unit_test(test_busiest_first),
		cmocka_unit_test(test_deadlock_lines),
		cmocka_unit_test(test_fit_names),
		cmocka_unit_test(test_idle_waits_summed_up),
		cmocka_unit_test(test_header_time_split),
		cmocka_unit_test(test_blocked_line_wraps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
