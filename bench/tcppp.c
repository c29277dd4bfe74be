/*
 * tcppp.c - the TCP ping-pong workload of bench/workloads: two processes
 * pass one byte back and forth over a loopback TCP connection
 * (TCP_NODELAY), LOOPS round trips, and print the time per round trip in
 * the form `perf bench sched pipe` uses ("N usecs/op"), so the scripts
 * read both alike. Every round trip is two sends, two wakeups and two
 * blocking reads, through the network stack and its softirq.
 *
 * usage: tcppp [-l LOOPS]   (default 100000)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "tcppp: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void bounce(int fd, long loops, int first)
{
	char c = 'x';
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
	for (long i = 0; i < loops; i++) {
		if (first && write(fd, &c, 1) != 1)
			die("write");
		if (read(fd, &c, 1) != 1)
			die("read");
		if (!first && write(fd, &c, 1) != 1)
			die("write");
	}
}

static long parse_loops(int argc, char **argv)
{
	char *end;
	long n;

	if (argc == 1)
		return 100000;
	if (argc != 3 || strcmp(argv[1], "-l"))
		goto usage;
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (!errno && *end == '\0' && n > 0)
		return n;
usage:
	fprintf(stderr, "usage: tcppp [-l LOOPS]  (LOOPS a positive integer)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	long loops = parse_loops(argc, argv);
	struct timespec t0, t1;
	int ls, fd, st;
	pid_t child;
	double us;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&a, &al))
		die("listen on loopback");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		bounce(fd, loops, 0);
		_exit(0);
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bounce(fd, loops, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3) /
	     (double)loops;
	printf("# %ld round trips over loopback TCP\n %14.6f usecs/op\n", loops, us);
	return 0;
}
