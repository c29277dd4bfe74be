/* test_recording.c - the recording writer and reader: every record type
 * round-trips byte for byte; a file cut at any byte reads up to its last
 * complete record and says where; each kind of corruption is refused with
 * the byte offset of the fault; symlinks are never written through; a
 * write error leaves a readable file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "userspace/recording/recording.h"
#define TMPDIR_NAME "tl-rec-test"
#include "tests/common/tmpdir.h"

#define NCPUS 4
#define BASE_TS 1000000000ull

static const uint16_t all_types[] = {
	TL_SWITCH, TL_WAKING, TL_WAKEUP_NEW, TL_MIGRATE, TL_FORK, TL_NEWTASK,
	TL_EXEC, TL_EXIT, TL_WAIT, TL_RENAME, TL_SYS_ENTER, TL_SYS_EXIT,
	TL_SIGNAL_GEN, TL_SIGNAL_DELIVER, TL_USDT, TL_TASK_SNAP, TL_PROC_INFO,
	TL_LOSS, TL_PROC_MAPS, TL_SOCK_PEER, TL_SOCK_COUNT,
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))


static void make_info(struct tl_rec_info *info)
{
	tl_rec_info_init(info);
	info->ncpus = NCPUS;
	snprintf(info->cmdline, sizeof(info->cmdline), "threadline record -- ./prog a b");
	snprintf(info->target, sizeof(info->target), "cmd: ./prog a b");
	info->groups = 0x3f;
}

/* Record number i of the given type: header fields and a body pattern that
 * depend on i, so any mix-up between records shows. */
static size_t make_rec(uint16_t type, unsigned i, uint64_t *buf)
{
	struct tl_hdr *h = (struct tl_hdr *)buf;
	size_t size = tl_record_min_size(type);
	uint8_t *body = (uint8_t *)buf;

	if (type == TL_PROC_INFO)
		size += 1 + i % 40; /* odd lengths: later records are unaligned */
	if (type == TL_PROC_MAPS)
		size += 8 * (i % 5);
	for (size_t j = sizeof(*h); j < size; j++)
		body[j] = (uint8_t)(i * 7 + j);
	h->size = (uint16_t)size;
	h->type = type;
	h->cpu = (uint16_t)(i % NCPUS);
	h->flags = (uint16_t)(i & 1);
	h->ts = BASE_TS + i * 1000ull;
	h->tgid = 100 + i;
	h->tid = 200 + i;
	return size;
}

static void read_file(const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*len = (size_t)st.st_size;
	*data = malloc(*len + 1);
	assert_non_null(*data);
	assert_int_equal(read(fd, *data, *len), (ssize_t)*len);
	close(fd);
}

/* A writer on path, with make_info()'s header. */
static struct tl_writer *open_writer(const char *path)
{
	struct tl_rec_info info;
	struct tl_writer *w;

	make_info(&info);
	w = tl_writer_open(path, &info, -1, -1);
	assert_non_null(w);
	/* raw blocks: the layout walk below knows where every record lies
	 * (compressed blocks have tests of their own) */
	tl_writer_set_level(w, 0);
	return w;
}

/* Writes `n` records cycling over every type, flushing every `flush_every`
 * records (0: never) so the file has many blocks. */
static void write_file(const char *path, unsigned n, unsigned flush_every)
{
	struct tl_writer *w = open_writer(path);
	uint64_t buf[2048];

	for (unsigned i = 0; i < n; i++) {
		make_rec(all_types[i % NTYPES], i, buf);
		assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), 0);
		if (flush_every && (i + 1) % flush_every == 0)
			assert_int_equal(tl_writer_flush(w), 0);
	}
	assert_int_equal(tl_writer_close(w, BASE_TS + n * 1000ull,
					 TL_TRAILER_F_TARGET_EXITED, 7 << 8, 3), 0);
}

/* ---- an independent walk of the layout, to know where things are ---- */

