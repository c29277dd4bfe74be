/* f2_greenlet.c - F2: greenlet-style explicit switches. Two coroutines hand
 * control to each other by name and print 12, 56, 34, 78 in that order; the
 * kernel sees one thread that never blocks. */
#include <errno.h>
#include <stdio.h>

#include "coro.h"
#include "demo.h"

static const struct demo_spec spec = {
	.name = "f2_greenlet",
	.summary = "two coroutines switching explicitly (greenlet)",
	.explain =
		"test1 prints 12 and switches to test2, which prints 56 and switches\n"
		"back; test1 prints 34 and switches again; test2 prints 78 and ends,\n"
		"returning to main. Output: 12 56 34 78, all on ONE thread.\n"
		"Look for: one thread, no kernel context switch between the steps;\n"
		"coro_switch marks main -> test1 -> test2 -> test1 -> test2 -> main.",
};

static struct coro *gr1, *gr2;
static double work_ms;

static void step(int value)
{
	printf("%d\n", value);
	demo_burn_cpu_ms(work_ms);
}

static void test1(void *arg)
{
	(void)arg;
	step(12);
	coro_switch(gr2);
	step(34);
	coro_switch(gr2);
}

static void test2(void *arg)
{
	(void)arg;
	step(56);
	coro_switch(gr1);
	step(78);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	uint64_t t0;

	demo_start(argc, argv, &spec, &a);
	work_ms = demo_ms(&a, 20);
	coro_init("main");
	gr1 = coro_new("test1", test1, NULL);
	gr2 = coro_new("test2", test2, NULL);
	if (!gr1 || !gr2)
		demo_die(-ENOMEM, "cannot create coroutines");
	t0 = demo_now_ns();
	demo_phase("greenlet");
	coro_switch(gr1);
	demo_phase("end");
	/* like a greenlet, test1 is left suspended after its last switch */
	printf("back in main after %.0f ms; test2 finished: %s, test1 finished: %s\n",
	       demo_ms_since(t0), coro_finished(gr2) ? "yes" : "no",
	       coro_finished(gr1) ? "yes" : "no");
	coro_free(gr1);
	coro_free(gr2);
	return 0;
}
