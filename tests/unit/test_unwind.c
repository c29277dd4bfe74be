/* test_unwind.c - the record-time unwinder (kernel/unwind.h): the test
 * takes its own registers and a copy of its own stack, as the BPF side
 * does for a blocked thread, unwinds them and names the frames. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elfutils/libdwfl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "userspace/kernel/unwind.h"

#define COPY 8192

struct snap {
	uint64_t regs[TL_UREGS];
	uint8_t stack[COPY];
	size_t len;
};

/* Bytes from sp to the end of its mapping, at most COPY: the main
 * thread's stack may end closer than that (the BPF side stops there too). */
static size_t room_above(uint64_t sp)
{
	unsigned long long a, b;
	char line[512];
	size_t n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &a, &b) == 2 && sp >= a && sp < b)
			n = b - sp < COPY ? b - sp : COPY;
	if (f)
		fclose(f);
	return n;
}

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

/* Stores every register in the DWARF order of tl_abi.h, and the pc of the
 * store itself, so the saved rsp and rip belong to one instruction
 * boundary of this function, as the kernel's pt_regs do. */
static __attribute__((noinline)) void capture(struct snap *s)
{
	uint64_t *r = s->regs;

	__asm__ volatile(
		"movq %%rax, 0(%0)\n\t"  "movq %%rdx, 8(%0)\n\t"
		"movq %%rcx, 16(%0)\n\t" "movq %%rbx, 24(%0)\n\t"
		"movq %%rsi, 32(%0)\n\t" "movq %%rdi, 40(%0)\n\t"
		"movq %%rbp, 48(%0)\n\t" "movq %%rsp, 56(%0)\n\t"
		"movq %%r8, 64(%0)\n\t"  "movq %%r9, 72(%0)\n\t"
		"movq %%r10, 80(%0)\n\t" "movq %%r11, 88(%0)\n\t"
		"movq %%r12, 96(%0)\n\t" "movq %%r13, 104(%0)\n\t"
		"movq %%r14, 112(%0)\n\t" "movq %%r15, 120(%0)\n\t"
		"leaq 0(%%rip), %%rax\n\t" "movq %%rax, 128(%0)\n\t"
		: : "r"(r) : "rax", "memory");
	s->len = room_above(r[TL_UREG_SP]);
	copy_stack(s->stack, (const void *)r[TL_UREG_SP], s->len);
}

