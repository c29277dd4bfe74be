/* harness.c - runs `threadline record` for the integration tests and loads
 * the recording into the model (see harness.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "tp_check.h"

static char build_dir[PATH_MAX];
static char run_dir[256];

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	remove(path);
	return 0;
}

static void remove_run_dir(void)
{
	nftw(run_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* One directory per test process ($TMPDIR or /tmp) holds every recording,
 * log and export the tests make; it goes at exit, also after a failed
 * assertion jumped past th_free() (TL_KEEP_RECORDINGS keeps it). */
static const char *th_run_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (run_dir[0])
		return run_dir;
	snprintf(run_dir, sizeof(run_dir), "%s/tl-test-%d-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	if (!mkdtemp(run_dir))
		fail_msg("mkdtemp %s: %s", run_dir, strerror(errno));
	if (getenv("TL_KEEP_RECORDINGS"))
		fprintf(stderr, "recordings kept in %s\n", run_dir);
	else
		atexit(remove_run_dir);
	return run_dir;
}

const char *th_build_dir(void)
{
	char self[PATH_MAX];
	ssize_t n;

	if (build_dir[0])
		return build_dir;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		fail_msg("readlink /proc/self/exe: %s", strerror(errno));
	self[n] = '\0';
	/* <build>/tests/integration/test_x -> <build> */
	if (snprintf(build_dir, sizeof(build_dir), "%s",
		     dirname(dirname(dirname(self)))) >= (int)sizeof(build_dir))
		fail_msg("build path too long");
	return build_dir;
}

static const char *path_in(const char *sub, const char *name)
{
	static char buf[4][PATH_MAX];
	static int slot;
	char *p = buf[slot++ % 4];
	int n = snprintf(p, PATH_MAX, "%s/%s/%s", th_build_dir(), sub, name);

	if (n < 0 || n >= PATH_MAX)
		fail_msg("path too long: %s/%s", sub, name);
	return p;
}

const char *th_demo_path(const char *name)
{
	return path_in("demos", name);
}

