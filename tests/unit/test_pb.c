/* test_pb.c - the protobuf writer byte for byte: varints at their edges,
 * negative int64 as ten bytes, zig-zag, fixed widths, strings, nested
 * messages with their four-byte length slot, packed arrays; streaming to a
 * file keeps the same bytes; and the reader decodes what the writer wrote. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "userspace/export/perfetto/pb.h"

static void expect_bytes(const struct pb_writer *w, const uint8_t *want, size_t n)
{
	assert_int_equal(pb_error(w), 0);
	assert_int_equal(pb_size(w), n);
	assert_memory_equal(pb_data(w), want, n);
}

/* Writes one uint64 field 1 and compares with tag 0x08 + want. */
static void check_varint(uint64_t v, const uint8_t *want, size_t n)
{
	struct pb_writer w;
	uint8_t full[16] = { 0x08 };

	memcpy(full + 1, want, n);
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	pb_varint(&w, 1, v);
	expect_bytes(&w, full, n + 1);
	assert_int_equal(pb_varint_size(v), n);
	tl_pb_close(&w);
}

static void test_varints(void **state)
{
	(void)state;
	check_varint(0, (const uint8_t[]){ 0x00 }, 1);
	check_varint(1, (const uint8_t[]){ 0x01 }, 1);
	check_varint(127, (const uint8_t[]){ 0x7f }, 1);
	check_varint(128, (const uint8_t[]){ 0x80, 0x01 }, 2);
	check_varint(300, (const uint8_t[]){ 0xac, 0x02 }, 2);
	check_varint(1ULL << 32, (const uint8_t[]){ 0x80, 0x80, 0x80, 0x80, 0x10 }, 5);
	check_varint(UINT64_MAX, (const uint8_t[]){ 0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff, 0xff, 0x01 }, 10);
}

