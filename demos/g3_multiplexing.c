/* g3_multiplexing.c - G3: I/O multiplexing. One thread waits for ANY of
 * its sockets to become readable, with select() and with epoll, and serves
 * whichever is ready: several clients at once without threads and without
 * busy polling. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

static const struct demo_spec spec = {
	.name = "g3_multiplexing",
	.summary = "I/O multiplexing: one thread serves every client with select/epoll",
	.explain =
		"The 'server' thread keeps the listening socket and every connection\n"
		"in one set and sleeps in select() (phase select) or epoll_wait()\n"
		"(phase epoll) until one of them is ready, then accepts or echoes\n"
		"without blocking. Mode both (default) runs the two phases, each\n"
		"with its own round of echo clients.\n"
		"Look for: a single server thread, Sleeping only in select/\n"
		"pselect6 or epoll_wait, woken by the client threads in turn, and\n"
		"serving all of the connections between those sleeps.",
	.modes = (const char *const[]){ "both", "select", "epoll", NULL },
};

static long echoed;

/* Echoes one request; closes fd at EOF or error. Returns true if closed. */
static bool serve_ready(int fd)
{
	int r = echo_once(fd);

	if (r > 0) {
		echoed++;
		return false;
	}
	if (r == -EAGAIN)
		return false;
	close(fd);
	return true;
}

static int run_select(const struct demo_args *a)
{
	struct echo_run r;
	int conns[FD_SETSIZE], n = 0, closed = 0;

	echo_run_start(&r, a, SOCK_NONBLOCK);
	while (closed < r.k) {
		struct timeval tv = { .tv_sec = ECHO_IO_TIMEOUT_MS / 1000 };
		fd_set rd;
		int maxfd = r.lfd;

		FD_ZERO(&rd);
		if (n < r.k)
			FD_SET(r.lfd, &rd);
		for (int i = 0; i < n; i++) {
			if (conns[i] < 0)
				continue;
			FD_SET(conns[i], &rd);
			maxfd = conns[i] > maxfd ? conns[i] : maxfd;
		}
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			break; /* nothing for 2 s: the clients are gone */
		if (FD_ISSET(r.lfd, &rd)) {
			int fd = accept4(r.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd >= 0 && fd < FD_SETSIZE)
				conns[n++] = fd;
		}
		for (int i = 0; i < n; i++) {
			if (conns[i] >= 0 && FD_ISSET(conns[i], &rd) && serve_ready(conns[i])) {
				conns[i] = -1;
				closed++;
			}
		}
	}
	return echo_run_finish(&r);
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int run_epoll(const struct demo_args *a)
{
	struct epoll_event ev[16];
	struct echo_run r;
	int ep, accepted = 0, closed = 0;

	echo_run_start(&r, a, SOCK_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || epoll_add(ep, r.lfd) < 0)
		demo_die(-errno, "epoll");
	while (closed < r.k) {
		int n = epoll_wait(ep, ev, 16, ECHO_IO_TIMEOUT_MS);

		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd != r.lfd) {
				closed += serve_ready(fd); /* close() drops it from the set */
				continue;
			}
			fd = accept4(r.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0 && epoll_add(ep, fd) == 0 && ++accepted == r.k)
				epoll_ctl(ep, EPOLL_CTL_DEL, r.lfd, NULL);
		}
	}
	close(ep);
	return echo_run_finish(&r);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	int rc = 0;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	if (!demo_mode_is(&a, "epoll")) {
		demo_phase("select");
		echoed = 0;
		rc |= run_select(&a);
		printf("select: %ld requests echoed by one thread\n", echoed);
	}
	if (!demo_mode_is(&a, "select")) {
		demo_phase("epoll");
		echoed = 0;
		rc |= run_epoll(&a);
		printf("epoll: %ld requests echoed by one thread\n", echoed);
	}
	demo_phase("end");
	return rc;
}
