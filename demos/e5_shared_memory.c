/* e5_shared_memory.c - E5: shared memory (multiprocessing's Value and
 * Array) guarded by one process-shared mutex: two processes update the same
 * array, and the lock's futex is contended across processes. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>

#include "demo.h"

#define SLOTS 10

struct shared {
	pthread_mutex_t lock; /* PTHREAD_PROCESS_SHARED: a shared futex */
	double value;         /* Value('d') */
	int arr[SLOTS];       /* Array('i', range(10)) */
};

static const struct demo_spec spec = {
	.name = "e5_shared_memory",
	.summary = "two processes update a shared array under a process-shared lock",
	.explain =
		"A shared mapping holds a double, an array of 10 ints and a\n"
		"process-shared mutex. 'worker-1' and 'worker-2' (two processes) each\n"
		"make 200 read-modify-write updates of the array, holding the lock\n"
		"for about 0.5 ms each time; the totals come out right.\n"
		"Look for: both workers blocking in futex on the SAME lock although\n"
		"they are different processes, and wakeup arrows between them at\n"
		"each unlock (contention shared across processes).",
};

static struct shared *sh;
static int rounds;
static double hold_ms;

static int worker(void *arg)
{
	long id = (long)arg;

	if (id == 1) {
		pthread_mutex_lock(&sh->lock);
		sh->value = 3.1415927;
		pthread_mutex_unlock(&sh->lock);
	}
	for (int i = 0; i < rounds; i++) {
		int slot = i % SLOTS, v;

		pthread_mutex_lock(&sh->lock);
		v = sh->arr[slot];
		demo_burn_cpu_ms(hold_ms); /* a long critical section */
		sh->arr[slot] = v + 1;
		pthread_mutex_unlock(&sh->lock);
		demo_burn_cpu_ms(hold_ms / 3);
	}
	return 0;
}

static struct shared *map_shared(void)
{
	pthread_mutexattr_t ma;
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		demo_die(-errno, "mmap");
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&s->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	for (int i = 0; i < SLOTS; i++)
		s->arr[i] = i;
	return s;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	pid_t w[2];
	int sum = 0, ok = 1;
	uint64_t t0;

	demo_start(argc, argv, &spec, &a);
	rounds = demo_or(a.count, 200);
	hold_ms = demo_ms(&a, 0.5);
	sh = map_shared();
	t0 = demo_now_ns();
	demo_phase("shared-lock");
	for (long i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "worker-%ld", i + 1);
		w[i] = demo_fork(name, worker, (void *)(i + 1));
		if (w[i] < 0)
			demo_die(w[i], "fork");
	}
	for (int i = 0; i < 2; i++)
		ok &= demo_wait(w[i]) == 0;
	demo_phase("end");
	printf("value = %.7f\narr =", sh->value);
	for (int i = 0; i < SLOTS; i++) {
		printf(" %d", sh->arr[i]);
		sum += sh->arr[i] - i;
	}
	printf("\n%d updates counted of %d expected, in %.0f ms\n", sum, 2 * rounds,
	       demo_ms_since(t0));
	return ok && sum == 2 * rounds ? 0 : 1;
}
