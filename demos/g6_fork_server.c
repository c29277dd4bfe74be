/* g6_fork_server.c - G6: a process-per-connection server. The server
 * process accepts, and forks one child process to serve each connection
 * (the multiprocessing variant of the seed's echo server). */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "echo_server.h"

#define MAX_CONNS 64

static const struct demo_spec spec = {
	.name = "g6_fork_server",
	.summary = "process-per-connection server: fork a child for each client",
	.explain =
		"The 'server' process sleeps in accept; for each connection it forks\n"
		"a child process 'conn-N' that echoes that client until it closes\n"
		"and exits, while the server goes back to accept.\n"
		"Look for: one fork and one child process 'conn-N' per connection,\n"
		"each Sleeping in recvfrom between its client's requests and exiting\n"
		"at the end; the server Sleeping in accept, then in wait4.",
};

static int conn_fd, listen_fd;

static int serve_child(void *arg)
{
	long n;

	(void)arg;
	close(listen_fd); /* a connection handler does not accept */
	n = echo_serve_conn(conn_fd);
	close(conn_fd);
	return n > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	pid_t kids[MAX_CONNS];
	struct demo_args a;
	struct echo_run r;
	int n = 0, ok = 0;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	echo_run_start(&r, &a, 0);
	echo_set_timeouts(r.lfd);
	listen_fd = r.lfd;
	demo_phase("fork-per-connection");
	while (n < r.k && n < MAX_CONNS) {
		char name[32];

		conn_fd = accept4(r.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn_fd < 0)
			break;
		echo_set_timeouts(conn_fd);
		snprintf(name, sizeof(name), "conn-%d", n + 1);
		kids[n] = demo_fork(name, serve_child, NULL);
		close(conn_fd); /* the child has its own copy */
		if (kids[n] < 0)
			break;
		n++;
	}
	for (int i = 0; i < n; i++)
		ok += demo_wait(kids[i]) == 0;
	demo_phase("end");
	printf("%d connections served by %d child processes (%d ok)\n", n, n, ok);
	return echo_run_finish(&r) | (ok != n);
}
