/* b5_thread_pool.c - a thread pool executor: submit() returns a future,
 * result() waits for it, map() keeps submission order, a done-callback runs
 * on the worker that finished the task, shutdown() joins the workers. */
#include <stdio.h>
#include <stdlib.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define MAX_WORKERS 32
#define MAX_TASKS 256

static const struct demo_spec spec = {
	.name = "b5_thread_pool",
	.summary = "a fixed pool of worker threads computes squares; results in order",
	.explain =
		"A pool of N worker threads (\"pool-worker-1\"..; N = --count, default 2)\n"
		"takes 8 tasks \"square(x)\" (50 ms of CPU each) from a queue. main\n"
		"submits them all, then asks for the results in submission order\n"
		"(like map()), waiting on each future. Every task has a done-callback,\n"
		"which runs on the worker thread that finished it. Then shutdown().\n"
		"Look for: exactly N worker threads, each running several tasks; the\n"
		"callbacks (USDT mark \"callback\") on worker threads; main Sleeping in\n"
		"futex while it waits for a result.",
	.default_seconds = 0.05,
};

struct future {
	long arg, result;
	bool done;
	void (*callback)(struct future *);
	pthread_cond_t done_cond;
};

static struct demo_args args;
pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_work = PTHREAD_COND_INITIALIZER;
static struct future *queue[MAX_TASKS];
static int q_head, q_tail;
static bool shutting_down;

static struct future *take(void)
{
	struct future *f = NULL;

	pthread_mutex_lock(&pool_lock);
	while (q_head == q_tail && !shutting_down)
		pthread_cond_wait(&pool_work, &pool_lock);
	if (q_head != q_tail) {
		f = queue[q_head++];
		THREADLINE_QUEUE_GET(queue, q_tail - q_head, "work-queue");
	}
	pthread_mutex_unlock(&pool_lock);
	return f;
}

static void *worker(void *unused)
{
	struct future *f;

	(void)unused;
	while ((f = take())) {
		THREADLINE_TASK_BEGIN(f->arg, "square");
		demo_burn_cpu_ms(args.seconds * 1000.0);
		pthread_mutex_lock(&pool_lock);
		f->result = f->arg * f->arg;
		f->done = true;
		pthread_cond_signal(&f->done_cond);
		pthread_mutex_unlock(&pool_lock);
		THREADLINE_TASK_END(f->arg);
		if (f->callback)
			f->callback(f);
	}
	return NULL;
}

static void submit(struct future *f, long x, void (*cb)(struct future *))
{
	*f = (struct future){ .arg = x, .callback = cb };
	pthread_cond_init(&f->done_cond, NULL);
	pthread_mutex_lock(&pool_lock);
	queue[q_tail++] = f;
	THREADLINE_QUEUE_PUT(queue, q_tail - q_head, "work-queue");
	pthread_cond_signal(&pool_work);
	pthread_mutex_unlock(&pool_lock);
}

static long result(struct future *f)
{
	long r;

	pthread_mutex_lock(&pool_lock);
	while (!f->done)
		pthread_cond_wait(&f->done_cond, &pool_lock);
	r = f->result;
	pthread_mutex_unlock(&pool_lock);
	return r;
}

static void on_done(struct future *f)
{
	char name[16] = "";

	pthread_getname_np(pthread_self(), name, sizeof(name));
	THREADLINE_MARK(f->arg, "callback");
	printf("  callback on %s: square(%ld) done\n", name, f->arg);
}

static void shutdown_pool(pthread_t *t, int n)
{
	pthread_mutex_lock(&pool_lock);
	shutting_down = true;
	pthread_cond_broadcast(&pool_work);
	pthread_mutex_unlock(&pool_lock);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	static struct future futures[MAX_TASKS];
	pthread_t t[MAX_WORKERS];
	char name[32];
	int n, ntasks = 8, err;

	demo_start(argc, argv, &spec, &args);
	n = demo_or(args.count, 2);
	if (n > MAX_WORKERS)
		demo_die(0, "at most %d workers", MAX_WORKERS);
	for (long i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "pool-worker-%ld", i + 1);
		err = demo_thread_create(&t[i], name, worker, NULL);
		if (err)
			demo_die(err, "pthread_create");
	}
	for (int i = 0; i < ntasks; i++)
		submit(&futures[i], i + 1, on_done);
	printf("main: submitted %d tasks; results in submission order:\n", ntasks);
	for (int i = 0; i < ntasks; i++)
		printf("main: square(%ld) = %ld\n", futures[i].arg, result(&futures[i]));
	shutdown_pool(t, n);
	printf("main: pool shut down\n");
	return 0;
}
