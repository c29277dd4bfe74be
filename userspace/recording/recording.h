/* recording.h - the recording file: a streamed writer and a validating reader.
 *
 * Layout (all little-endian, see docs/recording-format.md):
 *   file header: magic "TLREC\r\n\x1a", u32 format version, u32 header length,
 *                then key/value fields (u16 key, u16 len, bytes) describing the
 *                host, kernel, CPUs, clock pair, command line and target;
 *   blocks:      u32 magic "TLBK", u32 stored length, u32 crc32 of the
 *                stored bytes, u32 record count, u32 payload length, u32
 *                codec, then the stored bytes: the payload (records, struct
 *                tl_hdr + body, back to back) raw or compressed with zstd.
 *                Format 1 blocks have only the first four fields and are
 *                always raw; the reader takes both.
 *   the last record of a complete file is a TL_TRAILER.
 * A file cut short is readable up to its last complete record.
 */
#ifndef TL_RECORDING_H
#define TL_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "bpf/tl_abi.h"

#define TL_REC_FORMAT_VERSION 2   /* the version written; 1 is still read */

/* File and block layout constants (docs/recording-format.md). */
#define TL_REC_MAGIC "TLREC\r\n\x1a"   /* 8 bytes */
#define TL_REC_PREFIX_LEN 16             /* magic, version, header length */
#define TL_REC_HEADER_MAX 65536
#define TL_BLOCK_MAGIC 0x4b424c54u       /* "TLBK" as stored */
#define TL_BLOCK_HDR_LEN 24             /* format 2 */
#define TL_BLOCK_HDR_LEN_V1 16
#define TL_CODEC_RAW 0                   /* stored bytes = payload */
#define TL_CODEC_ZSTD 1                  /* stored bytes = one zstd frame */
/* zstd level of the writer: the fast level -1 compresses a pipe benchmark
 * recording 21x at ~2.8 GB/s on one core, as small as level 1 and 15-35 %
 * faster (docs/recording-format.md) */
#define TL_WRITER_LEVEL (-1)
#define TL_BLOCK_TARGET (256 * 1024)     /* the writer's block payload size */
#define TL_BLOCK_MAX (4 * 1024 * 1024)   /* the largest payload a reader takes */

/* Header field keys (u16). Unknown keys are skipped by readers; the CRC
 * field is last and covers every header byte before it. */
enum tl_rec_key {
	TL_HK_ABI_VERSION = 1,  /* u32 */
	TL_HK_HOST = 2,         /* string (no NUL) */
	TL_HK_KERNEL = 3,
	TL_HK_MACHINE = 4,
	TL_HK_NCPUS = 5,        /* u32 */
	TL_HK_CLOCK = 6,        /* u64 boot_ns, u64 real_ns */
	TL_HK_CMDLINE = 7,
	TL_HK_TARGET = 8,
	TL_HK_GROUPS = 9,       /* u32 */
	TL_HK_TOOL_VERSION = 10,
	TL_HK_PAD = 11,         /* 0-7 zero bytes: the header length becomes a
				 * multiple of 8, so records start aligned */
	TL_HK_RECORDER_PID = 12, /* u32: the recording process (not traced) */
	TL_HK_CRC = 0xffff,     /* u32 crc32 of the header bytes before it */
};

/* What the header says about the recording. */
struct tl_rec_info {
	uint32_t format_version;
	uint32_t abi_version;
	char host[64];
	char kernel[64];      /* uname release */
	char machine[32];     /* uname machine, e.g. x86_64 */
	uint32_t ncpus;
	uint64_t boot_ns;     /* CLOCK_BOOTTIME ... */
	uint64_t real_ns;     /* ... and CLOCK_REALTIME read at the same instant */
	char cmdline[1024];   /* the threadline command line that recorded it */
	char target[1024];    /* "cmd: ./prog a b" / "pid: 1234,5678" / "all" */
	uint32_t groups;      /* 1 << enum tl_group of recorded groups */
	char tool_version[32];
	uint32_t recorder_pid; /* threadline's own process, never traced; 0
				* in recordings that do not say */
};

/* Fills what the recording machine says about itself: format and ABI
 * versions, host, kernel, machine, CPU count (online CPUs; callers that
 * know the BPF side's count overwrite it), the clock pair, tool version. */
void tl_rec_info_init(struct tl_rec_info *info);

/* ---- writer ---- */
struct tl_writer;

/* Creates path (never through a symlink: O_NOFOLLOW, O_EXCL after unlinking a
 * regular file) owned by uid/gid when they are not -1, writes the header.
 * Returns NULL and sets errno on failure. */
