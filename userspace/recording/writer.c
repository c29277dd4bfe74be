/* writer.c - the streaming writer of recording files: a self-describing
 * header, then CRC-checked blocks of records written whole, then a trailer.
 * A block is written with one write() once it is full or on flush, so a
 * recorder killed at any moment leaves a file readable up to its last block.
 * Blocks are compressed with zstd and written by a thread of the writer's
 * own, so the collector's thread only copies records (compressing costs
 * about as much CPU per event as collecting: docs/recording-format.md).
 * Layout: recording.h and docs/recording-format.md. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>
#include "recording.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the recording format is little-endian; add byte swapping for this host"
#endif

#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif

/* A block of records: filled by the caller's thread, then compressed and
 * written by the writer thread while the caller fills the other one. */
struct blk {
	uint8_t *buf;            /* TL_BLOCK_HDR_LEN + TL_BLOCK_TARGET */
	size_t len;              /* bytes in buf, block header included */
	uint32_t nrec;
};

struct tl_writer {
	int fd;
	int err;                 /* first write error (-errno); sticky */
	uint32_t ncpus;
	int level;               /* zstd level (< 0: fast); 0 stores raw */
	uint64_t last_ts;
	uint64_t appended;       /* records appended, in all blocks */
	uint64_t clamped;
	uint64_t counts[TL_MAX_TYPES]; /* of records appended */
	struct blk blk[2];
	int cur;                 /* the block being filled */
	/* shared with the writer thread, under mu */
	pthread_t thread;
	bool have_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct blk *queued;      /* handed over, not yet written */
	bool quit;
	int thread_err;          /* the thread's first write error */
	uint64_t written;        /* records in blocks on disk */
	/* the writer thread's own */
	off_t good_off;          /* end of the last block fully written */
	ZSTD_CCtx *cctx;
	uint8_t *zbuf;           /* TL_BLOCK_HDR_LEN + compress bound */
	size_t zcap;
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* REALTIME read between two BOOTTIME reads; the tightest of a few tries
 * pairs them to within a microsecond or so. */
static void clock_pair(uint64_t *boot, uint64_t *real)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t b0 = clock_ns(CLOCK_BOOTTIME);
		uint64_t r = clock_ns(CLOCK_REALTIME);
		uint64_t b1 = clock_ns(CLOCK_BOOTTIME);

		if (b1 - b0 < best) {
			best = b1 - b0;
			*boot = b0 + (b1 - b0) / 2;
			*real = r;
		}
	}
}

static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

void tl_rec_info_init(struct tl_rec_info *info)
{
	struct utsname u;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	memset(info, 0, sizeof(*info));
	info->format_version = TL_REC_FORMAT_VERSION;
	info->abi_version = TL_ABI_VERSION;
	if (uname(&u) == 0) {
		copy_str(info->host, sizeof(info->host), u.nodename);
		copy_str(info->kernel, sizeof(info->kernel), u.release);
		copy_str(info->machine, sizeof(info->machine), u.machine);
	}
	info->ncpus = n > 0 ? (uint32_t)n : 1;
	clock_pair(&info->boot_ns, &info->real_ns);
	copy_str(info->tool_version, sizeof(info->tool_version), TL_VERSION);
	info->recorder_pid = (uint32_t)getpid();
}

/* ---- header ---- */

struct hbuf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct hbuf *h, const void *data, size_t n)
{
	if (h->len + n <= h->cap)
		memcpy(h->p + h->len, data, n);
	h->len += n;
}

static void put_field(struct hbuf *h, uint16_t key, const void *val, size_t n)
{
	uint16_t len = (uint16_t)n;

	put(h, &key, 2);
	put(h, &len, 2);
	put(h, val, n);
}

static void put_str(struct hbuf *h, uint16_t key, const char *s, size_t max)
{
	put_field(h, key, s, strnlen(s, max - 1));
}

static void put_u32(struct hbuf *h, uint16_t key, uint32_t v)
{
	put_field(h, key, &v, 4);
}

