/* test_util.c - the shared utilities: the growable array (growth keeps
 * contents, failure leaves it intact), the hash table (integer keys
 * including 0, colliding keys, deletion keeping probe paths, caller-
 * compared keys with repeated hashes) and the JSON string writer (every
 * byte 0..0x7f, UTF-8 kept, invalid UTF-8 escaped byte by byte). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/util/arena.h"
#include "userspace/util/hmap.h"
#include "userspace/util/json.h"
#include "userspace/util/varint.h"
#include "userspace/util/vec.h"

static void test_vec_growth(void **state)
{
	struct tl_vec v = { 0 };

	(void)state;
	for (uint32_t i = 0; i < 10000; i++) {
		uint32_t *e = tl_vec_push_uninit(&v, sizeof(*e));

		assert_non_null(e);
		*e = i * 7;
	}
	assert_int_equal(v.n, 10000);
	assert_true(v.cap >= v.n);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(TL_VEC_AT(&v, uint32_t, i), i * 7);
	tl_vec_free(&v);
	assert_null(v.p);
	assert_int_equal(v.n + v.cap, 0);
}

static void test_vec_zeroed_and_reserve(void **state)
{
	struct tl_vec v = { 0 };
	uint64_t *e;

	(void)state;
	assert_int_equal(tl_vec_reserve(&v, 24, 100), 0);
	assert_true(v.cap >= 100);
	assert_int_equal(v.n, 0);
	memset(v.p, 0xff, 24 * v.cap);
	e = tl_vec_push(&v, 24);
	assert_non_null(e);
	assert_true(e[0] == 0 && e[1] == 0 && e[2] == 0);
	e[0] = 5;
	/* extend: up to index 299 exists, everything new is zero */
	assert_int_equal(tl_vec_extend(&v, 24, 300), 0);
	assert_int_equal(v.n, 300);
	assert_int_equal(((uint64_t *)v.p)[0], 5);
	for (size_t i = 3; i < 300 * 3; i++)
		assert_int_equal(((uint64_t *)v.p)[i], 0);
	assert_int_equal(tl_vec_extend(&v, 24, 10), 0);   /* never shrinks */
	assert_int_equal(v.n, 300);
	tl_vec_free(&v);
}

static void test_vec_oom(void **state)
{
	struct tl_vec v = { 0 };
	int *e;

	(void)state;
	e = tl_vec_push(&v, sizeof(*e));
	*e = 42;
	/* more than size_t can count, and more than any machine can give */
	assert_int_equal(tl_vec_reserve(&v, 1 << 20, SIZE_MAX / 2), -ENOMEM);
	assert_int_equal(tl_vec_reserve(&v, 1, (size_t)1 << 62), -ENOMEM);
	assert_int_equal(tl_vec_extend(&v, 1, (size_t)1 << 62), -ENOMEM);
	assert_int_equal(v.n, 1);
	assert_int_equal(TL_VEC_AT(&v, int, 0), 42);
	tl_vec_free(&v);
}

/* The lean reserve grows by a quarter: room stays within a quarter (and
 * a few elements) of what is asked, and what was there stays. */
static void test_vec_lean(void **state)
{
	struct tl_vec v = { 0 };

	(void)state;
	for (size_t n = 1; n <= 100000; n++) {
		assert_int_equal(tl_vec_reserve_lean(&v, 4, n), 0);
		assert_true(v.cap >= n);
		assert_true(v.cap <= n + n / 4 + 8);
		((uint32_t *)v.p)[n - 1] = (uint32_t)n;
		v.n = n;
	}
	for (size_t i = 0; i < v.n; i++)
		assert_int_equal(((uint32_t *)v.p)[i], i + 1);
	tl_vec_free(&v);
}

/* Shrinking gives back the room beyond n and keeps the elements; an
 * empty array is freed, and one that grows again after works as before. */
static void test_vec_shrink(void **state)
{
	struct tl_vec v = { 0 };

	(void)state;
	tl_vec_shrink(&v, 8);
	assert_null(v.p);
	for (uint64_t i = 0; i < 1000; i++)
		*(uint64_t *)tl_vec_push_uninit(&v, 8) = i;
	assert_true(v.cap > v.n);
	tl_vec_shrink(&v, 8);
	assert_int_equal(v.cap, 1000);
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(((uint64_t *)v.p)[i], i);
	*(uint64_t *)tl_vec_push_uninit(&v, 8) = 1000;
	assert_int_equal(((uint64_t *)v.p)[1000], 1000);
	v.n = 0;
	tl_vec_shrink(&v, 8);
	assert_null(v.p);
	assert_int_equal(v.cap, 0);
	*(uint64_t *)tl_vec_push_uninit(&v, 8) = 7;
	assert_int_equal(((uint64_t *)v.p)[0], 7);
	tl_vec_free(&v);
}

