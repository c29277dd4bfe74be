/* test_stacks.c - off-CPU stacks, `record -g` (root, real BPF). The helper
 * stack_lock (-O1 -g, no frame pointers) has a thread "locker" blocking in
 * pthread_mutex_lock inside inner_fn, called by outer_fn, five times the
 * same way. The recording must link each of those blocks to a stack that
 * unwinds through glibc to inner_fn at the marked line and on to outer_fn,
 * store that stack once, and `report --stacks` / `report` must show it.
 * From the second round on the BPF side sends those blocks as repeats of
 * the first (no copy): they must still carry the whole stack. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "userspace/analysis/stacksym.h"
#include "userspace/report/report.h"

#define HELPER_SRC "tests/helpers/stack_lock.c"

/* The line of the helper's source that holds both marks. */
static int marked_line(const char *mark, const char *code)
{
	FILE *f = fopen(HELPER_SRC, "r");
	char buf[512];
	int n = 0, found = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f) && !found) {
		n++;
		if (strstr(buf, mark) && strstr(buf, code))
			found = n;
	}
	fclose(f);
	assert_true(found > 0);
	return found;
}

static int lock_line(void)
{
	return marked_line("LOCK_LINE", "pthread_mutex_lock");
}

static int frame_index(const struct tl_named_stack *ns, const char *func)
{
	for (size_t i = 0; i < ns->nuser; i++)
		if (!strcmp(ns->f[ns->nkern + i].func, func))
			return (int)i;
	return -1;
}

static bool has_kernel(const struct tl_named_stack *ns, const char *part)
{
	for (size_t i = 0; i < ns->nkern; i++)
		if (strstr(ns->f[i].func, part))
			return true;
	return false;
}

/* Output of `threadline ARGS` into buf. */
static void run_tool(const char *args, char *buf, size_t len)
{
	char cmd[PATH_MAX * 4];
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/threadline %s", th_build_dir(), args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	assert_int_equal(pclose(p), 0);
}

/* Whether the file holds the bytes of s. */
static bool file_has(const char *path, const char *s)
{
	static char buf[1 << 22];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;

	if (f)
		fclose(f);
	return n && memmem(buf, n, s, strlen(s));
}

/* The stack annotation's frame: "take_held stack_lock.c:LINE". */
static bool file_has_line(const char *path, int line)
{
	char want[64];

	snprintf(want, sizeof(want), "take_held stack_lock.c:%d", line);
	return file_has(path, want);
}

/* The locker's futex blocks, their stack ids; returns how many. */
static size_t locker_blocks(const struct th_run *r, uint32_t *ids, size_t max,
			    const struct tl_thread **locker)
{
	size_t n = 0;

	assert_int_equal(th_threads_prefixed(r, "locker", locker, 1), 1);
	for (size_t i = 0; i < (*locker)->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv((*locker), i);
		const struct tl_interval *iv = &iv_v;

		/* on the mutex main holds (an owner read), not on a barrier
		 * that a descheduled main kept closed as long */
		if ((iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT) &&
		    iv->block->why == TL_WHY_FUTEX && iv->block->holder &&
		    iv->end - iv->start > TH_MS(30) && n < max)
			ids[n++] = tl_thread_iv_stack(*locker, iv);
	}
	return n;
}

/* From record's summary line: raw stacks taken and how many of them were
 * repeats sent without a copy (TL_RAW_F_AGAIN). */
static void stack_counts(const struct th_run *r, unsigned long *raw,
			 unsigned long *again)
{
	FILE *f = fopen(r->log, "r");
	char buf[512];
	int got = 0;

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f) && got != 3)
		got = sscanf(buf, "threadline: %lu stacks (%*u distinct, %lu repeats",
			     raw, again) == 2 ? 3 : 0;
	fclose(f);
	assert_int_equal(got, 3);
}

