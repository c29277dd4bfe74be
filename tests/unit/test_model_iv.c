/* test_model_iv.c - a thread's intervals as model_iv.c stores them read
 * back exactly: every state and cause (those no event makes too), CPUs,
 * prios, wakers and blocks that repeat an earlier interval's or not,
 * wakers far below and above the thread's TID, with and without
 * waker_irq; in order, backwards, at random and by time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/model/model_impl.h"
#include "records.h"

#define BASE 1000000000ull
#define TID 70000u
#define NBLOCKS 300

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* A value from a few kinds: the previous one often, else one of a few
 * fixed ones, else anything below lim. */
static uint64_t pick(uint64_t *s, uint64_t prev, const uint64_t *fixed, size_t nfixed,
		     uint64_t lim)
{
	uint64_t k = rnd(s) % 8;

	if (k < 4)
		return prev;
	if (k < 7)
		return fixed[rnd(s) % nfixed];
	return rnd(s) % lim;
}

static struct tl_interval random_iv(uint64_t *s, const struct tl_interval *prev,
				    const struct tl_block **blocks, uint64_t start)
{
	static const uint64_t cpus[] = { 0, 0xffff, 3, 127, 128 };
	static const uint64_t prios[] = { 120, TL_PRIO_UNKNOWN, 0, 139 };
	static const uint64_t wakers[] = { 0, TID, TID + 1, TID - 1, 1, UINT32_MAX,
					   TID + 64, TID - 65 };
	struct tl_interval iv = { .start = start };

	/* mostly the states and causes the model makes, sometimes others */
	iv.state = rnd(s) % 8 ? rnd(s) % TL_ST_COUNT : rnd(s) % 8;
	iv.cause = rnd(s) % 4 ? (iv.state == TL_ST_RUNNABLE ? rnd(s) % 6 : 0) : rnd(s) % 8;
	iv.cpu = (int16_t)pick(s, (uint16_t)prev->cpu, cpus, 5, 70000);
	iv.prio = (uint8_t)pick(s, prev->prio, prios, 4, 256);
	iv.waker = (uint32_t)pick(s, prev->waker, wakers, 8, UINT32_MAX);
	iv.waker_irq = rnd(s) % 5 == 0;
	size_t b = (size_t)pick(s, prev->block->id, (const uint64_t[]){ 0, 1, 2 }, 3,
				NBLOCKS + 1);
	iv.block = b ? blocks[b - 1] : &tl_block_none;
	return iv;
}

static void same_iv(const struct tl_interval *a, const struct tl_interval *b, size_t i)
{
	if (a->start != b->start || a->end != b->end || a->block != b->block ||
	    a->waker != b->waker || a->cpu != b->cpu || a->prio != b->prio ||
	    a->state != b->state || a->cause != b->cause || a->waker_irq != b->waker_irq)
		fail_msg("interval %zu: [%llu, %llu] st %d/%d cpu %d prio %u waker %u%s "
			 "block %u, want [%llu, %llu] st %d/%d cpu %d prio %u waker %u%s "
			 "block %u", i, (unsigned long long)a->start,
			 (unsigned long long)a->end, a->state, a->cause, a->cpu, a->prio,
			 a->waker, a->waker_irq ? " irq" : "", a->block->id,
			 (unsigned long long)b->start, (unsigned long long)b->end,
			 b->state, b->cause, b->cpu, b->prio, b->waker,
			 b->waker_irq ? " irq" : "", b->block->id);
}

static void test_roundtrip(void **state)
{
	(void)state;
	enum { N = 5000 };
	struct tl_model *m = tl_model_new(NULL);
	const struct tl_block *blocks[NBLOCKS];
	struct tl_interval *want = calloc(N, sizeof(*want));
	uint64_t s = 42, ts = BASE;

	assert_non_null(want);
	assert_int_equal(tl_model_feed(m, TR_SNAP(.ts = BASE, .cpu = 1, .tid = TID,
						  .pid = TID, .on_cpu = true,
						  .comm = "t")), 0);
	struct thr *x = (struct thr *)tl_model_find_thread(m, TID, 0);
	assert_non_null(x);
	for (size_t i = 0; i < NBLOCKS; i++) {
		struct tl_blocked why = { .sys_nr = 202, .args = { 0x1000 + 8 * i } };
		blocks[i] = tl_block_of(m, &why, 1, false, 0);
		assert_int_equal(blocks[i]->id, i + 1);
	}
	struct tl_interval prev = { .block = &tl_block_none };
	for (size_t i = 0; i < N; i++) {
		want[i] = random_iv(&s, &prev, blocks, ts);
		ts += 1 + (rnd(&s) % 3 ? rnd(&s) % 100000 : (rnd(&s) % (1u << 20)) << (rnd(&s) % 21));
		want[i].end = ts;
		assert_int_equal(tl_thr_iv_push(m, x, &want[i]), 0);
		prev = want[i];
	}
	x->lv->cur.start = ts;   /* where the last one ends */
	x->pub.niv = tl_thr_niv(x);
	assert_int_equal(x->pub.niv, N);

	for (size_t i = 0; i < N; i++) {
		struct tl_interval got = tl_thread_iv(&x->pub, i);
		same_iv(&got, &want[i], i);
	}
	for (size_t i = N; i-- > 0;) {
		struct tl_interval got = tl_thread_iv(&x->pub, i);
		same_iv(&got, &want[i], i);
	}
	for (size_t k = 0; k < 4 * N; k++) {
		size_t i = rnd(&s) % N;
		struct tl_interval got = tl_thread_iv(&x->pub, i);
		same_iv(&got, &want[i], i);
		uint64_t at = want[i].start + rnd(&s) % (want[i].end - want[i].start);
		assert_int_equal(tl_thread_iv_find(&x->pub, at), i);
	}
	free(want);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
