/* g7_thread_server.c - G7: a thread-per-connection server. The main
 * thread accepts and starts one thread for each connection, as the seed's
 * threaded echo server does. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

#define MAX_CONNS 64

static const struct demo_spec spec = {
	.name = "g7_thread_server",
	.summary = "thread-per-connection server: a new thread for each client",
	.explain =
		"The 'server' thread sleeps in accept; for each connection it starts\n"
		"a thread 'conn-N' that echoes that client until it closes.\n"
		"Look for: one clone (CLONE_THREAD) and one thread 'conn-N' per\n"
		"connection in the server process, each Sleeping in recvfrom between\n"
		"requests, ending with its connection; the server Sleeping in accept.",
};

struct conn {
	pthread_t t;
	int fd;
	long served;
};

static void *serve_thread(void *arg)
{
	struct conn *c = arg;

	c->served = echo_serve_conn(c->fd);
	close(c->fd);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct conn conns[MAX_CONNS];
	struct demo_args a;
	struct echo_run r;
	long total = 0;
	int n = 0;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	echo_run_start(&r, &a, 0);
	echo_set_timeouts(r.lfd);
	demo_phase("thread-per-connection");
	while (n < r.k && n < MAX_CONNS) {
		char name[32];
		int err;

		conns[n].fd = accept4(r.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conns[n].fd < 0)
			break;
		echo_set_timeouts(conns[n].fd);
		snprintf(name, sizeof(name), "conn-%d", n + 1);
		err = demo_thread_create(&conns[n].t, name, serve_thread, &conns[n]);
		if (err) {
			close(conns[n].fd);
			break;
		}
		n++;
	}
	for (int i = 0; i < n; i++) {
		pthread_join(conns[i].t, NULL);
		total += conns[i].served > 0 ? conns[i].served : 0;
	}
	demo_phase("end");
	printf("%d connections served by %d threads, %ld requests\n", n, n, total);
	return echo_run_finish(&r);
}
