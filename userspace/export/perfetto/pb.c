/* pb.c - streaming protocol-buffers writer and a minimal field reader.
 * See pb.h for the buffer and length-slot scheme. */
#include "pb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/vec.h"

static int pb_init(struct pb_writer *w, int fd, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->cap = cap < 64 ? 64 : cap;
	w->soft = w->lim = w->cap;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		w->err = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

int tl_pb_init_fd(struct pb_writer *w, int fd, size_t cap)
{
	if (fd < 0)
		return -EBADF;
	return pb_init(w, fd, cap);
}

int tl_pb_init_mem(struct pb_writer *w, size_t cap)
{
	return pb_init(w, -1, cap);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int tl_pb_flush(struct pb_writer *w)
{
	int err;

	if (w->err)
		return w->err;
	if (w->fd < 0 || w->len == 0)
		return 0;
	if (w->depth) {
		w->err = -EINVAL; /* a length slot would be lost */
		return w->err;
	}
	err = write_all(w->fd, w->buf, w->len);
	if (err) {
		w->err = err;
		return err;
	}
	w->flushed += w->len;
	w->len = 0;
	return 0;
}

int tl_pb_close(struct pb_writer *w)
{
	int err = 0;

	if (w->depth && !w->err)
		w->err = -EINVAL;
	if (!w->err)
		err = tl_pb_flush(w);
	if (!err)
		err = w->err;
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = w->lim = 0;
	return err;
}

void tl_pb_trim(struct pb_writer *w)
{
	uint8_t *p;

	if (w->len || w->depth || w->cap <= w->soft || !w->buf)
		return;
	p = realloc(w->buf, w->soft);
	if (!p)
		return;
	w->buf = p;
	w->cap = w->lim = w->soft;
}

/* Slow path of pb_room: write out when nothing is open, else grow (open
 * length slots must stay in memory) and let the fast path use all of it
 * until the outermost message ends (tl_pb_end() then writes out). */
bool tl_pb_grow(struct pb_writer *w, size_t n)
{
	struct tl_vec v;

	if (w->err)
		return false;
	if (w->fd >= 0 && w->depth == 0 && w->len) {
		if (tl_pb_flush(w))
			return false;
		w->lim = w->soft;
		if (w->len + n <= w->lim)
			return true;
	}
	/* grown as util's vec of bytes (doubling); the writer keeps its own
	 * buf/len/cap, which the inline fast paths read */
	v = (struct tl_vec){ w->buf, w->len, w->cap };
	if (tl_vec_reserve(&v, 1, w->len + n)) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = v.p;
	w->cap = v.cap;
	w->lim = w->cap;
	return true;
}

void tl_pb_fixed64(struct pb_writer *w, uint32_t field, uint64_t v)
{
	if (!pb_room(w, 13))
		return;
	pb_put_fixed64_field_unchecked(w, field, v);
}

void tl_pb_fixed32(struct pb_writer *w, uint32_t field, uint32_t v)
{
	if (!pb_room(w, 9))
		return;
	pb_put_varint_unchecked(w, pb_tag(field, PB_FIXED32));
	w->len = (size_t)(pb_encode_le(w->buf + w->len, v, 4) - w->buf);
}

void tl_pb_double(struct pb_writer *w, uint32_t field, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	tl_pb_fixed64(w, field, bits);
}

void tl_pb_bytes(struct pb_writer *w, uint32_t field, const void *p, size_t n)
{
	if (!pb_room(w, 20 + n))
		return;
	pb_put_bytes_field_unchecked(w, field, p, n);
}

void tl_pb_string(struct pb_writer *w, uint32_t field, const char *s)
{
	tl_pb_bytes(w, field, s, strlen(s));
}

void tl_pb_string_n(struct pb_writer *w, uint32_t field, const char *s, size_t max)
{
	tl_pb_bytes(w, field, s, strnlen(s, max));
}

void tl_pb_begin(struct pb_writer *w, uint32_t field)
{
	if (!pb_room(w, 5 + PB_LEN_SLOT))
		return;
	if (w->depth >= PB_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	pb_put_varint_unchecked(w, pb_tag(field, PB_LEN));
	w->open[w->depth++] = w->len;
	w->len += PB_LEN_SLOT;
}

void tl_pb_end(struct pb_writer *w)
{
	size_t at, n;
	uint8_t *s;

	if (w->err)
		return;
	if (!w->depth) {
		w->err = -EINVAL;
		return;
	}
	at = w->open[--w->depth];
	n = w->len - at - PB_LEN_SLOT;
	if (n > PB_MAX_NESTED) {
		w->err = -EMSGSIZE;
		return;
	}
	s = w->buf + at;
	s[0] = (uint8_t)(0x80 | (n & 0x7f));
	s[1] = (uint8_t)(0x80 | ((n >> 7) & 0x7f));
	s[2] = (uint8_t)(0x80 | ((n >> 14) & 0x7f));
	s[3] = (uint8_t)((n >> 21) & 0x7f);
	if (w->depth == 0 && w->fd >= 0 && w->len >= w->soft) {
		tl_pb_flush(w);
		w->lim = w->soft;
	}
}

/* Packed arrays know their byte size up front, so they get an exact
 * (minimal) length instead of a slot: two passes over the values. */
#define PB_PACKED(w, field, v, n, conv)                                   \
	do {                                                              \
		size_t bytes_ = 0;                                        \
		if (!(n))                                                 \
			return;                                           \
		for (size_t i_ = 0; i_ < (n); i_++)                       \
			bytes_ += pb_varint_size(conv((v)[i_]));          \
		if (!pb_room((w), 20 + bytes_))                           \
			return;                                           \
		pb_put_len_header_unchecked((w), (field), bytes_);       \
		for (size_t i_ = 0; i_ < (n); i_++)                       \
			pb_put_varint_unchecked((w), conv((v)[i_]));      \
	} while (0)

#define PB_AS_U64(x) ((uint64_t)(x))
#define PB_I32_AS_U64(x) ((uint64_t)(int64_t)(x))

void tl_pb_packed_u64(struct pb_writer *w, uint32_t field, const uint64_t *v, size_t n)
{
	PB_PACKED(w, field, v, n, PB_AS_U64);
}

void tl_pb_packed_u32(struct pb_writer *w, uint32_t field, const uint32_t *v, size_t n)
{
	PB_PACKED(w, field, v, n, PB_AS_U64);
}

void tl_pb_packed_i32(struct pb_writer *w, uint32_t field, const int32_t *v, size_t n)
{
	PB_PACKED(w, field, v, n, PB_I32_AS_U64);
}

void tl_pb_packed_i64(struct pb_writer *w, uint32_t field, const int64_t *v, size_t n)
{
	PB_PACKED(w, field, v, n, PB_AS_U64);
}

/* ---- reader ---- */

void tl_pb_reader_init(struct pb_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->end = r->p + len;
	r->err = 0;
}

bool tl_pb_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 10; i++) {
		if (*p >= end)
			return false;
		x |= (uint64_t)(**p & 0x7f) << (7 * i);
		if (!(*(*p)++ & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool read_le(struct pb_reader *r, int bytes, uint64_t *v)
{
	if (r->end - r->p < bytes)
		return false;
	*v = 0;
	for (int i = 0; i < bytes; i++)
		*v |= (uint64_t)r->p[i] << (8 * i);
	r->p += bytes;
	return true;
}

static bool read_value(struct pb_reader *r, struct pb_field *f)
{
	switch (f->wire) {
	case PB_VARINT:
		return tl_pb_read_varint(&r->p, r->end, &f->u);
	case PB_FIXED64:
		return read_le(r, 8, &f->u);
	case PB_FIXED32:
		return read_le(r, 4, &f->u);
	case PB_LEN:
		if (!tl_pb_read_varint(&r->p, r->end, &f->u) ||
		    f->u > (uint64_t)(r->end - r->p))
			return false;
		f->data = r->p;
		f->len = (size_t)f->u;
		r->p += f->len;
		return true;
	}
	return false;
}

bool tl_pb_next(struct pb_reader *r, struct pb_field *f)
{
	uint64_t tag;

	if (r->err || r->p >= r->end)
		return false;
	memset(f, 0, sizeof(*f));
	if (!tl_pb_read_varint(&r->p, r->end, &tag) || (tag >> 3) == 0 ||
	    (tag >> 3) > UINT32_MAX)
		goto bad;
	f->num = (uint32_t)(tag >> 3);
	f->wire = (enum pb_wire)(tag & 7);
	if (read_value(r, f))
		return true;
bad:
	r->err = -EBADMSG;
	return false;
}
