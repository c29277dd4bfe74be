/* d2_producer_consumer.c - D2: producer-consumer with threads and a
 * bounded blocking queue, with random pauses. First the producer is faster
 * (the queue fills and the producer waits), then the consumers are faster
 * (the queue runs empty and they wait). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bqueue.h"
#include "demo.h"

#define CAPACITY 3
#define STOP (-1L)

static const struct demo_spec spec = {
	.name = "d2_producer_consumer",
	.summary = "producer-consumer with threads and a bounded blocking queue",
	.explain =
		"One 'producer' thread puts items into a queue of 3; two threads\n"
		"'consumer-1', 'consumer-2' take them, with random pauses.\n"
		"Phase fast-producer: the queue fills up, the producer blocks in put.\n"
		"Phase slow-producer: the queue runs empty, the consumers block in get.\n"
		"Look for: wakeup arrows producer -> consumer (a put wakes a waiting\n"
		"get) and consumer -> producer (a get wakes a waiting put); the\n"
		"consumers Sleeping in futex whenever the queue_put/queue_get marks\n"
		"show depth 0, the producer Sleeping whenever they show depth 3.",
	.default_seconds = 0,
};

static struct bqueue *q;
static int n_items, n_consumers;
static double unit_ms;

/* A pause of lo..hi units, from a per-thread seeded generator. */
static void pause_units(unsigned *seed, int lo, int hi)
{
	demo_sleep_ms(unit_ms * (lo + rand_r(seed) % (hi - lo + 1)));
}

static bool fast_producer_phase(long item)
{
	return item <= n_items / 2;
}

static void *producer(void *arg)
{
	unsigned seed = 7;

	(void)arg;
	for (long i = 1; i <= n_items; i++) {
		if (i == n_items / 2 + 1)
			demo_phase("slow-producer");
		if (fast_producer_phase(i))
			pause_units(&seed, 1, 3);
		else
			pause_units(&seed, 8, 16);
		bq_put(q, i, BQ_BLOCK);
		printf("producer: put %2ld, depth %zu\n", i, bq_size(q));
	}
	for (int c = 0; c < n_consumers; c++)
		bq_put(q, STOP, BQ_BLOCK);
	return NULL;
}

static void *consumer(void *arg)
{
	unsigned seed = 100 + (unsigned)(long)arg;
	long item;

	while (bq_get(q, &item, 3000) == 0 && item != STOP) {
		printf("consumer-%ld: got %2ld\n", (long)arg, item);
		if (fast_producer_phase(item))
			pause_units(&seed, 10, 18);
		else
			pause_units(&seed, 1, 2);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	pthread_t prod, cons[8];
	uint64_t t0;
	int err;

	demo_start(argc, argv, &spec, &a);
	n_items = demo_or(a.messages, 24);
	n_consumers = demo_or(a.count, 2);
	if (n_consumers > 8)
		demo_die(0, "at most 8 consumers");
	unit_ms = demo_ms(&a, 5);
	q = bq_new(BQ_FIFO, CAPACITY, "items");
	if (!q)
		demo_die(-errno, "cannot create the queue");
	t0 = demo_now_ns();
	demo_phase("fast-producer");
	for (long c = 0; c < n_consumers; c++) {
		char name[24];

		snprintf(name, sizeof(name), "consumer-%ld", c + 1);
		err = demo_thread_create(&cons[c], name, consumer, (void *)(c + 1));
		if (err)
			demo_die(err, "cannot start %s", name);
	}
	err = demo_thread_create(&prod, "producer", producer, NULL);
	if (err)
		demo_die(err, "cannot start the producer");
	pthread_join(prod, NULL);
	for (int c = 0; c < n_consumers; c++)
		pthread_join(cons[c], NULL);
	demo_phase("end");
	printf("%d items through a queue of %d in %.0f ms\n", n_items, CAPACITY,
	       demo_ms_since(t0));
	bq_free(q);
	return 0;
}
