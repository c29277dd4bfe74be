/* c2_mutex_self_deadlock.c - a plain mutex taken twice by the same thread
 * waits for itself forever; a timed lock bounds the wait so the demo ends. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

static const struct demo_spec spec = {
	.name = "c2_mutex_self_deadlock",
	.summary = "acquire/release a mutex, then acquire it twice in the same thread",
	.explain =
		"Thread \"key-holder\" takes the plain (non-recursive) mutex `lock` and\n"
		"releases it - fine. Then it takes `lock` and, still holding it, asks for\n"
		"it again: it now waits for a lock that it owns itself, which would\n"
		"never end. A timed lock gives up after --seconds (default 1 s).\n"
		"Look for: the thread Sleeping in futex on the address of `lock` while\n"
		"it is that lock's owner - a self-deadlock.",
	.default_seconds = 1.0,
};

static struct demo_args args;
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *key_holder(void *unused)
{
	struct timespec deadline;
	int err;

	(void)unused;
	pthread_mutex_lock(&lock);
	printf("key-holder: took the key (lock)\n");
	pthread_mutex_unlock(&lock);
	printf("key-holder: gave it back\n");
	demo_sleep_ms(demo_ms(&args, 100));

	pthread_mutex_lock(&lock);
	THREADLINE_SECTION_ENTER(&lock, "lock");
	printf("key-holder: took the key again, and asks for it once more...\n");
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)args.seconds;
	deadline.tv_nsec += (long)((args.seconds - (double)(time_t)args.seconds) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	err = pthread_mutex_timedlock(&lock, &deadline);
	printf("key-holder: second acquire: %s - it waited for itself; a plain lock\n"
	       "            would have waited forever (a recursive lock would not: see c3)\n",
	       err == ETIMEDOUT ? "timed out (ETIMEDOUT)" : err ? strerror(err) : "acquired?!");
	if (!err)
		pthread_mutex_unlock(&lock);
	THREADLINE_SECTION_EXIT(&lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int err;

	demo_start(argc, argv, &spec, &args);
	err = demo_thread_create(&t, "key-holder", key_holder, NULL);
	if (err)
		demo_die(err, "pthread_create");
	pthread_join(t, NULL);
	return 0;
}