/* Varints: every width round-trips, and one below 128 is one byte. */
static void test_varint(void **state)
{
	const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384, 1ull << 32,
				  (1ull << 48) + 5, UINT64_MAX };
	uint8_t buf[sizeof(vals) / sizeof(vals[0]) * TL_VARINT_MAX], *p = buf;
	const uint8_t *q = buf;

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		p = tl_put_var(p, vals[i]);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 1);
	assert_int_equal(buf[2], 127);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		assert_true(tl_get_var(&q) == vals[i]);
	assert_ptr_equal(q, p);
	assert_int_equal(tl_put_var(buf, UINT64_MAX) - buf, TL_VARINT_MAX);
}

static void test_hmap_ints(void **state)
{
	struct tl_hmap h = { 0 };

	(void)state;
	assert_null(tl_hmap_find(&h, 5));
	assert_null(tl_hmap_find(&h, 0));
	for (uint64_t k = 0; k < 5000; k++)
		assert_int_equal(tl_hmap_put(&h, k * 3, k + 100), 0);
	assert_int_equal(tl_hmap_put(&h, UINT64_MAX, 1), 0);
	assert_int_equal(h.n, 5001);
	assert_true(h.n * 2 <= h.cap);
	for (uint64_t k = 0; k < 5000; k++) {
		assert_non_null(tl_hmap_find(&h, k * 3));
		assert_int_equal(*tl_hmap_find(&h, k * 3), k + 100);
		assert_null(tl_hmap_find(&h, k * 3 + 1));
	}
	assert_int_equal(*tl_hmap_find(&h, UINT64_MAX), 1);
	assert_int_equal(tl_hmap_put(&h, 0, 7), 0);   /* replaces, no new entry */
	assert_int_equal(h.n, 5001);
	assert_int_equal(*tl_hmap_find(&h, 0), 7);
	tl_hmap_free(&h);
}

/* Keys chosen to share one home slot make one long probe path; finding
 * and deleting each must not break the path for the others. */
static void test_hmap_collisions_and_delete(void **state)
{
	struct tl_hmap h = { 0 };
	uint64_t keys[64], k, v;
	size_t nk = 0, it = 0, seen = 0, cap;
	int x = 1;

	(void)state;
	assert_int_equal(tl_hmap_reserve(&h, 64), 0);
	cap = h.cap;
	for (k = 1; nk < 64; k++)
		if (tl_hmap_slot(&h, k) == h.cap - 3)   /* the path wraps round */
			keys[nk++] = k;
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(tl_hmap_put(&h, keys[i], i), 0);
	assert_int_equal(h.cap, cap);   /* no rehash spread them out */
	for (size_t i = 0; i < 64; i += 2)
		assert_true(tl_hmap_del(&h, keys[i]));
	assert_false(tl_hmap_del(&h, keys[0]));
	assert_int_equal(h.n, 32);
	for (size_t i = 0; i < 64; i++) {
		uint64_t *p = tl_hmap_find(&h, keys[i]);

		if (i % 2 == 0)
			assert_null(p);
		else
			assert_int_equal(*p, i);
	}
	assert_int_equal(tl_hmap_put_ptr(&h, 0, &x), 0);
	assert_ptr_equal(tl_hmap_get_ptr(&h, 0), &x);
	while (tl_hmap_next(&h, &it, &k, &v))
		seen++;
	assert_int_equal(seen, 33);
	assert_true(tl_hmap_del(&h, 0));
	assert_null(tl_hmap_get_ptr(&h, 0));
	tl_hmap_clear(&h);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.cap, cap);
	assert_null(tl_hmap_find(&h, keys[1]));
	assert_int_equal(tl_hmap_put(&h, keys[1], 9), 0);
	assert_int_equal(*tl_hmap_find(&h, keys[1]), 9);
	tl_hmap_free(&h);
}

/* A dense table fills 7/8 of its slots before it grows, and every key
 * stays found through deletions. */
static void test_hmap_dense(void **state)
{
	struct tl_hmap h = { .dense = true };

	(void)state;
	for (uint64_t k = 1000; k < 1000 + 1792; k++)
		assert_int_equal(tl_hmap_put(&h, k, k * 3), 0);
	assert_int_equal(h.cap, 2048);
	assert_int_equal(tl_hmap_put(&h, 5, 1), 0);
	assert_int_equal(h.cap, 4096);
	for (uint64_t k = 1000; k < 1000 + 1792; k += 2)
		assert_true(tl_hmap_del(&h, k));
	for (uint64_t k = 1000; k < 1000 + 1792; k++) {
		uint64_t *v = tl_hmap_find(&h, k);

		if (k % 2 == 0)
			assert_null(v);
		else
			assert_int_equal(*v, k * 3);
	}
	assert_int_equal(tl_hmap_reserve(&h, 7168), 0);
	assert_int_equal(h.cap, 8192);
	assert_true(h.dense);
	tl_hmap_free(&h);
}

