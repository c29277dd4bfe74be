/* a2_process_parallel.c - CPU-bound work split over processes runs in
 * parallel: two tasks one after the other, then one child process each. */
#include <stdio.h>
#include <sys/wait.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define NTASKS 2

static const struct demo_spec spec = {
	.name = "a2_process_parallel",
	.summary = "two CPU tasks run serially, then in two child processes",
	.explain =
		"Two CPU-bound tasks (--seconds each, default 0.4 s of CPU) first run\n"
		"one after the other in the main process (phase \"serial\"), then in two\n"
		"child processes \"worker-1\" and \"worker-2\" started together (phase\n"
		"\"processes\"), while the parent waits for both.\n"
		"Look for: serial phase parallelism 1; process phase parallelism 2 on a\n"
		"2-core machine and about half the wall time; the parent Sleeping in\n"
		"wait4 until the last worker exits.",
	.default_seconds = 0.4,
};

static struct demo_args args;

static void task(long id)
{
	THREADLINE_TASK_BEGIN(id, "cpu-task");
	demo_burn_cpu_ms(args.seconds * 1000.0);
	THREADLINE_TASK_END(id);
}

static int worker_main(void *p)
{
	task((long)p);
	return 0;
}

static double run_serial(void)
{
	uint64_t t0 = demo_now_ns();

	for (long i = 1; i <= NTASKS; i++)
		task(i);
	return demo_ms_since(t0);
}

static double run_processes(void)
{
	uint64_t t0 = demo_now_ns();
	pid_t pids[NTASKS];
	char name[32];

	for (long i = 0; i < NTASKS; i++) {
		snprintf(name, sizeof(name), "worker-%ld", i + 1);
		pids[i] = demo_fork(name, worker_main, (void *)(i + 1 + NTASKS));
		if (pids[i] < 0)
			demo_die(pids[i], "fork");
	}
	for (int i = 0; i < NTASKS; i++)
		if (demo_wait(pids[i]) < 0)
			demo_die(0, "waitpid failed");
	return demo_ms_since(t0);
}

int main(int argc, char **argv)
{
	double serial, parallel;

	demo_start(argc, argv, &spec, &args);
	demo_name_process("parent");
	demo_phase("serial");
	serial = run_serial();
	printf("serial:    %d tasks in %.0f ms\n", NTASKS, serial);
	demo_phase("processes");
	parallel = run_processes();
	demo_phase("end");
	printf("processes: %d tasks in %.0f ms (speed-up %.2fx on %d CPUs)\n", NTASKS,
	       parallel, serial / parallel, demo_cpu_count());
	return 0;
}
