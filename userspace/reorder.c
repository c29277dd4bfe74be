/* reorder.c - the reorder buffer: a binary min-heap of (ts, arrival seq)
 * over copies of the records, kept in size-class slabs so that millions of
 * records per second cost no malloc each. */
#include "reorder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TL_SLOT_UNIT 64u
#define TL_NCLASSES 32u                 /* slabs serve records up to 2 KiB */
#define TL_CHUNK_BYTES (256u << 10)

struct tl_entry {
	uint64_t ts;
	uint64_t seq;
	struct tl_hdr *rec;
};

struct tl_chunk {
	struct tl_chunk *next;
	/* slots follow, TL_SLOT_UNIT aligned */
};

struct tl_reorder {
	struct tl_entry *heap;
	size_t n, cap;
	uint64_t seq;
	void *free_list[TL_NCLASSES];
	struct tl_chunk *chunks;
	char *carve, *carve_end;        /* unused tail of the newest chunk */
	unsigned nsources;
	uint64_t *source_last;
	struct tl_reorder_stats st;
	bool released_any;
};

struct tl_reorder *tl_reorder_new(unsigned nsources)
{
	struct tl_reorder *r;

	if (nsources == 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->nsources = nsources;
	r->source_last = calloc(nsources, sizeof(*r->source_last));
	if (!r->source_last) {
		free(r);
		return NULL;
	}
	return r;
}

void tl_reorder_free(struct tl_reorder *r)
{
	struct tl_chunk *c, *next;
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++)
		if (r->heap[i].rec->size > TL_NCLASSES * TL_SLOT_UNIT)
			free(r->heap[i].rec);
	for (c = r->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(r->heap);
	free(r->source_last);
	free(r);
}

/* ---- slots ---- */
static int tl_new_chunk(struct tl_reorder *r)
{
	struct tl_chunk *c = aligned_alloc(TL_SLOT_UNIT, TL_CHUNK_BYTES);

	if (!c)
		return -ENOMEM;
	c->next = r->chunks;
	r->chunks = c;
	r->carve = (char *)c + TL_SLOT_UNIT;
	r->carve_end = (char *)c + TL_CHUNK_BYTES;
	return 0;
}

static void *tl_slot_get(struct tl_reorder *r, size_t size)
{
	unsigned cls = (size + TL_SLOT_UNIT - 1) / TL_SLOT_UNIT - 1;
	size_t bytes = (size_t)(cls + 1) * TL_SLOT_UNIT;
	void *p;

	if (cls >= TL_NCLASSES)
		return malloc(size);
	p = r->free_list[cls];
	if (p) {
		r->free_list[cls] = *(void **)p;
		return p;
	}
	if (r->carve + bytes > r->carve_end && tl_new_chunk(r))
		return NULL;
	p = r->carve;
	r->carve += bytes;
	return p;
}

static void tl_slot_put(struct tl_reorder *r, struct tl_hdr *rec)
{
	unsigned cls = (rec->size + TL_SLOT_UNIT - 1) / TL_SLOT_UNIT - 1;

	if (cls >= TL_NCLASSES) {
		free(rec);
		return;
	}
	*(void **)rec = r->free_list[cls];
	r->free_list[cls] = rec;
}

/* ---- heap ---- */
static inline bool tl_before(const struct tl_entry *a, const struct tl_entry *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void tl_sift_up(struct tl_entry *h, size_t i)
{
	struct tl_entry e = h[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!tl_before(&e, &h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
}

static void tl_sift_down(struct tl_entry *h, size_t n, size_t i)
{
	struct tl_entry e = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && tl_before(&h[c + 1], &h[c]))
			c++;
		if (!tl_before(&h[c], &e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static int tl_heap_grow(struct tl_reorder *r)
{
	size_t cap = r->cap ? r->cap * 2 : 4096;
	struct tl_entry *h = realloc(r->heap, cap * sizeof(*h));

	if (!h)
		return -ENOMEM;
	r->heap = h;
	r->cap = cap;
	return 0;
}

int tl_reorder_push(struct tl_reorder *r, const struct tl_hdr *rec,
		    unsigned source)
{
	struct tl_hdr *copy;

	if (rec->size < sizeof(*rec) || source >= r->nsources)
		return -EINVAL;
	if (r->released_any && rec->ts < r->st.last_ts) {
		r->st.late++;
		return TL_REORDER_LATE;
	}
	if (r->n == r->cap && tl_heap_grow(r))
		return -ENOMEM;
	copy = tl_slot_get(r, rec->size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, rec, rec->size);
	if (rec->ts < r->source_last[source])
		r->st.inverted++;
	else
		r->source_last[source] = rec->ts;
	r->heap[r->n] = (struct tl_entry){ rec->ts, r->seq++, copy };
	tl_sift_up(r->heap, r->n++);
	r->st.pushed++;
	if (r->n > r->st.peak)
		r->st.peak = r->n;
	return 0;
}

/* Pops the oldest record, hands it out, recycles its slot. */
static int tl_pop(struct tl_reorder *r, tl_reorder_cb cb, void *ctx)
{
	struct tl_hdr *rec = r->heap[0].rec;
	int e;

	r->heap[0] = r->heap[--r->n];
	if (r->n)
		tl_sift_down(r->heap, r->n, 0);
	r->st.last_ts = rec->ts;
	r->st.released++;
	r->released_any = true;
	e = cb(ctx, rec);
	tl_slot_put(r, rec);
	return e;
}

int tl_reorder_release(struct tl_reorder *r, uint64_t watermark,
		       tl_reorder_cb cb, void *ctx)
{
	int e;

	while (r->n && r->heap[0].ts <= watermark) {
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
