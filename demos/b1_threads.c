/* b1_threads.c - threads start and join, and share their process's memory. */
#include <stdio.h>
#include <unistd.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define NTHREADS 3

static const struct demo_spec spec = {
	.name = "b1_threads",
	.summary = "main starts three threads and joins them one by one",
	.explain =
		"main starts \"worker-1\"..\"worker-3\"; worker-i sleeps, then computes,\n"
		"for i x 150 ms in all, and writes its result into a global array that\n"
		"main reads afterwards - threads share their process's memory.\n"
		"main joins worker-1, then worker-2, then worker-3.\n"
		"Look for: three clones with CLONE_THREAD, all with main's PID (tgid);\n"
		"main Sleeping in futex (the join) until each worker exits.",
};

static struct demo_args args;
static long results[NTHREADS + 1]; /* shared: written by the workers */

static void *worker(void *p)
{
	long i = (long)p;

	THREADLINE_TASK_BEGIN(i, "worker-task");
	demo_sleep_ms(demo_ms(&args, 50.0 * (double)i));
	demo_burn_cpu_ms(demo_ms(&args, 100.0 * (double)i));
	results[i] = i * 100 + (long)(gettid() % 100);
	THREADLINE_TASK_END(i);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS + 1];
	char name[32];
	int err;

	demo_start(argc, argv, &spec, &args);
	printf("main: PID %d, TID %d\n", (int)getpid(), (int)gettid());
	for (long i = 1; i <= NTHREADS; i++) {
		snprintf(name, sizeof(name), "worker-%ld", i);
		err = demo_thread_create(&t[i], name, worker, (void *)i);
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 1; i <= NTHREADS; i++) {
		uint64_t t0 = demo_now_ns();

		pthread_join(t[i], NULL);
		printf("main: joined worker-%d after waiting %.0f ms; it left %ld in shared memory\n",
		       i, demo_ms_since(t0), results[i]);
	}
	return 0;
}
