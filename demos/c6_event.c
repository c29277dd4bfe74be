/* c6_event.c - an Event (a flag threads can wait for): workers wait until
 * main says the service is ready; a variant waits with a timeout in a loop,
 * logging each time it gives up waiting. */
#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define NWORKERS 2

static const struct demo_spec spec = {
	.name = "c6_event",
	.summary = "two workers wait for \"service ready\"; plain wait, then wait with timeout",
	.explain =
		"An Event is a flag with a lock (`event_lock`) and a condition variable.\n"
		" wait:    \"worker-1\", \"worker-2\" call wait(); main checks the service\n"
		"          for 500 ms, then set()s the event: both wake and connect.\n"
		" timeout: \"waiter-1\", \"waiter-2\" call wait(0.3 s) in a loop, logging\n"
		"          \"still not ready\" each time; main sets it after 1.1 s.\n"
		"Look for: the workers Sleeping in futex until the set; wakeup arrows\n"
		"from main to each worker at that instant; in the timeout phase the\n"
		"waiters' periodic wake-ups (timer expiries) every 300 ms before it.",
	.modes = (const char *const[]){ "all", "wait", "timeout", NULL },
};

struct event {
	bool flag;
	pthread_cond_t cond;
};

static struct demo_args args;
pthread_mutex_t event_lock = PTHREAD_MUTEX_INITIALIZER;
static struct event service_ready = { .cond = PTHREAD_COND_INITIALIZER };

static void event_set(struct event *e)
{
	pthread_mutex_lock(&event_lock);
	e->flag = true;
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&event_lock);
}

/* Waits until set or until timeout_ms (< 0: no limit); returns the flag. */
static bool event_wait(struct event *e, double timeout_ms)
{
	struct timespec dl;
	bool flag;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(timeout_ms / 1000);
	dl.tv_nsec += (long)((timeout_ms - (double)(long)(timeout_ms / 1000) * 1000) * 1e6);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&event_lock);
	while (!e->flag) {
		if (timeout_ms < 0)
			pthread_cond_wait(&e->cond, &event_lock);
		else if (pthread_cond_timedwait(&e->cond, &event_lock, &dl) == ETIMEDOUT)
			break;
	}
	flag = e->flag;
	pthread_mutex_unlock(&event_lock);
	return flag;
}

static void *worker(void *p)
{
	long id = (long)p;

	event_wait(&service_ready, -1);
	THREADLINE_MARK(id, "event-seen");
	printf("worker-%ld: service is ready, connecting\n", id);
	return NULL;
}

static void *waiter(void *p)
{
	long id = (long)p;

	while (!event_wait(&service_ready, demo_ms(&args, 300))) {
		THREADLINE_MARK(id, "wait-timeout");
		printf("waiter-%ld: still not ready, waiting again\n", id);
	}
	THREADLINE_MARK(id, "event-seen");
	printf("waiter-%ld: service is ready, connecting\n", id);
	return NULL;
}

static void run(const char *prefix, void *(*fn)(void *), double check_ms)
{
	pthread_t t[NWORKERS];
	char name[32];
	int err;

	service_ready.flag = false;
	for (long i = 0; i < NWORKERS; i++) {
		snprintf(name, sizeof(name), "%s-%ld", prefix, i + 1);
		err = demo_thread_create(&t[i], name, fn, (void *)(i + 1));
		if (err)
			demo_die(err, "pthread_create");
	}
	printf("main: checking the service (%.0f ms)...\n", check_ms);
	demo_sleep_ms(check_ms);
	printf("main: service ready - set()\n");
	THREADLINE_MARK(0, "event-set");
	event_set(&service_ready);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	bool all;

	demo_start(argc, argv, &spec, &args);
	all = demo_mode_is(&args, "all");
	if (all || demo_mode_is(&args, "wait")) {
		demo_phase("wait");
		run("worker", worker, demo_ms(&args, 500));
	}
	if (all || demo_mode_is(&args, "timeout")) {
		demo_phase("timeout");
		run("waiter", waiter, demo_ms(&args, 1100));
	}
	demo_phase("end");
	return 0;
}
