/* reader.c - the validating reader of recording files. It trusts nothing:
 * header fields, block magic, lengths and CRC, each record's size against
 * its type, its CPU, and time order are all checked, and the first fault
 * stops reading with a one-line reason naming the byte offset. A file cut
 * short (a recorder killed, a disk filled) reads up to its last complete
 * record and then says where it was cut.
 *
 * A file is streamed: a regular file through a 2 MiB window mapped over
 * the part being read and moved along (a recording may be larger than
 * memory, and report/export should hold only the model), anything else
 * one block at a time through read(). A zstd block is checked by the CRC
 * of its stored bytes, then decompressed whole into a buffer (by the
 * unpacker's thread ahead of time when it can, unpack.c); a raw block is
 * checked where it lies. A record is handed out where it lies when it is
 * aligned. Files of format 1 (16-byte block headers, raw) read as well. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "recording.h"
#include "recording_impl.h"
#include "util/vec.h"

#define MAX_RECORD 65536

struct tl_reader {
	int fd;                  /* -1 when reading from memory */
	const uint8_t *mem;
	size_t mem_len;
	/* a regular file is read through a window mapped over the part being
	 * read, moved along as reading goes: records are read in place, as
	 * from memory, but only the window is ever mapped */
	bool windowed;
	uint64_t file_len;
	uint8_t *win;
	uint64_t win_off;
	size_t win_len;
	uint64_t pos;            /* source offset of the next byte to read */
	char name[256];          /* file name for messages */
	struct tl_rec_info info;
	enum tl_read_status status; /* TL_READ_OK while reading goes on */
	char err[512];
	char loc[96];            /* where(): a record's place, for messages */

	const uint8_t *blk;      /* payload of the current block: in mem, buf or zout */
	struct tl_vec buf;       /* bytes: stored block bytes read through read() */
	struct tl_vec zout;      /* bytes: a decompressed payload */
	ZSTD_DCtx *dctx;
	struct tl_unpacker *unpacker; /* decompresses the next block ahead */
	size_t bh_len;           /* block header length of this format version */
	bool in_block, partial, packed; /* packed: the block is compressed */
	uint64_t blk_off;        /* file offset of the block header */
	uint32_t blk_decl, blk_count, blk_seen; /* decl: payload length */
	uint32_t blk_stored, blk_codec;
	size_t blk_len, blk_pos; /* bytes present; next record within */

	uint64_t next_off;       /* end of the last record read (header end before) */
	uint64_t last_ts, nrecords;
	uint64_t counts[TL_MAX_TYPES];
	bool have_trailer;
	struct tl_trailer trailer;
	uint64_t rec[MAX_RECORD / 8]; /* aligned copy of the record handed out */
};

/* ---- source ---- */

/* its pages count in the reader's RSS: 16 MiB were a fixed 14 MiB more */
#define WINDOW (2u << 20)

/* Maps the window so that it holds [pos, pos + n); false if it cannot be
 * (then the file is read through read() from pos on). */
static bool move_window(struct tl_reader *r, size_t n)
{
	uint64_t start = r->pos & ~(uint64_t)(sysconf(_SC_PAGESIZE) - 1);
	uint64_t len = r->pos - start + n;
	void *p;

	if (r->win)
		munmap(r->win, r->win_len);
	r->win = NULL;
	if (len < WINDOW)
		len = WINDOW;
	if (len > r->file_len - start)
		len = r->file_len - start;
	p = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, r->fd, (off_t)start);
	if (p == MAP_FAILED) {
		r->windowed = false;
		lseek(r->fd, (off_t)r->pos, SEEK_SET);
		return false;
	}
	madvise(p, (size_t)len, MADV_SEQUENTIAL);
	r->win = p;
	r->win_off = start;
	r->win_len = (size_t)len;
	return true;
}

/* The next n bytes (fewer at the end of the data) where they lie: in
 * memory or in the window; NULL when neither holds them. */