static void check_stack(const struct th_run *r, uint32_t id)
{
	struct tl_stacksym *sym = tl_stacksym_new(r->m);
	const struct tl_named_stack *ns;
	int in, out, lk, tk;

	assert_non_null(sym);
	ns = tl_stacksym_get(sym, id);
	assert_non_null(ns);
	for (size_t i = 0; i < ns->nuser; i++)
		printf("  user #%zu %s %s:%d (%s)\n", i, ns->f[ns->nkern + i].func,
		       ns->f[ns->nkern + i].file, ns->f[ns->nkern + i].line,
		       ns->f[ns->nkern + i].module);
	tk = frame_index(ns, "take_held");
	in = frame_index(ns, "inner_fn");
	out = frame_index(ns, "outer_fn");
	lk = frame_index(ns, "__pthread_mutex_lock");
	if (lk < 0)
		lk = frame_index(ns, "pthread_mutex_lock");
	assert_true(lk >= 0);
	/* through glibc, without frame pointers, then the inlined call */
	assert_int_equal(tk, lk + 1);
	assert_true(ns->f[ns->nkern + tk].inlined);
	assert_string_equal(ns->f[ns->nkern + tk].file, "stack_lock.c");
	assert_int_equal(ns->f[ns->nkern + tk].line, lock_line());
	assert_int_equal(in, tk + 1);
	assert_false(ns->f[ns->nkern + in].inlined);
	assert_int_equal(ns->f[ns->nkern + in].line,
			 marked_line("TAKE_LINE", "take_held()"));
	assert_int_equal(out, in + 1);
	assert_string_equal(ns->f[ns->nkern + in].module, "stack_lock");
	assert_true(has_kernel(ns, "futex"));
	assert_false(has_kernel(ns, "bpf_")); /* the tracer's own frames dropped */
	tl_stacksym_free(sym);
}

static void record_and_check(void)
{
	struct th_run r;
	const struct tl_thread *locker;
	uint32_t ids[16] = { 0 };
	char out[65536], args[2 * PATH_MAX + 64], want[128];
	unsigned long raw, again;
	size_t n;

	/* the groups whose programs all load as tp_btf on this kernel */
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-g", "-e", "sched,proc,futex", NULL },
				       (const char *[]){ th_helper_path("stack_lock"), NULL }), 0);
	/* tp_btf unless forced to raw_tp: not an involuntary fallback */
	assert_false(file_has(r.log, "tp_btf programs refused"));
	n = locker_blocks(&r, ids, 16, &locker);
	assert_true(n >= 4);
	/* every wait on the mutex has the full stack through glibc to the
	 * locker's own functions, interned: one id for all five as a rule.
	 * In two full runs under load one wait's stack came under a second
	 * id, so each id is checked, and at most one wait may differ */
	size_t most = 0;

	for (size_t i = 0; i < n; i++) {
		size_t same = 0;

		assert_true(ids[i] != 0);
		for (size_t k = 0; k < n; k++)
			same += ids[k] == ids[i];
		most = same > most ? same : most;
		if (same < n || i == 0)
			check_stack(&r, ids[i]);
	}
	assert_true(most + 1 >= n && most >= 4);
	assert_true(tl_model_nstacks(r.m) < locker->noffcpu + 8);
	/* rounds 2 to 5 block where round 1 did, with the same stack words:
	 * sent as repeats, and (above) still the full stack, the same id */
	stack_counts(&r, &raw, &again);
	printf("  %lu stacks, %lu repeats\n", raw, again);
	assert_true(again >= 3);
	assert_true(again < raw);

	snprintf(args, sizeof(args), "report --stacks %s", r.path);
	run_tool(args, out, sizeof(out));
	assert_non_null(strstr(out, "stack_lock;locker;"));
	assert_non_null(strstr(out, ";outer_fn;inner_fn;take_held;"));
	assert_non_null(strstr(out, "_[k] "));
	snprintf(args, sizeof(args), "report --no-timeline -w 120 %s", r.path);
	run_tool(args, out, sizeof(out));
	snprintf(want, sizeof(want), "take_held (inlined)  stack_lock.c:%d", lock_line());
	assert_non_null(strstr(out, "Off-CPU stacks"));
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "on mutex held"));
	/* the Perfetto export carries the stack on the blocking slice */
	snprintf(args, sizeof(args), "export %s -o %s.pftrace --check", r.path, r.path);
	run_tool(args, out, sizeof(out));
	snprintf(args, sizeof(args), "%s.pftrace", r.path);
	assert_true(file_has_line(args, lock_line()));
	unlink(args);
	th_free(&r);
}

