/* test_group.c - name patterns and the grouping of many similar threads:
 * members, summed times, the worst member, and first-seen order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/model/model.h"
#include "userspace/analysis/group.h"
#include "records.h"

#define BASE 1000000000ull
#define MS(x) (BASE + (uint64_t)((x) * 1000000.0))

static void pattern_is(const char *name, const char *want)
{
	char got[TL_PATTERN_LEN];

	tl_name_pattern(name, got);
	assert_string_equal(got, want);
}

static void test_patterns(void **state)
{
	(void)state;
	pattern_is("worker-12", "worker-N");
	pattern_is("pool-1-thread-3", "pool-N-thread-N");
	pattern_is("GC Thread#0", "GC Thread#N");
	pattern_is("sched-messaging", "sched-messaging");
	pattern_is("42", "N");
	pattern_is("", "");
	pattern_is("a0123456789012345678901234567890123456789", "aN");
	pattern_is("abcdefghijklmnopqrstuvwxyzabcdefghij", "abcdefghijklmnopqrstuvwxyzabcde");
}

static void snap(struct tl_model *m, uint32_t tid, const char *comm, bool asleep)
{
	/* the others run, each on a CPU of its own */
	assert_int_equal(tl_model_feed(m, TR_SNAP(.ts = MS(0), .cpu = (int)(tid - 100),
						  .tid = tid, .pid = 100, .state = asleep,
						  .on_cpu = !asleep, .nr = asleep ? 202 : -1,
						  .comm = comm)), 0);
}

static void test_groups(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	const struct tl_thread *t[8];
	struct tl_thread_group g[8];
	char name[16];
	size_t n;

	(void)state;
	assert_non_null(m);
	snap(m, 100, "main", false);
	for (uint32_t i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "worker-%u", i);
		snap(m, 100 + i, name, i == 4);   /* worker-4 waits all along */
	}
	snap(m, 110, "io-1", true);
	snap(m, 111, "io-2", false);
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	assert_int_equal(tl_model_nthreads(m), 8);
	for (size_t i = 0; i < 8; i++)
		t[i] = tl_model_thread(m, i);
	n = tl_group_threads(t, 8, g);
	assert_int_equal(n, 3);
	assert_string_equal(g[0].pattern, "main");
	assert_int_equal(g[0].n, 1);
	assert_string_equal(g[1].pattern, "worker-N");
	assert_int_equal(g[1].n, 5);
	assert_int_equal(g[1].first, 1);
	assert_int_equal(g[1].worst->tid, 104);
	assert_int_equal(g[1].ns[TL_ST_SLEEPING], MS(100) - MS(0));
	assert_int_equal(g[1].ns[TL_ST_RUNNING], 4 * (MS(100) - MS(0)));
	assert_string_equal(g[2].pattern, "io-N");
	assert_int_equal(g[2].worst->tid, 110);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