static const uint8_t *view(struct tl_reader *r, size_t n, size_t *got)
{
	uint64_t size = r->fd < 0 ? r->mem_len : r->file_len;
	uint64_t left = r->pos < size ? size - r->pos : 0;
	const uint8_t *p;

	*got = n < left ? n : (size_t)left;
	if (r->fd < 0) {
		p = r->mem + r->pos;
	} else {
		if (*got && (!r->win || r->pos < r->win_off ||
			     r->pos + *got > r->win_off + r->win_len))
			move_window(r, *got);
		if (!r->windowed)
			return NULL;
		p = r->win ? r->win + (r->pos - r->win_off) : NULL;
	}
	r->pos += *got;
	return p;
}

/* Reads up to n bytes at the current position; fewer only at end of data.
 * Returns the count, or -errno on a read error. */
static ssize_t src_read(struct tl_reader *r, void *dst, size_t n)
{
	size_t got = 0;

	if (r->fd < 0 || r->windowed) {
		const uint8_t *p = view(r, n, &got);

		if (p)
			memcpy(dst, p, got);
		if (p || !got)
			return (ssize_t)got;
		got = 0; /* the window could not be mapped: read() from here */
	}
	while (got < n) {
		ssize_t k = read(r->fd, (uint8_t *)dst + got, n - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	r->pos += got;
	return (ssize_t)got;
}

__attribute__((format(printf, 3, 4)))
static enum tl_read_status fail(struct tl_reader *r, enum tl_read_status st,
				const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, sizeof(r->err), "%s: ", r->name);

	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	r->status = st;
	return st;
}

static enum tl_read_status read_exact(struct tl_reader *r, void *dst, size_t n,
				      size_t *got)
{
	ssize_t k = src_read(r, dst, n);

	if (k < 0)
		return fail(r, TL_READ_CORRUPT, "read error at byte %" PRIu64 ": %s",
			    r->pos, strerror((int)-k));
	*got = (size_t)k;
	return TL_READ_OK;
}

/* ---- header ---- */

struct field {
	uint16_t key, len;
	uint32_t off;            /* file offset of the field's key */
	const uint8_t *val;
};

static bool get_str(char *dst, size_t size, const struct field *f)
{
	if (f->len >= size || memchr(f->val, 0, f->len))
		return false;
	memcpy(dst, f->val, f->len);
	dst[f->len] = 0;
	return true;
}

static bool get_u32(uint32_t *dst, const struct field *f)
{
	if (f->len != 4)
		return false;
	memcpy(dst, f->val, 4);
	return true;
}

static bool get_clock(struct tl_rec_info *in, const struct field *f)
{
	if (f->len != 16)
		return false;
	memcpy(&in->boot_ns, f->val, 8);
	memcpy(&in->real_ns, f->val + 8, 8);
	return true;
}

/* Stores one field; false when its value does not fit its key. Unknown
 * keys are skipped so later versions can add fields. */
static bool take_field(struct tl_rec_info *in, const struct field *f)
{
	switch (f->key) {
	case TL_HK_ABI_VERSION: return get_u32(&in->abi_version, f);
	case TL_HK_HOST: return get_str(in->host, sizeof(in->host), f);
	case TL_HK_KERNEL: return get_str(in->kernel, sizeof(in->kernel), f);
	case TL_HK_MACHINE: return get_str(in->machine, sizeof(in->machine), f);
	case TL_HK_NCPUS: return get_u32(&in->ncpus, f);
	case TL_HK_CLOCK: return get_clock(in, f);
	case TL_HK_CMDLINE: return get_str(in->cmdline, sizeof(in->cmdline), f);
	case TL_HK_TARGET: return get_str(in->target, sizeof(in->target), f);
	case TL_HK_GROUPS: return get_u32(&in->groups, f);
	case TL_HK_TOOL_VERSION:
		return get_str(in->tool_version, sizeof(in->tool_version), f);
	case TL_HK_RECORDER_PID: return get_u32(&in->recorder_pid, f);
	default: return true;
	}
}

/* Walks the fields of hdr[0..len); checks framing, the CRC (which must be
 * the last field), duplicates, and each value. */
static enum tl_read_status parse_fields(struct tl_reader *r, const uint8_t *hdr,
					uint32_t len)
{
	uint32_t off = TL_REC_PREFIX_LEN, crc;
	uint64_t seen = 0;
	struct field f;

	for (;;) {
		if (len - off < 4)
			return fail(r, TL_READ_CORRUPT,
				    "header field at byte %u is cut by the header end", off);
		memcpy(&f.key, hdr + off, 2);
		memcpy(&f.len, hdr + off + 2, 2);
		f.off = off;
		f.val = hdr + off + 4;
		if (f.len > len - off - 4)
			return fail(r, TL_READ_CORRUPT,
				    "header field %u at byte %u overruns the header", f.key, off);
		if (f.key == TL_HK_CRC)
			break;
		if (f.key < 64 && (seen & (1ull << f.key)))
			return fail(r, TL_READ_CORRUPT,
				    "header field %u repeated at byte %u", f.key, off);
		if (f.key < 64)
			seen |= 1ull << f.key;
		if (!take_field(&r->info, &f))
			return fail(r, TL_READ_CORRUPT,
				    "bad value of header field %u at byte %u", f.key, off);
		off += 4u + f.len;
	}
	memcpy(&crc, f.val, 4 < f.len ? 4 : f.len);
	if (f.len != 4 || off + 8 != len)
		return fail(r, TL_READ_CORRUPT,
			    "header checksum field at byte %u is malformed", off);
	if (crc != tl_crc32(0, hdr, off))
		return fail(r, TL_READ_CORRUPT,
			    "header checksum mismatch (header of %u bytes at byte 0)", len);
	return TL_READ_OK;
}

/* The fields every reader needs, and ones whose value it must accept. */
static enum tl_read_status check_info(struct tl_reader *r)
{
	const struct tl_rec_info *in = &r->info;

	if (in->abi_version != TL_ABI_VERSION)
		return fail(r, TL_READ_CORRUPT,
			    "recorded with event ABI %u, this threadline reads ABI %u",
			    in->abi_version, TL_ABI_VERSION);
	if (in->ncpus == 0 || in->ncpus > TL_MAX_CPUS)
		return fail(r, TL_READ_CORRUPT, "header gives %u CPUs (1..%u allowed)",
			    in->ncpus, TL_MAX_CPUS);
	if (in->boot_ns == 0 && in->real_ns == 0)
		return fail(r, TL_READ_CORRUPT, "header has no clock pair");
	return TL_READ_OK;
}

static enum tl_read_status read_prefix(struct tl_reader *r, uint8_t *hdr,
				       uint32_t *len)
{
	size_t got;

	if (read_exact(r, hdr, TL_REC_PREFIX_LEN, &got))
		return r->status;
	if (got == 0)
		return fail(r, TL_READ_TRUNCATED, "empty file, not a recording");
	if (memcmp(hdr, TL_REC_MAGIC, got < 8 ? got : 8) != 0)
		return fail(r, TL_READ_CORRUPT,
			    "not a threadline recording (bad magic at byte 0)");
	if (got < TL_REC_PREFIX_LEN)
		return fail(r, TL_READ_TRUNCATED,
			    "cut short at byte %zu, inside the file header", got);
	memcpy(&r->info.format_version, hdr + 8, 4);
	if (r->info.format_version != 1 && r->info.format_version != 2)
		return fail(r, TL_READ_CORRUPT,
			    "format version %u at byte 8; this threadline reads versions 1 and 2",
			    r->info.format_version);
	r->bh_len = r->info.format_version == 1 ? TL_BLOCK_HDR_LEN_V1 : TL_BLOCK_HDR_LEN;
	memcpy(len, hdr + 12, 4);
	if (*len < TL_REC_PREFIX_LEN + 8 || *len > TL_REC_HEADER_MAX)
		return fail(r, TL_READ_CORRUPT, "bad header length %u at byte 12", *len);
	return TL_READ_OK;
}

static enum tl_read_status read_header(struct tl_reader *r)
{
	uint8_t *hdr = malloc(TL_REC_HEADER_MAX);
	uint32_t len = 0;
	size_t got;

	if (!hdr)
		return fail(r, TL_READ_CORRUPT, "out of memory");
	if (read_prefix(r, hdr, &len) ||
	    read_exact(r, hdr + TL_REC_PREFIX_LEN, len - TL_REC_PREFIX_LEN, &got))
		goto cleanup;
	if (got < len - TL_REC_PREFIX_LEN) {
		fail(r, TL_READ_TRUNCATED,
		     "cut short at byte %zu, inside the file header of %u bytes",
		     TL_REC_PREFIX_LEN + got, len);
		goto cleanup;
	}
	if (parse_fields(r, hdr, len) == TL_READ_OK)
		check_info(r);
	r->next_off = len;
cleanup:
	free(hdr);
	return r->status;
}

static struct tl_reader *open_common(struct tl_reader *r, char *err, size_t errlen)
{
	if (read_header(r) == TL_READ_OK)
		return r;
	if (errlen)
		snprintf(err, errlen, "%s", r->err);
	tl_reader_close(r);
	return NULL;
}

static struct tl_reader *reader_new(const char *name)
{
	struct tl_reader *r = calloc(1, sizeof(*r));

	if (r) {
		r->fd = -1;
		snprintf(r->name, sizeof(r->name), "%s", name);
	}
	return r;
}

struct tl_reader *tl_reader_open(const char *path, char *err, size_t errlen)
{
	struct tl_reader *r = reader_new(path);
	struct stat st;

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		tl_reader_close(r);
		return NULL;
	}
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		r->windowed = true;
		r->file_len = (uint64_t)st.st_size;
	}
	return open_common(r, err, errlen);
}