/* Strings by a deliberately poor hash: every equal-hash entry is walked. */
static void test_hmap_caller_keys(void **state)
{
	static const char *const words[] = { "ab", "ba", "cd", "dc", "" };
	struct tl_hmap h = { 0 };

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		uint64_t hash = words[i][0] ? (uint64_t)(words[i][0] + words[i][1]) : 0;

		assert_int_equal(tl_hmap_add(&h, hash, i), 0);
	}
	for (size_t i = 0; i < 5; i++) {
		uint64_t hash = words[i][0] ? (uint64_t)(words[i][0] + words[i][1]) : 0;
		size_t pos = tl_hmap_probe_start(&h, hash), found = SIZE_MAX, cands = 0;
		const uint64_t *v;

		while ((v = tl_hmap_probe(&h, hash, &pos))) {
			cands++;
			if (!strcmp(words[*v], words[i]))
				found = *v;
		}
		assert_int_equal(found, i);
		assert_int_equal(cands, i < 4 ? 2 : 1);
	}
	tl_hmap_free(&h);
}

/* What tl_json_str writes for s. */
static char *json_of(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	tl_json_str(f, s);
	fclose(f);
	return out;
}

static void expect_json(const char *s, const char *want)
{
	char *got = json_of(s);

	assert_string_equal(got, want);
	free(got);
}

/* Small objects are zeroed, aligned and apart; a big one gets its own
 * chunk and the small ones keep filling theirs; free empties the arena. */
static void test_arena(void **state)
{
	(void)state;
	struct tl_arena a = { 0 };
	unsigned char *prev = NULL;

	for (int i = 0; i < 5000; i++) {
		unsigned char *p = tl_arena_alloc(&a, 1 + (size_t)i % 300, (size_t)1 << i % 5);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % ((uintptr_t)1 << i % 5), 0);
		for (size_t k = 0; k < 1 + (size_t)i % 300; k++)
			assert_int_equal(p[k], 0);
		memset(p, 0xab, 1 + (size_t)i % 300);
		if (prev)
			assert_true(p != prev);
		prev = p;
	}
	unsigned char *big = tl_arena_alloc(&a, 1u << 20, alignof(max_align_t));
	assert_non_null(big);
	assert_int_equal(big[(1u << 20) - 1], 0);
	memset(big, 0xcd, 1u << 20);
	size_t used = a.used;
	assert_non_null(tl_arena_alloc(&a, 16, 16));
	assert_true(a.used <= used + 32);
	tl_arena_free(&a);
	assert_null(a.head);
	assert_non_null(tl_arena_alloc(&a, 0, 1));
	assert_null(tl_arena_alloc(&a, SIZE_MAX - 8, 1)); /* refused, no wrap */
	tl_arena_free(&a);
}

static void test_json_ascii(void **state)
{
	(void)state;
	for (int c = 1; c <= 0x7f; c++) {
		char in[2] = { (char)c, 0 }, want[16];

		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\"\\%c\"", c);
		else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
			snprintf(want, sizeof(want), "\"\\%c\"",
				 c == '\b' ? 'b' : c == '\f' ? 'f' : c == '\n' ? 'n' :
				 c == '\r' ? 'r' : 't');
		else if (c < 0x20 || c == 0x7f)
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		else
			snprintf(want, sizeof(want), "\"%c\"", c);
		expect_json(in, want);
	}
	expect_json("", "\"\"");
	expect_json("a\x7f" "b", "\"a\\u007fb\"");
}

static void test_json_utf8(void **state)
{
	(void)state;
	expect_json("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	expect_json("\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"");
	expect_json("\x80", "\"\\u0080\"");            /* stray continuation */
	expect_json("\xc0\xaf", "\"\\u00c0\\u00af\"");  /* overlong '/' */
	expect_json("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");  /* surrogate */
	expect_json("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	expect_json("\xe2\x82", "\"\\u00e2\\u0082\"");  /* cut short by the end */
	expect_json("\xe2x", "\"\\u00e2x\"");
	expect_json("\xff", "\"\\u00ff\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vec_growth),
		cmocka_unit_test(test_vec_zeroed_and_reserve),
		cmocka_unit_test(test_vec_oom),
		cmocka_unit_test(test_vec_lean),
		cmocka_unit_test(test_vec_shrink),
		cmocka_unit_test(test_varint),
		cmocka_unit_test(test_hmap_ints),
		cmocka_unit_test(test_hmap_collisions_and_delete),
		cmocka_unit_test(test_hmap_dense),
		cmocka_unit_test(test_hmap_caller_keys),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_json_ascii),
		cmocka_unit_test(test_json_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
