/* demo_time.c - clocks, sleeps and CPU burning of fixed size for the demos. */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t demo_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

double demo_ms_since(uint64_t t0_ns)
{
	return (double)(demo_now_ns() - t0_ns) / 1e6;
}

uint64_t demo_thread_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

void demo_sleep_ms(double ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000.0);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

uint64_t demo_burn_rounds(uint64_t n)
{
	/* xorshift-multiply: cheap, data-dependent, not vectorisable away */
	volatile uint64_t sink;
	uint64_t x = 0x9e3779b97f4a7c15ull + n;

	for (uint64_t i = 0; i < n; i++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= i;
	}
	sink = x;
	return sink;
}

/* Burn in slices of ~20 us between clock reads: cheap enough, fine enough. */
#define SLICE_ROUNDS 8192

void demo_burn_cpu_ms(double ms)
{
	uint64_t end = demo_thread_cpu_ns() + (uint64_t)(ms * 1e6);

	while (demo_thread_cpu_ns() < end)
		demo_burn_rounds(SLICE_ROUNDS);
}

void demo_burn_wall_ms(double ms)
{
	uint64_t end = demo_now_ns() + (uint64_t)(ms * 1e6);

	while (demo_now_ns() < end)
		demo_burn_rounds(SLICE_ROUNDS);
}

int demo_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}