struct tl_reader *tl_reader_open_mem(const void *data, size_t len, char *err,
				     size_t errlen)
{
	struct tl_reader *r = reader_new("recording");

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->mem = data;
	r->mem_len = len;
	return open_common(r, err, errlen);
}

const struct tl_rec_info *tl_reader_info(const struct tl_reader *r)
{
	return &r->info;
}

/* ---- blocks ---- */

static enum tl_read_status cut_short(struct tl_reader *r, const char *where)
{
	return fail(r, TL_READ_TRUNCATED,
		    "cut short at byte %" PRIu64 " (%s); readable up to byte %" PRIu64
		    ", %" PRIu64 " records",
		    r->pos, where, r->next_off, r->nrecords);
}

static enum tl_read_status check_block_header(struct tl_reader *r,
					      const uint32_t bh[6])
{
	uint64_t off = r->blk_off;

	if (bh[0] != TL_BLOCK_MAGIC)
		return fail(r, TL_READ_CORRUPT, "bad block magic at byte %" PRIu64, off);
	if (bh[1] == 0 || bh[1] > TL_BLOCK_MAX)
		return fail(r, TL_READ_CORRUPT, "bad block length %u at byte %" PRIu64,
			    bh[1], off + 4);
	if (bh[4] == 0 || bh[4] > TL_BLOCK_MAX)
		return fail(r, TL_READ_CORRUPT, "bad payload length %u at byte %" PRIu64,
			    bh[4], off + 16);
	if (bh[5] > TL_CODEC_ZSTD || (bh[5] == TL_CODEC_RAW && bh[1] != bh[4]))
		return fail(r, TL_READ_CORRUPT,
			    "bad block codec %u (stored %u bytes for %u) at byte %" PRIu64,
			    bh[5], bh[1], bh[4], off + 20);
	if (bh[3] == 0 || bh[3] > bh[4] / sizeof(struct tl_hdr))
		return fail(r, TL_READ_CORRUPT,
			    "bad record count %u at byte %" PRIu64, bh[3], off + 12);
	return TL_READ_OK;
}

