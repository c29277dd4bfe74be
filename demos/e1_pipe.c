/* e1_pipe.c - E1: pipes between a parent and its child: a plain one-way
 * pipe, then a duplex connection (a Unix socket pair, as multiprocessing's
 * Pipe() is) carrying messages both ways. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"

#define MESSAGES 5
#define ROUNDS 3

static const struct demo_spec spec = {
	.name = "e1_pipe",
	.summary = "a one-way pipe and a duplex pipe between parent and child",
	.explain =
		"Phase pipe: the parent writes 5 messages into a pipe, one every\n"
		"50 ms; the child process 'pipe-reader' reads them.\n"
		"Phase duplex: over a socket pair the parent and the child\n"
		"'duplex-child' exchange greetings both ways, 3 round trips.\n"
		"Look for: the reader Sleeping in read on the pipe until each write,\n"
		"with a wakeup arrow from the writer (another process); in duplex,\n"
		"each side Sleeping in recvfrom while the other works.",
};

static double gap_ms;
static int fds[2];

static int pipe_reader(void *arg)
{
	char buf[64];
	ssize_t n;

	(void)arg;
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		printf("  child %d read: %s\n", (int)getpid(), buf);
	}
	return n < 0;
}

static void one_way(void)
{
	pid_t pid;

	if (pipe(fds) < 0)
		demo_die(-errno, "pipe");
	pid = demo_fork("pipe-reader", pipe_reader, NULL);
	if (pid < 0)
		demo_die(pid, "fork");
	close(fds[0]);
	for (int i = 1; i <= MESSAGES; i++) {
		char msg[32];
		int len = snprintf(msg, sizeof(msg), "message %d", i);

		demo_sleep_ms(gap_ms);
		if (write(fds[1], msg, (size_t)len) != len)
			demo_die(-errno, "write");
	}
	close(fds[1]); /* EOF ends the reader */
	demo_wait(pid);
}

/* Receives one message on a socket-pair end, with a bound on the wait. */
static int recv_msg(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int duplex_child(void *arg)
{
	char buf[64];

	(void)arg;
	close(fds[0]);
	for (int i = 0; i < ROUNDS; i++) {
		if (recv_msg(fds[1], buf, sizeof(buf)) < 0)
			return 1;
		printf("  child got: %s\n", buf);
		demo_sleep_ms(gap_ms);
		send(fds[1], "hello, parent", 13, MSG_NOSIGNAL);
	}
	return 0;
}

static void duplex(void)
{
	struct timeval tv = { .tv_sec = 2 };
	char buf[64];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) < 0)
		demo_die(-errno, "socketpair");
	setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pid = demo_fork("duplex-child", duplex_child, NULL);
	if (pid < 0)
		demo_die(pid, "fork");
	close(fds[1]);
	for (int i = 0; i < ROUNDS; i++) {
		demo_sleep_ms(gap_ms);
		send(fds[0], "hello, child", 12, MSG_NOSIGNAL);
		if (recv_msg(fds[0], buf, sizeof(buf)) < 0)
			break;
		printf("  parent got: %s\n", buf);
	}
	close(fds[0]);
	demo_wait(pid);
}

int main(int argc, char **argv)
{
	struct demo_args a;

	demo_start(argc, argv, &spec, &a);
	gap_ms = demo_ms(&a, 50);
	demo_phase("pipe");
	one_way();
	demo_phase("duplex");
	duplex();
	demo_phase("end");
	return 0;
}
