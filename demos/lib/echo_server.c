/* echo_server.c - listening socket, echo-clients process and echo loop
 * shared by the server demos. See echo_server.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "echo_server.h"

/* The clients give the server this long to reach its first wait for a
 * connection, so "Sleeping in accept" shows even on a busy machine. */
#define CLIENT_START_DELAY_MS 20

struct client_report {
	int rc;
	struct demo_client_stats st;
};

/* The echo clients (demo_echo_clients) in a child process "echo-clients"
 * that starts them after a short delay; its report comes back on a pipe. */
static pid_t spawn_clients(const struct echo_run *r, int *report_fd)
{
	struct client_report rep;
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		close(pfd[0]);
		close(r->lfd);
		demo_name_process("echo-clients");
		demo_watchdog_status(30, "echo clients did not finish", DEMO_EXIT_SAFETY);
		demo_sleep_ms(CLIENT_START_DELAY_MS);
		memset(&rep, 0, sizeof(rep));
		rep.rc = demo_echo_clients("127.0.0.1", r->port, r->k, r->m, ECHO_MSG_LEN,
					   &rep.st);
		_exit(write(pfd[1], &rep, sizeof(rep)) != sizeof(rep) ? 3 : rep.rc != 0);
	}
	close(pfd[1]);
	*report_fd = pfd[0];
	return pid;
}

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
	r->clients = spawn_clients(r, &r->stats_fd);
	if (r->clients < 0)
		demo_die(r->clients, "cannot start the echo clients");
}

int echo_run_finish(struct echo_run *r)
{
	struct client_report rep;
	ssize_t n;
	int status;

	if (r->lfd >= 0)
		close(r->lfd);
	r->lfd = -1;
	n = demo_read_all(r->stats_fd, &rep, sizeof(rep));
	close(r->stats_fd);
	status = demo_wait(r->clients);
	if (n != (ssize_t)sizeof(rep)) {
		printf("echo clients: no report (exit status %d)\n", status);
		return 1;
	}
	demo_print_client_stats(&rep.st);
	printf("served in %.0f ms\n", demo_ms_since(r->t0));
	return rep.rc == 0 && status == 0 ? 0 : 1;
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