/* Points blk at the next n bytes where they lie (fewer at the end); false
 * when they must be read into a buffer instead. */
static bool take_view(struct tl_reader *r, size_t n, size_t *got)
{
	uint64_t pos = r->pos;

	if (r->fd >= 0 && !r->windowed)
		return false;
	r->blk = view(r, n, got);
	if (r->blk || !*got)
		return true;
	r->pos = pos; /* the window failed: read() from here */
	return false;
}

static enum tl_read_status read_stored(struct tl_reader *r, size_t *got)
{
	if (tl_vec_reserve(&r->buf, 1, r->blk_stored))
		return fail(r, TL_READ_CORRUPT, "out of memory");
	r->blk = r->buf.p;
	return read_exact(r, r->buf.p, r->blk_stored, got);
}

/* Of a block cut short, what its first n stored bytes decompress to: the
 * complete records in it are still read. */
static size_t unpack_prefix(struct tl_reader *r, size_t n)
{
	ZSTD_inBuffer in = { r->blk, n, 0 };
	ZSTD_outBuffer out = { r->zout.p, r->blk_decl, 0 };

	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	while (in.pos < in.size && out.pos < out.size) {
		size_t k = ZSTD_decompressStream(r->dctx, &out, &in);

		if (ZSTD_isError(k) || k == 0)
			break;
	}
	return out.pos;
}