/* Encodes the header into h; returns its length (> cap: did not fit). */
static size_t encode_header(struct hbuf *h, const struct tl_rec_info *in)
{
	uint32_t version = TL_REC_FORMAT_VERSION, hlen = 0, crc;
	uint64_t clk[2] = { in->boot_ns, in->real_ns };
	static const uint8_t zeros[8];

	put(h, TL_REC_MAGIC, 8);
	put(h, &version, 4);
	put(h, &hlen, 4);
	put_u32(h, TL_HK_ABI_VERSION, TL_ABI_VERSION);
	put_str(h, TL_HK_HOST, in->host, sizeof(in->host));
	put_str(h, TL_HK_KERNEL, in->kernel, sizeof(in->kernel));
	put_str(h, TL_HK_MACHINE, in->machine, sizeof(in->machine));
	put_u32(h, TL_HK_NCPUS, in->ncpus);
	put_field(h, TL_HK_CLOCK, clk, sizeof(clk));
	put_str(h, TL_HK_CMDLINE, in->cmdline, sizeof(in->cmdline));
	put_str(h, TL_HK_TARGET, in->target, sizeof(in->target));
	put_u32(h, TL_HK_GROUPS, in->groups);
	put_str(h, TL_HK_TOOL_VERSION,
		in->tool_version[0] ? in->tool_version : TL_VERSION,
		sizeof(in->tool_version));
	if (in->recorder_pid)
		put_u32(h, TL_HK_RECORDER_PID, in->recorder_pid);
	put_field(h, TL_HK_PAD, zeros, (8 - (h->len + 4 + 8) % 8) % 8);
	hlen = (uint32_t)(h->len + 8);
	if (h->len + 8 > h->cap)
		return h->len + 8;
	memcpy(h->p + 12, &hlen, 4);
	crc = tl_crc32(0, h->p, h->len);
	put_field(h, TL_HK_CRC, &crc, 4);
	return h->len;
}

/* ---- output ---- */

static int write_all(int fd, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Refuses symlinks and anything but a regular file; replaces an old file
 * by unlinking it first, then creates with O_EXCL so nothing swapped in
 * between is followed. */
static int create_file(const char *path, int uid, int gid)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISREG(st.st_mode))
			return -EEXIST;
		if (unlink(path) < 0)
			return -errno;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno == EEXIST ? -EEXIST : -errno;
	if ((uid != -1 || gid != -1) && fchown(fd, (uid_t)uid, (gid_t)gid) < 0) {
		int e = -errno;

		close(fd);
		unlink(path);
		return e;
	}
	return fd;
}

static int write_header(struct tl_writer *w, const struct tl_rec_info *info)
{
	uint8_t tmp[4096];
	struct hbuf h = { tmp, 0, sizeof(tmp) };
	size_t n = encode_header(&h, info);

	if (n > sizeof(tmp))
		return -ENAMETOOLONG;
	w->good_off = (off_t)n;
	return write_all(w->fd, tmp, n);
}

/* ---- the writer thread: compresses and writes whole blocks ---- */

/* The block header of format 2, in front of the stored bytes at out. */
static void put_block_header(uint8_t *out, uint32_t stored, uint32_t raw_len,
			     uint32_t nrec, uint32_t codec)
{
	uint32_t bh[6] = { TL_BLOCK_MAGIC, stored, 0, nrec, raw_len, codec };

	bh[2] = tl_crc32(0, out + TL_BLOCK_HDR_LEN, stored);
	memcpy(out, bh, sizeof(bh));
}

/* Compresses b into zbuf when that makes it smaller; returns the bytes to
 * write (header included) and where they are. */
static size_t encode_block(struct tl_writer *w, struct blk *b, const uint8_t **out)
{
	uint32_t raw_len = (uint32_t)(b->len - TL_BLOCK_HDR_LEN);
	size_t z = 0;

	if (w->level != 0 && w->cctx)
		z = ZSTD_compressCCtx(w->cctx, w->zbuf + TL_BLOCK_HDR_LEN, w->zcap,
				      b->buf + TL_BLOCK_HDR_LEN, raw_len, w->level);
	if (z > 0 && !ZSTD_isError(z) && z < raw_len) {
		put_block_header(w->zbuf, (uint32_t)z, raw_len, b->nrec, TL_CODEC_ZSTD);
		*out = w->zbuf;
		return TL_BLOCK_HDR_LEN + z;
	}
	put_block_header(b->buf, raw_len, raw_len, b->nrec, TL_CODEC_RAW);
	*out = b->buf;
	return b->len;
}

