/* collector.c - drains the per-CPU ring buffers and hands every record on
 * in one global timestamp order.
 *
 * The BPF side does not wake us per event (that would cost more than the
 * tracing itself); we sleep TL_POLL_MS, or less when the kernel forces a
 * wakeup because a ring is filling, and then consume every ring. The rings
 * are watched edge-triggered, in our own epoll set: level-triggered (as
 * libbpf's own poll does) reports a ring ready whenever it holds anything,
 * which under load turns the loop into a busy one, and with --all into a
 * loop that records its own polling. A
 * record with a timestamp older than the drain start minus TL_WINDOW_NS is
 * assumed complete in all rings and is released through the reorder buffer.
 * Lost events (failed reservations in the kernel, and records that came too
 * late to be put in order) become TL_LOSS records as the counts grow.
 */
#include "collector.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>

#include "reorder.h"

#define TL_POLL_MS 50
#define TL_WINDOW_NS 100000000ull       /* 100 ms */
#define TL_LOSS_EVERY_NS 100000000ull   /* 100 ms */
#define TL_STATUS_EVERY_NS 1000000000ull
/* The recorder's threads while it collects: see tl_boost_recorder(). */
#define TL_COLLECT_NICE (-10)

struct tl_ring_ctx {
	struct tl_collector *c;
	int cpu;
};

struct tl_collector {
	struct tl_session *s;
	tl_record_cb cb;
	void *ctx;
	int ncpus;
	struct ring_buffer *rb;
	int epfd;             /* the rings, edge-triggered */
	struct tl_ring_ctx *rctx;
	struct tl_reorder *ro;
	uint64_t *late;       /* per CPU: records dropped as late */
	uint64_t *reported;   /* per CPU: lost total in the last TL_LOSS */
	uint64_t events;
	uint64_t end_ns;      /* the recording's end, 0 while it runs */
	uint64_t start_ns, last_loss_ns, last_status_ns, status_events;
	bool status_shown;
	tl_stack_hook on_stack;
	void *stack_ctx;
};

static uint64_t tl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int tl_deliver(void *ctx, const struct tl_hdr *rec)
{
	struct tl_collector *c = ctx;

	c->events++;
	return c->cb(c->ctx, rec);
}

/* Source ncpus is user space; late records are charged to their CPU. */
static int tl_push(struct tl_collector *c, const struct tl_hdr *rec,
		   unsigned source)
{
	int e;

	if (c->end_ns && rec->ts > c->end_ns && source < (unsigned)c->ncpus)
		return 0; /* after the end: not part of the recording */
	e = tl_reorder_push(c->ro, rec, source);

	if (e == TL_REORDER_LATE) {
		c->late[rec->cpu < c->ncpus ? rec->cpu : 0]++;
		return 0;
	}
	return e;
}

/* A sample is one record, or a CPU's stage: several whole records back to
 * back (see bpf/common.bpf.h). */
static int tl_on_sample(void *ctx, void *data, size_t size)
{
	struct tl_ring_ctx *r = ctx;
	const char *p = data;
	int e;

	while (size >= sizeof(struct tl_hdr)) {
		const struct tl_hdr *h = (const struct tl_hdr *)p;

		const struct tl_hdr *rec = h;

		if (h->size < sizeof(*h) || h->size > size)
			return 0; /* cannot come from our BPF programs */
		if (h->type == TL_STACK_RAW && r->c->on_stack)
			rec = r->c->on_stack(r->c->stack_ctx, h);
		e = rec ? tl_push(r->c, rec, r->cpu) : 0;
		if (e)
			return e;
		p += h->size;
		size -= h->size;
	}
	return 0;
}