static enum tl_read_status unpack(struct tl_reader *r, size_t got)
{
	size_t n;

	if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
		return fail(r, TL_READ_CORRUPT, "out of memory");
	if (tl_vec_reserve(&r->zout, 1, r->blk_decl))
		return fail(r, TL_READ_CORRUPT, "out of memory");
	if (r->partial) {
		r->blk_len = unpack_prefix(r, got);
		r->blk = r->zout.p;
		return TL_READ_OK;
	}
	if (r->unpacker && tl_unpacker_take(r->unpacker, r->blk_off, &r->zout)) {
		r->blk = r->zout.p;
		r->blk_len = r->blk_decl;
		return TL_READ_OK;
	}
	n = ZSTD_decompressDCtx(r->dctx, r->zout.p, r->blk_decl, r->blk, got);
	if (ZSTD_isError(n) || n != r->blk_decl)
		return fail(r, TL_READ_CORRUPT,
			    "block at byte %" PRIu64 " does not decompress to its %u bytes (%s)",
			    r->blk_off, r->blk_decl,
			    ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong length");
	r->blk = r->zout.p;
	r->blk_len = n;
	return TL_READ_OK;
}

static enum tl_read_status load_payload(struct tl_reader *r, uint32_t crc)
{
	size_t got;

	if (!take_view(r, r->blk_stored, &got) && read_stored(r, &got))
		return r->status;
	r->blk_len = got;
	r->partial = got < r->blk_stored;
	/* A cut block cannot be checked as a whole; its complete records
	 * are still checked one by one. */
	if (!r->partial && tl_crc32(0, r->blk, got) != crc)
		return fail(r, TL_READ_CORRUPT,
			    "block checksum mismatch (block at byte %" PRIu64 ", %u bytes)",
			    r->blk_off, r->blk_stored);
	return r->packed ? unpack(r, got) : TL_READ_OK;
}

/* Bytes [at, at + n) of the source where they lie, if they lie in memory
 * or in the window now mapped (the window is not moved for this: the
 * current block may lie in it). */
static const uint8_t *in_place(const struct tl_reader *r, uint64_t at, size_t n)
{
	if (r->fd < 0)
		return at + n <= r->mem_len ? r->mem + at : NULL;
	if (!r->win || at < r->win_off || at + n > r->win_off + r->win_len)
		return NULL;
	return r->win + (at - r->win_off);
}

/* Hands the next block, when it is a complete compressed one, to the
 * unpacker, so it is decompressed while the caller reads this one. Only
 * a saving: the block is checked in full when it is read. */
static void prefetch_next(struct tl_reader *r)
{
	const uint8_t *h = in_place(r, r->pos, TL_BLOCK_HDR_LEN), *s;
	uint32_t bh[6];

	if (r->bh_len != TL_BLOCK_HDR_LEN || !h)
		return;
	memcpy(bh, h, sizeof(bh));
	if (bh[0] != TL_BLOCK_MAGIC || bh[5] != TL_CODEC_ZSTD || bh[1] == 0 ||
	    bh[1] > TL_BLOCK_MAX || bh[4] == 0 || bh[4] > TL_BLOCK_MAX)
		return;
	s = in_place(r, r->pos + TL_BLOCK_HDR_LEN, bh[1]);
	if (!s || (!r->unpacker && !(r->unpacker = tl_unpacker_new())))
		return;
	tl_unpacker_start(r->unpacker, r->pos, s, bh[1], bh[4]);
}

static enum tl_read_status load_block(struct tl_reader *r)
{
	uint32_t bh[6];
	size_t got;