struct layout {
	size_t header_len;
	size_t nblocks, nrecs;
	size_t block_off[4096];
	size_t rec_off[65536], rec_end[65536];
	size_t rec_block[65536];
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void walk(const uint8_t *d, size_t len, struct layout *l)
{
	size_t off;

	memset(l, 0, sizeof(*l));
	l->header_len = get32(d + 12);
	off = l->header_len;
	while (off < len) {
		uint32_t plen = get32(d + off + 4), count = get32(d + off + 12);
		size_t p = off + TL_BLOCK_HDR_LEN;

		assert_int_equal(get32(d + off), TL_BLOCK_MAGIC);
		l->block_off[l->nblocks] = off;
		for (uint32_t k = 0; k < count; k++) {
			uint16_t sz;

			memcpy(&sz, d + p, 2);
			l->rec_off[l->nrecs] = p;
			l->rec_end[l->nrecs] = p + sz;
			l->rec_block[l->nrecs++] = l->nblocks;
			p += sz;
		}
		assert_int_equal(p, off + TL_BLOCK_HDR_LEN + plen);
		l->nblocks++;
		off = p;
	}
	assert_int_equal(off, len);
}

static void fix_crc(uint8_t *d, size_t block_off)
{
	uint32_t plen = get32(d + block_off + 4);
	uint32_t crc = (uint32_t)crc32(0, d + block_off + TL_BLOCK_HDR_LEN, plen);

	memcpy(d + block_off + 8, &crc, 4);
}

/* Reads everything; returns the final status and the record count. */
static enum tl_read_status read_all(const uint8_t *d, size_t len, size_t *nrec,
				    char *err, size_t errlen, uint64_t *offset)
{
	struct tl_reader *r = tl_reader_open_mem(d, len, err, errlen);
	const struct tl_hdr *rec;
	enum tl_read_status st;

	*nrec = 0;
	if (!r)
		return TL_READ_CORRUPT;
	while ((st = tl_reader_next(r, &rec)) == TL_READ_OK)
		(*nrec)++;
	snprintf(err, errlen, "%s", tl_reader_error(r));
	if (offset)
		*offset = tl_reader_offset(r);
	tl_reader_close(r);
	return st;
}

/* ---- tests ---- */

static void test_crc_matches_zlib(void **state)
{
	uint8_t data[4099];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 17);
	assert_int_equal(tl_crc32(0, data, sizeof(data)),
			 (uint32_t)crc32(0, data, sizeof(data)));
	assert_int_equal(tl_crc32(0, "123456789", 9), 0xCBF43926u);
	assert_int_equal(tl_crc32(0, NULL, 0), 0);
}

static void test_type_table(void **state)
{
	(void)state;
	assert_int_equal(tl_record_min_size(TL_SWITCH), sizeof(struct tl_switch));
	assert_int_equal(tl_record_min_size(TL_TRAILER), sizeof(struct tl_trailer));
	assert_int_equal(tl_record_min_size(TL_PROC_INFO), sizeof(struct tl_proc_info));
	assert_int_equal(tl_record_min_size(99), 0);
	assert_int_equal(tl_record_min_size(0), 0);
	assert_int_equal(tl_record_min_size(60000), 0);
	assert_true(tl_record_is_variable(TL_PROC_INFO));
	assert_false(tl_record_is_variable(TL_SWITCH));
	assert_string_equal(tl_type_name(TL_FORK), "fork");
	assert_string_equal(tl_type_name(77), "unknown");
}

/* A TL_PROC_MAPS record's entries, each a struct and its padded path; an
 * entry that runs past the record ends the walk. */
static void test_proc_maps_entries(void **state)
{
	uint64_t buf[64] = { 0 };
	struct tl_proc_maps *pm = (struct tl_proc_maps *)buf;
	struct tl_map_entry e = { .start = 0x1000, .end = 0x3000, .prot = TL_MAP_R,
				  .path_len = 9, .build_id_len = 2, .build_id = { 0xab, 0xcd } };
	char *p = (char *)(pm + 1);
	struct tl_map_view v;
	size_t pos = 0;

	(void)state;
	memcpy(p, &e, sizeof(e));
	memcpy(p + sizeof(e), "/bin/true", 9);
	p += sizeof(e) + 16;
	e = (struct tl_map_entry){ .start = 0x5000, .end = 0x6000, .stack_tid = 42 };
	memcpy(p, &e, sizeof(e));
	pm->h.type = TL_PROC_MAPS;
	pm->h.size = (uint16_t)(sizeof(*pm) + 2 * sizeof(e) + 16);
	pm->count = 2;
	assert_true(tl_proc_maps_next(pm, &pos, &v));
	assert_int_equal(v.e.end, 0x3000);
	assert_memory_equal(v.path, "/bin/true", 9);
	assert_int_equal(v.e.build_id[1], 0xcd);
	assert_true(tl_proc_maps_next(pm, &pos, &v));
	assert_int_equal(v.e.stack_tid, 42);
	assert_int_equal(v.e.path_len, 0);
	assert_false(tl_proc_maps_next(pm, &pos, &v));
	/* a path longer than the record is not read */
	pos = 0;
	((struct tl_map_entry *)(pm + 1))->path_len = 200;
	assert_false(tl_proc_maps_next(pm, &pos, &v));
}

