/* h3_policies.c - H3: scheduling policies. Two normal (SCHED_OTHER)
 * processes with nice 0 and nice 10 share one CPU in proportion to their
 * weights; then, on one CPU, a SCHED_FIFO thread preempts two SCHED_RR
 * threads (which round-robin between themselves) and a normal one, and is
 * not preempted by any of them. Real-time policies need privileges: without
 * them that phase is skipped. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "demo.h"

#define RR_PRIO 10
#define FIFO_PRIO 20

static const struct demo_spec spec = {
	.name = "h3_policies",
	.summary = "nice levels share a CPU by weight; SCHED_FIFO beats SCHED_RR and normal",
	.explain =
		"Phase nice: processes 'nice-0' and 'nice-10', pinned to the same\n"
		"CPU, compute for 400 ms of wall time each; nice-0 gets ~90% of it.\n"
		"Phase realtime (root only): on that CPU, a normal thread 'normal',\n"
		"two SCHED_RR threads 'rr-1', 'rr-2' (priority 10) and, 100 ms later,\n"
		"a SCHED_FIFO thread 'fifo' (priority 20) compute.\n"
		"Look for: nice-0 Running ~9x longer than nice-10 while both are\n"
		"Runnable; rr-1/rr-2 alternating in 100 ms slices while 'normal'\n"
		"waits Runnable; 'fifo' taking the CPU at once and Running without a\n"
		"single preemption until it finishes.",
	.modes = (const char *const[]){ "both", "nice", "realtime", NULL },
};

static int cpu;         /* the CPU everything here competes for */
static double unit_ms;

static void pin_self(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* ---- phase nice ---------------------------------------------------------- */

static int nice_task(void *arg)
{
	int niceness = (int)(long)arg;
	uint64_t c0;

	pin_self();
	setpriority(PRIO_PROCESS, 0, niceness);
	c0 = demo_thread_cpu_ns();
	demo_burn_wall_ms(unit_ms * 4);
	printf("  nice-%d: %.0f ms of CPU in %.0f ms\n", niceness,
	       (double)(demo_thread_cpu_ns() - c0) / 1e6, unit_ms * 4);
	return 0;
}

static void nice_phase(void)
{
	pid_t p0 = demo_fork("nice-0", nice_task, (void *)0L);
	pid_t p10 = demo_fork("nice-10", nice_task, (void *)10L);

	if (p0 < 0 || p10 < 0)
		demo_die(p0 < 0 ? p0 : p10, "fork");
	demo_wait(p0);
	demo_wait(p10);
}

/* ---- phase realtime ------------------------------------------------------ */

struct rt_role {
	const char *name;
	int policy, prio;
	double cpu_ms;
};

static void *rt_task(void *arg)
{
	const struct rt_role *r = arg;
	struct sched_param sp = { .sched_priority = r->prio };
	uint64_t t0 = demo_now_ns();

	/* policy before affinity: arrive on the contested CPU already real-time */
	if (r->policy != SCHED_OTHER)
		pthread_setschedparam(pthread_self(), r->policy, &sp);
	pin_self();
	demo_burn_cpu_ms(r->cpu_ms);
	printf("  %-6s: %.0f ms of CPU, done %.0f ms after it started\n", r->name,
	       r->cpu_ms, demo_ms_since(t0));
	return NULL;
}

static bool rt_permitted(void)
{
	struct sched_param sp = { .sched_priority = 1 }, none = { 0 };

	if (pthread_setschedparam(pthread_self(), SCHED_RR, &sp) != 0)
		return false;
	pthread_setschedparam(pthread_self(), SCHED_OTHER, &none);
	return true;
}

static void realtime_phase(void)
{
	const struct rt_role roles[4] = {
		{ "normal", SCHED_OTHER, 0, unit_ms },
		{ "rr-1", SCHED_RR, RR_PRIO, unit_ms * 2 },
		{ "rr-2", SCHED_RR, RR_PRIO, unit_ms * 2 },
		{ "fifo", SCHED_FIFO, FIFO_PRIO, unit_ms * 1.5 },
	};
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		/* normal first, the RR pair 10 ms later, fifo once they run */
		if (i == 1)
			demo_sleep_ms(10);
		if (i == 3)
			demo_sleep_ms(unit_ms);
		if (demo_thread_create(&t[i], roles[i].name, rt_task, (void *)&roles[i]))
			demo_die(0, "cannot start thread %s", roles[i].name);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	int ncpu = demo_cpu_count();
	cpu_set_t others;

	demo_start(argc, argv, &spec, &a);
	unit_ms = demo_ms(&a, 100);
	cpu = ncpu - 1;
	/* keep main off the contested CPU so it can still start threads */
	CPU_ZERO(&others);
	for (int c = 0; c < ncpu - 1; c++)
		CPU_SET(c, &others);
	if (ncpu > 1)
		sched_setaffinity(0, sizeof(others), &others);
	if (!demo_mode_is(&a, "realtime")) {
		demo_phase("nice");
		nice_phase();
	}
	if (!demo_mode_is(&a, "nice")) {
		if (ncpu < 2)
			printf("realtime: skipped (needs 2 CPUs: one to starve safely)\n");
		else if (!rt_permitted())
			printf("realtime: skipped (SCHED_FIFO/RR not permitted: run as root or"
			       " with CAP_SYS_NICE)\n");
		else {
			demo_phase("realtime");
			realtime_phase();
		}
	}
	demo_phase("end");
	return 0;
}
