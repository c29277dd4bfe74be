/* test_reorder.c - the reorder buffer that merges per-CPU event streams:
 * global order, watermark release, late records refused and counted,
 * records larger than the slab classes, and millions of records. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userspace/kernel/reorder.h"

/* What the tests collect from a release. */
struct sink {
	uint64_t n;
	uint64_t last_ts;
	bool ordered;
	bool intact;
	uint64_t ts[16];
	uint32_t tid[16];
	int stop_after; /* return non-zero after this many; 0 = never */
};

static void sink_init(struct sink *k)
{
	memset(k, 0, sizeof(*k));
	k->ordered = true;
	k->intact = true;
}

/* A record whose payload bytes are a function of (ts, tid), so the test
 * can tell a copy was kept intact. */
static void make_rec(struct tl_usdt *r, uint64_t ts, uint32_t tid)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->h.size = sizeof(*r);
	r->h.type = TL_USDT;
	r->h.ts = ts;
	r->h.tid = tid;
	r->args[0] = ts ^ 0x5a5a5a5a;
	r->args[1] = tid;
	for (i = 0; i < sizeof(r->str) - 1; i++)
		r->str[i] = 'a' + (ts + tid + i) % 26;
}

static bool rec_ok(const struct tl_hdr *h)
{
	struct tl_usdt want;

	if (h->size != sizeof(want))
		return false;
	make_rec(&want, h->ts, h->tid);
	return memcmp(&want, h, sizeof(want)) == 0;
}

static int collect(void *ctx, const struct tl_hdr *h)
{
	struct sink *k = ctx;

	if (k->n && h->ts < k->last_ts)
		k->ordered = false;
	if (h->type == TL_USDT && !rec_ok(h))
		k->intact = false;
	if (k->n < 16) {
		k->ts[k->n] = h->ts;
		k->tid[k->n] = h->tid;
	}
	k->last_ts = h->ts;
	k->n++;
	if (k->stop_after && k->n == (uint64_t)k->stop_after)
		return -ECANCELED;
	return 0;
}

static void push(struct tl_reorder *r, uint64_t ts, uint32_t tid, unsigned src,
		 int want)
{
	struct tl_usdt rec;

	make_rec(&rec, ts, tid);
	assert_int_equal(tl_reorder_push(r, &rec.h, src), want);
}

static void test_interleaved_streams(void **state)
{
	/* four CPUs, each in its own order, arriving in uneven bursts */
	enum { NSRC = 4, PER = 500 };
	struct tl_reorder *r = tl_reorder_new(NSRC);
	uint64_t next[NSRC] = {0};
	int left[NSRC], i, src;
	struct tl_reorder_stats st;
	struct sink k;

	(void)state;
	srand(7);
	for (i = 0; i < NSRC; i++)
		left[i] = PER;
	for (;;) {
		for (src = 0; src < NSRC && !left[src]; src++)
			;
		if (src == NSRC)
			break;
		src = rand() % NSRC;
		for (i = rand() % 20; i >= 0 && left[src]; i--, left[src]--) {
			next[src] += 1 + rand() % 1000;
			push(r, next[src], src * 100000 + left[src], src, 0);
		}
	}
	sink_init(&k);
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.n, NSRC * PER);
	assert_true(k.ordered);
	assert_true(k.intact);
	tl_reorder_stats(r, &st);
	assert_int_equal(st.pushed, NSRC * PER);
	assert_int_equal(st.released, NSRC * PER);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.inverted, 0);
	assert_int_equal(st.pending, 0);
	tl_reorder_free(r);
}

