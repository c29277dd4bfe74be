/* f1_generator.c - F1: generator-style producer/consumer. The producer
 * hands each item to the consumer with a send, the consumer hands back
 * "200 OK" with a yield: control passes by user-level switches inside one
 * thread, with no queue, no lock and no kernel involvement. */
#include <errno.h>
#include <stdio.h>

#include "coro.h"
#include "demo.h"

#define ITEMS 5
#define STATUS_OK 200

static const struct demo_spec spec = {
	.name = "f1_generator",
	.summary = "generator-style producer/consumer on coroutines (yield/send)",
	.explain =
		"A producer coroutine sends 5 items to a consumer coroutine, which\n"
		"answers each with \"200 OK\". Both run on ONE thread: control passes\n"
		"by send/yield (swapcontext), never through the kernel.\n"
		"Look for: one thread; no kernel context switch between the producer\n"
		"and consumer steps; the coro_switch marks alternate producer ->\n"
		"consumer -> producer, drawn as per-coroutine tracks.",
};

static double work_ms;

/* Python's consumer generator: r = yield r, stop on an empty item. */
static void consumer(void *arg)
{
	long r = 0;

	(void)arg;
	for (;;) {
		long n = coro_yield(r);

		if (!n)
			return;
		printf("[CONSUMER] <- consuming %ld...\n", n);
		demo_burn_cpu_ms(work_ms);
		r = STATUS_OK;
	}
}

static void producer(void *arg)
{
	struct coro *c = arg;

	coro_send(c, 0); /* start the generator: run it to its first yield */
	for (long n = 1; n <= ITEMS; n++) {
		long r;

		printf("[PRODUCER] -> producing %ld...\n", n);
		demo_burn_cpu_ms(work_ms);
		r = coro_send(c, n);
		printf("[PRODUCER] consumer returned: %ld %s\n", r,
		       r == STATUS_OK ? "OK" : "?");
	}
	coro_send(c, 0); /* close: the consumer returns */
}

int main(int argc, char **argv)
{
	struct demo_args a;
	struct coro *prod, *cons;
	uint64_t t0;

	demo_start(argc, argv, &spec, &a);
	work_ms = demo_ms(&a, 20);
	coro_init("main");
	cons = coro_new("consumer", consumer, NULL);
	prod = coro_new("producer", producer, cons);
	if (!cons || !prod)
		demo_die(-ENOMEM, "cannot create coroutines");
	t0 = demo_now_ns();
	demo_phase("generator");
	coro_switch(prod);
	demo_phase("end");
	printf("done in %.0f ms on one thread; consumer finished: %s\n",
	       demo_ms_since(t0), coro_finished(cons) ? "yes" : "no");
	coro_free(prod);
	coro_free(cons);
	return 0;
}
