/* b4_io_vs_cpu.c - threads help I/O-bound work, not CPU-bound work under an
 * interpreter lock: the same tasks run serially and with threads. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define MAX_TASKS 64

static const struct demo_spec spec = {
	.name = "b4_io_vs_cpu",
	.summary = "the same I/O-bound and CPU-bound tasks, serially and with threads",
	.explain =
		"N tasks (--count, default 4) of two kinds, each run serially by main\n"
		"and then by N threads at once (phases io-serial, io-threads,\n"
		"cpu-serial, cpu-threads):\n"
		" I/O-bound: wait 200 ms for a pipe to become readable (nothing is\n"
		"            ever written: it stands for a slow disk or network);\n"
		" CPU-bound: compute 100 ms while holding the interpreter lock `gil`.\n"
		"Look for: the I/O threads' Sleeping intervals (in poll) overlap, so the\n"
		"phase takes about one task's time; the CPU threads under the lock do\n"
		"not speed up at all (parallelism stays 1, futex waits on `gil`).",
	.modes = (const char *const[]){ "all", "io", "cpu", NULL },
};

static struct demo_args args;
pthread_mutex_t gil = PTHREAD_MUTEX_INITIALIZER;
static int idle_pipe[2]; /* never written: reads on it only ever time out */

static void io_task(long id)
{
	struct pollfd pfd = { .fd = idle_pipe[0], .events = POLLIN };

	THREADLINE_TASK_BEGIN(id, "io-task");
	poll(&pfd, 1, (int)demo_ms(&args, 200));
	THREADLINE_TASK_END(id);
}

static void cpu_task(long id)
{
	double left = demo_ms(&args, 100);

	THREADLINE_TASK_BEGIN(id, "cpu-task");
	for (; left > 0; left -= 5) { /* 5 ms switch interval */
		pthread_mutex_lock(&gil);
		demo_burn_cpu_ms(left < 5 ? left : 5);
		pthread_mutex_unlock(&gil);
	}
	THREADLINE_TASK_END(id);
}

static void *io_thread(void *p) { io_task((long)p); return NULL; }
static void *cpu_thread(void *p) { cpu_task((long)p); return NULL; }

static double serial(void (*task)(long), int n)
{
	uint64_t t0 = demo_now_ns();

	for (long i = 1; i <= n; i++)
		task(i);
	return demo_ms_since(t0);
}

static double threaded(void *(*fn)(void *), const char *prefix, int n)
{
	pthread_t t[MAX_TASKS];
	uint64_t t0 = demo_now_ns();
	char name[32];
	int err;

	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s-%ld", prefix, i + 1);
		err = demo_thread_create(&t[i], name, fn, (void *)(i + 1));
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	return demo_ms_since(t0);
}

int main(int argc, char **argv)
{
	bool all;
	int n;

	demo_start(argc, argv, &spec, &args);
	n = demo_or(args.count, 4);
	if (n > MAX_TASKS)
		demo_die(0, "at most %d tasks", MAX_TASKS);
	if (pipe(idle_pipe) < 0)
		demo_die(errno, "pipe");
	all = demo_mode_is(&args, "all");
	if (all || demo_mode_is(&args, "io")) {
		demo_phase("io-serial");
		printf("I/O-bound,  serial:    %5.0f ms\n", serial(io_task, n));
		demo_phase("io-threads");
		printf("I/O-bound,  %d threads: %5.0f ms\n", n, threaded(io_thread, "io-thread", n));
	}
	if (all || demo_mode_is(&args, "cpu")) {
		demo_phase("cpu-serial");
		printf("CPU-bound,  serial:    %5.0f ms\n", serial(cpu_task, n));
		demo_phase("cpu-threads");
		printf("CPU-bound,  %d threads: %5.0f ms\n", n, threaded(cpu_thread, "cpu-thread", n));
	}
	demo_phase("end");
	return 0;
}
