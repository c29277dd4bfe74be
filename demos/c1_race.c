/* c1_race.c - a data race: read-modify-write of a shared counter with a pause
 * in between loses updates; a mutex around it makes the result right. */
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define MAX_THREADS 1000

static const struct demo_spec spec = {
	.name = "c1_race",
	.summary = "100 threads do tmp = num; sleep; num = tmp - 1, without and with a lock",
	.explain =
		"num starts at 100. Each of 100 threads (\"sub-<i>\"; --count) reads num,\n"
		"sleeps 5 ms, and writes back what it read minus one.\n"
		" unlocked: all threads read 100 before anyone writes: result 99, not 0.\n"
		" locked:   the three steps are inside `num_lock`: result 0, but the\n"
		"           threads pass one at a time (100 x 5 ms).\n"
		"Look for: unlocked: a wrong result and no futex waits on a lock;\n"
		"locked: the right result and futex contention on `num_lock`, the\n"
		"threads Sleeping in futex, woken one by one by the previous holder.",
	.modes = (const char *const[]){ "all", "unlocked", "locked", NULL },
};

static struct demo_args args;
pthread_mutex_t num_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile long num;
static bool use_lock;

static void *sub_one(void *p)
{
	long tmp;

	if (use_lock)
		pthread_mutex_lock(&num_lock);
	THREADLINE_SECTION_ENTER(&num, "read-modify-write");
	tmp = num;
	demo_sleep_ms(demo_ms(&args, 5));
	num = tmp - 1;
	THREADLINE_SECTION_EXIT(&num);
	if (use_lock)
		pthread_mutex_unlock(&num_lock);
	(void)p;
	return NULL;
}

static long run(int n, bool with_lock)
{
	static pthread_t t[MAX_THREADS];
	uint64_t t0 = demo_now_ns();
	char name[32];
	int err;

	num = n;
	use_lock = with_lock;
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "sub-%d", i + 1);
		err = demo_thread_create(&t[i], name, sub_one, NULL);
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%-8s: num = %ld (expected 0) in %.0f ms\n", with_lock ? "locked" : "unlocked",
	       num, demo_ms_since(t0));
	return num;
}

int main(int argc, char **argv)
{
	bool all;
	int n;

	demo_start(argc, argv, &spec, &args);
	n = demo_or(args.count, 100);
	if (n > MAX_THREADS)
		demo_die(0, "at most %d threads", MAX_THREADS);
	all = demo_mode_is(&args, "all");
	if (all || demo_mode_is(&args, "unlocked")) {
		demo_phase("unlocked");
		run(n, false);
	}
	if (all || demo_mode_is(&args, "locked")) {
		demo_phase("locked");
		run(n, true);
	}
	demo_phase("end");
	return 0;
}
