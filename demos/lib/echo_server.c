/* echo_server.c - listening socket, echo-clients process and echo loop
 * shared by the server demos. See echo_server.h. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "echo_server.h"

/* The clients give the server this long to reach its first wait for a
 * connection, so "Sleeping in accept" shows even on a busy machine. */
#define CLIENT_START_DELAY_MS 20

void echo_run_start(struct echo_run *r, const struct demo_args *a, int listen_flags)
{
	r->k = demo_or(a->clients, ECHO_CLIENTS);
	r->m = demo_or(a->messages, ECHO_MESSAGES);
	r->lfd = demo_listen_loopback(r->k, listen_flags | SOCK_CLOEXEC, &r->port);
	if (r->lfd < 0)
		demo_die(r->lfd, "cannot listen on 127.0.0.1");
	printf("server on 127.0.0.1:%d, %d clients x %d messages\n", r->port, r->k,
	       r->m);
	r->t0 = demo_now_ns();
	r->clients = demo_echo_clients_spawn(&(struct demo_echo_spawn){
		.host = "127.0.0.1", .port = r->port, .k_clients = r->k,
		.m_messages = r->m, .msg_len = ECHO_MSG_LEN,
		.delay_ms = CLIENT_START_DELAY_MS, .close_fd = r->lfd }, &r->stats_fd);
	if (r->clients < 0)
		demo_die(r->clients, "cannot start the echo clients");
}

int echo_run_finish(struct echo_run *r)
{
	struct demo_client_stats st;
	int rc, status;

	if (r->lfd >= 0)
		close(r->lfd);
	r->lfd = -1;
	rc = demo_echo_clients_reap(r->clients, r->stats_fd, &st, &status);
	if (rc == -EPIPE) {
		printf("echo clients: no report (exit status %d)\n", status);
		return 1;
	}
	demo_print_client_stats(&st);
	printf("served in %.0f ms\n", demo_ms_since(r->t0));
	return rc == 0 && status == 0 ? 0 : 1;
}

void echo_set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = ECHO_IO_TIMEOUT_MS / 1000,
			      .tv_usec = (ECHO_IO_TIMEOUT_MS % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

int echo_once(int fd)
{
	char buf[4096];
	ssize_t n = recv(fd, buf, sizeof(buf), 0), done = 0;

	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	while (done < n) {
		ssize_t w = send(fd, buf + done, (size_t)(n - done), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += w;
	}
	return 1;
}

long echo_serve_conn(int fd)
{
	long served = 0;
	int r;

	while ((r = echo_once(fd)) != 0) {
		if (r == -EINTR)
			continue;
		if (r < 0)
			return r;
		served++;
	}
	return served;
}
