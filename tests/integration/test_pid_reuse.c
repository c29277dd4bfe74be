/* test_pid_reuse.c - a TID that an untraced task had earlier in the same
 * recording, taken by a thread of the traced program (root).
 *
 * The kernel hands out PIDs in a circle (pid_max is 32768 here), so on a
 * busy machine a traced program's new thread can get the TID of a task
 * that was, minutes or milliseconds before, the other side of one of its
 * switches. The model must give the new thread its own timeline in its
 * process, and the export must keep the two apart: the old task a thread
 * of no process named as it was, the new one in the traced process.
 *
 * The reuse is made on purpose: an untraced "squatter" process is created
 * with a chosen PID P (ns_last_pid), busy on CPU 0 beside the traced shell,
 * which busy-waits on the same CPU so the two switch with each other. When
 * the squatter has ended and been reaped, ns_last_pid is set back to P-1
 * and the shell execs the C7 demo, whose first thread then gets TID P.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "tp.h"
#include "tp_check.h"

#define TMPDIR_NAME "tl-pid-reuse"
#include "tests/common/tmpdir.h"

#define SQUATTER "tid-squatter"
#define BUSY_MS 300

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool set_last_pid(long pid)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	bool ok = f && fprintf(f, "%ld", pid) > 0;

	if (f && fclose(f))
		ok = false;
	return ok;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f && fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/* A PID nobody has, with the next few free too (the demo's threads). */
static long pick_free_pid(void)
{
	long max = read_long("/proc/sys/kernel/pid_max");
	long p = read_long("/proc/sys/kernel/ns_last_pid") + 400;
	char path[64];

	for (int tries = 0; tries < 1000; tries++, p += 37) {
		bool free_run = true;

		if (p + 64 >= max)
			p = 2000 + p % 1000;
		for (long q = p; q < p + 64 && free_run; q++) {
			snprintf(path, sizeof(path), "/proc/%ld", q);
			free_run = access(path, F_OK) != 0;
		}
		if (free_run)
			return p;
	}
	return -1;
}

static void wait_file(const char *path, uint64_t limit_ms)
{
	uint64_t t0 = mono_ms();

	while (access(path, F_OK) && mono_ms() - t0 < limit_ms)
		usleep(1000);
}

/* The squatter: once the traced shell runs, busy on CPU 0 for BUSY_MS. */
static void squat(const char *started)
{
	cpu_set_t cpus;
	uint64_t t0;
	volatile unsigned long spin = 0;

	prctl(PR_SET_NAME, SQUATTER);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	wait_file(started, 20000);
	for (t0 = mono_ms(); mono_ms() - t0 < BUSY_MS;)
		spin++;
	_exit(0);
}

/* Runs apart from the test (untraced): makes the squatter with PID p,
 * reaps it, frees p for the next task created, then says go. Exits 0 when
 * the squatter had p. */
static pid_t start_arranger(long p)
{
	pid_t pid = fork();
	char started[PATH_MAX], go[PATH_MAX];

	assert_true(pid >= 0);
	if (pid)
		return pid;
	tmpdir_path(started, sizeof(started), "started");
	tmpdir_path(go, sizeof(go), "go");
	if (!set_last_pid(p - 1))
		_exit(2);
	pid_t sq = fork();
	if (sq == 0)
		squat(started);
	if (sq < 0)
		_exit(2);
	waitpid(sq, NULL, 0);
	set_last_pid(p - 1);
	close(open(go, O_CREAT | O_WRONLY, 0600));
	_exit(sq == p ? 0 : 1);
}

