/* test_report.c - a synthetic recording written with the writer, loaded
 * through the reader into the model, rendered as text and as JSON: the
 * numbers, the timeline characters, the JSON fields and its syntax; and the
 * truncated and corrupt file paths of `threadline report`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "userspace/cli/commands.h"
#include "userspace/model/model.h"
#include "userspace/analysis/analysis.h"
#include "userspace/report/report.h"
#include "records.h"
#include "userspace/load/load.h"

#define BASE 5000000000ull
#define MS(x) (BASE + (uint64_t)((x) * 1000000.0))

struct fixture {
	char path[64];
	struct tl_writer *w;
	struct tl_model *m;
	struct tl_load_result lr;
};

static void put(struct fixture *f, const void *rec)
{
	assert_int_equal(tl_writer_append(f->w, rec), 0);
}

static void fork_child(struct fixture *f)
{
	put(f, TR_NEWTASK(.ts = MS(25), .tid = 100, .pid = 100, .child = 110,
			  .child_pid = 110,
			  .process = true, .comm = "app"));
	put(f, TR_WAKING(.ts = MS(25.5), .waker = 100, .waker_pid = 100, .wakee = 110,
			 .wakee_pid = 110));
}

static void child_runs(struct fixture *f)
{
	/* the worker sleeps */
	put(f, TR_SWITCH(.ts = MS(60), .cpu = 1, .prev = 101, .prev_pid = 100, .state = 1,
			 .nr = 230, .next = 110, .next_pid = 110));
	put(f, TR_EXIT(.ts = MS(70), .cpu = 1, .tid = 110, .pid = 110, .status = 7 << 8,
		       .group_dead = true));
	put(f, TR_SWITCH(.ts = MS(70.01), .cpu = 1, .prev = 110, .prev_pid = 110,
			 .state = 0x80));
}

/* main (100): Runnable 0-20, Running 20-50, Sleeping in futex 50-100.
 * worker (101): Running 0-60, sleeping 60-90, Running 90-100.
 * child process 110 (forked at 25): Runnable 25-60, Running 60-70, exit 7. */
