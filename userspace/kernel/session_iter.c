/* session_iter.c - what the BPF task iterators say: at the start, one
 * TL_TASK_SNAP per task (name, parent, state and the syscall a blocked
 * task is in) and, with stacks on, the stacks of the threads already
 * blocked; at the end, the socket counts of the threads still alive. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "session_impl.h"

/* What one iterator writes: records of one type, min..max bytes, each a
 * multiple of 8. */
struct iter_out {
	uint16_t type;
	size_t min, max;
	void *buf;
	size_t cap;     /* room for at least two records of max bytes */
};

/* Hands over every complete record read from the iterator; a record may
 * be split across reads, so a partial tail is kept for the next one. */
static int read_records(int fd, const struct iter_out *o, tl_record_cb cb, void *ctx)
{
	size_t have = 0, at;
	ssize_t r;
	int e;

	for (;;) {
		r = read(fd, (char *)o->buf + have, o->cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		have += r;
		for (at = 0; have - at >= sizeof(struct tl_hdr);) {
			const struct tl_hdr *h = (const struct tl_hdr *)((char *)o->buf + at);

			if (h->type != o->type || h->size < o->min || h->size > o->max ||
			    h->size % 8)
				return -EPROTO;
			if (h->size > have - at)
				break;
			if ((e = cb(ctx, h)))
				return e;
			at += h->size;
		}
		have -= at;
		memmove(o->buf, (char *)o->buf + at, have);
	}
}

static int tl_snapshot_read(int fd, tl_record_cb cb, void *ctx)
{
	struct tl_task_snap buf[64];
	const struct iter_out o = { TL_TASK_SNAP, sizeof(buf[0]), sizeof(buf[0]),
				    buf, sizeof(buf) };

	return read_records(fd, &o, cb, ctx);
}

static int tl_stack_snapshot_read(int fd, tl_record_cb cb, void *ctx)
{
	static uint64_t buf[(2 * sizeof(struct tl_stack_raw) + 2 * 16384) / 8];
	const struct iter_out o = { TL_STACK_RAW, sizeof(struct tl_stack_raw),
				    sizeof(struct tl_stack_raw) + 16384, buf, sizeof(buf) };

	return read_records(fd, &o, cb, ctx);
}

typedef int (*iter_reader)(int fd, tl_record_cb cb, void *ctx);

/* Runs an iterator program once over every task, handing its output to
 * read. */
static int run_iter(struct bpf_program *prog, iter_reader read, tl_record_cb cb,
		    void *ctx)
{
	struct bpf_link *l = bpf_program__attach_iter(prog, NULL);
	int fd, e;

	if (!l)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(l));
	if (fd < 0) {
		e = -errno;
	} else {
		e = read(fd, cb, ctx);
		close(fd);
	}
	bpf_link__destroy(l);
	return e;
}

int tl_session_snapshot(struct tl_session *s, tl_record_cb cb, void *ctx)
{
	return run_iter(s->skel->progs.tl_snapshot, tl_snapshot_read, cb, ctx);
}

int tl_session_stack_snapshot(struct tl_session *s, tl_record_cb cb, void *ctx)
{
	if (!s->opts.stacks)
		return 0;
	return run_iter(s->skel->progs.tl_stack_snapshot, tl_stack_snapshot_read, cb, ctx);
}

/* The flush iterator's records are complete but for when and where: the
 * end of the recording, CPU 0. */
struct sock_flush { uint64_t ts; tl_record_cb cb; void *ctx; };

static int on_sock_count(void *arg, const struct tl_hdr *h)
{
	const struct sock_flush *f = arg;
	struct tl_sock_count c;

	memcpy(&c, h, sizeof(c));
	c.h.cpu = 0;
	c.h.flags = 0;
	c.h.ts = f->ts;
	return f->cb(f->ctx, &c.h);
}

static int tl_sock_counts_read(int fd, tl_record_cb cb, void *ctx)
{
	struct tl_sock_count buf[64];
	const struct iter_out o = { TL_SOCK_COUNT, sizeof(buf[0]), sizeof(buf[0]),
				    buf, sizeof(buf) };

	return read_records(fd, &o, cb, ctx);
}

/* Each thread's counts are handed on once: the iterator deletes what it
 * writes, so a second call hands on nothing. */
int tl_session_sock_counts(struct tl_session *s, uint64_t ts, tl_record_cb cb,
			   void *ctx)
{
	struct sock_flush f = { ts, cb, ctx };

	if (!s || !s->skel || !(s->opts.groups & (1u << TL_G_NET)))
		return 0;
	return run_iter(s->skel->progs.tl_sock_flush, tl_sock_counts_read,
			on_sock_count, &f);
}
