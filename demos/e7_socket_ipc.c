/* e7_socket_ipc.c - E7: a socket as general IPC between two processes on
 * loopback TCP: the server makes, binds and listens on a socket, the
 * client connects, and they exchange requests and replies. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"

#define REQUESTS 5

static const struct demo_spec spec = {
	.name = "e7_socket_ipc",
	.summary = "two processes talk over a loopback TCP socket",
	.explain =
		"The 'server' process creates a socket, binds it to 127.0.0.1,\n"
		"listens and accepts one connection; the 'client' process connects\n"
		"and sends 5 requests 40 ms apart; the server answers each in\n"
		"upper case after 2 ms of work.\n"
		"Look for: socket, bind, listen, accept4/accept, recvfrom, sendto on\n"
		"the server; socket, connect, sendto, recvfrom on the client; each\n"
		"side Sleeping in accept/recvfrom until the other acts.",
};

static int port_pipe[2];
static double gap_ms, work_ms;

static int server(void *arg)
{
	struct timeval tv = { .tv_sec = 2 };
	char buf[128];
	ssize_t n;
	int port, lfd, cfd;

	(void)arg;
	close(port_pipe[0]);
	lfd = demo_listen_loopback(1, 0, &port);
	if (lfd < 0)
		return 1;
	if (write(port_pipe[1], &port, sizeof(port)) != sizeof(port))
		return 1;
	close(port_pipe[1]);
	setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)); /* bounds accept */
	cfd = accept(lfd, NULL, NULL);
	if (cfd < 0)
		return 1;
	setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = recv(cfd, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		demo_burn_cpu_ms(work_ms); /* the client waits for the answer */
		if (send(cfd, buf, (size_t)n, MSG_NOSIGNAL) != n)
			return 1;
	}
	close(cfd);
	close(lfd);
	return n < 0;
}

static int client(void *arg)
{
	int port = *(int *)arg, fd = demo_connect("127.0.0.1", port);
	struct timeval tv = { .tv_sec = 2 };

	if (fd < 0)
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 1; i <= REQUESTS; i++) {
		char req[64], rep[64];
		int len = snprintf(req, sizeof(req), "request %d", i);
		ssize_t n;

		demo_sleep_ms(gap_ms);
		if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len)
			return 1;
		n = recv(fd, rep, sizeof(rep) - 1, 0);
		if (n <= 0)
			return 1;
		rep[n] = '\0';
		printf("  client: sent \"%s\", got \"%s\"\n", req, rep);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	pid_t s, c = -1;
	int port = 0, ss, sc = -1;

	demo_start(argc, argv, &spec, &a);
	gap_ms = demo_ms(&a, 40);
	work_ms = demo_ms(&a, 2);
	if (pipe(port_pipe) < 0)
		demo_die(-errno, "pipe");
	demo_phase("socket-ipc");
	s = demo_fork("server", server, NULL);
	if (s < 0)
		demo_die(s, "fork server");
	close(port_pipe[1]);
	if (demo_read_all(port_pipe[0], &port, sizeof(port)) == sizeof(port)) {
		printf("server listening on 127.0.0.1:%d\n", port);
		c = demo_fork("client", client, &port);
	}
	close(port_pipe[0]);
	if (c > 0)
		sc = demo_wait(c);
	ss = demo_wait(s);
	demo_phase("end");
	printf("server %s, client %s\n", ss == 0 ? "ok" : "failed",
	       sc == 0 ? "ok" : "failed");
	return ss == 0 && sc == 0 ? 0 : 1;
}
