/* g8_pool_server.c - G8: a thread-pool server. A fixed pool of worker
 * threads is started once; the accepting thread hands each new connection
 * to the pool through a blocking queue, and a free worker serves it. */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bqueue.h"
#include "echo_server.h"

#define MAX_WORKERS 16
#define STOP (-1L)

static const struct demo_spec spec = {
	.name = "g8_pool_server",
	.summary = "thread-pool server: N workers, reused for every connection",
	.explain =
		"The 'server' thread starts N = 3 threads 'pool-worker-N' (set with\n"
		"--count) and then only accepts, putting each connection into a\n"
		"queue. A free worker takes it and echoes it until it closes; with 6\n"
		"clients each worker serves about two connections, one after another.\n"
		"Look for: exactly N worker threads created before the first accept\n"
		"and none per connection; each worker Sleeping in futex (empty\n"
		"queue) or in recvfrom (serving), and recv calls on several\n"
		"connections over its life.",
};

static struct bqueue *q;

struct worker {
	pthread_t t;
	int conns;
	long served;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long fd;

	while (bq_get(q, &fd, 3 * ECHO_IO_TIMEOUT_MS) == 0 && fd != STOP) {
		long n = echo_serve_conn((int)fd);

		close((int)fd);
		w->conns++;
		w->served += n > 0 ? n : 0;
	}
	return NULL;
}

static int start_pool(struct worker *w, int n)
{
	for (int i = 0; i < n; i++) {
		char name[32];
		int err;

		snprintf(name, sizeof(name), "pool-worker-%d", i + 1);
		err = demo_thread_create(&w[i].t, name, worker_main, &w[i]);
		if (err)
			return err;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_WORKERS];
	struct demo_args a;
	struct echo_run r;
	int nw, accepted = 0, err;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("server");
	nw = demo_or(a.count, 3);
	if (nw > MAX_WORKERS)
		demo_die(0, "at most %d workers", MAX_WORKERS);
	q = bq_new(BQ_FIFO, 64, "connections");
	if (!q)
		demo_die(-errno, "queue");
	demo_phase("pool");
	err = start_pool(w, nw);
	if (err)
		demo_die(err, "cannot start the pool");
	echo_run_start(&r, &a, 0);
	echo_set_timeouts(r.lfd);
	while (accepted < r.k) {
		int fd = accept4(r.lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			break;
		echo_set_timeouts(fd);
		bq_put(q, fd, BQ_BLOCK);
		accepted++;
	}
	for (int i = 0; i < nw; i++)
		bq_put(q, STOP, BQ_BLOCK);
	for (int i = 0; i < nw; i++) {
		pthread_join(w[i].t, NULL);
		printf("pool-worker-%d served %d connections, %ld requests\n", i + 1,
		       w[i].conns, w[i].served);
	}
	demo_phase("end");
	bq_free(q);
	return echo_run_finish(&r);
}
