/* test_recording_zstd.c - format 2's compressed blocks, and format 1 files:
 * compressed blocks round-trip byte for byte and are much smaller; a
 * compressed file cut at any byte reads a prefix of its records and says
 * it was cut, never that it is corrupt; a damaged compressed block is
 * refused; a format 1 file (16-byte block headers, made here from a raw
 * format 2 file) still reads. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "userspace/recording/recording.h"
#define TMPDIR_NAME "tl-zrec-test"
#include "tests/common/tmpdir.h"

#define NCPUS 2
#define BASE_TS 5000000000ull
#define NREC 30000


static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* Record i: switches and wakings of a ping-pong between two tasks, as a
 * pipe benchmark makes them (repetitive, as real recordings are), with a
 * process command line now and then for a variable-length record. */
static size_t make_rec(unsigned i, uint64_t *buf)
{
	struct tl_hdr *h = (struct tl_hdr *)buf;
	uint16_t type = i % 97 == 0 ? TL_PROC_INFO : i % 3 ? TL_SWITCH : TL_WAKING;
	size_t size = tl_record_min_size(type) + (type == TL_PROC_INFO ? 8 * (i % 5) : 0);

	memset(buf, 0, size);
	h->size = (uint16_t)size;
	h->type = type;
	h->cpu = (uint16_t)(i % NCPUS);
	h->ts = BASE_TS + i * 1733ull + (i * 7919u) % 1000;
	h->tgid = 4000 + i % 2;
	h->tid = 4000 + i % 2;
	if (type == TL_SWITCH) {
		struct tl_switch *s = (struct tl_switch *)buf;

		s->next_tid = s->next_tgid = 4001 - i % 2;
		s->prev_state = 1;
		s->prev_prio = s->next_prio = 120;
		s->why.sys_nr = 0;
		s->why.fd_kind = TL_FD_PIPE;
		s->why.args[0] = 3 + i % 2;
		memcpy(s->prev_comm, "sched-pipe", 10);
		memcpy(s->next_comm, "sched-pipe", 10);
	} else if (type == TL_PROC_INFO) {
		memcpy(buf + 4, "prog\0arg\0", 9);
	}
	return size;
}

static void write_file(const char *path, int level)
{
	struct tl_rec_info info;
	struct tl_writer *w;
	uint64_t buf[256];

	tl_rec_info_init(&info);
	info.ncpus = NCPUS;
	w = tl_writer_open(path, &info, -1, -1);
	assert_non_null(w);
	tl_writer_set_level(w, level);
	for (unsigned i = 0; i < NREC; i++) {
		make_rec(i, buf);
		assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), 0);
		if (i == NREC / 3)
			assert_int_equal(tl_writer_flush(w), 0); /* a small block too */
	}
	assert_int_equal(tl_writer_close(w, BASE_TS + NREC * 2000ull, 0, 0, 0), 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint8_t *d;

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	d = malloc(*len + 1);
	assert_non_null(d);
	assert_int_equal(read(fd, d, *len), (ssize_t)*len);
	close(fd);
	return d;
}

/* Reads d[0..len) and checks every record against make_rec; returns the
 * final status and how many records came. */
static enum tl_read_status check_all(const uint8_t *d, size_t len, size_t *n,
				     char *err, size_t errlen)
{
	struct tl_reader *r = tl_reader_open_mem(d, len, err, errlen);
	const struct tl_hdr *rec;
	enum tl_read_status st;
	uint64_t buf[256];

	*n = 0;
	if (!r)
		return TL_READ_CORRUPT;
	while ((st = tl_reader_next(r, &rec)) == TL_READ_OK) {
		size_t size = make_rec((unsigned)*n, buf);

		assert_int_equal(rec->size, size);
		assert_memory_equal(rec, buf, size);
		(*n)++;
	}
	snprintf(err, errlen, "%s", tl_reader_error(r));
	tl_reader_close(r);
	return st;
}

