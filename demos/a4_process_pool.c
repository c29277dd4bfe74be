/* a4_process_pool.c - a pre-forked pool of worker processes fed through a
 * pipe: synchronous apply (wait for each result) vs asynchronous apply_async
 * (submit everything, then collect), then close and join. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

static const struct demo_spec spec = {
	.name = "a4_process_pool",
	.summary = "a pool of N worker processes runs N+1 tasks, synchronously and asynchronously",
	.explain =
		"A pool of N worker processes (\"pool-worker-1\"..; N = --count, default\n"
		"the CPU count) is forked once. Tasks (0.2 s of CPU each) reach them\n"
		"through a pipe; results come back through another.\n"
		" sync  (apply):       submit one task, wait for its result, repeat.\n"
		" async (apply_async): submit all N+1 tasks, then collect the results.\n"
		"Then the pool is closed (the task pipe is closed) and joined.\n"
		"Look for: exactly N worker processes over the whole run, reused for\n"
		"every task (no fork per task); sync: one worker busy at a time;\n"
		"async: N busy at once, and task N+1 starts only when a worker frees.",
	.modes = (const char *const[]){ "all", "sync", "async", NULL },
	.default_seconds = 0.2,
};

struct result {
	int task;
	int worker;
	long value;
};

static struct demo_args args;
static int task_pipe[2], result_pipe[2];

static int worker_main(void *p)
{
	int me = (int)(long)p, task;
	struct result r;

	close(task_pipe[1]);
	close(result_pipe[0]);
	/* 4-byte reads from one pipe are atomic: each task goes to one worker */
	while (demo_read_all(task_pipe[0], &task, sizeof(task)) == sizeof(task)) {
		THREADLINE_TASK_BEGIN(task, "pool-task");
		demo_burn_cpu_ms(args.seconds * 1000.0);
		THREADLINE_TASK_END(task);
		r = (struct result){ .task = task, .worker = me, .value = (long)task * task };
		if (demo_write_all(result_pipe[1], &r, sizeof(r)) != sizeof(r))
			return 1;
	}
	return 0; /* EOF: the pool was closed */
}

static void submit(int task)
{
	if (demo_write_all(task_pipe[1], &task, sizeof(task)) != sizeof(task))
		demo_die(errno, "submit task %d", task);
}

static void collect(void)
{
	struct result r;

	if (demo_read_all(result_pipe[0], &r, sizeof(r)) != sizeof(r))
		demo_die(errno, "read result");
	printf("  task %d -> %ld (by pool-worker-%d)\n", r.task, r.value, r.worker);
}

static void run_sync(int ntasks, int *next)
{
	uint64_t t0 = demo_now_ns();

	demo_phase("sync");
	for (int i = 0; i < ntasks; i++) {
		submit((*next)++);
		collect();
	}
	printf("sync (apply):        %d tasks in %.0f ms\n", ntasks, demo_ms_since(t0));
}

static void run_async(int ntasks, int *next)
{
	uint64_t t0 = demo_now_ns();

	demo_phase("async");
	for (int i = 0; i < ntasks; i++)
		submit((*next)++);
	for (int i = 0; i < ntasks; i++)
		collect();
	printf("async (apply_async): %d tasks in %.0f ms\n", ntasks, demo_ms_since(t0));
}

static void start_pool(int n, pid_t *pids)
{
	char name[32];

	if (pipe(task_pipe) < 0 || pipe(result_pipe) < 0)
		demo_die(errno, "pipe");
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "pool-worker-%d", i + 1);
		pids[i] = demo_fork(name, worker_main, (void *)(long)(i + 1));
		if (pids[i] < 0)
			demo_die(pids[i], "fork");
	}
	close(task_pipe[0]);
	close(result_pipe[1]);
}

int main(int argc, char **argv)
{
	int n, next = 1;
	pid_t pids[64];

	demo_start(argc, argv, &spec, &args);
	demo_name_process("pool-main");
	n = demo_or(args.count, demo_cpu_count());
	if (n > 64)
		demo_die(0, "at most 64 workers");
	printf("pool of %d workers, %d tasks per mode\n", n, n + 1);
	start_pool(n, pids);
	if (!demo_mode_is(&args, "async"))
		run_sync(n + 1, &next);
	if (!demo_mode_is(&args, "sync"))
		run_async(n + 1, &next);
	demo_phase("close");
	close(task_pipe[1]); /* close(): workers see EOF and exit */
	for (int i = 0; i < n; i++)
		demo_wait(pids[i]); /* join() */
	demo_phase("end");
	return 0;
}