struct tl_writer *tl_writer_open(const char *path, const struct tl_rec_info *info,
				 int uid, int gid);
/* Blocks are compressed at level (zstd: 1.. and the fast levels below 0;
 * 0 = stored raw) from now on;
 * tests use 0 to know where each record lies. */
void tl_writer_set_level(struct tl_writer *w, int level);
/* Appends one record (rec->size bytes). Buffered; a full block is handed to
 * the writer's own thread, which compresses and writes it while the caller
 * fills the next. Returns 0 or -errno (e.g. -ENOSPC, possibly found on an
 * earlier block; then the file keeps what was written before). */
int tl_writer_append(struct tl_writer *w, const struct tl_hdr *rec);
/* Writes the buffered block now and waits until it is in the file (called
 * periodically so a kill loses little). */
int tl_writer_flush(struct tl_writer *w);
/* Appends the trailer (counts filled in by the writer), flushes, fsyncs,
 * closes and frees. Returns 0 or -errno. */
int tl_writer_close(struct tl_writer *w, uint64_t end_ts, uint32_t flags,
		    int32_t target_status, uint64_t lost_total);
uint64_t tl_writer_records(struct tl_writer *w); /* waits for the thread */
/* Records whose timestamp was older than the one before and was raised to
 * it, so the file stays in order (the reorder window was too short). */
uint64_t tl_writer_clamped(const struct tl_writer *w);

/* ---- reader ---- */
struct tl_reader;

enum tl_read_status {
	TL_READ_OK = 0,       /* a record was returned */
	TL_READ_END = 1,      /* clean end: trailer seen */
	TL_READ_TRUNCATED = 2,/* file ends before the trailer / mid-record */
	TL_READ_CORRUPT = 3,  /* bad magic, crc, size, type, order... */
};

/* Opens and validates the header. On failure returns NULL and writes a
 * one-line reason (naming the byte offset) into err. */
struct tl_reader *tl_reader_open(const char *path, char *err, size_t errlen);
/* Same, from memory (used by tests and the fuzzer); data must outlive it. */
struct tl_reader *tl_reader_open_mem(const void *data, size_t len, char *err,
				     size_t errlen);
const struct tl_rec_info *tl_reader_info(const struct tl_reader *r);
/* Next record, validated (size matches its type, cpu < ncpus, timestamps
 * non-decreasing). *rec points into the reader's buffer until the next call.
 * The trailer is not handed out as a record: reading it returns TL_READ_END
 * and tl_reader_trailer() gives it.
 * On TRUNCATED/CORRUPT, tl_reader_error() says why and where. */
enum tl_read_status tl_reader_next(struct tl_reader *r, const struct tl_hdr **rec);
const char *tl_reader_error(const struct tl_reader *r);
/* End of the last record read (the header's end before the first): where
 * the next record starts unless a block header comes first, and, after
 * TL_READ_TRUNCATED, how far the file is readable. */
uint64_t tl_reader_offset(const struct tl_reader *r);
/* The trailer, once TL_READ_END was returned, else NULL. */
const struct tl_trailer *tl_reader_trailer(const struct tl_reader *r);
void tl_reader_close(struct tl_reader *r);

/* What the format knows of each record type (record_types.c). */
struct tl_type_desc {
	const char *name;
	size_t size;   /* fixed size, or minimum size when variable */
	bool variable;
};
extern const struct tl_type_desc tl_type_descs[TL_MAX_TYPES];

/* Expected size of a fixed-size record type; 0 for unknown types, and the
 * minimum size for variable-length ones (TL_PROC_INFO). Inline: every
 * reader of every record asks. */
static inline size_t tl_record_min_size(uint16_t type)
{
	return type < TL_MAX_TYPES ? tl_type_descs[type].size : 0;
}
bool tl_record_is_variable(uint16_t type);
size_t tl_record_max_size(uint16_t type);
const char *tl_type_name(uint16_t type);
/* One mapping of a TL_PROC_MAPS record (proc_maps.c), checked and copied
 * out; path points into the record and is not NUL-terminated. */
struct tl_map_view {
	struct tl_map_entry e;
	const char *path;
};
/* The entry at *pos (start with 0) of pm; advances *pos. False at the end,
 * or when the entry runs past the record (the rest is then ignored). */
bool tl_proc_maps_next(const struct tl_proc_maps *pm, size_t *pos,
		       struct tl_map_view *out);

/* CRC-32 with zlib's crc32() parameters (start with crc = 0). */
uint32_t tl_crc32(uint32_t crc, const void *data, size_t len);

#endif