static void check_info(const struct tl_rec_info *got)
{
	struct tl_rec_info want;

	make_info(&want);
	assert_int_equal(got->format_version, TL_REC_FORMAT_VERSION);
	assert_int_equal(got->abi_version, TL_ABI_VERSION);
	assert_int_equal(got->ncpus, NCPUS);
	assert_string_equal(got->host, want.host);
	assert_string_equal(got->kernel, want.kernel);
	assert_string_equal(got->machine, want.machine);
	assert_string_equal(got->cmdline, want.cmdline);
	assert_string_equal(got->target, want.target);
	assert_string_equal(got->tool_version, want.tool_version);
	assert_int_equal(got->groups, 0x3f);
	assert_int_equal(got->recorder_pid, (uint32_t)getpid());
	/* the pair was read a moment ago: both clocks within a minute of now */
	assert_true(want.boot_ns - got->boot_ns < 60000000000ull);
	assert_true(want.real_ns - got->real_ns < 60000000000ull);
}

static void test_round_trip_every_type(void **state)
{
	char path[PATH_MAX], err[512];
	unsigned n = 5 * NTYPES;
	const struct tl_hdr *rec;
	const struct tl_trailer *t;
	struct tl_reader *r;
	uint64_t buf[2048];

	(void)state;
	tmpdir_path(path, sizeof(path), "all.tlr");
	write_file(path, n, 0);
	r = tl_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	check_info(tl_reader_info(r));
	for (unsigned i = 0; i < n; i++) {
		size_t size = make_rec(all_types[i % NTYPES], i, buf);

		assert_int_equal(tl_reader_next(r, &rec), TL_READ_OK);
		assert_int_equal(rec->size, size);
		assert_memory_equal(rec, buf, size);
		assert_true(((uintptr_t)rec & 7) == 0);
	}
	assert_int_equal(tl_reader_next(r, &rec), TL_READ_END);
	assert_null(rec);
	t = tl_reader_trailer(r);
	assert_non_null(t);
	assert_int_equal(t->records, n);
	assert_int_equal(t->flags, TL_TRAILER_F_TARGET_EXITED);
	assert_int_equal(t->target_status, 7 << 8);
	assert_int_equal(t->lost_total, 3);
	assert_int_equal(t->h.ts, BASE_TS + n * 1000ull);
	for (size_t k = 0; k < NTYPES; k++)
		assert_int_equal(t->counts[all_types[k]], 5);
	assert_int_equal(t->counts[TL_TRAILER], 0);
	assert_int_equal(tl_reader_next(r, &rec), TL_READ_END);
	tl_reader_close(r);
}

/* Enough records for several full 256 KiB blocks, plus flushed small ones. */
static void test_many_blocks(void **state)
{
	static struct layout l;
	char path[PATH_MAX], err[512];
	unsigned n = 40000;
	uint8_t *d;
	size_t len, got;

	(void)state;
	tmpdir_path(path, sizeof(path), "big.tlr");
	write_file(path, n, 15000);
	read_file(path, &d, &len);
	walk(d, len, &l);
	assert_true(l.nblocks >= 10);
	assert_int_equal(l.nrecs, n + 1);
	assert_int_equal(read_all(d, len, &got, err, sizeof(err), NULL), TL_READ_END);
	assert_int_equal(got, n);
	free(d);
}

/* The header is padded to a multiple of 8 and every fixed-size record is
 * a multiple of 8 long, so every record starts 8-byte aligned in the file
 * and the reader hands it out where it lies, not through a copy. */
