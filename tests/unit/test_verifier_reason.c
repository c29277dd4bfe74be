/* test_verifier_reason.c - the one line a fallback to raw tracepoints
 * gives as the verifier's reason, taken from the end of its log. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "userspace/kernel/feature.h"

static void test_reason_before_the_summary(void **state)
{
	const char *log =
		"func 'signal_generate' arg1 has btf_id 446 type STRUCT 'kernel_siginfo'\n"
		"marking pointer arg1 as scalar as it may encode error\n"
		"131: (61) r1 = *(u32 *)(r2 +8)\n"
		"R2 invalid mem access 'scalar'\n"
		"processed 155 insns (limit 1000000) max_states_per_insn 0\n"
		"verification time 312 usec\n"
		"stack depth 16\n\n";
	char why[160];

	(void)state;
	tl_verifier_reason(log, why, sizeof(why));
	assert_string_equal(why, "R2 invalid mem access 'scalar'");
}

static void test_reason_is_the_last_line(void **state)
{
	char why[160];

	(void)state;
	tl_verifier_reason("0: (85) call bpf_foo#999\nunknown func bpf_foo#999", why,
			   sizeof(why));
	assert_string_equal(why, "unknown func bpf_foo#999");
}

static void test_no_reason(void **state)
{
	char why[16] = "x";

	(void)state;
	tl_verifier_reason("", why, sizeof(why));
	assert_string_equal(why, "");
	tl_verifier_reason("processed 3 insns\n\n", why, sizeof(why));
	assert_string_equal(why, "");
}

static void test_reason_cut_to_fit(void **state)
{
	char why[8];

	(void)state;
	tl_verifier_reason("a very long reason\n", why, sizeof(why));
	assert_string_equal(why, "a very ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_before_the_summary),
		cmocka_unit_test(test_reason_is_the_last_line),
		cmocka_unit_test(test_no_reason),
		cmocka_unit_test(test_reason_cut_to_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