	r->blk_off = r->pos;
	if (read_exact(r, bh, r->bh_len, &got))
		return r->status;
	if (got == 0)
		return cut_short(r, "no trailer");
	if (got < r->bh_len)
		return cut_short(r, "inside a block header");
	if (r->bh_len == TL_BLOCK_HDR_LEN_V1) {
		bh[4] = bh[1];
		bh[5] = TL_CODEC_RAW;
	}
	if (check_block_header(r, bh))
		return r->status;
	r->blk_stored = bh[1];
	r->blk_decl = bh[4];
	r->blk_count = bh[3];
	r->packed = bh[5] == TL_CODEC_ZSTD;
	if (load_payload(r, bh[2]))
		return r->status;
	if (r->packed)
		prefetch_next(r);
	r->blk_seen = 0;
	r->blk_pos = 0;
	r->in_block = true;
	return TL_READ_OK;
}

/* End of the block in the file. */
static uint64_t block_end(const struct tl_reader *r)
{
	return r->blk_off + r->bh_len + r->blk_stored;
}

/* ---- records ---- */

/* Where a record lies, for messages: a file offset in a raw block; in a
 * compressed one, the offset in its payload and the block's. */
static const char *where(struct tl_reader *r, size_t pos)
{
	if (r->packed)
		snprintf(r->loc, sizeof(r->loc), "payload byte %zu of the block at byte %"
			 PRIu64, pos, r->blk_off);
	else
		snprintf(r->loc, sizeof(r->loc), "byte %" PRIu64,
			 r->blk_off + r->bh_len + pos);
	return r->loc;
}

static enum tl_read_status check_record(struct tl_reader *r, const struct tl_hdr *h,
					size_t pos)
{
	size_t min = tl_record_min_size(h->type);

	if (min == 0)
		return fail(r, TL_READ_CORRUPT,
			    "unknown record type %u at %s", h->type, where(r, pos));
	if (h->size < min || h->size > tl_record_max_size(h->type))
		return fail(r, TL_READ_CORRUPT,
			    "%s record at %s has size %u (expected %s%zu)",
			    tl_type_name(h->type), where(r, pos), h->size,
			    tl_record_is_variable(h->type) ? "at least " : "", min);
	if (h->cpu >= r->info.ncpus)
		return fail(r, TL_READ_CORRUPT,
			    "record at %s is on cpu %u of a %u-CPU recording",
			    where(r, pos), h->cpu, r->info.ncpus);
	if (h->ts < r->last_ts)
		return fail(r, TL_READ_CORRUPT,
			    "record at %s goes back in time (%" PRIu64
			    " < %" PRIu64 ")", where(r, pos), (uint64_t)h->ts, r->last_ts);
	return TL_READ_OK;
}

static enum tl_read_status end_of_block(struct tl_reader *r)
{
	if (r->partial)
		return cut_short(r, "inside a block");
	if (r->blk_pos != r->blk_len)
		return fail(r, TL_READ_CORRUPT,
			    "block at byte %" PRIu64 " has %zu bytes after its %u records",
			    r->blk_off, r->blk_len - r->blk_pos, r->blk_count);
	r->in_block = false;
	r->next_off = block_end(r);
	return TL_READ_OK;
}

static enum tl_read_status take_trailer(struct tl_reader *r, size_t pos)
{
	uint8_t extra;
	size_t got;