static int tl_open_rings(struct tl_collector *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	int i, fd;

	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0)
		return -errno;
	for (i = 0; i < c->ncpus; i++) {
		fd = tl_session_ringbuf_fd(c->s, i);
		ev.data.u32 = i;
		if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		c->rctx[i] = (struct tl_ring_ctx){ c, i };
		if (i == 0)
			c->rb = ring_buffer__new(fd, tl_on_sample, &c->rctx[0], NULL);
		if (!c->rb)
			return -errno;
		if (i > 0 && ring_buffer__add(c->rb, fd, tl_on_sample, &c->rctx[i]))
			return -errno;
	}
	return 0;
}

struct tl_collector *tl_collector_new(struct tl_session *s, tl_record_cb cb,
				      void *ctx)
{
	struct tl_collector *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->epfd = -1;
	c->s = s;
	c->cb = cb;
	c->ctx = ctx;
	c->ncpus = tl_session_ncpus(s);
	c->rctx = calloc(c->ncpus, sizeof(*c->rctx));
	c->late = calloc(c->ncpus, sizeof(*c->late));
	c->reported = calloc(c->ncpus, sizeof(*c->reported));
	c->ro = tl_reorder_new(c->ncpus + 1);
	if (!c->rctx || !c->late || !c->reported || !c->ro || tl_open_rings(c)) {
		tl_collector_free(c);
		return NULL;
	}
	c->start_ns = tl_now();
	return c;
}

void tl_collector_on_stack(struct tl_collector *c, tl_stack_hook fn, void *ctx)
{
	c->on_stack = fn;
	c->stack_ctx = ctx;
}

int tl_collector_inject(struct tl_collector *c, const struct tl_hdr *rec)
{
	return tl_push(c, rec, c->ncpus);
}

static int tl_inject_cb(void *ctx, const struct tl_hdr *rec)
{
	return tl_collector_inject(ctx, rec);
}

/* Emits a TL_LOSS for every CPU whose loss count grew since the last one. */
static int tl_check_loss(struct tl_collector *c, uint64_t now)
{
	uint64_t kernel[TL_MAX_CPUS] = {0};
	int i, n = tl_session_lost(c->s, kernel, c->ncpus), e;

	for (i = 0; i < n; i++) {
		uint64_t total = kernel[i] + c->late[i];
		struct tl_loss l = {
			.h = { .size = sizeof(l), .type = TL_LOSS, .cpu = i, .ts = now },
			.lost_total = total,
			.lost_new = total - c->reported[i],
		};

		if (total == c->reported[i])
			continue;
		c->reported[i] = total;
		e = tl_collector_inject(c, &l.h);
		if (e)
			return e;
	}
	c->last_loss_ns = now;
	return 0;
}

static uint64_t tl_lost_total(const struct tl_collector *c)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < c->ncpus; i++)
		sum += c->reported[i];
	return sum;
}

static void tl_status(struct tl_collector *c, uint64_t now)
{
	double secs = (now - c->last_status_ns) / 1e9;

	fprintf(stderr, "\r\033[Kthreadline: %.0f s, %.0f events/s, %llu lost",
		(now - c->start_ns) / 1e9,
		secs > 0 ? (c->events - c->status_events) / secs : 0.0,
		(unsigned long long)tl_lost_total(c));
	c->last_status_ns = now;
	c->status_events = c->events;
	c->status_shown = true;
}

int tl_collector_watch_fd(struct tl_collector *c, int fd)
{
	/* one-shot: a pidfd stays readable, and the loop must not spin on it */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u32 = UINT32_MAX };

	return epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

void tl_collector_stop(struct tl_collector *c, uint64_t end_ns)
{
	c->end_ns = end_ns;
}

/* How long a round may sleep: TL_POLL_MS, or less to wake at until_ns
 * (rounded up to a millisecond, so the loop does not spin before it). */
static int tl_poll_ms(uint64_t until_ns)
{
	uint64_t now = tl_now(), left;

	if (!until_ns)
		return TL_POLL_MS;
	if (now >= until_ns)
		return 0;
	left = (until_ns - now + 999999) / 1000000;
	return left < TL_POLL_MS ? (int)left : TL_POLL_MS;
}

/* One round: wait up to `ms`, consume every ring, release what is older
 * than the window, account losses. */