static void test_negative_ints(void **state)
{
	struct pb_writer w;
	static const uint8_t want[] = {
		0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* -1 */
		0x18, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* -2 */
	};

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	pb_int64(&w, 2, -1);
	pb_int32(&w, 3, -2);   /* int32 is sign-extended: also ten bytes */
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_zigzag(void **state)
{
	struct pb_writer w;
	static const uint8_t want[] = { 0x08, 0x00, 0x08, 0x01, 0x08, 0x02,
					0x08, 0x03, 0x08, 0xfe, 0xff, 0xff, 0xff, 0x0f };

	(void)state;
	assert_int_equal(pb_zigzag64(0), 0);
	assert_int_equal(pb_zigzag64(-1), 1);
	assert_int_equal(pb_zigzag64(1), 2);
	assert_int_equal(pb_zigzag64(INT64_MIN), UINT64_MAX);
	assert_int_equal(pb_zigzag32(INT32_MAX), 0xfffffffeU);
	assert_int_equal(pb_zigzag32(INT32_MIN), 0xffffffffU);
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	pb_sint64(&w, 1, 0);
	pb_sint64(&w, 1, -1);
	pb_sint64(&w, 1, 1);
	pb_sint64(&w, 1, -2);
	pb_sint64(&w, 1, INT32_MAX);
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_fixed(void **state)
{
	struct pb_writer w;
	static const uint8_t want[] = {
		0xf9, 0x02, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, /* 47 */
		0x15, 0x78, 0x56, 0x34, 0x12,                               /* 2 */
		0x19, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,                         /* 1.0 */
	};

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	tl_pb_fixed64(&w, 47, 0x0102030405060708ULL);
	tl_pb_fixed32(&w, 2, 0x12345678);
	tl_pb_double(&w, 3, 1.0);
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_strings(void **state)
{
	struct pb_writer w;
	char comm[16] = "exactly16bytes!!";  /* no NUL inside the 16 */
	static const uint8_t want[] = {
		0x0a, 0x03, 'a', 'b', 'c',
		0x12, 0x00,
		0x1a, 0x10, 'e', 'x', 'a', 'c', 't', 'l', 'y', '1', '6', 'b', 'y', 't',
		'e', 's', '!', '!',
		0xa2, 0x06, 0x02, 'h', 'i',   /* field 100 */
	};

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 16), 0);  /* grows */
	tl_pb_string(&w, 1, "abc");
	tl_pb_string(&w, 2, "");
	tl_pb_string_n(&w, 3, comm, sizeof(comm));
	tl_pb_bytes(&w, 100, "hi", 2);
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_nested(void **state)
{
	struct pb_writer w;
	/* outer(1){ inner(2){ 3: 150 }, 4: "x" } with four-byte length slots */
	static const uint8_t want[] = {
		0x0a, 0x8b, 0x80, 0x80, 0x00,
		0x12, 0x83, 0x80, 0x80, 0x00, 0x18, 0x96, 0x01,
		0x22, 0x01, 'x',
	};

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	tl_pb_begin(&w, 1);
	tl_pb_begin(&w, 2);
	pb_varint(&w, 3, 150);
	tl_pb_end(&w);
	tl_pb_string(&w, 4, "x");
	tl_pb_end(&w);
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_nested_large(void **state)
{
	struct pb_writer w;
	char big[300000];
	const uint8_t *d;
	size_t n = 4 + sizeof(big);   /* tag 0x0a, varint(300000) = 3 bytes */

	(void)state;
	memset(big, 'z', sizeof(big));
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	tl_pb_begin(&w, 5);
	tl_pb_bytes(&w, 1, big, sizeof(big));
	tl_pb_end(&w);
	assert_int_equal(pb_error(&w), 0);
	d = pb_data(&w);
	assert_int_equal(d[0], 0x2a);
	/* n = 300004 = 0x493e4: 7-bit groups 0x64, 0x27, 0x12, 0x00 */
	assert_int_equal(n, 300004);
	assert_int_equal(d[1], 0x80 | 0x64);
	assert_int_equal(d[2], 0x80 | 0x27);
	assert_int_equal(d[3], 0x80 | 0x12);
	assert_int_equal(d[4], 0x00);
	assert_int_equal(pb_size(&w), 5 + n);
	tl_pb_close(&w);
}

static void test_packed(void **state)
{
	struct pb_writer w;
	const uint64_t u[] = { 3, 270, 86942 };
	const int32_t i[] = { -1, 5 };
	const int64_t s[] = { 0x100, 1 };
	static const uint8_t want[] = {
		0x0a, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05,
		0x12, 0x0b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05,
		0x1a, 0x03, 0x80, 0x02, 0x01,
	};

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 8), 0);
	tl_pb_packed_u64(&w, 1, u, 3);
	tl_pb_packed_i32(&w, 2, i, 2);
	tl_pb_packed_i64(&w, 3, s, 2);
	tl_pb_packed_u32(&w, 4, NULL, 0);     /* empty: nothing at all */
	expect_bytes(&w, want, sizeof(want));
	tl_pb_close(&w);
}

static void test_errors(void **state)
{
	struct pb_writer w;

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	tl_pb_end(&w);                          /* nothing open */
	assert_int_equal(pb_error(&w), -EINVAL);
	pb_varint(&w, 1, 1);                 /* sticky: ignored */
	assert_int_equal(pb_size(&w), 0);
	assert_int_equal(tl_pb_close(&w), -EINVAL);
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	for (int k = 0; k <= PB_MAX_DEPTH; k++)
		tl_pb_begin(&w, 1);
	assert_int_equal(pb_error(&w), -E2BIG);
	tl_pb_close(&w);
	assert_int_equal(tl_pb_init_fd(&w, -1, 64), -EBADF);
}

/* Streaming through a small buffer gives the same bytes as memory. */
static void test_stream_to_fd(void **state)
{
	struct pb_writer mem, fdw;
	char path[] = "/tmp/tl-pb-test.XXXXXX";
	int fd = mkstemp(path);
	uint8_t back[8192];
	ssize_t n;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(tl_pb_init_mem(&mem, 64), 0);
	assert_int_equal(tl_pb_init_fd(&fdw, fd, 64), 0);
	for (int k = 0; k < 300; k++) {
		struct pb_writer *ws[2] = { &mem, &fdw };

		for (int j = 0; j < 2; j++) {
			tl_pb_begin(ws[j], 1);
			pb_varint(ws[j], 8, (uint64_t)k * 1000003);
			tl_pb_string(ws[j], 2, "packet");
			tl_pb_end(ws[j]);
		}
	}
	assert_true(pb_total(&fdw) == pb_size(&mem));
	assert_int_equal(tl_pb_close(&fdw), 0);
	n = pread(fd, back, sizeof(back), 0);
	assert_int_equal(n, pb_size(&mem));
	assert_memory_equal(back, pb_data(&mem), (size_t)n);
	tl_pb_close(&mem);
	close(fd);
}

static void test_reader(void **state)
{
	struct pb_writer w;
	struct pb_reader r;
	struct pb_field f;

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	pb_int64(&w, 1, -5);
	tl_pb_fixed64(&w, 2, 77);
	tl_pb_begin(&w, 3);
	tl_pb_string(&w, 1, "in");
	tl_pb_end(&w);
	tl_pb_fixed32(&w, 4, 9);
	tl_pb_reader_init(&r, pb_data(&w), pb_size(&w));
	assert_true(tl_pb_next(&r, &f));
	assert_int_equal(f.num, 1);
	assert_int_equal((int64_t)f.u, -5);
	assert_true(tl_pb_next(&r, &f));
	assert_int_equal(f.wire, PB_FIXED64);
	assert_int_equal(f.u, 77);
	assert_true(tl_pb_next(&r, &f));
	assert_int_equal(f.wire, PB_LEN);
	assert_int_equal(f.len, 4);   /* tag, len, 'i', 'n' */
	assert_true(tl_pb_next(&r, &f));
	assert_int_equal(f.wire, PB_FIXED32);
	assert_int_equal(f.u, 9);
	assert_false(tl_pb_next(&r, &f));
	assert_int_equal(r.err, 0);
	/* a length running past the end is an error */
	tl_pb_reader_init(&r, (const uint8_t[]){ 0x0a, 0x05, 'a' }, 3);
	assert_false(tl_pb_next(&r, &f));
	assert_int_equal(r.err, -EBADMSG);
	tl_pb_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varints),
		cmocka_unit_test(test_negative_ints),
		cmocka_unit_test(test_zigzag),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_large),
		cmocka_unit_test(test_packed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stream_to_fd),
		cmocka_unit_test(test_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
