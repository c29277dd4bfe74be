/* c3_rlock.c - a recursive lock (RLock): the thread that holds it may take
 * it again; it counts acquisitions and is free after as many releases. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define DEPTH 3

static const struct demo_spec spec = {
	.name = "c3_rlock",
	.summary = "a recursive mutex taken and released several times by one thread",
	.explain =
		"`rlock` is a recursive mutex. Thread \"owner\" takes it, then calls a\n"
		"function that takes it again, and so on 3 levels deep, working 50 ms at\n"
		"each level, then releases it as many times. Afterwards \"next-owner\"\n"
		"does the same - the lock is free again.\n"
		"Look for: no blocking at all: no futex waits on `rlock`, the threads\n"
		"only Running or sleeping in their own pauses (section marks show the\n"
		"nesting).",
};

static struct demo_args args;
pthread_mutex_t rlock;

static void nested(int level)
{
	pthread_mutex_lock(&rlock);
	THREADLINE_SECTION_ENTER(&rlock, "rlock");
	printf("  level %d: holding rlock (%d acquisitions)\n", level, level);
	demo_burn_cpu_ms(demo_ms(&args, 25));
	demo_sleep_ms(demo_ms(&args, 25));
	if (level < DEPTH)
		nested(level + 1);
	THREADLINE_SECTION_EXIT(&rlock);
	pthread_mutex_unlock(&rlock);
}

static void *owner(void *unused)
{
	char name[16] = "";

	(void)unused;
	pthread_getname_np(pthread_self(), name, sizeof(name));
	printf("%s:\n", name);
	nested(1);
	printf("%s: released rlock %d times, it is free\n", name, DEPTH);
	return NULL;
}

static void run(const char *name)
{
	pthread_t t;
	int err = demo_thread_create(&t, name, owner, NULL);

	if (err)
		demo_die(err, "pthread_create");
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t attr;

	demo_start(argc, argv, &spec, &args);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rlock, &attr);
	pthread_mutexattr_destroy(&attr);
	run("owner");
	run("next-owner");
	return 0;
}