static void test_watermark_release(void **state)
{
	struct tl_reorder *r = tl_reorder_new(2);
	struct tl_reorder_stats st;
	struct sink k;

	(void)state;
	push(r, 40, 4, 0, 0);
	push(r, 10, 1, 1, 0);
	push(r, 30, 3, 1, 0);
	push(r, 20, 2, 0, 0);
	sink_init(&k);
	assert_int_equal(tl_reorder_release(r, 25, collect, &k), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.ts[0], 10);
	assert_int_equal(k.ts[1], 20);
	tl_reorder_stats(r, &st);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.last_ts, 20);
	/* the watermark is inclusive */
	assert_int_equal(tl_reorder_release(r, 30, collect, &k), 0);
	assert_int_equal(k.n, 3);
	assert_int_equal(k.ts[2], 30);
	assert_int_equal(tl_reorder_release(r, 39, collect, &k), 0);
	assert_int_equal(k.n, 3);
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.n, 4);
	assert_int_equal(k.ts[3], 40);
	assert_true(k.intact);
	tl_reorder_free(r);
}

static void test_equal_timestamps_keep_arrival_order(void **state)
{
	struct tl_reorder *r = tl_reorder_new(1);
	struct sink k;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		push(r, 100, i, 0, 0);
	push(r, 50, 99, 0, 0);
	sink_init(&k);
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.n, 11);
	assert_int_equal(k.tid[0], 99);
	for (i = 0; i < 10; i++)
		assert_int_equal(k.tid[i + 1], i);
	tl_reorder_free(r);
}

static void test_late_record_counted_not_delivered(void **state)
{
	struct tl_reorder *r = tl_reorder_new(2);
	struct tl_reorder_stats st;
	struct sink k;

	(void)state;
	push(r, 10, 1, 0, 0);
	push(r, 20, 2, 0, 0);
	sink_init(&k);
	assert_int_equal(tl_reorder_release(r, 20, collect, &k), 0);
	assert_int_equal(k.n, 2);
	/* older than what was released: refused and counted */
	push(r, 15, 3, 1, TL_REORDER_LATE);
	push(r, 19, 4, 1, TL_REORDER_LATE);
	/* equal to the last released, or newer, is still in order */
	push(r, 20, 5, 1, 0);
	push(r, 25, 6, 0, 0);
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.n, 4);
	assert_int_equal(k.tid[2], 5);
	assert_int_equal(k.tid[3], 6);
	assert_true(k.ordered);
	tl_reorder_stats(r, &st);
	assert_int_equal(st.late, 2);
	assert_int_equal(st.pushed, 4);
	assert_int_equal(st.released, 4);
	tl_reorder_free(r);
}

static void test_inversions_within_a_source(void **state)
{
	struct tl_reorder *r = tl_reorder_new(2);
	struct tl_reorder_stats st;
	struct sink k;

	(void)state;
	push(r, 100, 1, 0, 0);
	push(r, 90, 2, 0, 0);  /* out of order within source 0: fixed */
	push(r, 50, 3, 1, 0);  /* other source: a normal interleaving */
	sink_init(&k);
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.ts[0], 50);
	assert_int_equal(k.ts[1], 90);
	assert_int_equal(k.ts[2], 100);
	tl_reorder_stats(r, &st);
	assert_int_equal(st.inverted, 1);
	tl_reorder_free(r);
}

static void test_bad_input(void **state)
{
	struct tl_reorder *r = tl_reorder_new(2);
	struct tl_hdr h = { .size = 4, .type = TL_USDT, .ts = 1 };

	(void)state;
	assert_null(tl_reorder_new(0));
	assert_int_equal(tl_reorder_push(r, &h, 0), -EINVAL);
	h.size = sizeof(h);
	assert_int_equal(tl_reorder_push(r, &h, 2), -EINVAL);
	assert_int_equal(tl_reorder_push(r, &h, 1), 0);
	tl_reorder_free(r);
}

static void test_callback_stops_release(void **state)
{
	struct tl_reorder *r = tl_reorder_new(1);
	struct tl_reorder_stats st;
	struct sink k;
	int i;

	(void)state;
	for (i = 1; i <= 5; i++)
		push(r, i, i, 0, 0);
	sink_init(&k);
	k.stop_after = 2;
	assert_int_equal(tl_reorder_drain(r, collect, &k), -ECANCELED);
	assert_int_equal(k.n, 2);
	tl_reorder_stats(r, &st);
	assert_int_equal(st.pending, 3);
	k.stop_after = 0;
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	assert_int_equal(k.n, 5);
	assert_true(k.ordered);
	tl_reorder_free(r);
}

