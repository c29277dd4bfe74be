/* d3_process_queue.c - D3: producer-consumer between two processes
 * (multiprocessing.Queue): the blocking queue lives in shared memory with
 * process-shared locks, so a put in one process wakes a get in the other. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "bqueue.h"
#include "demo.h"

#define CAPACITY 3
#define STOP (-1L)

static const struct demo_spec spec = {
	.name = "d3_process_queue",
	.summary = "producer-consumer between processes through a shared queue",
	.explain =
		"The parent creates a queue of 3 in shared memory and forks two\n"
		"processes: 'producer' puts items, 'consumer' gets them.\n"
		"Phase slow-producer: the consumer process waits on the empty queue;\n"
		"each put wakes it. Phase slow-consumer: the producer process waits on\n"
		"the full queue; each get wakes it.\n"
		"Look for: wakeup arrows that cross processes (producer -> consumer,\n"
		"then consumer -> producer) on the queue's shared futex; queue_put /\n"
		"queue_get marks with the depth.",
};

static struct bqueue *q;
static int n_items;
static double unit_ms;

static bool slow_producer(long item)
{
	return item <= n_items / 2;
}

static int producer(void *arg)
{
	(void)arg;
	for (long i = 1; i <= n_items; i++) {
		if (slow_producer(i))
			demo_sleep_ms(unit_ms * 10);
		else if (i == n_items / 2 + 1)
			demo_phase("slow-consumer");
		if (bq_put(q, i, 3000) < 0)
			return 1;
		printf("producer (pid %d): put %ld\n", (int)getpid(), i);
	}
	return bq_put(q, STOP, 3000) < 0;
}

static int consumer(void *arg)
{
	long item;

	(void)arg;
	while (bq_get(q, &item, 3000) == 0) {
		if (item == STOP)
			return 0;
		printf("consumer (pid %d): got %ld\n", (int)getpid(), item);
		if (!slow_producer(item))
			demo_sleep_ms(unit_ms * 10);
	}
	return 1;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	pid_t pc, pp;
	int sc, sp;
	uint64_t t0;

	demo_start(argc, argv, &spec, &a);
	n_items = demo_or(a.messages, 16);
	unit_ms = demo_ms(&a, 5);
	q = bq_new_shared(BQ_FIFO, CAPACITY, "shared-items");
	if (!q)
		demo_die(-errno, "cannot create the shared queue");
	t0 = demo_now_ns();
	demo_phase("slow-producer");
	pc = demo_fork("consumer", consumer, NULL);
	if (pc < 0)
		demo_die(pc, "cannot fork the consumer");
	pp = demo_fork("producer", producer, NULL);
	if (pp < 0)
		demo_die(pp, "cannot fork the producer");
	sp = demo_wait(pp);
	sc = demo_wait(pc);
	demo_phase("end");
	printf("%d items between two processes in %.0f ms (producer %s, consumer %s)\n",
	       n_items, demo_ms_since(t0), sp == 0 ? "ok" : "failed",
	       sc == 0 ? "ok" : "failed");
	bq_free(q);
	return sp == 0 && sc == 0 ? 0 : 1;
}
