/* pb.h - a streaming protocol-buffers writer, and a small reader for tests
 * and checks.
 *
 * The writer appends wire-format bytes to one buffer that is written out to
 * a file descriptor once it holds its initial size and no message is open
 * (it grows meanwhile if it must, and goes back to writing at that size, so
 * the bytes written are still in the cache). Nested messages get
 * a fixed four-byte length slot (a redundant varint, 0x80|b0 0x80|b1 0x80|b2
 * b3) that is filled in when the message ends, so nothing is copied or
 * allocated per message: the only allocations are the buffer's growth.
 * Errors are sticky: the first one is kept in pb_error() and later calls do
 * nothing, so callers check once, at the end.
 */
#ifndef TL_PB_H
#define TL_PB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PB_MAX_DEPTH 16
#define PB_LEN_SLOT 4              /* bytes reserved for a nested length */
#define PB_MAX_NESTED ((1u << 28) - 1)

enum pb_wire {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

struct pb_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;        /* allocated */
	size_t soft;       /* fd mode: written out at about this size */
	size_t lim;        /* pb_room()'s fast path holds up to here */
	int fd;            /* -1: keep everything in memory */
	int err;           /* first error, -errno; 0 while all is well */
	unsigned depth;
	size_t open[PB_MAX_DEPTH]; /* offset of each open message's length slot */
	uint64_t flushed;  /* bytes already written to fd */
};

/* Writes into fd (not closed by tl_pb_close) through a buffer of `cap` bytes. */
int tl_pb_init_fd(struct pb_writer *w, int fd, size_t cap);
/* Keeps everything in memory; pb_data()/pb_size() give the bytes. */
int tl_pb_init_mem(struct pb_writer *w, size_t cap);
/* Writes out what is buffered; only legal with no message open. */
int tl_pb_flush(struct pb_writer *w);
/* With nothing buffered, gives back the room a large message grew the
 * buffer to beyond the size it was made with. */
void tl_pb_trim(struct pb_writer *w);
/* Flushes (fd mode) and frees the buffer. Returns the sticky error. */
int tl_pb_close(struct pb_writer *w);
static inline int pb_error(const struct pb_writer *w) { return w->err; }
static inline const uint8_t *pb_data(const struct pb_writer *w) { return w->buf; }
static inline size_t pb_size(const struct pb_writer *w) { return w->len; }
/* Bytes produced so far, flushed or not. */
static inline uint64_t pb_total(const struct pb_writer *w) { return w->flushed + w->len; }

/* Makes room for n more bytes; false (and err set) when it cannot. */
bool tl_pb_grow(struct pb_writer *w, size_t n);
static inline bool pb_room(struct pb_writer *w, size_t n)
{
	if (w->len + n <= w->lim && !w->err)
		return true;
	return tl_pb_grow(w, n);
}

/* Encodes v as a varint at out, returns the byte count (1..10). */
static inline size_t pb_encode_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}
/* Bytes a varint of v takes. */
static inline size_t pb_varint_size(uint64_t v)
{
	return v ? (size_t)(63 - __builtin_clzll(v)) / 7 + 1 : 1;
}
static inline uint64_t pb_zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}
static inline uint32_t pb_zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

/* ---- encoding into room already made ----
 * The one set of wire-format primitives. The field writers below and
 * encoders that size a whole packet first and then write it in one pass
 * (perfetto_te.c) both use them, so the bytes come from one place. */
static inline uint64_t pb_tag(uint32_t field, enum pb_wire wire)
{
	return (uint64_t)field << 3 | wire;
}
static inline size_t pb_tag_size(uint32_t field)
{
	return pb_varint_size((uint64_t)field << 3);
}
/* Exact bytes of a varint field, and of a length-delimited one. */
static inline size_t pb_varint_field_size(uint32_t field, uint64_t v)
{
	return pb_tag_size(field) + pb_varint_size(v);
}
static inline size_t pb_len_field_size(uint32_t field, size_t len)
{
	return pb_tag_size(field) + pb_varint_size(len) + len;
}

/* Into memory at p; each returns the new end. */
static inline uint8_t *pb_encode_varint_field(uint8_t *p, uint32_t field, uint64_t v)
{
	p += pb_encode_varint(p, pb_tag(field, PB_VARINT));
	return p + pb_encode_varint(p, v);
}
static inline uint8_t *pb_encode_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}
static inline uint8_t *pb_encode_fixed64_field(uint8_t *p, uint32_t field, uint64_t v)
{
	p += pb_encode_varint(p, pb_tag(field, PB_FIXED64));
	return pb_encode_le(p, v, 8);
}
/* The tag and length of a length-delimited field; len bytes follow. */
static inline uint8_t *pb_encode_len_header(uint8_t *p, uint32_t field, size_t len)
{
	p += pb_encode_varint(p, pb_tag(field, PB_LEN));
	return p + pb_encode_varint(p, len);
}

