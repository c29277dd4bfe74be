/* f3_scheduler.c - F3: a gevent-like coroutine scheduler on one thread.
 * Tasks that "sleep" or wait for a socket give the thread to the others;
 * the thread itself blocks only in epoll_wait when every task waits, so
 * three tasks take as long as the longest, not the sum. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro.h"
#include "demo.h"

static const struct demo_spec spec = {
	.name = "f3_scheduler",
	.summary = "a gevent-like scheduler: coroutines switch on sleep and socket I/O",
	.explain =
		"Three tasks on one thread: 'eat' sleeps 200 ms, 'play' sleeps\n"
		"300 ms, 'fetch' asks a (coroutine) 'server' over a non-blocking\n"
		"loopback socket, and the server takes 400 ms to answer. Each wait\n"
		"switches to another ready coroutine; when none is ready the\n"
		"scheduler sleeps in epoll_wait.\n"
		"Look for: one thread, Sleeping only in epoll_wait; coro_switch marks\n"
		"interleaving the tasks through 'scheduler'; total ~400 ms (the\n"
		"longest task), not 900 ms (the sum).",
};

static double eat_ms, play_ms, serve_ms;
static int listen_fd, port;

static void sleeper(void *arg)
{
	const char *name = coro_name(coro_current());
	double ms = *(double *)arg;

	printf("  %s: start, will sleep %.0f ms\n", name, ms);
	coro_sleep_ms((int)ms);
	printf("  %s: end\n", name);
}

static void server(void *arg)
{
	char buf[64];
	ssize_t n;
	int fd;

	(void)arg;
	fd = coro_accept(listen_fd, 2000);
	if (fd < 0)
		return;
	n = coro_recv(fd, buf, sizeof(buf), 2000);
	if (n > 0) {
		printf("  server: request in, answering in %.0f ms\n", serve_ms);
		coro_sleep_ms((int)serve_ms); /* a slow backend */
		coro_sendall(fd, "200 OK", 6, 2000);
	}
	coro_close(fd);
}

/* A non-blocking connect that parks the coroutine until it completes. */
static int connect_nb(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    (errno != EINPROGRESS || coro_wait_fd(fd, EPOLLOUT, 2000) < 0)) {
		coro_close(fd);
		return -ETIMEDOUT;
	}
	return fd;
}

static void fetch(void *arg)
{
	char buf[64];
	ssize_t n = -1;
	int fd;

	(void)arg;
	printf("  fetch: start, asking the server\n");
	fd = connect_nb();
	if (fd >= 0 && coro_sendall(fd, "GET /", 5, 2000) == 5)
		n = coro_recv(fd, buf, sizeof(buf) - 1, 2000);
	if (n > 0) {
		buf[n] = '\0';
		printf("  fetch: end, got \"%s\"\n", buf);
	} else {
		printf("  fetch: failed\n");
	}
	if (fd >= 0)
		coro_close(fd);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	uint64_t t0;
	double total;
	int err;

	demo_start(argc, argv, &spec, &a);
	eat_ms = demo_ms(&a, 200);
	play_ms = demo_ms(&a, 300);
	serve_ms = demo_ms(&a, 400);
	listen_fd = demo_listen_loopback(4, SOCK_NONBLOCK | SOCK_CLOEXEC, &port);
	if (listen_fd < 0)
		demo_die(listen_fd, "listen");
	coro_init("scheduler");
	t0 = demo_now_ns();
	demo_phase("coroutines");
	if (!coro_spawn("eat", sleeper, &eat_ms) || !coro_spawn("play", sleeper, &play_ms) ||
	    !coro_spawn("server", server, NULL) || !coro_spawn("fetch", fetch, NULL))
		demo_die(-errno, "cannot spawn coroutines");
	err = coro_run();
	if (err < 0)
		demo_die(err, "scheduler");
	demo_phase("end");
	coro_close(listen_fd);
	total = demo_ms_since(t0);
	printf("total %.0f ms: the longest task (%.0f ms), not the sum (%.0f ms)\n",
	       total, serve_ms, eat_ms + play_ms + serve_ms);
	return 0;
}
