/* h4_concurrency_vs_parallelism.c - H4: concurrency is not parallelism.
 * The same two CPU-bound threads run once confined to one core (they take
 * turns: concurrent, not parallel) and once on a core each (parallel). */
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>

#include "demo.h"

#define THREADS 2

static const struct demo_spec spec = {
	.name = "h4_concurrency_vs_parallelism",
	.summary = "two CPU-bound threads on one core (concurrent) vs two cores (parallel)",
	.explain =
		"Phase one-core: threads 'one-core-1' and 'one-core-2' are both\n"
		"confined to CPU 0 with sched_setaffinity and each compute 250 ms\n"
		"of CPU time. Phase two-cores: the same work by 'two-cores-1' on\n"
		"CPU 0 and 'two-cores-2' on CPU 1.\n"
		"Look for: one-core: both threads alive and ready (concurrency 2) but\n"
		"only one Running at a time (parallelism 1), taking turns, ~500 ms;\n"
		"two-cores: both Running at once (parallelism 2), ~250 ms.\n"
		"(The demo raises its priority to nice -10 when permitted, so that\n"
		"other work on the machine does not take the second core.)",
	.modes = (const char *const[]){ "both", "one-core", "two-cores", NULL },
};

static double work_ms;

static void allow_all(int ncpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		CPU_SET(c, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *worker(void *arg)
{
	demo_pin_cpu((int)(long)arg);
	demo_burn_cpu_ms(work_ms);
	return NULL;
}

/* Runs the two workers, worker i on CPU cpus[i]. */
static double run_pair(const char *prefix, const int *cpus)
{
	pthread_t t[THREADS];
	uint64_t t0 = demo_now_ns();

	for (int i = 0; i < THREADS; i++) {
		char name[32];
		int err;

		snprintf(name, sizeof(name), "%s-%d", prefix, i + 1);
		err = demo_thread_create(&t[i], name, worker, (void *)(long)cpus[i]);
		if (err)
			demo_die(err, "cannot start %s", name);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	return demo_ms_since(t0);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	int ncpu = demo_cpu_count();

	demo_start(argc, argv, &spec, &a);
	work_ms = demo_ms(&a, 250);
	/* the threads inherit it; without privileges the demo still runs */
	if (setpriority(PRIO_PROCESS, 0, -10) < 0)
		printf("(running at normal priority: other load may blur phase two)\n");
	if (!demo_mode_is(&a, "two-cores")) {
		static const int same[THREADS] = { 0, 0 };

		demo_phase("one-core");
		demo_pin_cpu(0); /* main too, so no thread ever runs beside another */
		printf("one core:  2 x %.0f ms of work took %.0f ms\n", work_ms,
		       run_pair("one-core", same));
	}
	if (!demo_mode_is(&a, "one-core")) {
		const int own[THREADS] = { 0, ncpu > 1 ? 1 : 0 };

		if (ncpu < 2)
			printf("two cores: this machine has one CPU, no parallelism\n");
		demo_phase("two-cores");
		allow_all(ncpu);
		printf("two cores: 2 x %.0f ms of work took %.0f ms\n", work_ms,
		       run_pair("two-cores", own));
	}
	demo_phase("end");
	return 0;
}
