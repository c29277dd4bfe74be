/* test_report_procs.c - the report at scale: a shell's alike children as
 * one row of the process tree, a long tree folded to its upper levels and
 * cut to a screen's worth of rows, kthreadd's kernel threads as a count,
 * and sections for only the busiest
 * processes when there are more than --procs, with a line for the rest;
 * --procs=all brings every row and section back. */
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
#define BUSY 12   /* processes that each run for a while */

static void feed(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

/* Child pid of the shell (100): forked at ms, runs on CPU 1 for run_ms
 * (nothing else runs there), exits with code. */
static void child(struct tl_model *m, uint32_t pid, const char *comm, double ms,
		  double run_ms, int code)
{
	feed(m, TR_NEWTASK(.ts = MS(ms), .tid = 100, .pid = 100, .child = pid,
			   .child_pid = pid, .process = true, .comm = comm));
	feed(m, TR_SWITCH(.ts = MS(ms + 0.1), .cpu = 1, .prev = 0, .prev_pid = 0,
			  .preempt = true, .next = pid, .next_pid = pid, .next_comm = comm));
	feed(m, TR_EXIT(.ts = MS(ms + 0.1 + run_ms), .cpu = 1, .tid = pid, .pid = pid,
			.status = code << 8, .group_dead = true));
	feed(m, TR_SWITCH(.ts = MS(ms + 0.11 + run_ms), .cpu = 1, .prev = pid,
			  .prev_pid = pid, .state = 0x80, .next = 0, .next_pid = 0));
}

/* sh (100) runs true 5 times (201..205, 0.1 ms each, the last exits 1),
 * then BUSY workers job-1.. (301..), job-k running k ms. */
static struct tl_model *model(void)
{
	struct tl_model *m = tl_model_new(NULL);
	double t = 1;

	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "sh", .on_cpu = true));
	for (uint32_t i = 0; i < 5; i++, t += 1)
		child(m, 201 + i, "true", t, 0.1, i == 4);
	for (uint32_t k = 1; k <= BUSY; k++, t += k + 1) {
		char comm[16];

		snprintf(comm, sizeof(comm), "job-%u", k);
		child(m, 300 + k, comm, t, k, 0);
	}
	assert_int_equal(tl_model_finish(m, MS(t + 10)), 0);
	return m;
}

/* The text report of m with options o. Not inlined: GCC would take the
 * buffer open_memstream fills for a pointer to this function's local and
 * warn of it dangling in the callers. */
static __attribute__((noinline)) char *render_with(const struct tl_model *m,
						   const struct tl_report_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(tl_report_text(f, m, NULL, o), 0);
	fclose(f);
	return buf;
}

static char *render(const struct tl_model *m, unsigned procs, bool all)
{
	return render_with(m, &(struct tl_report_opts){ .width = 100, .timeline = true,
							.procs = procs, .all_procs = all });
}

static size_t count(const char *txt, const char *what)
{
	size_t n = 0;

	for (const char *p = txt; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void has(const char *txt, const char *want)
{
	if (!strstr(txt, want))
		fail_msg("missing \"%s\" in:\n%s", want, txt);
}

static void test_tree_groups_alike_children(void **state)
{
	struct tl_model *m = model();
	char *txt = render(m, 0, false);

	(void)state;
	/* five trues, one row; their exits differ; jobs are job-N alike too */
	has(txt, "  \xe2\x94\x94 x5            true     ");
	has(txt, "  exit 0           12\n");
	has(txt, "various           5\n");
	has(txt, "  \xe2\x94\x94 x12           job-N    ");
	assert_null(strstr(txt, "\xe2\x94\x94 203 "));
	free(txt);
	txt = render(m, 0, true);
	has(txt, "\xe2\x94\x94 203 ");
	has(txt, "\xe2\x94\x94 312 ");
	assert_null(strstr(txt, " x5 "));
	free(txt);
	tl_model_free(m);
}

static void test_sections_for_the_busiest(void **state)
{
	struct tl_model *m = model();
	char *txt = render(m, 0, false);

	(void)state;
	/* 18 processes, 10 sections: the shell (running whenever it forks:
	 * nothing switches it out) and job-12 .. job-4, in creation order */
	assert_int_equal(count(txt, "\nProcess "), TL_REPORT_PROCS);
	has(txt, "\nProcess 100 sh");
	has(txt, "\nProcess 312 job-12");
	has(txt, "\nProcess 304 job-4");
	assert_null(strstr(txt, "\nProcess 303 job-3"));
	assert_true(strstr(txt, "\nProcess 304") < strstr(txt, "\nProcess 312"));
	/* the rest: five trues (0.1 ms each), job-1 .. job-3: 6.5 ms running */
	has(txt, "(8 more processes, 8 threads, not detailed: 6.50ms running");
	has(txt, "--procs=all details every one)");
	/* the timeline shows the detailed ones only */
	has(txt, "the processes detailed above");
	has(txt, "  312     job-12      |");
	assert_null(strstr(txt, "  201     true        |"));
	free(txt);
	txt = render(m, 3, false);
	assert_int_equal(count(txt, "\nProcess "), 3);
	has(txt, "(15 more processes");
	free(txt);
	txt = render(m, 0, true);
	assert_int_equal(count(txt, "\nProcess "), 5 + BUSY + 1);
	assert_null(strstr(txt, "more processes"));
	free(txt);
	tl_model_free(m);
}

/* pid forks child, a process named comm, at ms. */
static void fork_one(struct tl_model *m, uint32_t pid, uint32_t child, const char *comm,
		     double ms)
{
	feed(m, TR_NEWTASK(.ts = MS(ms), .tid = pid, .pid = pid, .child = child,
			   .child_pid = child, .process = true, .comm = comm));
}

static void exit_one(struct tl_model *m, uint32_t pid, double ms)
{
	feed(m, TR_EXIT(.ts = MS(ms), .tid = pid, .pid = pid, .group_dead = true));
}

/* pid forks child (a process named comm) at ms; it ends 1 ms later. */
static void fork_exit(struct tl_model *m, uint32_t pid, uint32_t child, const char *comm,
		      double ms)
{
	fork_one(m, pid, child, comm, ms);
	exit_one(m, child, ms + 1);
}

/* A launcher shim: sh (100) forks four shells (2xx), each of which forks
 * a chain of three (2xx1 > 2xx2 > 2xx3); a tree of 17 rows. */
static struct tl_model *shim_model(void)
{
	struct tl_model *m = tl_model_new(NULL);

	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "sh", .on_cpu = true));
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t s = 201 + i, c = s * 10;

		fork_one(m, 100, s, "bash", 1 + 10 * i);
		fork_one(m, s, c + 1, "pyenv", 2 + 10 * i);
		fork_one(m, c + 1, c + 2, "readlink", 3 + 10 * i);
		fork_one(m, c + 2, c + 3, "basename", 4 + 10 * i);
		for (uint32_t k = 0; k < 4; k++) /* the deepest first */
			exit_one(m, k == 3 ? s : c + 3 - k, 6 + k + 10 * i);
	}
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	return m;
}

