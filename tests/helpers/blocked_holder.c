/* blocked_holder.c - a process whose second thread is blocked on a mutex
 * the main thread holds forever: the target for attaching with -p, where
 * the start-of-trace snapshot must show the thread already waiting in
 * futex on that mutex. Prints "mutex=0x... tid=N" once the thread exists,
 * then waits to be killed (an alarm ends it after 120 s regardless). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile pid_t waiter_tid;

static void *waiter(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "waiter");
	waiter_tid = gettid();
	pthread_mutex_lock(&held); /* never returns */
	return NULL;
}

int main(void)
{
	pthread_t t;

	alarm(120);
	pthread_mutex_lock(&held);
	if (pthread_create(&t, NULL, waiter, NULL))
		return 1;
	while (!waiter_tid)
		usleep(1000);
	printf("mutex=%p tid=%d\n", (void *)&held, (int)waiter_tid);
	fflush(stdout);
	for (;;)
		pause();
}
