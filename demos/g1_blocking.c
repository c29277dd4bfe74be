/* g1_blocking.c - G1: blocking I/O. One server thread calls accept and
 * recv, and each call blocks until the kernel has something for it, so it
 * serves the clients one connection after another. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

static const struct demo_spec spec = {
	.name = "g1_blocking",
	.summary = "blocking I/O: an echo server with blocking accept and recv",
	.explain =
		"The 'server' thread accepts a connection and echoes it with\n"
		"blocking recv/send until the client closes, then accepts the next;\n"
		"the shared echo clients (process 'echo-clients', threads\n"
		"'client-N') wait in the listen backlog for their turn.\n"
		"Look for: the server Sleeping in accept, then in recvfrom between\n"
		"requests, woken by the client that sends; one connection at a time.",
};

int main(int argc, char **argv)
{
	struct demo_args a;
	struct echo_run r;
	long total = 0;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	echo_run_start(&r, &a, 0);
	echo_set_timeouts(r.lfd); /* a bounded accept */
	demo_phase("blocking");
	for (int i = 0; i < r.k; i++) {
		int fd = accept(r.lfd, NULL, NULL);
		long n;

		if (fd < 0) {
			printf("accept: %s\n", errno == EAGAIN ? "timed out" : "failed");
			break;
		}
		echo_set_timeouts(fd);
		n = echo_serve_conn(fd);
		close(fd);
		printf("connection %d: %ld requests echoed\n", i + 1, n);
		total += n > 0 ? n : 0;
	}
	demo_phase("end");
	printf("%ld requests echoed by one blocking thread\n", total);
	return echo_run_finish(&r);
}
