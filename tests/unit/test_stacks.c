/* test_stacks.c - off-CPU stacks without the kernel: the record-time
 * interning (kernel/stacks.h) of raw stacks into TL_STACK / TL_STACK_REF,
 * the model linking blocked intervals to their stacks and naming kernel
 * frames from TL_KSYM, and the folded output of `report --stacks`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/records.h"
#include "userspace/analysis/stacksym.h"
#include "userspace/kernel/procmaps.h"
#include "userspace/kernel/stacks.h"
#include "userspace/model/model.h"
#include "userspace/report/report.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)

/* ---- interning ---- */

struct sink {
	int stacks, refs;
	uint32_t last_id;
	uint16_t last_nuser;
};

static int collect(void *ctx, const struct tl_hdr *h)
{
	struct sink *k = ctx;

	if (h->type == TL_STACK) {
		k->stacks++;
		k->last_id = ((const struct tl_stack *)h)->id;
		k->last_nuser = ((const struct tl_stack *)h)->nuser;
	} else if (h->type == TL_STACK_REF) {
		k->refs++;
		k->last_id = ((const struct tl_stack_ref *)h)->id;
	}
	return 0;
}

/* A raw stack of kernel frames only (a kernel thread's). */
static void raw_kernel(struct tl_stack_raw *r, uint32_t tgid, uint64_t salt)
{
	memset(r, 0, sizeof(*r));
	r->h = (struct tl_hdr){ .size = sizeof(*r), .type = TL_STACK_RAW, .ts = MS(1),
				.tgid = tgid, .tid = tgid };
	r->flags = TL_RAW_F_NO_USER;
	r->nkern = 3;
	/* user space addresses: never a kernel symbol, so never dropped */
	r->kips[0] = 0x1000 + salt;
	r->kips[1] = 0x2000;
	r->kips[2] = 0x3000;
}

static void test_intern_same_stack_once(void **state)
{
	struct tl_stacks *s = tl_stacks_new();
	struct tl_stack_raw r;
	struct sink k = { 0 };
	uint32_t first;

	(void)state;
	assert_non_null(s);
	raw_kernel(&r, 100, 0);
	assert_int_equal(tl_stacks_on_raw(s, &r, collect, &k), 0);
	assert_int_equal(k.stacks, 1);
	first = k.last_id;
	assert_true(first > 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tl_stacks_on_raw(s, &r, collect, &k), 0);
	assert_int_equal(k.stacks, 1);
	assert_int_equal(k.refs, 10);
	assert_int_equal(k.last_id, first);
	/* other frames: a new stack */
	raw_kernel(&r, 100, 8);
	tl_stacks_on_raw(s, &r, collect, &k);
	assert_int_equal(k.stacks, 2);
	assert_int_not_equal(k.last_id, first);
	tl_stacks_free(s);
}

/* The same addresses in another process, or after an exec, are other
 * code: other stacks. */
static void test_intern_per_process_and_exec(void **state)
{
	struct tl_stacks *s = tl_stacks_new();
	struct tl_stack_raw r;
	struct sink k = { 0 };
	uint32_t a, b, c;

	(void)state;
	raw_kernel(&r, 100, 0);
	tl_stacks_on_raw(s, &r, collect, &k);
	a = k.last_id;
	raw_kernel(&r, 200, 0);
	tl_stacks_on_raw(s, &r, collect, &k);
	b = k.last_id;
	assert_int_equal(k.stacks, 2);
	assert_int_not_equal(a, b);
	tl_stacks_forget(s, 100);
	raw_kernel(&r, 100, 0);
	tl_stacks_on_raw(s, &r, collect, &k);
	c = k.last_id;
	assert_int_equal(k.stacks, 3);
	assert_int_not_equal(c, a);
	tl_stacks_free(s);
}

/* A user part: the test's own registers and stack, unwound at once; the
 * same copy twice is one stack. */
/* Copies n bytes of this thread's own stack, as the BPF side copies a
 * blocked thread's: across other frames' locals, which AddressSanitizer
 * (make asan) would call overflows; so the copy is not instrumented, and
 * goes word by word rather than through its memcpy. */
__attribute__((no_sanitize("address"), noinline))
static void copy_stack(void *dst, const void *src, size_t n)
{
	const volatile uint64_t *s = src;
	uint64_t *d = dst;

	for (size_t i = 0; i < n / 8; i++)
		d[i] = s[i];
}

