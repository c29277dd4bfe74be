/* c7_semaphore.c - a counting semaphore as a connection pool: 20 threads,
 * at most 5 inside at any time. */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define NTHREADS_MAX 200
#define POOL_SIZE 5

static const struct demo_spec spec = {
	.name = "c7_semaphore",
	.summary = "20 threads pass through a semaphore of 5 (a connection pool)",
	.explain =
		"`pool_sem` is a semaphore of 5: a pool of 5 connections. 20 threads\n"
		"(\"conn-1\"..\"conn-20\"; --count) each take one (sem_wait), use it for\n"
		"100 ms and give it back (sem_post) - four waves of five.\n"
		"Look for: never more than 5 threads inside the \"pool\" section (USDT\n"
		"section marks); the others Sleeping in futex on `pool_sem`, each woken\n"
		"by a thread that leaves.",
};

static struct demo_args args;
sem_t pool_sem;
static atomic_int inside, max_inside;

static void *conn(void *p)
{
	int now, seen;

	(void)p;
	while (sem_wait(&pool_sem) < 0 && errno == EINTR)
		;
	THREADLINE_SECTION_ENTER(&pool_sem, "pool");
	now = atomic_fetch_add(&inside, 1) + 1;
	seen = atomic_load(&max_inside);
	while (now > seen && !atomic_compare_exchange_weak(&max_inside, &seen, now))
		;
	demo_sleep_ms(demo_ms(&args, 100));
	atomic_fetch_sub(&inside, 1);
	THREADLINE_SECTION_EXIT(&pool_sem);
	sem_post(&pool_sem);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS_MAX];
	uint64_t t0;
	char name[32];
	int n, err;

	demo_start(argc, argv, &spec, &args);
	n = demo_or(args.count, 20);
	if (n > NTHREADS_MAX)
		demo_die(0, "at most %d threads", NTHREADS_MAX);
	if (sem_init(&pool_sem, 0, POOL_SIZE) < 0)
		demo_die(errno, "sem_init");
	t0 = demo_now_ns();
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "conn-%d", i + 1);
		err = demo_thread_create(&t[i], name, conn, NULL);
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("%d threads through a pool of %d in %.0f ms; at most %d inside at once\n",
	       n, POOL_SIZE, demo_ms_since(t0), atomic_load(&max_inside));
	return 0;
}
