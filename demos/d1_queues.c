/* d1_queues.c - D1: FIFO, LIFO and priority queues; a bounded queue whose
 * put blocks when full while put_nowait fails (the item is lost unless
 * kept) and get_nowait fails when empty; task_done/join. */
#include <errno.h>
#include <stdio.h>

#include "bqueue.h"
#include "demo.h"

static const struct demo_spec spec = {
	.name = "d1_queues",
	.summary = "FIFO/LIFO/priority queues, a bounded queue, task_done/join",
	.explain =
		"1-3: the same items through a FIFO, a LIFO and a priority queue.\n"
		"4: a queue of 5: put_nowait on the full queue fails (the item is\n"
		"   kept aside, or it would be lost); get_nowait on the empty one fails.\n"
		"5: a queue of 2: the producer thread's put blocks while it is full,\n"
		"   main takes one item every 100 ms.\n"
		"6: two workers take items and call task_done; main's join waits.\n"
		"Look for: in phase blocking-put, 'producer' Sleeping in futex after\n"
		"each queue_put that reaches depth 2, woken by main's queue_get; in\n"
		"phase join, main Sleeping in futex until the last task_done.",
};

static double tick_ms;

static struct bqueue *make_queue(enum bq_kind kind, size_t cap, const char *name)
{
	struct bqueue *q = bq_new(kind, cap, name);

	if (!q)
		demo_die(-errno, "cannot create queue %s", name);
	return q;
}

static void drain_print(struct bqueue *q)
{
	long v;

	printf("  %s gives:", bq_name(q));
	while (bq_get(q, &v, BQ_NOWAIT) == 0)
		printf(" %ld", v);
	printf("\n");
}

static void kinds(void)
{
	static const long items[] = { 3, 1, 4, 5, 2 };
	struct bqueue *q[3] = {
		make_queue(BQ_FIFO, 8, "fifo"),
		make_queue(BQ_LIFO, 8, "lifo"),
		make_queue(BQ_PRIORITY, 8, "priority"),
	};

	printf("  put: 3 1 4 5 2\n");
	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
			bq_put(q[k], items[i], BQ_BLOCK);
		drain_print(q[k]);
		bq_free(q[k]);
	}
}

static void nowait(void)
{
	struct bqueue *q = make_queue(BQ_FIFO, 5, "bounded");
	long kept[4], v;
	int nkept = 0;

	for (long i = 1; i <= 6; i++) {
		if (bq_put(q, i, BQ_NOWAIT) == -EAGAIN) {
			printf("  put_nowait(%ld): queue full -> kept aside\n", i);
			kept[nkept++] = i;
		}
	}
	drain_print(q);
	if (bq_get(q, &v, BQ_NOWAIT) == -EAGAIN)
		printf("  get_nowait: queue empty -> fails at once\n");
	for (int i = 0; i < nkept; i++)
		printf("  still have item %ld thanks to keeping it\n", kept[i]);
	bq_free(q);
}

static void *producer(void *arg)
{
	struct bqueue *q = arg;

	for (long i = 1; i <= 6; i++) {
		uint64_t t0 = demo_now_ns();

		bq_put(q, i, BQ_BLOCK);
		printf("  producer: put %ld (waited %.0f ms)\n", i, demo_ms_since(t0));
	}
	return NULL;
}

static void blocking_put(void)
{
	struct bqueue *q = make_queue(BQ_FIFO, 2, "bounded2");
	pthread_t t;
	long v;
	int err = demo_thread_create(&t, "producer", producer, q);

	if (err)
		demo_die(err, "cannot start the producer");
	for (int i = 0; i < 6; i++) {
		demo_sleep_ms(tick_ms);
		if (bq_get(q, &v, 2000) == 0)
			printf("  main: got %ld\n", v);
	}
	pthread_join(t, NULL);
	bq_free(q);
}

static void *worker(void *arg)
{
	struct bqueue *q = arg;
	long v;

	while (bq_get(q, &v, 3000) == 0 && v >= 0) {
		demo_sleep_ms(tick_ms * 0.8); /* the task: I/O-like wait */
		bq_task_done(q);
	}
	return NULL;
}

static void join_phase(void)
{
	struct bqueue *q = make_queue(BQ_FIFO, 16, "tasks");
	pthread_t t[2];
	uint64_t t0;

	for (int i = 0; i < 2; i++) {
		char name[16];
		int err;

		snprintf(name, sizeof(name), "worker-%d", i + 1);
		err = demo_thread_create(&t[i], name, worker, q);
		if (err)
			demo_die(err, "cannot start %s", name);
	}
	for (long i = 1; i <= 6; i++)
		bq_put(q, i, BQ_BLOCK);
	t0 = demo_now_ns();
	if (bq_join(q, 3000) == 0)
		printf("  join: all 6 tasks done after %.0f ms\n", demo_ms_since(t0));
	for (int i = 0; i < 2; i++)
		bq_put(q, -1, BQ_BLOCK); /* one stop item per worker */
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	bq_free(q);
}

int main(int argc, char **argv)
{
	struct demo_args a;

	demo_start(argc, argv, &spec, &a);
	tick_ms = demo_ms(&a, 100);
	demo_phase("kinds");
	kinds();
	demo_phase("nowait");
	nowait();
	demo_phase("blocking-put");
	blocking_put();
	demo_phase("join");
	join_phase();
	demo_phase("end");
	return 0;
}