/* Records above the slab classes (e.g. a trailer) and of several sizes. */
static int check_big(void *ctx, const struct tl_hdr *h)
{
	const unsigned char *p = (const unsigned char *)h;
	uint64_t *n = ctx;
	size_t i;

	for (i = sizeof(*h); i < h->size; i++)
		if (p[i] != (unsigned char)(h->ts + i))
			return -EIO;
	(*n)++;
	return 0;
}

static void test_sizes_and_big_records(void **state)
{
	static const uint16_t sizes[] = { 24, 64, 65, 200, 2048, 2049, 8000 };
	struct tl_reorder *r = tl_reorder_new(1);
	unsigned char buf[8000];
	struct tl_hdr *h = (struct tl_hdr *)buf;
	uint64_t n = 0;
	size_t i, j;

	(void)state;
	for (i = 0; i < 70; i++) {
		uint16_t sz = sizes[i % 7];

		memset(h, 0, sizeof(*h));
		h->size = sz;
		h->type = TL_PROC_INFO;
		h->ts = 1000 - i;
		for (j = sizeof(*h); j < sz; j++)
			buf[j] = (unsigned char)(h->ts + j);
		assert_int_equal(tl_reorder_push(r, h, 0), 0);
	}
	assert_int_equal(tl_reorder_release(r, 965, check_big, &n), 0);
	assert_int_equal(n, 35);
	/* pending big records are freed with the buffer (checked by ASan/valgrind) */
	tl_reorder_free(r);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint64_t min_clock(const uint64_t *c, int n)
{
	uint64_t m = c[0];
	int i;

	for (i = 1; i < n; i++)
		if (c[i] < m)
			m = c[i];
	return m;
}

/* 4 million records from 8 CPUs with small in-stream jitter, released
 * behind a moving watermark as the collector does. */
static void test_large_volume(void **state)
{
	enum { NSRC = 8, TOTAL = 4000000, BATCH = 64 };
	struct tl_reorder *r = tl_reorder_new(NSRC);
	uint64_t clock[NSRC] = {0}, t0, ns, pushed = 0;
	struct tl_reorder_stats st;
	struct tl_usdt rec;
	struct sink k;
	int src, i;

	(void)state;
	sink_init(&k);
	srand(11);
	t0 = mono_ns();
	while (pushed < TOTAL) {
		for (src = 0; src < NSRC; src++) {
			for (i = 0; i < BATCH; i++) {
				clock[src] += 100 + rand() % 400;
				make_rec(&rec, clock[src] - rand() % 50, src);
				assert_int_equal(tl_reorder_push(r, &rec.h, src), 0);
			}
			pushed += BATCH;
		}
		/* every CPU has passed its slowest clock minus the jitter */
		assert_int_equal(tl_reorder_release(r, min_clock(clock, NSRC) - 50,
						    collect, &k), 0);
	}
	assert_int_equal(tl_reorder_drain(r, collect, &k), 0);
	ns = mono_ns() - t0;
	tl_reorder_stats(r, &st);
	assert_int_equal(k.n, pushed);
	assert_int_equal(st.released, pushed);
	assert_true(k.ordered);
	assert_true(k.intact);
	assert_int_equal(st.late, 0);
	assert_true(st.peak < TOTAL / 10);
	printf("# %llu records in %.3f s: %.1f M records/s, peak pending %llu\n",
	       (unsigned long long)pushed, ns / 1e9, pushed / (ns / 1e3),
	       (unsigned long long)st.peak);
	/* generous: an -O2 build does several million per second */
	assert_true(pushed / (ns / 1e9) > 1e6);
	tl_reorder_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_streams),
		cmocka_unit_test(test_watermark_release),
		cmocka_unit_test(test_equal_timestamps_keep_arrival_order),
		cmocka_unit_test(test_late_record_counted_not_delivered),
		cmocka_unit_test(test_inversions_within_a_source),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_callback_stops_release),
		cmocka_unit_test(test_sizes_and_big_records),
		cmocka_unit_test(test_large_volume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
