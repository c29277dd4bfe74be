/* stack_lock.c - test helper for off-CPU stacks (record -g): a thread named
 * "locker" blocks in pthread_mutex_lock, called from two nested functions
 * of its own (and a third inlined into the inner one), while main holds
 * the mutex; five rounds, the same way each
 * time. Built with -O1 -g and without frame pointers (the Makefile), like
 * Debian's glibc it goes through: only the CFI leads back to these
 * functions. The integration test finds the lines marked LOCK_LINE and
 * TAKE_LINE. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define ROUNDS 5

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t ready, done;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* always inlined: no frame of its own, only DWARF tells it is there */
static inline __attribute__((always_inline)) void take_held(void)
{
	pthread_mutex_lock(&held); /* LOCK_LINE */
}

/* noinline: each is a frame of its own, as the test expects */
static __attribute__((noinline)) void inner_fn(void)
{
	take_held(); /* TAKE_LINE */
	pthread_mutex_unlock(&held);
}

static __attribute__((noinline)) void outer_fn(void)
{
	inner_fn();
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

static void *locker(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "locker");
	for (int i = 0; i < ROUNDS; i++) {
		pthread_barrier_wait(&ready);
		outer_fn();
		pthread_barrier_wait(&done);
	}
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_barrier_init(&ready, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	if (pthread_create(&t, NULL, locker, NULL))
		return 1;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&held);
		pthread_barrier_wait(&ready);
		sleep_ms(60); /* locker waits in inner_fn meanwhile */
		pthread_mutex_unlock(&held);
		/* not before the locker had its turn: the mutex is not fair */
		pthread_barrier_wait(&done);
	}
	pthread_join(t, NULL);
	puts("stack_lock: done");
	return 0;
}