	memcpy(&r->trailer, r->rec, sizeof(r->trailer));
	if (r->trailer.records != r->nrecords)
		return fail(r, TL_READ_CORRUPT,
			    "trailer at %s counts %" PRIu64
			    " records, the file has %" PRIu64,
			    where(r, pos), (uint64_t)r->trailer.records, r->nrecords);
	for (int t = 0; t < TL_MAX_TYPES; t++)
		if (r->trailer.counts[t] != r->counts[t])
			return fail(r, TL_READ_CORRUPT,
				    "trailer at %s counts %" PRIu64
				    " %s records, the file has %" PRIu64, where(r, pos),
				    (uint64_t)r->trailer.counts[t], tl_type_name((uint16_t)t),
				    r->counts[t]);
	if (r->blk_seen != r->blk_count || r->blk_pos != r->blk_decl)
		return fail(r, TL_READ_CORRUPT,
			    "trailer at %s does not end its block", where(r, pos));
	if (read_exact(r, &extra, 1, &got))
		return r->status;
	if (got)
		return fail(r, TL_READ_CORRUPT,
			    "data after the trailer at byte %" PRIu64, r->pos - 1);
	r->next_off = block_end(r);
	r->have_trailer = true;
	r->status = TL_READ_END;
	return TL_READ_END;
}

static enum tl_read_status next_in_block(struct tl_reader *r, const struct tl_hdr **rec)
{
	size_t pos = r->blk_pos;
	size_t left = r->blk_len - r->blk_pos;
	struct tl_hdr h;

	if (left < sizeof(h))
		return r->partial ? cut_short(r, left ? "inside a record" :
					      "inside a block") :
			fail(r, TL_READ_CORRUPT, "record at %s overruns its block", where(r, pos));
	memcpy(&h, r->blk + r->blk_pos, sizeof(h));
	if (check_record(r, &h, pos))
		return r->status;
	if (h.size > left)
		return r->partial ? cut_short(r, "inside a record") :
			fail(r, TL_READ_CORRUPT, "record at %s overruns its block", where(r, pos));
	const uint8_t *at = r->blk + r->blk_pos;
	r->blk_pos += h.size;
	r->blk_seen++;
	r->last_ts = h.ts;
	/* a compressed block's records have no offset of their own: the file
	 * is readable up to the block's start until all of it is read */
	if (!r->packed)
		r->next_off = r->blk_off + r->bh_len + r->blk_pos;
	if (h.type == TL_TRAILER) {
		memcpy(r->rec, at, h.size);
		return take_trailer(r, pos);
	}
	r->nrecords++;
	r->counts[h.type]++;
	if ((uintptr_t)at % alignof(struct tl_hdr)) { /* aligned copy */
		memcpy(r->rec, at, h.size);
		at = (const uint8_t *)r->rec;
	}
	*rec = (const struct tl_hdr *)at;
	return TL_READ_OK;
}

enum tl_read_status tl_reader_next(struct tl_reader *r, const struct tl_hdr **rec)
{
	*rec = NULL;
	while (r->status == TL_READ_OK) {
		if (!r->in_block) {
			if (load_block(r))
				break;
			continue;
		}
		if (r->blk_seen == r->blk_count) {
			end_of_block(r);
			continue;
		}
		return next_in_block(r, rec);
	}
	return r->status;
}

const char *tl_reader_error(const struct tl_reader *r)
{
	return r->err;
}

uint64_t tl_reader_offset(const struct tl_reader *r)
{
	return r->next_off;
}

const struct tl_trailer *tl_reader_trailer(const struct tl_reader *r)
{
	return r->have_trailer ? &r->trailer : NULL;
}

void tl_reader_close(struct tl_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->win)
		munmap(r->win, r->win_len);
	tl_vec_free(&r->buf);
	tl_unpacker_free(r->unpacker);
	tl_vec_free(&r->zout);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}