const char *th_helper_path(const char *name)
{
	return path_in("tests/helpers", name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Builds: threadline record -o path [rargs] -- cmd. */
static char **record_argv(const struct th_run *r, const char *const *rargs,
			  const char *const *cmd)
{
	size_t n = 0, i = 0;
	char **argv;

	for (const char *const *a = rargs; a && *a; a++)
		n++;
	for (const char *const *a = cmd; *a; a++)
		n++;
	argv = calloc(n + 6, sizeof(*argv));
	assert_non_null(argv);
	argv[i++] = (char *)path_in("", "threadline");
	argv[i++] = "record";
	argv[i++] = "-o";
	argv[i++] = (char *)r->path;
	for (const char *const *a = rargs; a && *a; a++)
		argv[i++] = (char *)*a;
	argv[i++] = "--";
	for (const char *const *a = cmd; *a; a++)
		argv[i++] = (char *)*a;
	return argv;
}

static int run_logged(char **argv, const char *log)
{
	int status, fd;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(126);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The launched program: the first process that exec'd cmd[0]'s file. */
static const struct tl_process *find_root(const struct tl_model *m, const char *cmd0)
{
	char tmp[PATH_MAX];
	const char *want;

	snprintf(tmp, sizeof(tmp), "%s", cmd0);
	want = basename(tmp);
	for (size_t i = 0; i < tl_model_nprocs(m); i++) {
		const struct tl_process *p = tl_model_proc(m, i);

		for (size_t e = 0; e < p->nexecs; e++) {
			const char *f = strrchr(p->execs[e].filename, '/');

			if (!strcmp(f ? f + 1 : p->execs[e].filename, want))
				return p;
		}
	}
	return NULL;
}

int th_record_cmd(struct th_run *r, const char *const *rargs, const char *const *cmd)
{
	char **argv;
	uint64_t t0;
	int err;

	memset(r, 0, sizeof(*r));
	if (snprintf(r->path, sizeof(r->path), "%s/run-XXXXXX", th_run_dir()) >=
	    (int)sizeof(r->path))
		fail_msg("temporary path too long");
	err = mkstemp(r->path);
	assert_true(err >= 0);
	close(err);
	unlink(r->path); /* record creates it itself (O_EXCL) */
	if (snprintf(r->log, sizeof(r->log), "%s.log", r->path) >= (int)sizeof(r->log))
		fail_msg("recording path too long");
	argv = record_argv(r, rargs, cmd);
	t0 = now_ns();
	r->record_status = run_logged(argv, r->log);
	r->wall_ns = now_ns() - t0;
	free(argv);
	err = tl_load(r->path, NULL, &r->m, &r->res);
	if (err) {
		th_dump_log(r);
		fail_msg("loading %s: %s", r->path, r->res.msg);
	}
	r->root = find_root(r->m, cmd[0]);
	if (!r->root) {
		th_dump_log(r);
		fail_msg("no process exec'd %s in the recording", cmd[0]);
	}
	return r->record_status;
}

int th_record_demo(struct th_run *r, const char *demo, const char *const *args)
{
	return th_record_demo_with(r, NULL, demo, args);
}

int th_record_demo_with(struct th_run *r, const char *const *rargs,
			const char *demo, const char *const *args)
{
	const char *cmd[64];
	size_t n = 0;

	cmd[n++] = th_demo_path(demo);
	for (const char *const *a = args; a && *a && n < 63; a++)
		cmd[n++] = *a;
	cmd[n] = NULL;
	th_record_cmd(r, rargs, cmd);
	snprintf(r->pftrace, sizeof(r->pftrace), "%s.pftrace", r->path);
	if (!tpc_check(r, r->pftrace)) {
		r->pftrace[0] = 0;
		fprintf(stderr, "%s: no trace_processor_shell (TP_SHELL): the Perfetto "
			"checks are skipped\n", demo);
		r->tp_skipped = true;
	}
	return r->record_status;
}

void th_free(struct th_run *r)
{
	bool skipped = r->tp_skipped;

	if (r->m)
		tl_model_free(r->m);
	if (!getenv("TL_KEEP_RECORDINGS")) {
		unlink(r->path);
		unlink(r->log);
		if (r->pftrace[0])
			unlink(r->pftrace);
	}
	memset(r, 0, sizeof(*r));
	if (skipped)
		skip();
}

bool th_in_tree(const struct tl_process *p, const struct tl_process *root)
{
	for (int depth = 0; p && depth < 64; depth++, p = p->parent)
		if (p == root)
			return true;
	return false;
}

size_t th_procs_prefixed(const struct th_run *r, const char *prefix,
			 const struct tl_process **out, size_t max)
{
	size_t n = 0, len = strlen(prefix);

	for (size_t i = 0; i < tl_model_nprocs(r->m); i++) {
		const struct tl_process *p = tl_model_proc(r->m, i);

		if (!th_in_tree(p, r->root) || strncmp(tl_proc_name(p), prefix, len))
			continue;
		if (out && n < max)
			out[n] = p;
		n++;
	}
	return n;
}

size_t th_threads_prefixed(const struct th_run *r, const char *prefix,
			   const struct tl_thread **out, size_t max)
{
	size_t n = 0, len = strlen(prefix);

	for (size_t i = 0; i < tl_model_nthreads(r->m); i++) {
		const struct tl_thread *t = tl_model_thread(r->m, i);

		if (!th_in_tree(t->proc, r->root) || strncmp(tl_thread_name(t), prefix, len))
			continue;
		if (out && n < max)
			out[n] = t;
		n++;
	}
	return n;
}

uint64_t th_blocked_ns(const struct tl_thread *t, enum tl_reason why)
{
	struct tl_iv_filter f = { .states = TL_F_BLOCKED, .by_reason = true, .why = why };

	return tl_thread_sum_ns(t, &f);
}

size_t th_syscalls(const struct tl_thread *t, int nr, bool ok_only)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nsys; i++)
		if (t->sys[i].nr == nr && (!ok_only || (t->sys[i].ret >= 0 &&
					  !(t->sys[i].flags & TL_SC_NO_EXIT))))
			n++;
	return n;
}

void th_dump_log(const struct th_run *r)
{
	char line[512];
	FILE *f = fopen(r->log, "r");
	int n = 0;

	if (!f)
		return;
	fprintf(stderr, "---- record log %s (status %d) ----\n", r->log, r->record_status);
	while (n++ < 40 && fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

int th_run_both_paths(const struct CMUnitTest *tests, size_t n)
{
	const char *only = getenv("TL_TEST_FILTER");
	int failed;

	if (only && *only)
		cmocka_set_test_filter(only); /* e.g. "test_pid_reuse*" */
	unsetenv("THREADLINE_FORCE_RAW_TP");
	failed = _cmocka_run_group_tests("tp_btf", tests, n, NULL, NULL);
	setenv("THREADLINE_FORCE_RAW_TP", "1", 1);
	failed |= _cmocka_run_group_tests("raw_tp", tests, n, NULL, NULL);
	unsetenv("THREADLINE_FORCE_RAW_TP");
	return failed;
}