static void test_stack_reaches_own_functions(void **state)
{
	(void)state;
	record_and_check();
}

/* The raw_tp twin of the stack program gives the same stacks. */
static void test_stack_raw_tp(void **state)
{
	(void)state;
	setenv("THREADLINE_FORCE_RAW_TP", "1", 1);
	record_and_check();
	unsetenv("THREADLINE_FORCE_RAW_TP");
}

/* C4's locks table: each mutex's waiter blocked at the line that takes
 * the second mutex, and so did its holder, all the while. */
static void locks_table_sites(const struct th_run *r, int line)
{
	struct tl_report_opts o = { .width = 100 };
	char *text = NULL, want[96];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	const char *at;
	int n = 0;

	assert_non_null(f);
	assert_int_equal(tl_report_text(f, r->m, &r->res, &o), 0);
	fclose(f);
	snprintf(want, sizeof(want), "waiters blocked at worker (c4_deadlock.c:%d) 1.", line);
	for (at = text; (at = strstr(at, want)); at++)
		n++;
	assert_int_equal(n, 2); /* mutexA and mutexB, over a second each */
	snprintf(want, sizeof(want), "holder blocked at worker (c4_deadlock.c:%d) 1.", line);
	for (n = 0, at = text; (at = strstr(at, want)); at++)
		n++;
	if (n != 2)
		fprintf(stderr, "%s", text);
	assert_int_equal(n, 2);
	free(text);
}

/* Demo C4: both threads of the deadlock blocked in pthread_mutex_lock,
 * called from worker() at the line that takes the second mutex. */
static void test_c4_both_threads_at_their_lock(void **state)
{
	struct th_run r;
	const struct tl_thread *t[2];
	struct tl_stacksym *sym;
	int line = 0, n = 0;
	char buf[256];
	FILE *f = fopen("demos/c4_deadlock.c", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f) && !line) {
		n++;
		if (strstr(buf, "pthread_mutex_lock(o->second)"))
			line = n;
	}
	fclose(f);
	assert_true(line > 0);
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-g", NULL },
				       (const char *[]){ th_demo_path("c4_deadlock"), NULL }), 0);
	assert_int_equal(th_threads_prefixed(&r, "thread-", t, 2), 2);
	sym = tl_stacksym_new(r.m);
	for (int k = 0; k < 2; k++) {
		bool found = false;

		for (size_t i = 0; i < t[k]->niv && !found; i++) {
			const struct tl_named_stack *ns =
				tl_stacksym_get(sym, tl_thread_iv_stack(t[k], (struct tl_interval[1]){ tl_thread_iv(t[k], i) }));
			int w = ns ? frame_index(ns, "worker") : -1;

			found = w > 0 && frame_index(ns, "__pthread_mutex_lock") == w - 1 &&
				ns->f[ns->nkern + w].line == line &&
				tl_thread_iv(t[k], i).end - tl_thread_iv(t[k], i).start > TH_MS(500);
		}
		assert_true(found);
	}
	tl_stacksym_free(sym);
	locks_table_sites(&r, line);
	th_free(&r);
}

/* Starts blocked_holder (its second thread blocks on a mutex for good)
 * and waits until that thread sleeps in futex. */
