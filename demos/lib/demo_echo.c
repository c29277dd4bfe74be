/* demo_echo.c - the one echo client every server demo drives itself with:
 * K clients x M request/reply round trips on loopback, bounded by timeouts,
 * with per-request latency statistics, so the G-series traces compare.
 * Every client connects before any sends its first request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "demo.h"

#define REPLY_TIMEOUT_S 2
#define MAX_MSG (64 * 1024)

/* Holds every client between its connect and its first request until all
 * have connected, so that a server always has all K connections open at
 * once: a multiplexing server then has several to choose from even when a
 * busy machine would otherwise run the clients one after another. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int arrived;
	int expected;      /* -1 until every client thread is created */
};

struct client {
	struct gate *gate;
	const char *host;
	int port;
	int id;
	int m;
	size_t len;
	uint64_t *lat;     /* m entries, 0 = failed */
	pthread_t thread;
	bool started;
};

static void fill(char *buf, size_t len, int id, int seq)
{
	int n = snprintf(buf, len, "c%d m%d ", id, seq);

	for (size_t i = (size_t)(n > 0 ? n : 0); i < len; i++)
		buf[i] = (char)('a' + (i + (size_t)id + (size_t)seq) % 26);
}

static uint64_t round_trip(int fd, char *out, char *in, size_t len)
{
	uint64_t t0 = demo_now_ns();

	if (demo_write_all(fd, out, len) != (ssize_t)len)
		return 0;
	if (demo_read_all(fd, in, len) != (ssize_t)len || memcmp(out, in, len) != 0)
		return 0;
	return demo_now_ns() - t0 ? demo_now_ns() - t0 : 1;
}

static void gate_pass(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->arrived++;
	pthread_cond_broadcast(&g->cv);
	while (g->expected < 0 || g->arrived < g->expected)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
}

static void gate_open_for(struct gate *g, int n)
{
	pthread_mutex_lock(&g->mu);
	g->expected = n;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void *client_main(void *p)
{
	struct client *c = p;
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	char *out = malloc(c->len), *in = malloc(c->len);
	int fd = demo_connect(c->host, c->port);

	gate_pass(c->gate); /* connected or not: the others wait for it */
	if (fd >= 0 && out && in) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		for (int i = 0; i < c->m; i++) {
			fill(out, c->len, c->id, i);
			c->lat[i] = round_trip(fd, out, in, c->len);
			if (!c->lat[i])
				break; /* the connection is no longer in step */
		}
	}
	if (fd >= 0)
		close(fd);
	free(out);
	free(in);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void summarise(uint64_t *lat, size_t n, struct demo_client_stats *s)
{
	size_t ok = 0;
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		if (lat[i])
			lat[ok++] = lat[i];
	s->ok = ok;
	s->failed = n - ok;
	if (!ok)
		return;
	qsort(lat, ok, sizeof(*lat), cmp_u64);
	for (size_t i = 0; i < ok; i++)
		sum += (double)lat[i];
	s->lat_min_ns = lat[0];
	s->lat_p50_ns = lat[ok / 2];
	s->lat_p99_ns = lat[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1];
	s->lat_max_ns = lat[ok - 1];
	s->lat_mean_ns = sum / (double)ok;
}

static int run_clients(struct client *cl, int k, struct gate *g)
{
	char name[32];
	int err = 0, started = 0;

	for (int i = 0; i < k; i++) {
		snprintf(name, sizeof(name), "client-%d", i);
		err = demo_thread_create(&cl[i].thread, name, client_main, &cl[i]);
		if (err)
			break;
		cl[i].started = true;
		started++;
	}
	gate_open_for(g, started);
	for (int i = 0; i < k; i++)
		if (cl[i].started)
			pthread_join(cl[i].thread, NULL);
	return err;
}

int demo_echo_clients(const char *host, int port, int k, int m, size_t msg_len,
		      struct demo_client_stats *out)
{
	struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1 };
	struct client *cl;
	uint64_t *lat, t0;
	int err;

	memset(out, 0, sizeof(*out));
	if (k < 1 || m < 1 || msg_len < 1 || msg_len > MAX_MSG)
		return -EINVAL;
	cl = calloc((size_t)k, sizeof(*cl));
	lat = calloc((size_t)k * (size_t)m, sizeof(*lat));
	err = -ENOMEM;
	if (!cl || !lat)
		goto cleanup;
	for (int i = 0; i < k; i++)
		cl[i] = (struct client){ .gate = &gate, .host = host, .port = port, .id = i, .m = m,
					 .len = msg_len, .lat = lat + (size_t)i * (size_t)m };
	t0 = demo_now_ns();
	err = run_clients(cl, k, &gate);
	out->wall_ns = demo_now_ns() - t0;
	out->clients = k;
	out->messages = m;
	summarise(lat, (size_t)k * (size_t)m, out);
	if (!err && out->failed)
		err = -EIO;
cleanup:
	free(cl);
	free(lat);
	return err;
}

struct spawn_msg {
	int rc;
	struct demo_client_stats stats;
};

/* The child: runs the clients and sends the statistics up the pipe. */
static void __attribute__((noreturn)) spawned_clients(const struct demo_echo_spawn *s,
						       int report_fd)
{
	struct spawn_msg msg;

	if (s->close_fd >= 0)
		close(s->close_fd);
	demo_name_process("echo-clients");
	demo_watchdog_status(30, "echo clients did not finish", DEMO_EXIT_SAFETY);
	if (s->delay_ms > 0)
		demo_sleep_ms(s->delay_ms);
	msg.rc = demo_echo_clients(s->host, s->port, s->k_clients, s->m_messages,
				   s->msg_len, &msg.stats);
	if (write(report_fd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(3);
	_exit(msg.rc ? 1 : 0);
}

pid_t demo_echo_clients_spawn(const struct demo_echo_spawn *s, int *stats_fd)
{
	int pfd[2];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		spawned_clients(s, pfd[1]);
	}
	close(pfd[1]);
	*stats_fd = pfd[0];
	return pid;
}

int demo_echo_clients_reap(pid_t pid, int stats_fd, struct demo_client_stats *out,
			   int *wait_status)
{
	struct spawn_msg msg;
	ssize_t n = demo_read_all(stats_fd, &msg, sizeof(msg));
	int status;

	close(stats_fd);
	status = demo_wait(pid);
	if (wait_status)
		*wait_status = status;
	memset(out, 0, sizeof(*out));
	if (n != (ssize_t)sizeof(msg))
		return -EPIPE;
	*out = msg.stats;
	return msg.rc;
}

void demo_print_client_stats(const struct demo_client_stats *s)
{
	printf("clients %d x %d: ok %llu, failed %llu, latency us "
	       "min %.1f p50 %.1f p99 %.1f max %.1f, wall %.1f ms\n",
	       s->clients, s->messages, (unsigned long long)s->ok,
	       (unsigned long long)s->failed, (double)s->lat_min_ns / 1e3,
	       (double)s->lat_p50_ns / 1e3, (double)s->lat_p99_ns / 1e3,
	       (double)s->lat_max_ns / 1e3, (double)s->wall_ns / 1e6);
}
