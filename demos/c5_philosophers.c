/* c5_philosophers.c - the dining philosophers: five threads, five forks
 * (mutexes), each takes the left fork then the right. Unfixed, all hold their
 * left fork and wait for the right forever; --fixed takes the lower-numbered
 * fork first, which breaks the cycle. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define N 5
#define MEALS 3

static const struct demo_spec spec = {
	.name = "c5_philosophers",
	.summary = "five philosophers, five forks; --fixed orders the forks",
	.explain =
		"\"philosopher-0\"..\"philosopher-4\" sit at a round table with a fork\n"
		"(mutex fork_0..fork_4) between neighbours. Each takes its left fork,\n"
		"thinks 100 ms, then reaches for its right fork: all five hold one fork\n"
		"and wait for the next - a deadlock, ended by a watchdog after --seconds\n"
		"(default 1.5 s). With --fixed each takes the lower-numbered of its two\n"
		"forks first (a global order), and every philosopher eats 3 times.\n"
		"Look for: unfixed: a wait-for cycle of 5 threads over fork_0..fork_4;\n"
		"fixed: no cycle, some futex waits, 3 \"eat\" marks per philosopher.",
	.default_seconds = 1.5,
};

static struct demo_args args;
pthread_mutex_t fork_0 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_1 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_2 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_3 = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t fork_4 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *const forks[N] = { &fork_0, &fork_1, &fork_2, &fork_3, &fork_4 };
static const char *const fork_names[N] = { "fork_0", "fork_1", "fork_2", "fork_3", "fork_4" };

static void take(int f)
{
	pthread_mutex_lock(forks[f]);
	THREADLINE_SECTION_ENTER(forks[f], fork_names[f]);
}

static void put(int f)
{
	THREADLINE_SECTION_EXIT(forks[f]);
	pthread_mutex_unlock(forks[f]);
}

static void *philosopher(void *p)
{
	int me = (int)(long)p, left = me, right = (me + 1) % N;
	int first = left, second = right;

	if (args.fixed && first > second) {
		first = right;
		second = left;
	}
	for (int meal = 1; meal <= MEALS; meal++) {
		take(first);
		demo_sleep_ms(demo_ms(&args, meal == 1 ? 100 : 10)); /* thinks, fork in hand */
		take(second);
		THREADLINE_TASK_BEGIN(me * 10 + meal, "eat");
		demo_sleep_ms(demo_ms(&args, 30));
		THREADLINE_TASK_END(me * 10 + meal);
		put(second);
		put(first);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[N];
	char name[32];
	int err;

	demo_start(argc, argv, &spec, &args);
	if (!args.fixed)
		demo_watchdog(args.seconds,
			      "deadlock - each philosopher holds its left fork and waits "
			      "for its right one, held by its neighbour; ending the process");
	for (long i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "philosopher-%ld", i);
		err = demo_thread_create(&t[i], name, philosopher, (void *)i);
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	printf("main: every philosopher ate %d times (forks taken in a global order)\n", MEALS);
	return 0;
}
