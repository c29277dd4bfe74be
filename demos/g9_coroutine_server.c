/* g9_coroutine_server.c - G9: a coroutine server. The F3 scheduler serves
 * sockets: an acceptor coroutine and one coroutine per connection, all on
 * one thread, switching whenever one would block (gevent's StreamServer). */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coro.h"
#include "echo_server.h"

static const struct demo_spec spec = {
	.name = "g9_coroutine_server",
	.summary = "coroutine server: one thread, a coroutine per connection",
	.explain =
		"One thread runs a coroutine 'acceptor' and a coroutine 'conn-N' per\n"
		"connection. A coroutine whose socket has nothing to read parks and\n"
		"the scheduler switches to another; when none can run, the thread\n"
		"sleeps in epoll_wait.\n"
		"Look for: one server thread serving all of the connections (their\n"
		"accept4/recvfrom/sendto on that thread, many returning EAGAIN),\n"
		"Sleeping only in epoll_wait; coro_switch marks between 'scheduler',\n"
		"'acceptor' and the 'conn-N' coroutines.",
};

static struct echo_run r;
static long echoed;
static int failures;

static void conn_main(void *arg)
{
	char buf[4096];
	int fd = (int)(long)arg;
	ssize_t n;

	while ((n = coro_recv(fd, buf, sizeof(buf), ECHO_IO_TIMEOUT_MS)) > 0) {
		if (coro_sendall(fd, buf, (size_t)n, ECHO_IO_TIMEOUT_MS) != n)
			break;
		echoed++;
	}
	failures += n < 0;
	coro_close(fd);
}

static void acceptor(void *arg)
{
	(void)arg;
	for (int i = 0; i < r.k; i++) {
		char name[32];
		int fd = coro_accept(r.lfd, ECHO_IO_TIMEOUT_MS);

		if (fd < 0)
			break;
		snprintf(name, sizeof(name), "conn-%d", i + 1);
		if (!coro_spawn(name, conn_main, (void *)(long)fd))
			coro_close(fd);
	}
}

int main(int argc, char **argv)
{
	struct demo_args a;
	int err;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	coro_init("scheduler");
	echo_run_start(&r, &a, SOCK_NONBLOCK);
	demo_phase("coroutines");
	if (!coro_spawn("acceptor", acceptor, NULL))
		demo_die(-errno, "spawn");
	err = coro_run();
	if (err < 0)
		demo_die(err, "scheduler");
	demo_phase("end");
	coro_close(r.lfd);
	r.lfd = -1;
	printf("%ld requests echoed by coroutines on one thread (%d failures)\n",
	       echoed, failures);
	return echo_run_finish(&r);
}
