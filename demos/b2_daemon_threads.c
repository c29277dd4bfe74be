/* b2_daemon_threads.c - daemon threads vs non-daemon threads: the program
 * waits for the non-daemon ones; daemon threads die when the process exits. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

static const struct demo_spec spec = {
	.name = "b2_daemon_threads",
	.summary = "two joined (non-daemon) threads and two detached daemon threads",
	.explain =
		"\"worker-1\" and \"worker-2\" are non-daemon threads: main joins them\n"
		"(they run 300 ms and 500 ms). \"daemon-1\" and \"daemon-2\" are detached\n"
		"daemon threads that would tick forever (compute 5 ms, sleep 20 ms).\n"
		"When the workers are done main returns, the process exits, and the\n"
		"daemons are killed wherever they are.\n"
		"Look for: the workers run to completion first; both daemon threads end\n"
		"at the very instant the process exits, not by finishing their work.",
};

static struct demo_args args;

static void *worker(void *p)
{
	long ms = (long)p;

	THREADLINE_TASK_BEGIN(ms, "non-daemon-work");
	demo_sleep_ms(demo_ms(&args, (double)ms / 2));
	demo_burn_cpu_ms(demo_ms(&args, (double)ms / 2));
	THREADLINE_TASK_END(ms);
	return NULL;
}

static void *daemon_thread(void *p)
{
	(void)p;
	for (long tick = 0;; tick++) {
		demo_burn_cpu_ms(5);
		demo_sleep_ms(20);
		THREADLINE_MARK(tick, "daemon-tick");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t w1, w2;
	int err;

	demo_start(argc, argv, &spec, &args);
	err = demo_thread_create_detached("daemon-1", daemon_thread, NULL);
	err = err ? err : demo_thread_create_detached("daemon-2", daemon_thread, NULL);
	err = err ? err : demo_thread_create(&w1, "worker-1", worker, (void *)300L);
	err = err ? err : demo_thread_create(&w2, "worker-2", worker, (void *)500L);
	if (err)
		demo_die(err, "pthread_create");
	pthread_join(w1, NULL);
	printf("main: worker-1 done\n");
	pthread_join(w2, NULL);
	printf("main: worker-2 done; returning - the daemon threads die with the process\n");
	return 0;
}