static void write_recording(struct fixture *f, bool complete)
{
	struct tl_rec_info info = { .ncpus = 2, .boot_ns = BASE, .real_ns = 1700000000ull *
				    1000000000ull };
	static const char cmd[] = "app \"x\"\\y\tz\0--fast";

	strcpy(info.host, "testhost");
	strcpy(info.kernel, "6.18.0");
	strcpy(info.machine, "x86_64");
	strcpy(info.cmdline, "threadline record -- ./app");
	strcpy(info.target, "cmd: ./app");
	const char *tmp = getenv("TMPDIR"); /* tests/run-tests cleans it */
	snprintf(f->path, sizeof(f->path), "%s/tl-test-report-XXXXXX",
		 tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	int fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	unlink(f->path);
	f->w = tl_writer_open(f->path, &info, -1, -1);
	assert_non_null(f->w);
	put(f, TR_SNAP(.ts = MS(0), .tid = 100, .pid = 100, .comm = "main"));
	put(f, TR_SNAP(.ts = MS(0), .cpu = 1, .tid = 101, .pid = 100, .on_cpu = true,
		       .comm = "worker"));
	put(f, TR_PROC_INFO(.ts = MS(0), .pid = 100, .cmd = cmd, .len = sizeof(cmd)));
	put(f, TR_SWITCH(.ts = MS(20), .prev = 999, .prev_pid = 999, .next = 100,
			 .next_pid = 100));
	fork_child(f);
	put(f, TR_SWITCH(.ts = MS(50), .prev = 100, .prev_pid = 100, .state = 1,
			 .nr = 202, .a0 = 0xbeef));
	assert_int_equal(tl_writer_flush(f->w), 0); /* a second block from here */
	child_runs(f);
	put(f, TR_WAKING(.ts = MS(90), .cpu = 1, .waker = 0, .waker_pid = 0,
			 .wakee = 101, .wakee_pid = 100, .target_cpu = 1));
	put(f, TR_SWITCH(.ts = MS(90.0), .cpu = 1, .prev = 0, .prev_pid = 0,
			 .next = 101, .next_pid = 100));
	put(f, TR_WAKING(.ts = MS(100), .cpu = 1, .waker = 101, .waker_pid = 100,
			 .wakee = 100, .wakee_pid = 100, .target_cpu = 1));
	if (complete)
		assert_int_equal(tl_writer_close(f->w, MS(100), 0, 0, 0), 0);
	else
		assert_int_equal(tl_writer_flush(f->w), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	write_recording(f, true);
	assert_int_equal(tl_load(f->path, NULL, &f->m, &f->lr), 0);
	char err[256];
	if (tl_model_check(f->m, err, sizeof(err)))
		fail_msg("tiling invariant: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tl_model_free(f->m);
	unlink(f->path);
	free(f);
	return 0;
}

static char *render(struct fixture *f, bool json, unsigned width, uint32_t pid)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct tl_report_opts o = { .width = width, .timeline = true, .pid = pid,
				    .path = "test.tlr" };

	assert_non_null(out);
	int err = json ? tl_report_json(out, f->m, &f->lr, &o) :
			 tl_report_text(out, f->m, &f->lr, &o);
	fclose(out);
	assert_int_equal(err, 0);
	return buf;
}

static void has(const char *text, const char *want)
{
	if (strstr(text, want))
		return;
	fprintf(stderr, "---- missing \"%s\" in:\n%s----\n", want, text);
	fail();
}

static void test_model_numbers(void **state)
{
	struct fixture *f = *state;
	const struct tl_thread *main_t = tl_model_find_thread(f->m, 100, 0);

	assert_int_equal(f->lr.status, TL_READ_END);
	assert_non_null(main_t);
	assert_int_equal(tl_sum_ns(&main_t->sum, TL_ST_RUNNING), 30000000);
	assert_int_equal(tl_sum_ns(&main_t->sum, TL_ST_RUNNABLE), 20000000);
	assert_int_equal(tl_sum_blocked_ns(&main_t->sum, TL_WHY_FUTEX), 50000000);
	struct tl_par_stats s;
	assert_int_equal(tl_proc_par_stats(tl_model_find_proc(f->m, 100, 0), 0, 0, &s), 0);
	assert_int_equal(s.par_ns[0], 30000000);
	assert_int_equal(s.par_ns[1], 40000000);
	assert_int_equal(s.par_ns[2], 30000000);
	assert_int_equal(s.conc_ns[2], 50000000);
}

static void test_text(void **state)
{
	struct fixture *f = *state;
	char *t = render(f, false, 80, 0);

	has(t, "threadline report: test.tlr\n");
	has(t, "  host      testhost, kernel 6.18.0 x86_64, 2 CPUs\n");
	has(t, "2023-11-14 22:13:20 UTC, duration 0.100 s\n");
	has(t, "  events    13 records, none lost\n");
	assert_null(strstr(t, "  unknown "));
	/* the process tree: the child and its exit status */
	has(t, "  100             main               0.000s    0.100s  -                 2\n");
	has(t, "  \xe2\x94\x94 110           app                0.025s    0.070s  exit 7"
	       "            1\n");
	/* control characters of a command line do not reach the terminal */
	has(t, "Process 100 main  (app \"x\"\\y z --fast)\n");
	/* thread A: 30 ms running, 20 ms runnable, 50 ms blocked on futex */
	has(t, "  100     main             30.0ms  20.0ms  50.0ms       0       1/0"
	       "       0/1\n");
	has(t, "blocked: futex 50.0ms\n");
	has(t, "  101     worker           70.0ms       0  30.0ms       0       1/0"
	       "       1/1\n");
	has(t, "blocked: sleep 30.0ms\n");
	/* parallelism beside concurrency */
	has(t, "    mean  1.00  max 2                mean  1.20  max 2\n");
	has(t, "       0     30.0ms   30.0%            30.0ms   30.0%\n");
	has(t, "       1     40.0ms   40.0%            20.0ms   20.0%\n");
	has(t, "       2     30.0ms   30.0%            50.0ms   50.0%\n");
	has(t, "\nLoss\n  none: every event was recorded and consistent.\n");
	/* nothing wider than 80 columns (count UTF-8 characters, not bytes) */
	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t cols = 0;
		for (char *p = line; p < (nl ? nl : line + strlen(line)); p++)
			cols += ((unsigned char)*p & 0xc0) != 0x80;
		if (cols > 80)
			fail_msg("line wider than 80: %.*s", (int)(nl - line), line);
		line = nl ? nl + 1 : NULL;
	}
	free(t);
}

static void test_timeline(void **state)
{
	struct fixture *f = *state;
	/* width 75: 50 columns of 2 ms over the 100 ms the processes lived */
	char *t = render(f, false, 75, 0);
	char want[1024] = "  100     main        |";
	const char *R = "\xe2\x96\x88", *Q = "\xe2\x96\x92", *S = "\xe2\x96\x91";

	for (int i = 0; i < 50; i++)
		strcat(want, i < 10 ? Q : i < 25 ? R : S);
	strcat(want, "|\n");
	has(t, want);
	has(t, "one column = 2.00ms\n");
	strcpy(want, "  110     app         |");
	for (int i = 0; i < 50; i++)
		strcat(want, i < 12 ? " " : i < 30 ? Q : i < 35 ? R : " ");
	strcat(want, "|\n");
	has(t, want);
	free(t);

	int8_t cells[10];
	char bar[128];
	tl_timeline_cells(tl_model_find_thread(f->m, 101, 0), MS(0), MS(100), 10, cells);
	tl_timeline_draw(cells, 10, false, bar, sizeof(bar));
	char w2[128] = "";
	for (int i = 0; i < 10; i++)
		strcat(w2, i < 6 || i == 9 ? R : S);
	assert_string_equal(bar, w2);
	tl_timeline_draw(cells, 10, true, bar, sizeof(bar));
	assert_non_null(strstr(bar, "\033[32m"));
	assert_non_null(strstr(bar, "\033[0m"));
}

/* A minimal JSON syntax checker: returns the end of one value, or NULL. */
static const char *jvalue(const char *p);

static const char *jws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *jstring(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !strchr("\"\\/bfnrtu", *++p))
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *jlist(const char *p, char close, bool obj)
{
	p = jws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = jstring(jws(p));
			if (!p || *(p = jws(p)) != ':')
				return NULL;
			p++;
		}
		p = jvalue(p);
		if (!p)
			return NULL;
		p = jws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *jvalue(const char *p)
{
	p = jws(p);
	if (*p == '{')
		return jlist(p, '}', true);
	if (*p == '[')
		return jlist(p, ']', false);
	if (*p == '"')
		return jstring(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	char *end;
	strtod(p, &end);
	return end > p ? end : NULL;
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	char *j = render(f, true, 80, 0);
	const char *end = jvalue(j);

	if (!end || *jws(end))
		fail_msg("invalid JSON near: %.60s", end ? end : "?");
	has(j, "\"host\": \"testhost\"");
	has(j, "\"complete\": true");
	has(j, "\"duration_ns\": 100000000");
	has(j, "\"lost_events\": 0");
	/* quotes, backslashes and control characters escaped */
	has(j, "\"cmdline\": \"app \\\"x\\\"\\\\y\\tz --fast\"");
	has(j, "\"pid\": 110");
	has(j, "\"exit_code\": 7");
	has(j, "\"tid\": 100,\n          \"gen\": 0,\n          \"name\": \"main\"");
	has(j, "\"running_ns\": 30000000,\n          \"runnable_ns\": 20000000,\n"
	       "          \"sleeping_ns\": 50000000");
	has(j, "\"blocked_ns\": {\n            \"futex\": 50000000\n          }");
	has(j, "\"parallelism_mean\": 1,");
	has(j, "\"parallelism_ns\": [\n          30000000,\n          40000000,\n"
	       "          30000000\n        ]");
	has(j, "\"concurrency_mean\": 1.2,");
	has(j, "\"wakeups_received\": 1");
	free(j);

	/* --pid keeps the process and its descendants only */
	j = render(f, true, 80, 110);
	assert_null(strstr(j, "\"pid\": 100,"));
	has(j, "\"pid\": 110,");
	has(j, "\"timeline\": \"");
	free(j);
}

static void test_unknown_pid(void **state)
{
	struct fixture *f = *state;
	struct tl_report_opts o = { .pid = 4242 };
	FILE *out = fopen("/dev/null", "w");

	assert_int_equal(tl_report_text(out, f->m, &f->lr, &o), -ENOENT);
	assert_int_equal(tl_report_json(out, f->m, &f->lr, &o), -ENOENT);
	fclose(out);
}

static int run_cmd(const char *path, const char *opt)
{
	char a0[] = "threadline report", a1[256], a2[32];
	char *argv[] = { a0, a1, a2, NULL };

	snprintf(a1, sizeof(a1), "%s", path);
	snprintf(a2, sizeof(a2), "%s", opt);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	FILE *null = freopen("/dev/null", "w", stdout);
	int rc = tl_cmd_report(3, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	(void)null;
	return rc;
}

/* Offset of the second block ("TLBK") of a recording. */
static long second_block(const char *path)
{
	char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n = fread(buf, 1, sizeof(buf), fp);
	int seen = 0;

	fclose(fp);
	for (size_t i = 0; i + 4 <= n; i++)
		if (!memcmp(buf + i, "TLBK", 4) && ++seen == 2)
			return (long)i;
	fail_msg("no second block");
	return 0;
}

static void test_truncated_and_corrupt(void **state)
{
	(void)state;
	struct fixture f = { 0 };
	FILE *fp;

	write_recording(&f, true);
	/* cut just inside the second block: the first is still reported */
	assert_int_equal(truncate(f.path, second_block(f.path) + 20), 0);
	assert_int_equal(tl_load(f.path, NULL, &f.m, &f.lr), 0);
	assert_int_equal(f.lr.status, TL_READ_TRUNCATED);
	/* the first block is intact: main and its futex wait are there */
	const struct tl_thread *m100 = tl_model_find_thread(f.m, 100, 0);
	assert_non_null(m100);
	assert_int_equal(tl_sum_ns(&m100->sum, TL_ST_RUNNING), 30000000);
	/* the child was forked in the first block; its exit is lost */
	const struct tl_process *c110 = tl_model_find_proc(f.m, 110, 0);
	assert_non_null(c110);
	assert_false(c110->flags & TL_PROC_EXITED);
	char *t = render(&f, false, 80, 0);
	has(t, "  warning: recording cut short at byte ");
	free(t);
	tl_model_free(f.m);
	assert_int_equal(run_cmd(f.path, "--no-timeline"), 0);

	/* a flipped byte in a block: the reader names the offset, exit 1 */
	write_recording(&f, true);
	fp = fopen(f.path, "r+");
	assert_non_null(fp);
	fseek(fp, -60, SEEK_END);
	int c = fgetc(fp);
	fseek(fp, -60, SEEK_END);
	fputc(c ^ 0x55, fp);
	fclose(fp);
	f.m = NULL;
	assert_int_equal(tl_load(f.path, NULL, &f.m, &f.lr), -EBADMSG);
	assert_null(f.m);
	has(f.lr.msg, "byte");
	assert_int_equal(run_cmd(f.path, "--json"), 1);
	assert_int_equal(run_cmd("/nonexistent/x.tlr", "--json"), 1);
	assert_int_equal(run_cmd(f.path, "--width=7"), 2);
	unlink(f.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_model_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_pid, setup, teardown),
		cmocka_unit_test(test_truncated_and_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