/* Block offsets and codecs of a format 2 file. */
static size_t blocks(const uint8_t *d, size_t len, size_t *off, uint32_t *codec,
		     size_t max)
{
	size_t pos = get32(d + 12), n = 0;

	while (pos < len && n < max) {
		off[n] = pos;
		codec[n++] = get32(d + pos + 20);
		pos += TL_BLOCK_HDR_LEN + get32(d + pos + 4);
	}
	assert_int_equal(pos, len);
	return n;
}

static void test_compressed_round_trip(void **state)
{
	char zpath[PATH_MAX], rpath[PATH_MAX], err[512];
	size_t zlen, rlen, n, off[64], nb;
	uint32_t codec[64];
	uint8_t *z, *raw;

	(void)state;
	tmpdir_path(zpath, sizeof(zpath), "z.tlr");
	tmpdir_path(rpath, sizeof(rpath), "r.tlr");
	write_file(zpath, TL_WRITER_LEVEL);
	write_file(rpath, 0);
	z = slurp(zpath, &zlen);
	raw = slurp(rpath, &rlen);
	assert_int_equal(get32(z + 8), 2);
	nb = blocks(z, zlen, off, codec, 64);
	assert_true(nb >= 4);
	for (size_t i = 0; i < nb; i++)
		assert_int_equal(codec[i], TL_CODEC_ZSTD);
	assert_true(zlen * 8 < rlen);
	assert_int_equal(check_all(z, zlen, &n, err, sizeof(err)), TL_READ_END);
	assert_int_equal(n, NREC);
	assert_int_equal(check_all(raw, rlen, &n, err, sizeof(err)), TL_READ_END);
	assert_int_equal(n, NREC);
	free(z);
	free(raw);
}

/* Cut anywhere, a compressed file gives the records of its whole blocks,
 * perhaps some of the cut one, then TRUNCATED: never CORRUPT, never a
 * record that was not written (check_all compares each). */
static void test_compressed_cut_anywhere(void **state)
{
	char path[PATH_MAX], err[512];
	size_t len, n, prev = 0, off[64], nb;
	uint32_t codec[64];
	uint8_t *d;

	(void)state;
	tmpdir_path(path, sizeof(path), "cut.tlr");
	write_file(path, TL_WRITER_LEVEL);
	d = slurp(path, &len);
	nb = blocks(d, len, off, codec, 64);
	for (size_t cut = get32(d + 12); cut < len; cut += 1 + cut % 61) {
		assert_int_equal(check_all(d, cut, &n, err, sizeof(err)),
				 TL_READ_TRUNCATED);
		assert_non_null(strstr(err, "cut short"));
		assert_true(n >= prev);
		prev = n;
	}
	/* exactly at the start of the last block: all but its records */
	assert_int_equal(check_all(d, off[nb - 1], &n, err, sizeof(err)),
			 TL_READ_TRUNCATED);
	assert_true(n > 0 && n < NREC);
	assert_non_null(strstr(err, "no trailer"));
	free(d);
}

static void fix_block_crc(uint8_t *d, size_t at)
{
	uint32_t crc = (uint32_t)crc32(0, d + at + TL_BLOCK_HDR_LEN, get32(d + at + 4));

	memcpy(d + at + 8, &crc, 4);
}