static __attribute__((noinline)) void grab(struct tl_stack_raw *r, uint8_t *stack)
{
	uint64_t *g = (uint64_t *)r->regs;

	__asm__ volatile(
		"movq %%rbx, 24(%0)\n\t" "movq %%rbp, 48(%0)\n\t"
		"movq %%rsp, 56(%0)\n\t" "movq %%r12, 96(%0)\n\t"
		"movq %%r13, 104(%0)\n\t" "movq %%r14, 112(%0)\n\t"
		"movq %%r15, 120(%0)\n\t"
		"leaq 0(%%rip), %%rax\n\t" "movq %%rax, 128(%0)\n\t"
		: : "r"(g) : "rax", "memory");
	/* 256 bytes reach past this test's frame; the main thread's stack may
	 * end less than a page above */
	copy_stack(stack, (const void *)g[TL_UREG_SP], 256);
}

static void test_intern_user_stack(void **state)
{
	static uint64_t buf[(sizeof(struct tl_stack_raw) + 4096) / 8];
	struct tl_stack_raw *r = (struct tl_stack_raw *)buf;
	struct tl_stacks *s = tl_stacks_new();
	struct sink k = { 0 };

	(void)state;
	memset(buf, 0, sizeof(buf));
	grab(r, (uint8_t *)(r + 1));
	r->h = (struct tl_hdr){ .size = sizeof(buf), .type = TL_STACK_RAW,
				.tgid = (uint32_t)getpid(), .tid = (uint32_t)gettid() };
	r->ustack_len = 256;
	tl_stacks_on_raw(s, r, collect, &k);
	tl_stacks_on_raw(s, r, collect, &k);
	assert_int_equal(k.stacks, 1);
	assert_int_equal(k.refs, 1);
	assert_true(k.last_nuser >= 2); /* grab, this test, ... */
	tl_stacks_free(s);
}

/* ---- model and folded output ---- */