static pid_t start_holder(FILE **out)
{
	char path[96], buf[128] = "";
	int p[2], tid = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(th_helper_path("blocked_holder"), "blocked_holder", (char *)NULL);
		_exit(200);
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	assert_non_null(fgets(buf, sizeof(buf), *out));
	assert_non_null(strstr(buf, "tid="));
	tid = atoi(strstr(buf, "tid=") + 4);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, tid);
	for (int i = 0; i < 300; i++) {
		FILE *f = fopen(path, "r");

		buf[0] = '\0';
		if (f) {
			if (!fgets(buf, sizeof(buf), f))
				buf[0] = '\0';
			fclose(f);
		}
		if (!strncmp(buf, "202 ", 4))
			break;
		usleep(10000);
	}
	assert_int_equal(strncmp(buf, "202 ", 4), 0);
	return pid;
}

/* Attached with -p to a process whose thread is blocked already (and stays
 * so): its stack comes from the start-of-trace stack snapshot. */
static void test_attach_blocked_thread(void **state)
{
	struct tl_load_result *lr = calloc(1, sizeof(*lr));
	struct tl_model *m = NULL;
	const struct tl_named_stack *ns = NULL;
	const struct tl_thread *w = NULL;
	struct tl_stacksym *sym;
	char args[PATH_MAX + 64], out[4096], rec[64];
	FILE *hout;
	pid_t holder = start_holder(&hout);

	(void)state;
	snprintf(rec, sizeof(rec), "/tmp/tl-stacks-attach.%d.tlr", (int)getpid());
	snprintf(args, sizeof(args), "record -g -p %d -d 0.5 -o %s 2>&1", (int)holder, rec);
	run_tool(args, out, sizeof(out));
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	fclose(hout);
	assert_int_equal(tl_load(rec, NULL, &m, lr), 0);
	for (size_t i = 0; i < tl_model_nthreads(m); i++)
		if (!strcmp(tl_thread_name(tl_model_thread(m, i)), "waiter"))
			w = tl_model_thread(m, i);
	assert_non_null(w);
	sym = tl_stacksym_new(m);
	for (size_t i = 0; i < w->niv && !ns; i++)
		ns = tl_stacksym_get(sym, tl_thread_iv_stack(w, (struct tl_interval[1]){ tl_thread_iv(w, i) }));
	assert_non_null(ns);
	assert_true(frame_index(ns, "__pthread_mutex_lock") >= 0);
	assert_true(frame_index(ns, "waiter") > frame_index(ns, "__pthread_mutex_lock"));
	tl_stacksym_free(sym);
	tl_model_free(m);
	free(lr);
	unlink(rec);
}

/* A program that lives a few ms, less than record's poll period, is still
 * unwound whole: its first stack wakes record, which reads its maps while
 * it is blocked. */
static void test_short_lived_process(void **state)
{
	struct th_run r;
	char args[2 * PATH_MAX + 64], out[65536];

	(void)state;
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-g", NULL },
				       (const char *[]){ "/bin/sh", "-c", "/bin/sleep 0.005", NULL }),
			 0);
	snprintf(args, sizeof(args), "report --stacks %s", r.path);
	run_tool(args, out, sizeof(out));
	printf("%.600s\n", out);
	assert_non_null(strstr(out, "sleep;sleep;"));
	assert_non_null(strstr(out, "__libc_start_call_main;"));
	assert_non_null(strstr(out, "clock_nanosleep;"));
	th_free(&r);
}

/* Without -g nothing of the stacks is recorded (or loaded). */
static void test_no_stacks_without_g(void **state)
{
	struct th_run r;

	(void)state;
	assert_int_equal(th_record_cmd(&r, NULL,
				       (const char *[]){ th_helper_path("stack_lock"), NULL }), 0);
	assert_int_equal(tl_model_nstacks(r.m), 0);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_reaches_own_functions),
		cmocka_unit_test(test_stack_raw_tp),
		cmocka_unit_test(test_no_stacks_without_g),
		cmocka_unit_test(test_c4_both_threads_at_their_lock),
		cmocka_unit_test(test_attach_blocked_thread),
		cmocka_unit_test(test_short_lived_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