/* Writes one block. On failure the file is cut back to the last whole
 * block, so it stays readable, and the error sticks. Runs unlocked. */
static int write_block(struct tl_writer *w, struct blk *b)
{
	const uint8_t *out;
	size_t n = encode_block(w, b, &out);
	int err = write_all(w->fd, out, n);

	if (err) {
		if (ftruncate(w->fd, w->good_off) == 0)
			lseek(w->fd, w->good_off, SEEK_SET);
		return err;
	}
	w->good_off += (off_t)n;
	return 0;
}

static void *writer_main(void *arg)
{
	struct tl_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->queued && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->queued)
			break;
		struct blk *b = w->queued;
		int err = w->thread_err;

		pthread_mutex_unlock(&w->mu);
		if (!err)
			err = write_block(w, b);
		pthread_mutex_lock(&w->mu);
		if (!err)
			w->written += b->nrec;
		w->thread_err = err;
		b->len = TL_BLOCK_HDR_LEN;
		b->nrec = 0;
		w->queued = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits until the thread has written what it was handed; takes its error.
 * Called with mu held. */
static void wait_idle_locked(struct tl_writer *w)
{
	while (w->queued)
		pthread_cond_wait(&w->cv, &w->mu);
	if (!w->err)
		w->err = w->thread_err;
}

static void wait_idle(struct tl_writer *w)
{
	pthread_mutex_lock(&w->mu);
	wait_idle_locked(w);
	pthread_mutex_unlock(&w->mu);
}

/* Hands the open block to the thread (after the one before it is written)
 * and opens the other one. */
