/* echo_server.h - the frame shared by the server demos (G1-G9): a loopback
 * listening socket, the shared echo clients in their own process
 * ("echo-clients", running demo_echo_clients after a 20 ms head start for
 * the server), the statistics at the end, and the blocking per-connection
 * echo loop most servers use.
 *
 * Every server demo is driven the same way (K clients x M messages of
 * ECHO_MSG_LEN bytes) so that their traces compare.
 */
#ifndef ECHO_SERVER_H
#define ECHO_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "demo.h"

#define ECHO_CLIENTS 6      /* default K */
#define ECHO_MESSAGES 20    /* default M */
#define ECHO_MSG_LEN 64
#define ECHO_IO_TIMEOUT_MS 2000 /* every server-side wait is bounded by this */

struct echo_run {
	int lfd;            /* listening socket */
	int port;
	int k, m;           /* clients, messages per client */
	pid_t clients;      /* the echo-clients process */
	int stats_fd;       /* read end of the clients' report */
	uint64_t t0;
};

/* Listens on 127.0.0.1 (listen_flags: SOCK_NONBLOCK...), then starts the
 * echo-clients process with K = --clients, M = --messages (defaults above).
 * Exits through demo_die on failure. */
void echo_run_start(struct echo_run *r, const struct demo_args *a, int listen_flags);
/* Closes the listening socket, reaps the clients, prints their statistics.
 * Returns the demo's exit status: 0 if every request was echoed. */
int echo_run_finish(struct echo_run *r);

/* Makes accept() on the listening socket, and recv/send on an accepted
 * socket, give up after ECHO_IO_TIMEOUT_MS (SO_RCVTIMEO/SO_SNDTIMEO). */
void echo_set_timeouts(int fd);
/* Echoes everything received on fd back until EOF (blocking recv/send).
 * Returns the number of recv calls that carried data, or -errno. Does not
 * close fd. */
long echo_serve_conn(int fd);
/* Echoes what one recv returns. 1: echoed, 0: EOF, -EAGAIN: nothing yet
 * (non-blocking fd), other -errno: failure. */
int echo_once(int fd);

#endif