static void test_records_aligned(void **state)
{
	static struct layout l;
	char path[PATH_MAX], err[512];
	struct tl_writer *w;
	struct tl_reader *r;
	const struct tl_hdr *rec;
	uint64_t buf[2048];
	size_t len, n = 0;
	uint8_t *d;

	(void)state;
	tmpdir_path(path, sizeof(path), "aligned.tlr");
	w = open_writer(path);
	for (unsigned i = 0; i < 5000; i++) {
		uint16_t type = all_types[i % NTYPES];

		if (type == TL_PROC_INFO)
			continue;
		make_rec(type, i, buf);
		assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), 0);
		if ((i + 1) % 1500 == 0)
			assert_int_equal(tl_writer_flush(w), 0);
	}
	assert_int_equal(tl_writer_close(w, BASE_TS + 5000 * 1000ull, 0, 0, 0), 0);
	read_file(path, &d, &len);
	walk(d, len, &l);
	assert_int_equal(l.header_len % 8, 0);
	assert_true(l.nblocks >= 3);
	for (size_t i = 0; i < l.nrecs; i++)
		assert_int_equal(l.rec_off[i] % 8, 0);
	r = tl_reader_open_mem(d, len, err, sizeof(err));
	assert_non_null(r);
	while (tl_reader_next(r, &rec) == TL_READ_OK) {
		assert_ptr_equal((const uint8_t *)rec, d + l.rec_off[n]);
		n++;
	}
	assert_int_equal(n, l.nrecs - 1);   /* all but the trailer */
	tl_reader_close(r);
	free(d);
}

/* What a kill -9 leaves: flushed blocks and no trailer. */
static void test_flushed_file_readable_before_close(void **state)
{
	char path[PATH_MAX], err[512];
	struct tl_writer *w;
	uint64_t buf[2048], off;
	uint8_t *d;
	size_t len, got;

	(void)state;
	tmpdir_path(path, sizeof(path), "live.tlr");
	w = open_writer(path);
	for (unsigned i = 0; i < 50; i++) {
		make_rec(all_types[i % NTYPES], i, buf);
		assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), 0);
	}
	assert_int_equal(tl_writer_flush(w), 0);
	make_rec(TL_SWITCH, 50, buf);
	assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), 0);
	read_file(path, &d, &len);
	assert_int_equal(read_all(d, len, &got, err, sizeof(err), &off),
			 TL_READ_TRUNCATED);
	assert_int_equal(got, 50);
	assert_int_equal(off, len);
	assert_non_null(strstr(err, "no trailer"));
	assert_int_equal(tl_writer_records(w), 51);
	free(d);
	assert_int_equal(tl_writer_close(w, BASE_TS + 51000, 0, 0, 0), 0);
}

/* Cuts the file at every byte: the records that end before the cut are
 * read, then TRUNCATED with the end of the last one as the offset. */
static void test_truncated_at_every_byte(void **state)
{
	static struct layout l;
	char path[PATH_MAX], err[512];
	uint8_t *d;
	size_t len, got, checked_partial_hdr = 0, checked_mid = 0;
	uint64_t off;

	(void)state;
	tmpdir_path(path, sizeof(path), "cut.tlr");
	write_file(path, 60, 7); /* 9 blocks, the trailer's with 4 records */
	read_file(path, &d, &len);
	walk(d, len, &l);
	assert_int_equal(l.nblocks, 9);
	for (size_t cut = 0; cut < len; cut++) {
		struct tl_reader *r = tl_reader_open_mem(d, cut, err, sizeof(err));
		size_t want = 0, end = l.header_len;

		if (cut < l.header_len) {
			assert_null(r);
			assert_non_null(strstr(err, cut ? "cut short" : "empty"));
			continue;
		}
		tl_reader_close(r);
		while (want < l.nrecs - 1 && l.rec_end[want] <= cut)
			end = l.rec_end[want++];
		assert_int_equal(read_all(d, cut, &got, err, sizeof(err), &off),
				 TL_READ_TRUNCATED);
		assert_int_equal(got, want);
		assert_int_equal(off, end);
		assert_non_null(strstr(err, "cut short at byte"));
		checked_partial_hdr += strstr(err, "block header") != NULL;
		checked_mid += strstr(err, "inside a record") != NULL;
	}
	assert_int_equal(checked_partial_hdr, 9 * (TL_BLOCK_HDR_LEN - 1));
	assert_true(checked_mid > 1000);
	/* cut right before the trailer: every other record is there */
	assert_int_equal(read_all(d, l.rec_off[l.nrecs - 1], &got, err, sizeof(err),
				  &off), TL_READ_TRUNCATED);
	assert_int_equal(got, l.nrecs - 1);
	free(d);
}

