/* b3_gil.c - a global interpreter lock: CPU-bound threads that must hold one
 * lock to compute cannot run in parallel, however many cores there are.
 * Compared with the same threads without the lock and with processes. */
#include <stdio.h>
#include <string.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define SWITCH_INTERVAL_MS 5.0 /* like Python's sys.getswitchinterval() */
#define MAX_WORKERS 64

static const struct demo_spec spec = {
	.name = "b3_gil",
	.summary = "CPU-bound threads under one global lock, without it, and as processes",
	.explain =
		"N CPU-bound workers (N = --count, default max(2, CPUs)) each do\n"
		"--seconds (default 0.4 s) of computing, in three ways (phases):\n"
		" gil:       threads \"gil-thread-<i>\" that must hold the global lock\n"
		"            `gil` to compute, dropping it every 5 ms switch interval and\n"
		"            taking it straight back, like an interpreter loop;\n"
		" nogil:     the same threads without the lock;\n"
		" processes: child processes \"gil-proc-<i>\", each with its own lock.\n"
		"Look for: gil: parallelism <= 1 nearly all the time, futex contention on\n"
		"`gil`, and wakeups that fail to get it (woken, run briefly, block again);\n"
		"nogil and processes: parallelism 2 on 2 cores, about half the wall time.",
	.modes = (const char *const[]){ "all", "gil", "nogil", "processes", NULL },
	.default_seconds = 0.4,
};

static struct demo_args args;
pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static bool use_gil;

/* The "interpreter loop": compute in switch intervals; with the GIL, hold it
 * while computing and release it between intervals. */
static void run_bytecode(long id)
{
	double left = args.seconds * 1000.0;

	THREADLINE_TASK_BEGIN(id, "compute");
	while (left > 0) {
		double slice = left < SWITCH_INTERVAL_MS ? left : SWITCH_INTERVAL_MS;

		if (use_gil)
			pthread_mutex_lock(&gil);
		demo_burn_cpu_ms(slice);
		if (use_gil)
			pthread_mutex_unlock(&gil);
		left -= slice;
	}
	THREADLINE_TASK_END(id);
}

static void *thread_main(void *p)
{
	run_bytecode((long)p);
	return NULL;
}

static int process_main(void *p)
{
	use_gil = true; /* each process has its own interpreter lock */
	run_bytecode((long)p);
	return 0;
}

static double run_threads(int n, bool with_gil, const char *prefix)
{
	pthread_t t[MAX_WORKERS];
	uint64_t t0 = demo_now_ns();
	char name[32];
	int err;

	use_gil = with_gil;
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%ld", prefix, i + 1);
		err = demo_thread_create(&t[i], name, thread_main, (void *)(i + 1));
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return demo_ms_since(t0);
}

static double run_processes(int n)
{
	pid_t pids[MAX_WORKERS];
	uint64_t t0 = demo_now_ns();
	char name[32];

	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "gil-proc-%ld", i + 1);
		pids[i] = demo_fork(name, process_main, (void *)(i + 1));
		if (pids[i] < 0)
			demo_die(pids[i], "fork");
	}
	for (int i = 0; i < n; i++)
		demo_wait(pids[i]);
	return demo_ms_since(t0);
}

static void show(const char *what, int n, double ms)
{
	printf("%-10s %d x %.0f ms of work in %5.0f ms wall (%.2f workers busy on average)\n",
	       what, n, args.seconds * 1000.0, ms, n * args.seconds * 1000.0 / ms);
}

int main(int argc, char **argv)
{
	bool all;
	int n;

	demo_start(argc, argv, &spec, &args);
	n = demo_or(args.count, demo_cpu_count() > 2 ? demo_cpu_count() : 2);
	if (n > MAX_WORKERS)
		demo_die(0, "at most %d workers", MAX_WORKERS);
	all = demo_mode_is(&args, "all");
	if (all || demo_mode_is(&args, "gil")) {
		demo_phase("gil");
		show("gil", n, run_threads(n, true, "gil-thread"));
	}
	if (all || demo_mode_is(&args, "nogil")) {
		demo_phase("nogil");
		show("nogil", n, run_threads(n, false, "nogil-thread"));
	}
	if (all || demo_mode_is(&args, "processes")) {
		demo_phase("processes");
		show("processes", n, run_processes(n));
	}
	demo_phase("end");
	return 0;
}
