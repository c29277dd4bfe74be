/* reorder.c - the reorder buffer: one queue per source, each kept in
 * timestamp order, merged through a small min-heap of the sources keyed by
 * their oldest record; record copies are carved from chunks reused as a
 * whole, so that millions of records per second cost no malloc each.
 *
 * A source (a CPU's ring) delivers its records almost in order, so a push
 * is nearly always an append, and a release touches the head of one short
 * queue and a heap of a few sources: far fewer cache misses than one heap
 * over every pending record. A record older than the tail of its queue
 * (a ring also carries records that skipped the CPU's stage) is put in
 * place by a binary search and a short move. */
#include "reorder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/vec.h"

#define TL_COPY_ALIGN 8u                /* every record field stays aligned */
#define TL_BIG_COPY 2048u               /* larger records are malloc'd */
#define TL_CHUNK_BYTES (64u << 10)      /* a power of two, and aligned so */
#define TL_NOT_IN_HEAP UINT32_MAX

struct tl_entry {
	uint64_t ts;
	uint64_t seq;
	struct tl_hdr *rec;
};

/* Pending records of one source, entries [head, tail) of buf, sorted by
 * (ts, seq); buf.n is the tail. */
struct tl_queue {
	struct tl_vec buf;      /* struct tl_entry */
	size_t head;
	uint64_t last_ts;       /* newest timestamp pushed (for `inverted`) */
	uint32_t heap_pos;      /* index in the source heap, or TL_NOT_IN_HEAP */
};

static inline struct tl_entry *tl_qv(const struct tl_queue *q)
{
	return q->buf.p;
}

struct tl_chunk {
	struct tl_chunk *next;          /* every chunk, to free them */
	struct tl_chunk *next_free;     /* chunks with no live copy */
	uint32_t live;                  /* copies not yet released */
	/* copies follow, from TL_COPY_ALIGN * 4 */
};

struct tl_reorder {
	struct tl_queue *q;
	uint32_t *heap;         /* non-empty sources, min-heap by queue head */
	uint32_t nheap;
	unsigned nsources;
	uint64_t n;             /* pending records, all queues */
	uint64_t seq;
	struct tl_chunk *chunks, *free_chunks;
	char *carve, *carve_end;        /* unused tail of the newest chunk */
	struct tl_reorder_stats st;
	bool released_any;
};

struct tl_reorder *tl_reorder_new(unsigned nsources)
{
	struct tl_reorder *r;
	unsigned i;

	if (nsources == 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->nsources = nsources;
	r->q = calloc(nsources, sizeof(*r->q));
	r->heap = calloc(nsources, sizeof(*r->heap));
	if (!r->q || !r->heap) {
		tl_reorder_free(r);
		return NULL;
	}
	for (i = 0; i < nsources; i++)
		r->q[i].heap_pos = TL_NOT_IN_HEAP;
	return r;
}

void tl_reorder_free(struct tl_reorder *r)
{
	struct tl_chunk *c, *next;
	unsigned s;
	size_t i;

	if (!r)
		return;
	for (s = 0; r->q && s < r->nsources; s++) {
		struct tl_queue *q = &r->q[s];

		for (i = q->head; i < q->buf.n; i++)
			if (tl_qv(q)[i].rec->size > TL_BIG_COPY)
				free(tl_qv(q)[i].rec);
		tl_vec_free(&q->buf);
	}
	for (c = r->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(r->q);
	free(r->heap);
	free(r);
}

/* ---- record copies ----
 * Copies are carved one after the other from 64 KiB chunks, in arrival
 * order, and released in about that order, so a chunk empties as a whole
 * and is reused: writing a copy is a bump of a pointer into memory written
 * just before (where a free list per size had to chase a pointer through
 * a cold slot for every record). A chunk counts its live copies; its
 * address gives the chunk of any copy. Larger records are malloc'd. */
static struct tl_chunk *tl_chunk_of(const void *p)
{
	return (struct tl_chunk *)((uintptr_t)p & ~(uintptr_t)(TL_CHUNK_BYTES - 1));
}

static int tl_next_chunk(struct tl_reorder *r)
{
	struct tl_chunk *c = r->free_chunks;

	if (c) {
		r->free_chunks = c->next_free;
	} else {
		c = aligned_alloc(TL_CHUNK_BYTES, TL_CHUNK_BYTES);
		if (!c)
			return -ENOMEM;
		c->next = r->chunks;
		r->chunks = c;
	}
	c->live = 0;
	if (r->carve && tl_chunk_of(r->carve - 1)->live == 0) {
		tl_chunk_of(r->carve - 1)->next_free = r->free_chunks;
		r->free_chunks = tl_chunk_of(r->carve - 1);
	}
	r->carve = (char *)c + TL_COPY_ALIGN * 4;
	r->carve_end = (char *)c + TL_CHUNK_BYTES;
	return 0;
}

static void *tl_copy_get(struct tl_reorder *r, size_t size)
{
	size_t bytes = (size + TL_COPY_ALIGN - 1) & ~(size_t)(TL_COPY_ALIGN - 1);
	void *p;

	if (size > TL_BIG_COPY)
		return malloc(size);
	if (r->carve + bytes > r->carve_end && tl_next_chunk(r))
		return NULL;
	p = r->carve;
	r->carve += bytes;
	tl_chunk_of(p)->live++;
	return p;
}

static void tl_copy_put(struct tl_reorder *r, struct tl_hdr *rec)
{
	struct tl_chunk *c;

	if (rec->size > TL_BIG_COPY) {
		free(rec);
		return;
	}
	c = tl_chunk_of(rec);
	/* the chunk being carved is moved to the free ones when it is left */
	if (--c->live == 0 && c != tl_chunk_of(r->carve - 1)) {
		c->next_free = r->free_chunks;
		r->free_chunks = c;
	}
}

/* ---- queues ---- */
static inline bool tl_before(const struct tl_entry *a, const struct tl_entry *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Room for one more entry at the tail: slide the live part down when the
 * front is mostly consumed, else double. */
static int tl_queue_room(struct tl_queue *q)
{
	size_t live = q->buf.n - q->head;

	if (q->buf.n < q->buf.cap)
		return 0;
	if (q->head > 0 && q->head >= q->buf.cap / 2) {
		memmove(tl_qv(q), tl_qv(q) + q->head, live * sizeof(struct tl_entry));
		q->head = 0;
		q->buf.n = live;
		return 0;
	}
	return tl_vec_reserve(&q->buf, sizeof(struct tl_entry),
			      q->buf.cap ? q->buf.cap * 2 : 1024);
}

/* Inserts e (the newest arrival: it goes after equal timestamps); returns
 * true when it became the head. */
static bool tl_queue_insert(struct tl_queue *q, const struct tl_entry *e)
{
	size_t lo = q->head, hi = q->buf.n;
	struct tl_entry *v = tl_qv(q);

	if (lo == hi || v[hi - 1].ts <= e->ts) {
		v[q->buf.n++] = *e;
		return lo == hi;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].ts <= e->ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(v + lo + 1, v + lo, (q->buf.n - lo) * sizeof(*v));
	v[lo] = *e;
	q->buf.n++;
	return lo == q->head;
}

/* ---- the heap of sources, keyed by the head of their queue ---- */
static inline bool tl_src_before(const struct tl_reorder *r, uint32_t a,
				 uint32_t b)
{
	const struct tl_queue *qa = &r->q[a], *qb = &r->q[b];

	return tl_before(&tl_qv(qa)[qa->head], &tl_qv(qb)[qb->head]);
}

static void tl_heap_set(struct tl_reorder *r, uint32_t i, uint32_t src)
{
	r->heap[i] = src;
	r->q[src].heap_pos = i;
}

static void tl_sift_up(struct tl_reorder *r, uint32_t i)
{
	uint32_t src = r->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!tl_src_before(r, src, r->heap[parent]))
			break;
		tl_heap_set(r, i, r->heap[parent]);
		i = parent;
	}
	tl_heap_set(r, i, src);
}

static void tl_sift_down(struct tl_reorder *r, uint32_t i)
{
	uint32_t src = r->heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= r->nheap)
			break;
		if (c + 1 < r->nheap && tl_src_before(r, r->heap[c + 1], r->heap[c]))
			c++;
		if (!tl_src_before(r, r->heap[c], src))
			break;
		tl_heap_set(r, i, r->heap[c]);
		i = c;
	}
	tl_heap_set(r, i, src);
}