/* The shell spins (builtins only: no fork may take p) until go. */
static void record_reuse(struct th_run *r, long p, int *arranged)
{
	char script[3 * PATH_MAX], started[PATH_MAX], go[PATH_MAX];
	const char *cmd[] = { "taskset", "-c", "0", "sh", "-c", script, NULL };
	pid_t arranger;
	int st;

	tmpdir_path(started, sizeof(started), "started");
	tmpdir_path(go, sizeof(go), "go");
	unlink(started);
	unlink(go);
	snprintf(script, sizeof(script),
		 ": > '%s'; while [ ! -e '%s' ]; do :; done; exec '%s'",
		 started, go, th_demo_path("c7_semaphore"));
	arranger = start_arranger(p);
	th_record_cmd(r, NULL, cmd);
	assert_int_equal(waitpid(arranger, &st, 0), arranger);
	*arranged = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

static const struct tl_thread *traced_thread(const struct tl_model *m, long tid)
{
	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		if (t->tid == (uint32_t)tid)
			return t;
	}
	return NULL;
}

/* Whether the recording says root created a thread with TID tid. */
static bool cloned_by(const struct tl_model *m, const struct tl_process *root, long tid)
{
	for (size_t i = 0; root && i < tl_model_nforks(m); i++) {
		const struct tl_fork_ev *f = tl_model_fork(m, i);

		if (f->thread && f->parent_pid == root->pid && f->child_tid == (uint32_t)tid)
			return true;
	}
	return false;
}

/* Perfetto's threads with TID p: "name|pid" lines, pid empty when in no
 * process, in utid order. */
static void tp_threads_of(const char *trace, long p, char *out, size_t n)
{
	char sql[256];
	const char *q[1] = { sql };
	struct tp_rows rows;
	size_t used = 0;

	snprintf(sql, sizeof(sql), "select t.name, p.pid from thread t left join "
		 "process p using (upid) where t.tid = %ld order by t.utid", p);
	tp_query(trace, NULL, q, 1, &rows);
	out[0] = 0;
	for (size_t i = 0; i < rows.nrows && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "%s|%s\n",
					 tp_cell(&rows, i, 0) ? tp_cell(&rows, i, 0) : "",
					 tp_cell(&rows, i, 1) ? tp_cell(&rows, i, 1) : "");
	tp_free(&rows, 1);
}

static void test_traced_thread_reuses_untraced_tid(void **state)
{
	struct th_run r;
	char want[128], got[512];
	const struct tl_thread *t;
	long p = -1;
	int arranged = 1;

	(void)state;
	if (!set_last_pid(read_long("/proc/sys/kernel/ns_last_pid"))) {
		print_message("ns_last_pid cannot be written here: skipped\n");
		skip();
	}
	/* another process may take p first, before the squatter or before
	 * the demo's first clone: try again with another */
	for (int attempt = 0; attempt < 5 && arranged; attempt++) {
		if (attempt)
			th_free(&r);
		p = pick_free_pid();
		assert_true(p > 0);
		record_reuse(&r, p, &arranged);
		if (!arranged && !cloned_by(r.m, r.root, p))
			arranged = 3;
	}
	if (arranged)
		fail_msg("the machine never left PID %ld to the squatter and then to the "
			 "demo (status %d)", p, arranged);
	assert_int_equal(r.record_status, 0);
	t = traced_thread(r.m, p);
	if (!t || !t->proc || t->proc != r.root)
		fail_msg("TID %ld is not a thread of the traced demo in the model", p);
	assert_string_equal(tl_thread_name(t), "conn-1");
	assert_int_equal(t->gen, 0);   /* the squatter was never traced */
	assert_true(tl_model_is_traced(r.m, (uint32_t)p));
	snprintf(r.pftrace, sizeof(r.pftrace), "%s.pftrace", r.path);
	if (!tpc_check(&r, r.pftrace)) {   /* no trace processor here */
		r.pftrace[0] = 0;
		th_free(&r);
		skip();
	}
	tp_threads_of(r.pftrace, p, got, sizeof(got));
	snprintf(want, sizeof(want), SQUATTER "|\nconn-1|%u\n", r.root->pid);
	assert_string_equal(got, want);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traced_thread_reuses_untraced_tid),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
