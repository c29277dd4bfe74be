/* harness.h - integration test harness: run a command or a bundled demo
 * under the real `threadline record` (real BPF, root), then load the
 * recording into the model so a test asserts on the timeline.
 *
 *   struct th_run r;
 *   th_record_demo(&r, "c4_deadlock", (const char *[]){ "--seconds", "1", NULL });
 *   const struct tl_process *p = r.root;   // the launched program
 *   ... tl_model_* / tl_proc_* / tl_thread_* queries on r.m ...
 *   th_free(&r);
 *
 * Failures to record or to load fail the calling cmocka test at once. */
#ifndef TL_TEST_HARNESS_H
#define TL_TEST_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "userspace/model/model.h"
#include "userspace/analysis/analysis.h"
#include "userspace/load/load.h"

struct th_run {
	struct tl_model *m;
	struct tl_load_result res;
	int record_status;        /* exit status of `threadline record` */
	char path[PATH_MAX];      /* the recording (removed by th_free) */
	char log[PATH_MAX + 8];   /* record's stdout+stderr (the demo's output too) */
	const struct tl_process *root; /* the launched program's process */
	uint64_t wall_ns;         /* how long record ran */
	bool tp_skipped;          /* no trace processor: th_free skips the test */
	char pftrace[PATH_MAX + 16]; /* its Perfetto export ("" if none) */
};

/* The build folder (the one holding threadline), from this test's path. */
const char *th_build_dir(void);
/* Path of a built demo or test helper: <build>/demos/<name>. */
const char *th_demo_path(const char *name);
const char *th_helper_path(const char *name);

/* Runs `threadline record -o <tmp> [record_args...] -- cmd...`, loads the
 * model. record_args and cmd are NULL-terminated (record_args may be NULL).
 * Returns record's exit status. */
int th_record_cmd(struct th_run *r, const char *const *record_args,
		  const char *const *cmd);
/* Same for a demo by binary name with its arguments (args may be NULL),
 * then the recording's Perfetto export is held against the model by
 * Perfetto's own trace processor (tp_check.h). Without a trace processor
 * the test goes on, and th_free() reports it SKIPPED at its end. */
int th_record_demo(struct th_run *r, const char *demo, const char *const *args);
/* The same with record options (NULL-terminated, may be NULL). */
int th_record_demo_with(struct th_run *r, const char *const *rargs,
			const char *demo, const char *const *args);
/* Record options for the tests that assert on syscall slices (TL_SYS_*),
 * which only the opt-in group "syscalls" records. */
#define TH_WITH_SYSCALLS ((const char *const[]){ "-e", "all", NULL })
/* Frees r; calls cmocka's skip() when the trace processor checks could not
 * run on it (the rest of the test has run by then). */
void th_free(struct th_run *r);

/* Small queries the demo tests share. */
/* Whether p is root or one of its descendants. */
bool th_in_tree(const struct tl_process *p, const struct tl_process *root);
/* Threads of r.root and its descendants whose name starts with prefix. */
size_t th_threads_prefixed(const struct th_run *r, const char *prefix,
			   const struct tl_thread **out, size_t max);
/* Processes in r.root's tree (root included) whose name starts with prefix. */
size_t th_procs_prefixed(const struct th_run *r, const char *prefix,
			 const struct tl_process **out, size_t max);
/* Time of thread t Sleeping or Uninterruptible for reason why (any object). */
uint64_t th_blocked_ns(const struct tl_thread *t, enum tl_reason why);
/* Socket-family syscalls (by number) made by thread t that returned >= 0;
 * only recordings with the group "syscalls" (TH_WITH_SYSCALLS) have any. */
size_t th_syscalls(const struct tl_thread *t, int nr, bool ok_only);
/* Prints the first lines of the record log (demo output) on failure paths. */
void th_dump_log(const struct th_run *r);

/* Runs a cmocka group twice: with tp_btf programs, then with their raw_tp
 * twins (THREADLINE_FORCE_RAW_TP=1, inherited by every record started),
 * so both kernel paths are exercised by every run of the suite. Nonzero
 * when either pass failed. */
struct CMUnitTest;
int th_run_both_paths(const struct CMUnitTest *tests, size_t n);
#define TH_RUN_BOTH_PATHS(tests) \
	th_run_both_paths(tests, sizeof(tests) / sizeof((tests)[0]))

#define TH_MS(x) ((uint64_t)(x) * 1000000ull)

#endif