struct corruption {
	const char *what;
	size_t bad_rec;     /* records before the fault that read fine */
	size_t err_off;     /* byte offset the message must name */
	const char *msg;
};

static void expect_corrupt(const uint8_t *d, size_t len, const struct corruption *c)
{
	char err[512], want[64];
	size_t got;

	assert_int_equal(read_all(d, len, &got, err, sizeof(err), NULL), TL_READ_CORRUPT);
	assert_int_equal(got, c->bad_rec);
	snprintf(want, sizeof(want), "byte %zu", c->err_off);
	if (!strstr(err, want) || !strstr(err, c->msg))
		fail_msg("%s: message \"%s\" lacks \"%s\" / \"%s\"", c->what, err,
			 want, c->msg);
	assert_null(strchr(err, '\n'));
}

static uint8_t *load_fixture(size_t *len, struct layout *l)
{
	char path[PATH_MAX];
	uint8_t *d;

	tmpdir_path(path, sizeof(path), "fix.tlr");
	write_file(path, 40, 10);
	read_file(path, &d, len);
	walk(d, *len, l);
	return d;
}

static void patch_rec(uint8_t *d, const struct layout *l, size_t i, size_t field,
		      const void *val, size_t n)
{
	memcpy(d + l->rec_off[i] + field, val, n);
	fix_crc(d, l->block_off[l->rec_block[i]]);
}

static void test_corrupt_records(void **state)
{
	static struct layout l;
	size_t len, i = 23; /* third block, record 3 */
	uint8_t *d = load_fixture(&len, &l), *copy = malloc(len);
	uint16_t u16;
	uint64_t ts;

	(void)state;
	memcpy(copy, d, len);
	u16 = 99;
	patch_rec(copy, &l, i, offsetof(struct tl_hdr, type), &u16, 2);
	expect_corrupt(copy, len, &(struct corruption){ "type", i, l.rec_off[i],
							"unknown record type 99" });
	memcpy(copy, d, len);
	memcpy(&u16, copy + l.rec_off[i], 2);
	u16 = (uint16_t)(u16 - 8);
	patch_rec(copy, &l, i, offsetof(struct tl_hdr, size), &u16, 2);
	expect_corrupt(copy, len, &(struct corruption){ "size", i, l.rec_off[i],
							"has size" });
	memcpy(copy, d, len);
	u16 = NCPUS;
	patch_rec(copy, &l, i, offsetof(struct tl_hdr, cpu), &u16, 2);
	expect_corrupt(copy, len, &(struct corruption){ "cpu", i, l.rec_off[i],
							"cpu 4 of a 4-CPU" });
	memcpy(copy, d, len);
	ts = BASE_TS + (i - 1) * 1000 - 1;
	patch_rec(copy, &l, i, offsetof(struct tl_hdr, ts), &ts, 8);
	expect_corrupt(copy, len, &(struct corruption){ "ts", i, l.rec_off[i],
							"back in time" });
	free(copy);
	free(d);
}

static void test_corrupt_blocks(void **state)
{
	static struct layout l;
	size_t len, b = 2, first = 20; /* block 2 starts with record 20 */
	uint8_t *d = load_fixture(&len, &l), *copy = malloc(len + 8);
	uint32_t v;

	(void)state;
	assert_int_equal(l.rec_block[first], b);
	assert_int_equal(l.rec_block[first - 1], b - 1);
	memcpy(copy, d, len);
	copy[l.block_off[b]] ^= 0x20;
	expect_corrupt(copy, len, &(struct corruption){ "magic", first, l.block_off[b],
							"bad block magic" });
	memcpy(copy, d, len);
	copy[l.rec_off[first + 2] + 30] ^= 1; /* a body byte: only the CRC sees it */
	expect_corrupt(copy, len, &(struct corruption){ "crc", first, l.block_off[b],
							"checksum mismatch" });
	memcpy(copy, d, len);
	v = TL_BLOCK_MAX + 1;
	memcpy(copy + l.block_off[b] + 4, &v, 4);
	expect_corrupt(copy, len, &(struct corruption){ "len", first,
							l.block_off[b] + 4, "bad block length" });
	memcpy(copy, d, len);
	v = 0;
	memcpy(copy + l.block_off[b] + 12, &v, 4);
	expect_corrupt(copy, len, &(struct corruption){ "count", first,
							l.block_off[b] + 12, "bad record count" });
	memcpy(copy, d, len);
	memcpy(copy + len, "garbage!", 8);
	expect_corrupt(copy, len + 8, &(struct corruption){ "tail", 40, len,
							    "data after the trailer" });
	free(copy);
	free(d);
}