static void test_long_tree_folds(void **state)
{
	struct tl_model *m = shim_model();
	char *txt = render(m, 0, false);

	(void)state;
	/* 17 rows do not fit 12; with the shells' children as counts, 9 do */
	has(txt, "  \xe2\x94\x94 201    ");
	has(txt, "    \xe2\x94\x94 2011 +2     pyenv ");
	has(txt, "    \xe2\x94\x94 2041 +2     pyenv ");
	assert_null(strstr(txt, "\xe2\x94\x94 2012"));
	assert_null(strstr(txt, "more processes in the tree"));
	free(txt);
	txt = render(m, 0, true);
	has(txt, "\xe2\x94\x94 2043 ");
	assert_null(strstr(txt, " +2 "));
	free(txt);
	tl_model_free(m);
}

/* sh (100) forks 30 children of 30 names, one after the other. */
static void test_wide_tree_cut(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	static const char *const names[] = { "cc", "ld", "as", "ar", "sed", "awk" };
	char *txt;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "sh", .on_cpu = true));
	for (uint32_t i = 0; i < 30; i++) {
		char comm[16];

		snprintf(comm, sizeof(comm), "%s%c", names[i % 6], 'a' + i / 6);
		fork_exit(m, 100, 300 + i, comm, 1 + 2 * i);
	}
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	txt = render(m, 0, false);
	/* sh and 11 children, then a line for the 19 others */
	has(txt, "\xe2\x94\x94 310 ");
	assert_null(strstr(txt, "\xe2\x94\x94 311 "));
	has(txt, "  (19 more processes in the tree; --procs all lists every one)\n");
	free(txt);
	txt = render(m, 0, true);
	has(txt, "\xe2\x94\x94 329 ");
	assert_null(strstr(txt, "more processes in the tree"));
	free(txt);
	tl_model_free(m);
}

/* A whole-system start snapshot: init (1) with a shell (100), kthreadd
 * (2) with 20 kernel threads of 20 names. kthreadd's row counts them, so
 * the shell is on the screen; a report of kthreadd's tree lists them. */
static void test_kernel_threads_counted(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	char *txt, *tree;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(0), .tid = 1, .pid = 1, .ppid = 0, .comm = "init"));
	feed(m, TR_SNAP(.ts = MS(0), .tid = 2, .pid = 2, .ppid = 0, .comm = "kthreadd"));
	for (uint32_t i = 0; i < 20; i++) {
		char comm[16];

		snprintf(comm, sizeof(comm), "kworker/%c", 'a' + i);
		feed(m, TR_SNAP(.ts = MS(0), .tid = 10 + i, .pid = 10 + i, .ppid = 2,
				.comm = comm));
	}
	feed(m, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .ppid = 1, .comm = "sh",
			.on_cpu = true));
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	txt = render(m, 0, false);
	tree = strstr(txt, "\nProcesses\n");
	assert_non_null(tree);
	*strstr(tree, "\n\n") = '\0'; /* the tree alone */
	has(tree, "  2 +20           kthreadd ");
	has(tree, "  \xe2\x94\x94 100 ");
	assert_null(strstr(tree, "kworker/a"));
	assert_null(strstr(tree, "more processes in the tree"));
	free(txt);
	txt = render(m, 0, true); /* --procs all: every one */
	has(txt, "\xe2\x94\x94 29 ");
	free(txt);
	txt = render_with(m, &(struct tl_report_opts){ .width = 100, .pid = 2 });
	has(txt, "\xe2\x94\x94 10 "); /* the report of kthreadd's tree */
	free(txt);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_groups_alike_children),
		cmocka_unit_test(test_sections_for_the_busiest),
		cmocka_unit_test(test_long_tree_folds),
		cmocka_unit_test(test_wide_tree_cut),
		cmocka_unit_test(test_kernel_threads_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
