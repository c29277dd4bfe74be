/*
 * sockpair.c - the cost of group "net" per call: one thread sends one byte
 * on a Unix socket pair and reads it back from the other end, LOOPS times,
 * and prints the time per pair of calls ("N ns/pair"). Nothing blocks and
 * nothing is scheduled, so what a tracer adds is what its socket
 * tracepoints' programs cost (bench/netcost).
 *
 * usage: sockpair [LOOPS]   (default 1000000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long loops = argc > 1 ? atol(argv[1]) : 1000000;
	int sv[2];
	char c = 'x';
	double t0;

	if (loops <= 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		fprintf(stderr, "sockpair: %s\n", loops <= 0 ? "bad LOOPS" : strerror(errno));
		return 1;
	}
	t0 = now_ns();
	for (long i = 0; i < loops; i++) {
		if (send(sv[0], &c, 1, 0) != 1 || recv(sv[1], &c, 1, 0) != 1) {
			fprintf(stderr, "sockpair: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("%.1f ns/pair\n", (now_ns() - t0) / (double)loops);
	return 0;
}
