/* c4_deadlock.c - the classic deadlock: two threads take two locks in
 * opposite orders, each pausing in between, and wait for each other forever
 * (until the watchdog ends the demo). --fixed takes them in one order. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

static const struct demo_spec spec = {
	.name = "c4_deadlock",
	.summary = "two threads take mutexA and mutexB in opposite orders",
	.explain =
		"\"thread-1\" takes mutexA, pauses 100 ms, then wants mutexB;\n"
		"\"thread-2\" takes mutexB, pauses 100 ms, then wants mutexA.\n"
		"Each now holds what the other wants: neither can go on. A watchdog\n"
		"ends the demo after --seconds (default 1.5 s). With --fixed both take\n"
		"mutexA first, then mutexB, and both finish.\n"
		"Look for: a wait-for cycle: thread-1 Sleeping in futex on mutexB, held\n"
		"by thread-2, Sleeping in futex on mutexA, held by thread-1 - until the\n"
		"process is ended.",
	.default_seconds = 1.5,
};

static struct demo_args args;
pthread_mutex_t mutexA = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t mutexB = PTHREAD_MUTEX_INITIALIZER;

struct order {
	pthread_mutex_t *first, *second;
	const char *first_name, *second_name;
};

static void *worker(void *p)
{
	const struct order *o = p;
	char me[16] = "";

	pthread_getname_np(pthread_self(), me, sizeof(me));
	pthread_mutex_lock(o->first);
	THREADLINE_SECTION_ENTER(o->first, o->first_name);
	printf("%s: got %s, pausing\n", me, o->first_name);
	demo_sleep_ms(demo_ms(&args, 100));
	printf("%s: waiting for %s\n", me, o->second_name);
	pthread_mutex_lock(o->second);
	THREADLINE_SECTION_ENTER(o->second, o->second_name);
	printf("%s: got %s too, working\n", me, o->second_name);
	demo_sleep_ms(demo_ms(&args, 20));
	THREADLINE_SECTION_EXIT(o->second);
	pthread_mutex_unlock(o->second);
	THREADLINE_SECTION_EXIT(o->first);
	pthread_mutex_unlock(o->first);
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct order a_then_b = { &mutexA, &mutexB, "mutexA", "mutexB" };
	static const struct order b_then_a = { &mutexB, &mutexA, "mutexB", "mutexA" };
	pthread_t t1, t2;
	int err;

	demo_start(argc, argv, &spec, &args);
	if (!args.fixed)
		demo_watchdog(args.seconds,
			      "deadlock - thread-1 holds mutexA and waits for mutexB, "
			      "thread-2 holds mutexB and waits for mutexA; ending the process");
	err = demo_thread_create(&t1, "thread-1", worker, (void *)&a_then_b);
	err = err ? err : demo_thread_create(&t2, "thread-2", worker,
					      (void *)(args.fixed ? &a_then_b : &b_then_a));
	if (err)
		demo_die(err, "pthread_create");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("main: both threads finished (locks taken in one order: no deadlock)\n");
	return 0;
}
