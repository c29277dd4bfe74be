/* g2_nonblocking.c - G2: non-blocking I/O with polling. The listening
 * socket and every connection are O_NONBLOCK: accept and recv return
 * EAGAIN at once when there is nothing, so one thread sweeps over all of
 * them and naps briefly between sweeps. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

#define MAX_CONNS 64

static const struct demo_spec spec = {
	.name = "g2_nonblocking",
	.summary = "non-blocking I/O: one thread polls accept and recv in a loop",
	.explain =
		"The 'server' thread never blocks in a socket call: each sweep it\n"
		"accepts until accept says EAGAIN (nothing pending), tries one recv\n"
		"on each connection (EAGAIN if the client has not sent yet), then\n"
		"naps 0.5 ms and sweeps again.\n"
		"Look for: many accept/recvfrom calls returning EAGAIN (-11); the\n"
		"server alternating short Running bursts and 0.5 ms Sleeping (nanosleep),\n"
		"never Sleeping in a socket call.",
};

struct sweep_stats {
	long eagain, echoed, naps;
};

static int conns[MAX_CONNS], nconns, closed;

/* Accepts every pending connection; the last call returns EAGAIN. */
static bool accept_all(int lfd, struct sweep_stats *s)
{
	bool progress = false;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			s->eagain += errno == EAGAIN;
			return progress;
		}
		if (nconns == MAX_CONNS) {
			close(fd);
			continue;
		}
		conns[nconns++] = fd;
		progress = true;
	}
}

/* One recv (and echo) per connection: at most one request each per sweep,
 * like a polling loop over a list of sockets. True if any made progress. */
static bool sweep(struct sweep_stats *s)
{
	bool progress = false;

	for (int i = 0; i < nconns; i++) {
		int r;

		if (conns[i] < 0)
			continue;
		r = echo_once(conns[i]);
		if (r == -EAGAIN) {
			s->eagain++;
			continue;
		}
		progress = true;
		if (r > 0) {
			s->echoed++;
			continue;
		}
		close(conns[i]);
		conns[i] = -1;
		closed++;
	}
	return progress;
}

int main(int argc, char **argv)
{
	struct sweep_stats s = { 0 };
	struct demo_args a;
	struct echo_run r;
	uint64_t idle_since;
	double nap_ms;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	nap_ms = demo_ms(&a, 0.5);
	echo_run_start(&r, &a, SOCK_NONBLOCK);
	demo_phase("polling");
	idle_since = demo_now_ns();
	while (closed < r.k && demo_ms_since(idle_since) < ECHO_IO_TIMEOUT_MS) {
		bool progress = false;

		/* the listening socket is polled on every sweep too */
		progress |= accept_all(r.lfd, &s);
		progress |= sweep(&s);
		if (progress)
			idle_since = demo_now_ns();
		/* the polling period: nap after every sweep, busy or not */
		demo_sleep_ms(nap_ms);
		s.naps++;
	}
	demo_phase("end");
	printf("%ld requests echoed, %ld calls returned EAGAIN, %ld naps\n",
	       s.echoed, s.eagain, s.naps);
	return echo_run_finish(&r);
}
