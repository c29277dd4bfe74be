/* h1_timeslicing.c - H1: more CPU-bound tasks than cores. cpu_count + 2
 * processes all want a CPU all the time; the scheduler gives each one
 * slices in turn, so they all make progress (the illusion of parallelism)
 * but only cpu_count of them run at any instant. */
#include <stdio.h>
#include <unistd.h>

#include "demo.h"

#define MAX_TASKS 64

static const struct demo_spec spec = {
	.name = "h1_timeslicing",
	.summary = "cpu_count + 2 CPU-bound processes share the cores by time slicing",
	.explain =
		"cpu_count + 2 processes 'task-N' each compute for 400 ms of CPU\n"
		"time. There are more of them than cores, so the scheduler slices:\n"
		"each task runs a few milliseconds, is preempted, waits, runs again.\n"
		"Look for: every task with Runnable time (waiting for a CPU) and\n"
		"involuntary switches (preemptions); the number Running at once never\n"
		"above the CPU count; each task's wall time well above its 400 ms.",
};

static double cpu_ms;

static int task(void *arg)
{
	uint64_t t0 = demo_now_ns();

	demo_burn_cpu_ms(cpu_ms);
	printf("  task-%ld: %.0f ms of CPU took %.0f ms of wall time\n", (long)arg,
	       cpu_ms, demo_ms_since(t0));
	return 0;
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_TASKS];
	struct demo_args a;
	int ncpu = demo_cpu_count(), n, ok = 0;
	uint64_t t0;

	demo_start(argc, argv, &spec, &a);
	n = demo_or(a.count, ncpu + 2);
	if (n > MAX_TASKS)
		demo_die(0, "at most %d tasks", MAX_TASKS);
	cpu_ms = demo_ms(&a, 400);
	printf("%d CPUs, %d CPU-bound tasks\n", ncpu, n);
	t0 = demo_now_ns();
	demo_phase("timeslicing");
	for (long i = 0; i < n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "task-%ld", i + 1);
		pids[i] = demo_fork(name, task, (void *)(i + 1));
		if (pids[i] < 0)
			demo_die(pids[i], "fork");
	}
	for (int i = 0; i < n; i++)
		ok += demo_wait(pids[i]) == 0;
	demo_phase("end");
	printf("%d tasks x %.0f ms of CPU on %d CPUs: %.0f ms wall (ideal %.0f)\n", n,
	       cpu_ms, ncpu, demo_ms_since(t0), cpu_ms * n / (ncpu < n ? ncpu : n));
	return ok == n ? 0 : 1;
}