/* Two frames of the test's own, kept apart (no inlining, no tail calls). */
static __attribute__((noinline)) void unwind_inner(struct snap *s)
{
	capture(s);
	__asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void unwind_outer(struct snap *s)
{
	unwind_inner(s);
	__asm__ volatile("" ::: "memory");
}

/* Names of the unwound pcs, from the test's own process. */
static int names(const uint64_t *pcs, int n, const char **out)
{
	static char *dip;
	static const Dwfl_Callbacks cb = {
		.find_elf = dwfl_linux_proc_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &dip,
	};
	static Dwfl *d;

	if (!d) {
		d = dwfl_begin(&cb);
		dwfl_report_begin(d);
		dwfl_linux_proc_report(d, getpid());
		dwfl_report_end(d, NULL, NULL);
	}
	for (int i = 0; i < n; i++) {
		/* a return address may be past the last byte of its call */
		uint64_t a = i ? pcs[i] - 1 : pcs[i];
		Dwfl_Module *m = dwfl_addrmodule(d, a);

		out[i] = m ? dwfl_module_addrname(m, a) : NULL;
	}
	return n;
}

static int find(const char **nm, int n, const char *want, int from)
{
	for (int i = from; i < n; i++)
		if (nm[i] && !strcmp(nm[i], want))
			return i;
	return -1;
}

static void test_own_stack(void **state)
{
	static struct snap s;
	struct tl_unwinder *u = tl_unwinder_new();
	uint64_t pcs[TL_USTACK_FRAMES];
	const char *nm[TL_USTACK_FRAMES];
	bool cut;
	int n, a, b, c, m;

	(void)state;
	assert_non_null(u);
	unwind_outer(&s);
	n = tl_unwind(u, (uint32_t)getpid(), (uint32_t)gettid(), 1, s.regs, s.stack,
		      s.len, pcs, TL_USTACK_FRAMES, &cut);
	names(pcs, n, nm);
	for (int i = 0; i < n; i++)
		printf("  #%d %#llx %s\n", i, (unsigned long long)pcs[i],
		       nm[i] ? nm[i] : "?");
	a = find(nm, n, "capture", 0);
	b = find(nm, n, "unwind_inner", 0);
	c = find(nm, n, "unwind_outer", 0);
	m = find(nm, n, "main", 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(c, 2);
	/* through cmocka's library (no frame pointers either) into main */
	assert_true(m > c);
	tl_unwinder_free(u);
}

/* A copy too short for the caller's frame: the unwinder stops, says so,
 * and still gives the frames it could. */
static void test_short_copy(void **state)
{
	static struct snap s;
	struct tl_unwinder *u = tl_unwinder_new();
	uint64_t pcs[TL_USTACK_FRAMES];
	bool cut = false;
	int n;

	(void)state;
	unwind_outer(&s);
	n = tl_unwind(u, (uint32_t)getpid(), (uint32_t)gettid(), 1, s.regs, s.stack,
		      8, pcs, TL_USTACK_FRAMES, &cut);
	assert_true(n >= 1 && n < 4);
	assert_true(cut);
	assert_int_equal(pcs[0], s.regs[TL_UREG_IP]);
	tl_unwinder_free(u);
}

/* The same registers and stack words give the cached unwind; a changed
 * word the unwinder read does not. */
static void test_cache_checks_words(void **state)
{
	static struct snap s, s2;
	struct tl_unwinder *u = tl_unwinder_new();
	uint64_t pcs[TL_USTACK_FRAMES], pcs2[TL_USTACK_FRAMES];
	bool cut, cut2;
	int n, n2;

	(void)state;
	unwind_outer(&s);
	n = tl_unwind(u, (uint32_t)getpid(), (uint32_t)gettid(), 1, s.regs, s.stack,
		      s.len, pcs, TL_USTACK_FRAMES, &cut);
	assert_true(n > 4);
	n2 = tl_unwind(u, (uint32_t)getpid(), (uint32_t)gettid(), 1, s.regs, s.stack,
		       s.len, pcs2, TL_USTACK_FRAMES, &cut2);
	assert_int_equal(n2, n);
	assert_memory_equal(pcs2, pcs, n * sizeof(pcs[0]));
	/* the return address into unwind_outer, overwritten: unwinding must
	 * stop there, so it was not taken from the cache */
	s2 = s;
	for (size_t off = 0; off + 8 <= s2.len; off += 8)
		if (!memcmp(s2.stack + off, &pcs[2], 8))
			memset(s2.stack + off, 0, 8);
	n2 = tl_unwind(u, (uint32_t)getpid(), (uint32_t)gettid(), 1, s2.regs, s2.stack,
		       s2.len, pcs2, TL_USTACK_FRAMES, &cut2);
	assert_int_equal(n2, 2);
	tl_unwinder_free(u);
}

/* A process that cannot be read still gives its pc. */
static void test_gone_process(void **state)
{
	struct tl_unwinder *u = tl_unwinder_new();
	uint64_t regs[TL_UREGS] = { 0 }, pcs[4];
	uint8_t stack[64] = { 0 };
	bool cut = false;

	(void)state;
	regs[TL_UREG_IP] = 0x401000;
	regs[TL_UREG_SP] = 0x7ffd0000;
	assert_int_equal(tl_unwind(u, 0x3ffffe, 0x3ffffe, 1, regs, stack,
				   sizeof(stack), pcs, 4, &cut), 1);
	assert_int_equal(pcs[0], 0x401000);
	assert_true(cut);
	regs[TL_UREG_IP] = 0;
	assert_int_equal(tl_unwind(u, 0x3ffffe, 0x3ffffe, 1, regs, stack,
				   sizeof(stack), pcs, 4, &cut), 0);
	tl_unwinder_free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_stack),
		cmocka_unit_test(test_short_copy),
		cmocka_unit_test(test_cache_checks_words),
		cmocka_unit_test(test_gone_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