static void test_corrupt_trailer_counts(void **state)
{
	static struct layout l;
	size_t len, t;
	uint8_t *d = load_fixture(&len, &l);
	uint64_t n = 39;

	(void)state;
	t = l.nrecs - 1;
	patch_rec(d, &l, t, offsetof(struct tl_trailer, records), &n, 8);
	expect_corrupt(d, len, &(struct corruption){ "trailer", 40, l.rec_off[t],
						     "counts 39 records" });
	free(d);
}

static void test_corrupt_header(void **state)
{
	static struct layout l;
	size_t len;
	uint8_t *d = load_fixture(&len, &l), *copy = malloc(len);
	char err[512];
	uint32_t v;

	(void)state;
	memcpy(copy, d, len);
	copy[3] = 'x';
	assert_null(tl_reader_open_mem(copy, len, err, sizeof(err)));
	assert_non_null(strstr(err, "bad magic at byte 0"));
	memcpy(copy, d, len);
	assert_int_equal(get32(copy + 24) & 0xffff, TL_HK_HOST);
	assert_true(get32(copy + 24) >> 16 > 0);
	copy[28] ^= 0x1;  /* the host name's first letter */
	assert_null(tl_reader_open_mem(copy, len, err, sizeof(err)));
	assert_non_null(strstr(err, "header checksum mismatch"));
	memcpy(copy, d, len);
	v = 3;
	memcpy(copy + 8, &v, 4);
	assert_null(tl_reader_open_mem(copy, len, err, sizeof(err)));
	assert_non_null(strstr(err, "format version 3 at byte 8"));
	memcpy(copy, d, len);
	v = 8;
	memcpy(copy + 12, &v, 4);
	assert_null(tl_reader_open_mem(copy, len, err, sizeof(err)));
	assert_non_null(strstr(err, "bad header length 8 at byte 12"));
	assert_null(tl_reader_open_mem("hello", 5, err, sizeof(err)));
	assert_non_null(strstr(err, "not a threadline recording"));
	free(copy);
	free(d);
}

