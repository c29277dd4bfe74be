/* e6_manager.c - E6: a server process that owns shared objects (a dict
 * and a list, like multiprocessing.Manager) and client processes that use
 * them through proxies: every operation is a request and a reply over a
 * Unix socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"

#define CLIENTS 2
#define KEYS 16
#define LIST_MAX 32
#define MSG 128

static const struct demo_spec spec = {
	.name = "e6_manager",
	.summary = "a manager process owns a dict and a list; clients use proxies",
	.explain =
		"The 'manager' process owns a dict and a list. 'client-1' and\n"
		"'client-2' (other processes) never touch them: each proxy call\n"
		"(d[k] = v, d[k], l.append, l.reverse, str(l)) is a request sent over\n"
		"a Unix socket and a reply (the manager works 2 ms on each), 30 ms\n"
		"apart.\n"
		"Look for: for every call, the client Sleeping in recvfrom, a wakeup\n"
		"of the manager (Sleeping in poll), the manager's reply waking the\n"
		"client: one round trip per operation.",
};

/* ---- the manager's objects --------------------------------------------- */

static struct {
	char key[KEYS][16], val[KEYS][16];
	int nkeys;
	long list[LIST_MAX];
	int nlist;
} obj;

static int dict_find(const char *k)
{
	for (int i = 0; i < obj.nkeys; i++)
		if (!strcmp(obj.key[i], k))
			return i;
	return -1;
}

static void dict_set(const char *k, const char *v, char *out)
{
	int i = dict_find(k);

	if (i < 0 && obj.nkeys < KEYS)
		i = obj.nkeys++;
	if (i < 0) {
		strcpy(out, "error: dict full");
		return;
	}
	snprintf(obj.key[i], sizeof(obj.key[i]), "%s", k);
	snprintf(obj.val[i], sizeof(obj.val[i]), "%s", v);
	strcpy(out, "ok");
}

static void list_str(char *out)
{
	int n = sprintf(out, "[");

	for (int i = 0; i < obj.nlist && n < MSG - 24; i++)
		n += sprintf(out + n, "%s%ld", i ? ", " : "", obj.list[i]);
	strcpy(out + n, "]");
}

/* One request: "set K V", "get K", "append N", "reverse", "list". */
static void serve_one(const char *req, char *out)
{
	char op[16] = "", a[16] = "", b[16] = "";

	sscanf(req, "%15s %15s %15s", op, a, b);
	if (!strcmp(op, "set")) {
		dict_set(a, b, out);
	} else if (!strcmp(op, "get")) {
		int i = dict_find(a);

		snprintf(out, MSG, "%s", i < 0 ? "KeyError" : obj.val[i]);
	} else if (!strcmp(op, "append") && obj.nlist < LIST_MAX) {
		obj.list[obj.nlist++] = atol(a);
		strcpy(out, "ok");
	} else if (!strcmp(op, "reverse")) {
		for (int i = 0, j = obj.nlist - 1; i < j; i++, j--) {
			long t = obj.list[i];

			obj.list[i] = obj.list[j];
			obj.list[j] = t;
		}
		strcpy(out, "ok");
	} else if (!strcmp(op, "list")) {
		list_str(out);
	} else {
		snprintf(out, MSG, "error: bad request '%.60s'", req);
	}
}

static int sv[CLIENTS][2]; /* [i][0] manager end, [i][1] client end */
static double op_ms;

static int manager(void *arg)
{
	struct pollfd pfd[CLIENTS];
	int open_conns = CLIENTS;

	(void)arg;
	for (int i = 0; i < 10; i++)
		obj.list[obj.nlist++] = i;
	for (int i = 0; i < CLIENTS; i++) {
		close(sv[i][1]);
		pfd[i] = (struct pollfd){ .fd = sv[i][0], .events = POLLIN };
	}
	while (open_conns > 0) {
		if (poll(pfd, CLIENTS, 3000) <= 0)
			return 1; /* a client vanished without closing */
		for (int i = 0; i < CLIENTS; i++) {
			char req[MSG], rep[MSG];
			ssize_t n;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			n = recv(pfd[i].fd, req, sizeof(req) - 1, 0);
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_conns--;
				continue;
			}
			req[n] = '\0';
			serve_one(req, rep);
			/* the bookkeeping a real manager does (pickling, dispatch)
			 * takes time: the client is surely waiting for the reply */
			demo_burn_cpu_ms(op_ms);
			send(pfd[i].fd, rep, strlen(rep), MSG_NOSIGNAL);
		}
	}
	return 0;
}

/* ---- clients: proxies ---------------------------------------------------- */

static double gap_ms;

/* A proxy call: one request, one reply. */
static int call(int fd, const char *who, const char *req)
{
	char rep[MSG];
	ssize_t n;

	demo_sleep_ms(gap_ms);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0)
		return -1;
	n = recv(fd, rep, sizeof(rep) - 1, 0);
	if (n <= 0)
		return -1;
	rep[n] = '\0';
	printf("  %s: %-12s -> %s\n", who, req, rep);
	return 0;
}

static const char *const script[CLIENTS][5] = {
	{ "set 1 1", "set 2 2", "set 0.25 None", "get 2", "list" },
	{ "reverse", "append 10", "get 1", "list", NULL },
};

static int client(void *arg)
{
	long i = (long)arg;
	struct timeval tv = { .tv_sec = 2 };
	char who[32];
	int fd = sv[i][1];

	snprintf(who, sizeof(who), "client-%ld", i + 1);
	for (int j = 0; j < CLIENTS; j++) {
		close(sv[j][0]);
		if (j != i)
			close(sv[j][1]);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	demo_sleep_ms(gap_ms * (double)i / CLIENTS); /* interleave, do not collide */
	for (int k = 0; k < 5 && script[i][k]; k++)
		if (call(fd, who, script[i][k]) < 0)
			return 1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	pid_t m, c[CLIENTS];
	int ok = 1;

	demo_start(argc, argv, &spec, &a);
	gap_ms = demo_ms(&a, 30);
	op_ms = demo_ms(&a, 2);
	for (int i = 0; i < CLIENTS; i++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv[i]) < 0)
			demo_die(-errno, "socketpair");
	demo_phase("proxies");
	m = demo_fork("manager", manager, NULL);
	if (m < 0)
		demo_die(m, "fork manager");
	for (long i = 0; i < CLIENTS; i++) {
		char name[32];

		snprintf(name, sizeof(name), "client-%ld", i + 1);
		c[i] = demo_fork(name, client, (void *)i);
		if (c[i] < 0)
			demo_die(c[i], "fork %s", name);
	}
	for (int i = 0; i < CLIENTS; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	for (int i = 0; i < CLIENTS; i++)
		ok &= demo_wait(c[i]) == 0;
	ok &= demo_wait(m) == 0;
	demo_phase("end");
	printf("manager and clients %s\n", ok ? "ok" : "failed");
	return ok ? 0 : 1;
}