static int submit(struct tl_writer *w)
{
	struct blk *b = &w->blk[w->cur];

	if (b->nrec == 0 || w->err)
		return w->err;
	pthread_mutex_lock(&w->mu);
	wait_idle_locked(w);
	if (!w->err) {
		w->queued = b;
		w->cur ^= 1;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return w->err;
}

static int start_thread(struct tl_writer *w)
{
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
		return -EAGAIN;
	w->have_thread = true;
	return 0;
}

static void stop_thread(struct tl_writer *w)
{
	if (!w->have_thread)
		return;
	pthread_mutex_lock(&w->mu);
	wait_idle_locked(w);
	w->quit = true;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->have_thread = false;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

static void free_writer(struct tl_writer *w)
{
	if (!w)
		return;
	for (int i = 0; i < 2; i++)
		free(w->blk[i].buf);
	free(w->zbuf);
	ZSTD_freeCCtx(w->cctx);
	free(w);
}

static int alloc_buffers(struct tl_writer *w)
{
	w->level = TL_WRITER_LEVEL;
	w->zcap = ZSTD_compressBound(TL_BLOCK_TARGET);
	w->cctx = ZSTD_createCCtx();
	w->zbuf = malloc(TL_BLOCK_HDR_LEN + w->zcap);
	for (int i = 0; i < 2; i++) {
		w->blk[i].buf = malloc(TL_BLOCK_HDR_LEN + TL_BLOCK_TARGET);
		w->blk[i].len = TL_BLOCK_HDR_LEN;
		if (!w->blk[i].buf)
			return -ENOMEM;
	}
	return w->cctx && w->zbuf ? 0 : -ENOMEM;
}

struct tl_writer *tl_writer_open(const char *path, const struct tl_rec_info *info,
				 int uid, int gid)
{
	struct tl_writer *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	if (!w || alloc_buffers(w))
		goto cleanup;
	w->ncpus = info->ncpus;
	err = -EINVAL;
	if (info->ncpus == 0 || info->ncpus > TL_MAX_CPUS)
		goto cleanup;
	w->fd = create_file(path, uid, gid);
	if (w->fd < 0) {
		err = w->fd;
		goto cleanup;
	}
	err = write_header(w, info);
	if (err == 0)
		err = start_thread(w);
	if (err == 0)
		return w;
	close(w->fd);
	unlink(path);
cleanup:
	free_writer(w);
	errno = -err;
	return NULL;
}

void tl_writer_set_level(struct tl_writer *w, int level)
{
	wait_idle(w);
	w->level = level;
}

/* A record the reader would reject is refused here, so a file we write is
 * always one we can read. */
static bool record_ok(const struct tl_writer *w, const struct tl_hdr *rec)
{
	size_t min = tl_record_min_size(rec->type);

	if (min == 0 || rec->type == TL_TRAILER || rec->cpu >= w->ncpus)
		return false;
	if (rec->size < min || rec->size > tl_record_max_size(rec->type))
		return false;
	return true;
}

static void buffer_record(struct tl_writer *w, const struct tl_hdr *rec)
{
	struct blk *b = &w->blk[w->cur];
	/* a variable-length record before this one may have left the copy
	 * unaligned: its time is read and written bytewise */
	uint8_t *ts_at = b->buf + b->len + offsetof(struct tl_hdr, ts);
	uint64_t ts;

	memcpy(b->buf + b->len, rec, rec->size);
	memcpy(&ts, ts_at, sizeof(ts));
	if (ts < w->last_ts) {
		ts = w->last_ts;
		memcpy(ts_at, &ts, sizeof(ts));
		w->clamped++;
	}
	w->last_ts = ts;
	b->len += rec->size;
	b->nrec++;
}

int tl_writer_append(struct tl_writer *w, const struct tl_hdr *rec)
{
	int err;

	if (w->err)
		return w->err;
	if (!record_ok(w, rec))
		return -EINVAL;
	if (w->blk[w->cur].len + rec->size > TL_BLOCK_HDR_LEN + TL_BLOCK_TARGET) {
		err = submit(w);
		if (err)
			return err;
	}
	buffer_record(w, rec);
	w->appended++;
	w->counts[rec->type]++;
	return 0;
}

/* Returns once the file holds every record appended so far (or the error
 * that kept them out). */
int tl_writer_flush(struct tl_writer *w)
{
	int err = submit(w);

	wait_idle(w);
	return err ? err : w->err;
}

/* After a write error the blocks not written do not count. */
uint64_t tl_writer_records(struct tl_writer *w)
{
	uint64_t n;

	wait_idle(w);
	pthread_mutex_lock(&w->mu);
	n = w->err ? w->written : w->appended;
	pthread_mutex_unlock(&w->mu);
	return n;
}

uint64_t tl_writer_clamped(const struct tl_writer *w)
{
	return w->clamped;
}

static void fill_trailer(const struct tl_writer *w, struct tl_trailer *t,
			 uint64_t end_ts, uint32_t flags, int32_t status,
			 uint64_t lost)
{
	memset(t, 0, sizeof(*t));
	t->h.size = sizeof(*t);
	t->h.type = TL_TRAILER;
	t->h.ts = end_ts;
	t->flags = flags;
	t->target_status = status;
	t->lost_total = lost;
	t->records = w->appended;
	memcpy(t->counts, w->counts, sizeof(t->counts));
}

/* The trailer goes into the open block (after a write if it is full). */
static int append_trailer(struct tl_writer *w, uint64_t end_ts, uint32_t flags,
			  int32_t status, uint64_t lost)
{
	struct tl_trailer t;
	int err;

	if (w->blk[w->cur].len + sizeof(t) > TL_BLOCK_HDR_LEN + TL_BLOCK_TARGET) {
		err = submit(w);
		if (err)
			return err;
	}
	fill_trailer(w, &t, end_ts, flags, status, lost);
	buffer_record(w, &t.h);
	return tl_writer_flush(w);
}

int tl_writer_close(struct tl_writer *w, uint64_t end_ts, uint32_t flags,
		    int32_t target_status, uint64_t lost_total)
{
	int err;

	if (!w)
		return 0;
	wait_idle(w);
	err = w->err;
	if (!err)
		err = append_trailer(w, end_ts, flags, target_status, lost_total);
	stop_thread(w);
	if (!err && fsync(w->fd) < 0 && errno != EINVAL)
		err = -errno;
	if (close(w->fd) < 0 && !err)
		err = -errno;
	free_writer(w);
	return err;
}