static void test_compressed_damage(void **state)
{
	char path[PATH_MAX], err[512];
	size_t len, n, off[64];
	uint32_t codec[64], v;
	uint8_t *d, *c;

	(void)state;
	tmpdir_path(path, sizeof(path), "bad.tlr");
	write_file(path, TL_WRITER_LEVEL);
	d = slurp(path, &len);
	c = malloc(len);
	assert_non_null(c);
	blocks(d, len, off, codec, 64);
	/* a flipped bit: the CRC catches it */
	memcpy(c, d, len);
	c[off[1] + TL_BLOCK_HDR_LEN + 40] ^= 0x10;
	assert_int_equal(check_all(c, len, &n, err, sizeof(err)), TL_READ_CORRUPT);
	assert_non_null(strstr(err, "block checksum mismatch"));
	/* a damaged frame whose CRC was made to match: zstd refuses it (a
	 * flipped literal byte would decode to other records: only the CRC
	 * stands guard over those) */
	memcpy(c, d, len);
	c[off[1] + TL_BLOCK_HDR_LEN] ^= 0x10;
	fix_block_crc(c, off[1]);
	assert_int_equal(check_all(c, len, &n, err, sizeof(err)), TL_READ_CORRUPT);
	assert_non_null(strstr(err, "does not decompress"));
	/* a payload length that is not what the frame holds */
	memcpy(c, d, len);
	v = get32(c + off[1] + 16) - 8;
	memcpy(c + off[1] + 16, &v, 4);
	assert_int_equal(check_all(c, len, &n, err, sizeof(err)), TL_READ_CORRUPT);
	assert_non_null(strstr(err, "does not decompress"));
	/* an unknown codec */
	memcpy(c, d, len);
	v = 7;
	memcpy(c + off[1] + 20, &v, 4);
	assert_int_equal(check_all(c, len, &n, err, sizeof(err)), TL_READ_CORRUPT);
	assert_non_null(strstr(err, "bad block codec 7"));
	free(c);
	free(d);
}

/* Format 1, as threadline before format 2 wrote it: the same header with
 * version 1, blocks with 16-byte headers and raw payloads. Made from a raw
 * format 2 file by dropping the last two block header fields. */
static uint8_t *to_format_1(const uint8_t *d, size_t len, size_t *out_len)
{
	uint32_t hlen = get32(d + 12), version = 1, crc;
	uint8_t *o = malloc(len);
	size_t pos = hlen, w = hlen;

	assert_non_null(o);
	memcpy(o, d, hlen);
	memcpy(o + 8, &version, 4);
	crc = (uint32_t)crc32(0, o, hlen - 8); /* the CRC field is 8 bytes */
	memcpy(o + hlen - 4, &crc, 4);
	while (pos < len) {
		uint32_t stored = get32(d + pos + 4);

		assert_int_equal(get32(d + pos + 20), TL_CODEC_RAW);
		memcpy(o + w, d + pos, TL_BLOCK_HDR_LEN_V1);
		memcpy(o + w + TL_BLOCK_HDR_LEN_V1, d + pos + TL_BLOCK_HDR_LEN, stored);
		w += TL_BLOCK_HDR_LEN_V1 + stored;
		pos += TL_BLOCK_HDR_LEN + stored;
	}
	*out_len = w;
	return o;
}

static void test_format_1_still_reads(void **state)
{
	char path[PATH_MAX], err[512];
	size_t len, len1, n;
	uint8_t *d, *v1;
	struct tl_reader *r;

	(void)state;
	tmpdir_path(path, sizeof(path), "v1.tlr");
	write_file(path, 0);
	d = slurp(path, &len);
	v1 = to_format_1(d, len, &len1);
	assert_int_equal(check_all(v1, len1, &n, err, sizeof(err)), TL_READ_END);
	assert_int_equal(n, NREC);
	r = tl_reader_open_mem(v1, len1, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tl_reader_info(r)->format_version, 1);
	tl_reader_close(r);
	/* cut inside the last block: its complete records, then the cut */
	assert_int_equal(check_all(v1, len1 - 2000, &n, err, sizeof(err)),
			 TL_READ_TRUNCATED);
	assert_true(n > NREC / 2 && n < NREC);
	/* from a file, as report and export read it */
	tmpdir_path(path, sizeof(path), "v1b.tlr");
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(v1, 1, len1, f), len1);
	fclose(f);
	r = tl_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	{
		const struct tl_hdr *rec;
		size_t k = 0;

		while (tl_reader_next(r, &rec) == TL_READ_OK)
			k++;
		assert_int_equal(k, NREC);
		assert_non_null(tl_reader_trailer(r));
	}
	tl_reader_close(r);
	free(v1);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressed_round_trip),
		cmocka_unit_test(test_compressed_cut_anywhere),
		cmocka_unit_test(test_compressed_damage),
		cmocka_unit_test(test_format_1_still_reads),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
