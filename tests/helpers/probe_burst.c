/* probe_burst.c - a burst of context switches: two threads bounce one
 * byte through a pair of pipes N times, for the loss accounting test.
 *
 * usage: probe_burst [ROUNDS]     (default 20000) */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static int ping[2], pong[2];
static long rounds = 20000;

static void *echo(void *arg)
{
	char c;

	(void)arg;
	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			return (void *)1;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *ret;
	char c = 'x';

	if (argc > 1)
		rounds = atol(argv[1]);
	if (rounds <= 0 || pipe(ping) || pipe(pong) ||
	    pthread_create(&t, NULL, echo, NULL))
		return 2;
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	return pthread_join(t, &ret) || ret ? 1 : 0;
}