static int tl_round(struct tl_collector *c, bool tty, int ms)
{
	struct epoll_event ev[16];
	uint64_t t0;
	int e;

	if (epoll_wait(c->epfd, ev, 16, ms) < 0 && errno != EINTR)
		return -errno;
	t0 = tl_now();
	/* staged events up to t0 go to the rings, so the window holds */
	e = tl_session_flush_stages(c->s);
	if (e)
		return e;
	e = ring_buffer__consume(c->rb);
	if (e < 0 && e != -EINTR)
		return e;
	if (t0 - c->last_loss_ns >= TL_LOSS_EVERY_NS && (e = tl_check_loss(c, t0)))
		return e;
	e = tl_reorder_release(c->ro, t0 - TL_WINDOW_NS, tl_deliver, c);
	if (e)
		return e;
	if (tty && t0 - c->last_status_ns >= TL_STATUS_EVERY_NS)
		tl_status(c, t0);
	return 0;
}

/* A busy machine must not starve the recorder: the rings fill at the rate
 * of the traced programs, and only the collecting thread (with the writer
 * it hands blocks to) empties them. At nice 0 among as many busy threads
 * as CPUs it gets a fair share at best, and wakes late; a traced program
 * making a million events a second per CPU then overflows 16 MiB rings in
 * a fraction of a second. So every thread of this process is raised to
 * TL_COLLECT_NICE (where allowed: root, or CAP_SYS_NICE). It sleeps in
 * epoll between drains, so the raise costs the others nothing but the
 * CPU time the recording needs anyway. Best effort; the launched command
 * is another process, forked before, and keeps its own priority. */
static void tl_boost_recorder(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		int tid = atoi(de->d_name);

		if (tid > 0 && getpriority(PRIO_PROCESS, (id_t)tid) > TL_COLLECT_NICE)
			setpriority(PRIO_PROCESS, (id_t)tid, TL_COLLECT_NICE);
	}
	if (d)
		closedir(d);
}

int tl_collector_run(struct tl_collector *c, volatile sig_atomic_t *stop,
		     uint64_t until_ns, bool (*done)(void *), void *done_ctx)
{
	bool tty = isatty(STDERR_FILENO);
	int e = 0;

	c->last_status_ns = tl_now();
	tl_boost_recorder();
	while (!(stop && *stop)) {
		if (until_ns && tl_now() >= until_ns)
			break;
		if (done && done(done_ctx))
			break;
		e = tl_round(c, tty, tl_poll_ms(until_ns));
		if (e)
			break;
	}
	if (c->status_shown)
		fprintf(stderr, "\r\033[K");
	return e;
}

int tl_collector_flush(struct tl_collector *c)
{
	int e = tl_session_flush_stages(c->s);
	uint64_t now;

	if (!e)
		e = ring_buffer__consume(c->rb);
	if (e < 0)
		return e;
	/* after a stop the last losses are stamped at the end, not later:
	 * the trailer (at the end) must stay the last record */
	now = tl_now();
	if (c->end_ns && now > c->end_ns)
		now = c->end_ns;
	e = tl_check_loss(c, now);
	if (e)
		return e;
	/* the socket counts of threads still alive, once stopped */
	if (c->end_ns && (e = tl_session_sock_counts(c->s, now, tl_inject_cb, c)))
		return e;
	return tl_reorder_drain(c->ro, tl_deliver, c);
}

void tl_collector_stats(const struct tl_collector *c,
			struct tl_collector_stats *st)
{
	struct tl_reorder_stats rs;

	tl_reorder_stats(c->ro, &rs);
	st->events = c->events;
	st->lost = tl_lost_total(c);
	st->reordered = rs.inverted;
}

void tl_collector_free(struct tl_collector *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	if (c->epfd >= 0)
		close(c->epfd);
	tl_reorder_free(c->ro);
	free(c->rctx);
	free(c->late);
	free(c->reported);
	free(c);
}