/* The same into the writer, after pb_room() (a varint needs at most 10). */
static inline void pb_put_varint_unchecked(struct pb_writer *w, uint64_t v)
{
	w->len += pb_encode_varint(w->buf + w->len, v);
}
static inline void pb_put_varint(struct pb_writer *w, uint64_t v)
{
	if (pb_room(w, 10))
		pb_put_varint_unchecked(w, v);
}
static inline void pb_put_varint_field_unchecked(struct pb_writer *w, uint32_t field,
						 uint64_t v)
{
	w->len = (size_t)(pb_encode_varint_field(w->buf + w->len, field, v) - w->buf);
}
static inline void pb_put_fixed64_field_unchecked(struct pb_writer *w, uint32_t field,
						  uint64_t v)
{
	w->len = (size_t)(pb_encode_fixed64_field(w->buf + w->len, field, v) - w->buf);
}
static inline void pb_put_len_header_unchecked(struct pb_writer *w, uint32_t field,
					       size_t len)
{
	w->len = (size_t)(pb_encode_len_header(w->buf + w->len, field, len) - w->buf);
}
static inline void pb_put_bytes_field_unchecked(struct pb_writer *w, uint32_t field,
						const void *p, size_t n)
{
	pb_put_len_header_unchecked(w, field, n);
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

/* Fields. Negative int32/int64 go out as 10-byte varints, as protobuf wants. */
static inline void pb_varint(struct pb_writer *w, uint32_t field, uint64_t v)
{
	if (pb_room(w, 15))
		pb_put_varint_field_unchecked(w, field, v);
}
static inline void pb_int64(struct pb_writer *w, uint32_t field, int64_t v)
{
	pb_varint(w, field, (uint64_t)v);
}
static inline void pb_int32(struct pb_writer *w, uint32_t field, int32_t v)
{
	pb_varint(w, field, (uint64_t)(int64_t)v);
}
static inline void pb_sint64(struct pb_writer *w, uint32_t field, int64_t v)
{
	pb_varint(w, field, pb_zigzag64(v));
}
static inline void pb_bool(struct pb_writer *w, uint32_t field, bool v)
{
	pb_varint(w, field, v ? 1 : 0);
}
void tl_pb_fixed64(struct pb_writer *w, uint32_t field, uint64_t v);
void tl_pb_fixed32(struct pb_writer *w, uint32_t field, uint32_t v);
void tl_pb_double(struct pb_writer *w, uint32_t field, double v);
void tl_pb_bytes(struct pb_writer *w, uint32_t field, const void *p, size_t n);
void tl_pb_string(struct pb_writer *w, uint32_t field, const char *s);
/* A string of at most max bytes (stops at the first NUL), e.g. a comm. */
void tl_pb_string_n(struct pb_writer *w, uint32_t field, const char *s, size_t max);

/* Nested message or packed array: begin writes the tag and a length slot,
 * end fills the slot in. Packed arrays: tl_pb_begin, pb_put_varint..., tl_pb_end. */
void tl_pb_begin(struct pb_writer *w, uint32_t field);
void tl_pb_end(struct pb_writer *w);

/* Packed repeated fields in one call. */
void tl_pb_packed_u64(struct pb_writer *w, uint32_t field, const uint64_t *v, size_t n);
void tl_pb_packed_u32(struct pb_writer *w, uint32_t field, const uint32_t *v, size_t n);
void tl_pb_packed_i32(struct pb_writer *w, uint32_t field, const int32_t *v, size_t n);
void tl_pb_packed_i64(struct pb_writer *w, uint32_t field, const int64_t *v, size_t n);

/* ---- reader: walks the fields of one message ---- */
struct pb_reader {
	const uint8_t *p;
	const uint8_t *end;
	int err;          /* -EBADMSG once malformed input was met */
};

struct pb_field {
	uint32_t num;
	enum pb_wire wire;
	uint64_t u;           /* varint, fixed32, fixed64 value */
	const uint8_t *data;  /* PB_LEN payload */
	size_t len;
};

void tl_pb_reader_init(struct pb_reader *r, const void *data, size_t len);
/* Next field: true and *f filled, or false at the end or on an error. */
bool tl_pb_next(struct pb_reader *r, struct pb_field *f);
/* Decodes one varint from [*p, end); false if cut short or over 10 bytes. */
bool tl_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
