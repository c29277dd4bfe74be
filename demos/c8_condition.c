/* c8_condition.c - a condition variable with a predicate: notify (signal)
 * wakes one waiter, notify_all (broadcast) wakes every waiter at once. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define NWAITERS 4

static const struct demo_spec spec = {
	.name = "c8_condition",
	.summary = "four waiters on one condition: notify one at a time, then notify all",
	.explain =
		"Condition `cond` with lock `cond_lock`; waiters always re-check their\n"
		"predicate after waking.\n"
		" notify:     \"consumer-1\"..\"consumer-4\" wait for items > 0; main adds\n"
		"             one item every 100 ms and calls notify (signal): each call\n"
		"             wakes exactly one consumer.\n"
		" notify-all: \"runner-1\"..\"runner-4\" wait for the start flag; main sets\n"
		"             it after 200 ms and calls notify_all (broadcast).\n"
		"Look for: notify: one wakeup arrow from main per call; notify-all: one\n"
		"call from main wakes all four runners at the same instant (fan-out).",
	.modes = (const char *const[]){ "all", "notify", "notify-all", NULL },
};

static struct demo_args args;
pthread_mutex_t cond_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int items;
static bool start_flag;

static void *consumer(void *p)
{
	long id = (long)p;

	pthread_mutex_lock(&cond_lock);
	while (items == 0)
		pthread_cond_wait(&cond, &cond_lock);
	items--;
	pthread_mutex_unlock(&cond_lock);
	THREADLINE_MARK(id, "consumed");
	return NULL;
}

static void *runner(void *p)
{
	long id = (long)p;

	pthread_mutex_lock(&cond_lock);
	while (!start_flag)
		pthread_cond_wait(&cond, &cond_lock);
	pthread_mutex_unlock(&cond_lock);
	THREADLINE_MARK(id, "started");
	return NULL;
}

static void start(pthread_t *t, const char *prefix, void *(*fn)(void *))
{
	char name[32];
	int err;

	for (long i = 0; i < NWAITERS; i++) {
		snprintf(name, sizeof(name), "%s-%ld", prefix, i + 1);
		err = demo_thread_create(&t[i], name, fn, (void *)(i + 1));
		if (err)
			demo_die(err, "pthread_create");
	}
}

static void join_all(pthread_t *t)
{
	for (int i = 0; i < NWAITERS; i++)
		pthread_join(t[i], NULL);
}

static void run_notify(void)
{
	pthread_t t[NWAITERS];

	start(t, "consumer", consumer);
	for (int i = 1; i <= NWAITERS; i++) {
		demo_sleep_ms(demo_ms(&args, 100));
		pthread_mutex_lock(&cond_lock);
		items++;
		THREADLINE_MARK(i, "notify");
		pthread_cond_signal(&cond);
		pthread_mutex_unlock(&cond_lock);
		printf("main: item %d added, notify() - one consumer wakes\n", i);
	}
	join_all(t);
}

static void run_notify_all(void)
{
	pthread_t t[NWAITERS];

	start(t, "runner", runner);
	demo_sleep_ms(demo_ms(&args, 200));
	pthread_mutex_lock(&cond_lock);
	start_flag = true;
	THREADLINE_MARK(NWAITERS, "notify-all");
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&cond_lock);
	printf("main: start flag set, notify_all() - every runner wakes\n");
	join_all(t);
}

int main(int argc, char **argv)
{
	bool all;

	demo_start(argc, argv, &spec, &args);
	all = demo_mode_is(&args, "all");
	if (all || demo_mode_is(&args, "notify")) {
		demo_phase("notify");
		run_notify();
	}
	if (all || demo_mode_is(&args, "notify-all")) {
		demo_phase("notify-all");
		run_notify_all();
	}
	demo_phase("end");
	return 0;
}