int tl_reorder_push(struct tl_reorder *r, const struct tl_hdr *rec,
		    unsigned source)
{
	struct tl_entry e;
	struct tl_queue *q;
	struct tl_hdr *copy;

	if (rec->size < sizeof(*rec) || source >= r->nsources)
		return -EINVAL;
	if (r->released_any && rec->ts < r->st.last_ts) {
		r->st.late++;
		return TL_REORDER_LATE;
	}
	q = &r->q[source];
	if (tl_queue_room(q))
		return -ENOMEM;
	copy = tl_copy_get(r, rec->size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec, rec->size);
	if (rec->ts < q->last_ts)
		r->st.inverted++;
	else
		q->last_ts = rec->ts;
	e = (struct tl_entry){ rec->ts, r->seq++, copy };
	if (tl_queue_insert(q, &e)) {
		if (q->heap_pos == TL_NOT_IN_HEAP)
			tl_heap_set(r, r->nheap++, source);
		tl_sift_up(r, q->heap_pos);
	}
	r->st.pushed++;
	if (++r->n > r->st.peak)
		r->st.peak = r->n;
	return 0;
}

/* Takes the oldest record off its queue, hands it out, frees its copy. */
static int tl_pop(struct tl_reorder *r, tl_reorder_cb cb, void *ctx)
{
	uint32_t src = r->heap[0];
	struct tl_queue *q = &r->q[src];
	struct tl_hdr *rec = tl_qv(q)[q->head++].rec;
	int e;

	if (q->head == q->buf.n) {
		q->head = q->buf.n = 0;
		q->heap_pos = TL_NOT_IN_HEAP;
		if (--r->nheap) {
			tl_heap_set(r, 0, r->heap[r->nheap]);
			tl_sift_down(r, 0);
		}
	} else {
		tl_sift_down(r, 0);
	}
	r->n--;
	r->st.last_ts = rec->ts;
	r->st.released++;
	r->released_any = true;
	e = cb(ctx, rec);
	tl_copy_put(r, rec);
	return e;
}

static inline uint64_t tl_oldest_ts(const struct tl_reorder *r)
{
	const struct tl_queue *q = &r->q[r->heap[0]];

	return tl_qv(q)[q->head].ts;
}

int tl_reorder_release(struct tl_reorder *r, uint64_t watermark,
		       tl_reorder_cb cb, void *ctx)
{
	int e;

	while (r->nheap && tl_oldest_ts(r) <= watermark) {
		e = tl_pop(r, cb, ctx);
		if (e)
			return e;
	}
	return 0;
}

int tl_reorder_drain(struct tl_reorder *r, tl_reorder_cb cb, void *ctx)
{
	return tl_reorder_release(r, UINT64_MAX, cb, ctx);
}

void tl_reorder_stats(const struct tl_reorder *r, struct tl_reorder_stats *st)
{
	*st = r->st;
	st->pending = r->n;
}