static void feed(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

static const void *ksym_rec(uint64_t *buf, uint64_t ts, uint64_t addr, const char *name)
{
	struct tl_ksym *k = (struct tl_ksym *)buf;

	hdr(&k->h, TL_KSYM, sizeof(*k) + 16, ts, 1, 0, 0);
	k->addr = addr;
	snprintf((char *)(k + 1), 16, "%s", name);
	return k;
}

static struct tl_model *blocked_twice(void)
{
	struct tl_model *m = tl_model_new(NULL);
	uint64_t b[16];

	feed(m, TR_SNAP(.ts = MS(1), .tid = 100, .pid = 100, .on_cpu = true, .comm = "prog"));
	feed(m, TR_SNAP(.ts = MS(1), .cpu = 1, .tid = 101, .pid = 100, .on_cpu = true,
			.comm = "worker"));
	for (int round = 0; round < 2; round++) {
		uint64_t t = MS(10 + 20 * round);

		feed(m, TR_SWITCH(.ts = t, .cpu = 1, .prev = 101, .prev_pid = 100,
				  .state = 1, .nr = 202, .a0 = 0x1000));
		if (round == 0) {
			feed(m, ksym_rec(b, t + 500, 0xffffffff81000000, "ksched"));
			feed(m, ksym_rec(b, t + 500, 0xffffffff81000200, "kfutex"));
		}
		feed(m, tr_stack(b, round ? TL_STACK_REF : TL_STACK, t + 1000, 101, 1));
		feed(m, TR_WAKING(.ts = t + MS(10), .waker = 100, .waker_pid = 100,
				  .wakee = 101, .wakee_pid = 100, .target_cpu = 1));
		feed(m, TR_SWITCH(.ts = t + MS(11), .cpu = 1, .next = 101, .next_pid = 100));
	}
	assert_int_equal(tl_model_finish(m, MS(60)), 0);
	return m;
}

static void test_model_links_blocks(void **state)
{
	struct tl_model *m = blocked_twice();
	const struct tl_thread *t = tl_model_find_thread(m, 101, 0);
	const struct tl_stack_def *d;
	int blocked = 0;
	uint64_t off;

	(void)state;
	assert_non_null(t);
	assert_int_equal(t->noffcpu, 2);
	for (size_t i = 0; i < t->niv; i++) {
		uint32_t id = tl_thread_iv_stack(t, (struct tl_interval[1]){ tl_thread_iv(t, i) });

		if (tl_thread_iv(t, i).state == TL_ST_SLEEPING) {
			assert_int_equal(id, 1);
			blocked++;
		} else {
			assert_int_equal(id, 0);
		}
	}
	assert_int_equal(blocked, 2);
	assert_int_equal(tl_model_nstacks(m), 1);
	d = tl_model_stack(m, 1);
	assert_non_null(d);
	assert_int_equal(d->nkern, 2);
	assert_int_equal(d->nuser, 2);
	assert_int_equal(d->pid, 100);
	assert_null(tl_model_stack(m, 2));
	assert_string_equal(tl_model_ksym(m, 0xffffffff81000230, &off), "kfutex");
	assert_int_equal(off, 0x30);
	assert_null(tl_model_ksym(m, 0x1000, &off));
	tl_model_free(m);
}

/* A damaged file: a stack id far ahead of the ones defined, or frames past
 * the record's end, is refused without growing anything. */
static void test_model_refuses_bad_stacks(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	uint64_t b[16];
	struct tl_stack *s;

	(void)state;
	feed(m, TR_SNAP(.ts = MS(1), .tid = 100, .pid = 100, .on_cpu = true, .comm = "prog"));
	s = (struct tl_stack *)tr_stack(b, TL_STACK, MS(2), 100, 0xfffffff0);
	assert_int_equal(tl_model_feed(m, &s->h), -EINVAL);
	s = (struct tl_stack *)tr_stack(b, TL_STACK, MS(3), 100, 1);
	s->nuser = 1000;
	assert_int_equal(tl_model_feed(m, &s->h), -EINVAL);
	assert_int_equal(tl_model_finish(m, MS(4)), 0);
	assert_int_equal(tl_model_nstacks(m), 0);
	assert_int_equal(tl_model_stats(m)->malformed, 2);
	tl_model_free(m);
}

/* Records kept back to back, as a file would hold them. */
struct keep {
	uint64_t b[1 << 17];
	size_t n;           /* bytes */
};

static int keep_rec(void *ctx, const struct tl_hdr *h)
{
	struct keep *k = ctx;

	assert_true(k->n + h->size <= sizeof(k->b) && h->size % 8 == 0);
	memcpy((char *)k->b + k->n, h, h->size);
	k->n += h->size;
	return 0;
}

/* Offline naming, without root: the test's own stack, unwound, and its own
 * memory maps as record captures them, into a model; the frames must come
 * out as this file's functions and lines. */
static void test_user_frames_named(void **state)
{
	static uint64_t buf[(sizeof(struct tl_stack_raw) + 4096) / 8];
	static struct keep k;
	struct tl_stack_raw *r = (struct tl_stack_raw *)buf;
	struct tl_stacks *s = tl_stacks_new();
	struct tl_model *m = tl_model_new(NULL);
	const struct tl_named_stack *ns;
	struct tl_stacksym *sym;
	uint32_t pid = (uint32_t)getpid();

	(void)state;
	memset(buf, 0, sizeof(buf));
	grab(r, (uint8_t *)(r + 1));
	r->h = (struct tl_hdr){ .size = sizeof(buf), .type = TL_STACK_RAW, .ts = MS(3),
				.tgid = pid, .tid = (uint32_t)gettid() };
	r->ustack_len = 256;
	feed(m, TR_SNAP(.ts = MS(1), .tid = pid, .pid = pid, .on_cpu = true, .comm = "t"));
	k.n = 0;
	assert_int_equal(tl_maps_capture(NULL, (pid_t)pid, MS(2), 0, keep_rec, &k), 0);
	assert_int_equal(tl_stacks_on_raw(s, r, keep_rec, &k), 0);
	for (size_t at = 0; at < k.n; at += ((struct tl_hdr *)((char *)k.b + at))->size)
		feed(m, (char *)k.b + at);
	assert_int_equal(tl_model_finish(m, MS(4)), 0);
	sym = tl_stacksym_new(m);
	ns = tl_stacksym_get(sym, 1);
	assert_non_null(ns);
	assert_true(ns->nuser >= 2);
	assert_string_equal(ns->f[ns->nkern].func, "grab");
	assert_string_equal(ns->f[ns->nkern].file, "test_stacks.c");
	assert_true(ns->f[ns->nkern].line > 0);
	assert_string_equal(ns->f[ns->nkern].module, "test_stacks");
	assert_string_equal(ns->f[ns->nkern + 1].func, "test_user_frames_named");
	tl_stacksym_free(sym);
	tl_model_free(m);
	tl_stacks_free(s);
}

static void test_folded(void **state)
{
	struct tl_model *m = blocked_twice();
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_int_equal(tl_report_folded(f, m, 0), 0);
	fclose(f);
	/* outermost first; kernel frames marked; both blocks, 10 ms each */
	assert_string_equal(out, "prog;worker;0x402000;0x401000;kfutex_[k];ksched_[k] 20000000\n");
	free(out);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intern_same_stack_once),
		cmocka_unit_test(test_intern_per_process_and_exec),
		cmocka_unit_test(test_intern_user_stack),
		cmocka_unit_test(test_model_links_blocks),
		cmocka_unit_test(test_model_refuses_bad_stacks),
		cmocka_unit_test(test_user_frames_named),
		cmocka_unit_test(test_folded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