static void test_symlink_refused(void **state)
{
	char target[PATH_MAX], link[PATH_MAX], dangling[PATH_MAX], err[512];
	struct tl_rec_info info;
	struct stat st;
	int fd;

	(void)state;
	make_info(&info);
	tmpdir_path(target, sizeof(target), "precious");
	tmpdir_path(link, sizeof(link), "link.tlr");
	tmpdir_path(dangling, sizeof(dangling), "dangling.tlr");
	fd = open(target, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	assert_int_equal(symlink(target, link), 0);
	errno = 0;
	assert_null(tl_writer_open(link, &info, -1, -1));
	assert_int_equal(errno, ELOOP);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* a link to a file not there yet must not create it either */
	tmpdir_path(target, sizeof(target), "not-yet");
	assert_int_equal(symlink(target, dangling), 0);
	assert_null(tl_writer_open(dangling, &info, -1, -1));
	assert_int_equal(errno, ELOOP);
	assert_int_equal(access(target, F_OK), -1);
	/* nor is a directory replaced */
	assert_null(tl_writer_open(tmpdir, &info, -1, -1));
	assert_int_equal(errno, EEXIST);
	(void)err;
}

static void test_replaces_regular_file(void **state)
{
	char path[PATH_MAX], err[512];
	size_t got;
	uint8_t *d;
	size_t len;

	(void)state;
	tmpdir_path(path, sizeof(path), "again.tlr");
	write_file(path, 100, 0);
	write_file(path, 10, 0);
	read_file(path, &d, &len);
	assert_int_equal(read_all(d, len, &got, err, sizeof(err), NULL), TL_READ_END);
	assert_int_equal(got, 10);
	free(d);
}

static void test_writer_refuses_unreadable_records(void **state)
{
	char path[PATH_MAX], err[512];
	struct tl_rec_info info;
	struct tl_writer *w;
	uint64_t buf[2048];
	struct tl_hdr *h = (struct tl_hdr *)buf;
	const struct tl_hdr *rec;
	struct tl_reader *r;

	(void)state;
	make_info(&info);
	tmpdir_path(path, sizeof(path), "refuse.tlr");
	w = tl_writer_open(path, &info, (int)getuid(), (int)getgid());
	assert_non_null(w);
	make_rec(TL_SWITCH, 5, buf);
	assert_int_equal(tl_writer_append(w, h), 0);
	h->cpu = NCPUS;
	assert_int_equal(tl_writer_append(w, h), -EINVAL);
	make_rec(TL_SWITCH, 6, buf);
	h->type = 77;
	assert_int_equal(tl_writer_append(w, h), -EINVAL);
	make_rec(TL_SWITCH, 7, buf);
	h->size += 8;
	assert_int_equal(tl_writer_append(w, h), -EINVAL);
	make_rec(TL_TRAILER, 8, buf);
	assert_int_equal(tl_writer_append(w, h), -EINVAL);
	/* older than the previous record: raised to its time, counted */
	make_rec(TL_FORK, 1, buf);
	assert_int_equal(tl_writer_append(w, h), 0);
	assert_int_equal(tl_writer_clamped(w), 1);
	assert_int_equal(tl_writer_close(w, 0, 0, 0, 0), 0);
	r = tl_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(tl_reader_next(r, &rec), TL_READ_OK);
	assert_int_equal(rec->ts, BASE_TS + 5000);
	assert_int_equal(tl_reader_next(r, &rec), TL_READ_OK);
	assert_int_equal(rec->type, TL_FORK);
	assert_int_equal(rec->ts, BASE_TS + 5000);
	assert_int_equal(tl_reader_next(r, &rec), TL_READ_END);
	assert_int_equal(tl_reader_trailer(r)->h.ts, BASE_TS + 5000);
	tl_reader_close(r);
}

/* A write that fails part-way (here a file size limit standing in for a
 * full disk) keeps every whole block written before it. */
static void test_write_error_keeps_whole_blocks(void **state)
{
	static struct layout l;
	char path[PATH_MAX], err[512];
	struct rlimit old, lim;
	struct tl_rec_info info;
	struct tl_writer *w;
	uint64_t buf[2048], off;
	unsigned i, appended = 0;
	uint8_t *d;
	size_t len, got;
	int rc = 0;

	(void)state;
	make_info(&info);
	tmpdir_path(path, sizeof(path), "full.tlr");
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 700 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	w = tl_writer_open(path, &info, -1, -1);
	assert_non_null(w);
	tl_writer_set_level(w, 0);
	for (i = 0; i < 20000 && rc == 0; i++) {
		make_rec(TL_SWITCH, i, buf);
		rc = tl_writer_append(w, (struct tl_hdr *)buf);
		appended += rc == 0;
	}
	assert_int_equal(rc, -EFBIG);
	assert_int_equal(tl_writer_append(w, (struct tl_hdr *)buf), -EFBIG);
	assert_int_equal(tl_writer_close(w, 0, 0, 0, 0), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	read_file(path, &d, &len);
	walk(d, len, &l);
	assert_int_equal(l.nblocks, 2); /* two whole 256 KiB blocks fit */
	assert_int_equal(read_all(d, len, &got, err, sizeof(err), &off),
			 TL_READ_TRUNCATED);
	assert_int_equal(got, l.nrecs);
	assert_true(got < appended);
	assert_int_equal(off, len);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_matches_zlib),
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_proc_maps_entries),
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_many_blocks),
		cmocka_unit_test(test_records_aligned),
		cmocka_unit_test(test_flushed_file_readable_before_close),
		cmocka_unit_test(test_truncated_at_every_byte),
		cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_corrupt_blocks),
		cmocka_unit_test(test_corrupt_trailer_counts),
		cmocka_unit_test(test_corrupt_header),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_replaces_regular_file),
		cmocka_unit_test(test_writer_refuses_unreadable_records),
		cmocka_unit_test(test_write_error_keeps_whole_blocks),
	};

	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
