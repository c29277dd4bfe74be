/* model_iv.c - how a thread's intervals are stored: about 9 bytes each
 * instead of the 32 of struct tl_interval, which is what readers get back
 * (tl_thread_iv). Intervals are most of a model's memory (one and a half
 * per record of a busy recording).
 *
 * Each interval is a few bytes in its thread's byte stream: a byte of
 * state, cause, waker_irq and whether a block follows; then, as variable
 * length integers (7 bits a byte), its start after the previous one's,
 * its CPU + 1, its prio, its waker and its block's id (tl_block.id) when
 * it has one. Its end is the next one's start (the last one's: the
 * thread's open interval's start, its end once it ended). Every 32nd
 * interval starts a group: a checkpoint keeps its start and where it is
 * in the stream, so interval i is at most 31 decodings from one, and a
 * walk in order decodes each once (the thread remembers where the last
 * read stopped: reading one thread's intervals from two threads of a
 * program at once is not supported).
 */
#include <stddef.h>
#include <stdlib.h>
#include "model_impl.h"
#include "util/varint.h"

#define IV_GROUP 32
#define IV_HAS_BLOCK 0x80

struct ivck {
	uint64_t start;   /* the group's first interval's */
	uint64_t off;     /* where it is in the byte stream */
};

int tl_thr_iv_push(struct tl_model *m, struct thr *t, const struct tl_interval *iv)
{
	uint8_t buf[1 + 10 + 3 + 1 + 5 + 5], *p = buf;
	uint64_t delta = iv->start - t->iv_last;   /* 0 for a group's first */
	uint32_t id = iv->block->id;

	if (t->niv % IV_GROUP == 0) {
		struct ivck *ck = model_push_uninit(m, &t->ivck, sizeof(*ck));
		if (!ck)
			return -1;
		*ck = (struct ivck){ iv->start, t->ivb.n };
		delta = 0;
	}
	*p++ = (uint8_t)(iv->state | iv->cause << 3 | iv->waker_irq << 6 |
			 (id ? IV_HAS_BLOCK : 0));
	p = tl_put_var(p, delta);
	p = tl_put_var(p, (uint16_t)(iv->cpu + 1));
	*p++ = iv->prio;
	p = tl_put_var(p, iv->waker);
	if (id)
		p = tl_put_var(p, id);
	if (tl_vec_reserve_lean(&t->ivb, 1, t->ivb.n + (size_t)(p - buf))) {
		if (t->niv % IV_GROUP == 0)
			t->ivck.n--;
		m->oom = true;
		return -1;
	}
	memcpy((uint8_t *)t->ivb.p + t->ivb.n, buf, (size_t)(p - buf));
	t->ivb.n += (size_t)(p - buf);
	t->iv_last = iv->start;
	t->niv++;
	return 0;
}

const struct tl_block *tl_model_block(const struct tl_model *m, uint32_t id)
{
	if (!id)
		return &tl_block_none;
	id--;
	return &TL_VEC_AT(&m->blocks.chunks, struct block_chunk *, id / BLOCK_CHUNK)->b[id % BLOCK_CHUNK];
}

/* Decodes the interval at c (its end left 0) and moves c past it. */
/* The last 8 bytes of a struct tl_interval (waker, cpu, prio and the bit
 * fields) for each value of the state byte's low 7 bits, waker and cpu 0
 * and prio 0: an interval is put together from whole words, as a struct
 * built field by field and then copied stalls the copy's loads. */
static uint64_t tail_of[128];

static void tails_init(void)
{
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "words as x86 and arm64 lay them out");
	_Static_assert(offsetof(struct tl_interval, waker) == 24 &&
		       offsetof(struct tl_interval, cpu) == 28 &&
		       offsetof(struct tl_interval, prio) == 30 &&
		       sizeof(struct tl_interval) == 32, "tl_interval's layout");
	for (unsigned b = 0; b < 128; b++) {
		struct tl_interval iv = { .state = b & 7, .cause = (b >> 3) & 7,
					  .waker_irq = (b >> 6) & 1, .prio = 0 };
		memcpy(&tail_of[b], (const char *)&iv + 24, 8);
	}
}

static inline void decode(const struct thr *x, struct tl_ivpos *c, struct tl_interval *iv)
{
	const uint8_t *p = (const uint8_t *)x->ivb.p + c->off;
	uint8_t b = *p++;
	uint64_t delta = tl_get_var(&p), w[4];

	if (!tail_of[1])   /* state 1 makes it non-zero */
		tails_init();
	w[0] = c->i % IV_GROUP ? c->prev + delta
			       : ((const struct ivck *)x->ivck.p)[c->i / IV_GROUP].start;
	w[1] = 0;
	uint64_t cpu = (uint16_t)((uint16_t)tl_get_var(&p) - 1);
	uint64_t prio = *p++;
	uint64_t waker = (uint32_t)tl_get_var(&p);
	w[2] = (uintptr_t)tl_model_block(x->m, b & IV_HAS_BLOCK ? (uint32_t)tl_get_var(&p) : 0);
	/* little-endian: waker, then cpu, then prio, then the bit fields */
	w[3] = tail_of[b & 0x7f] | waker | cpu << 32 | prio << 48;
	memcpy(iv, w, sizeof(w));
	c->off = (size_t)(p - (const uint8_t *)x->ivb.p);
	c->prev = w[0];
	c->i++;
}

/* The start of the interval at c (c->i < niv), c unmoved. */
static uint64_t start_at(const struct thr *x, const struct tl_ivpos *c)
{
	const uint8_t *p = (const uint8_t *)x->ivb.p + c->off + 1;

	if (c->i % IV_GROUP == 0)
		return ((const struct ivck *)x->ivck.p)[c->i / IV_GROUP].start;
	return c->prev + tl_get_var(&p);
}

/* The position of interval i: from where the last read stopped when that
 * is before it in its group, else from its group's checkpoint. */
static struct tl_ivpos seek(const struct thr *x, size_t i)
{
	struct tl_ivpos c = x->ivcache;
	struct tl_interval skip;

	if (c.i > i || c.i / IV_GROUP != i / IV_GROUP || c.i > x->niv) {
		const struct ivck *ck = &((const struct ivck *)x->ivck.p)[i / IV_GROUP];
		c = (struct tl_ivpos){ .i = i - i % IV_GROUP, .off = ck->off,
				       .prev = ck->start };
	}
	while (c.i < i)
		decode(x, &c, &skip);
	return c;
}

static uint64_t end_after(const struct thr *x, const struct tl_ivpos *c)
{
	return c->i < x->niv ? start_at(x, c) : x->cur.start;
}

struct tl_interval tl_thread_iv(const struct tl_thread *t, size_t i)
{
	struct thr *x = (struct thr *)t;   /* only its read position changes */

	struct tl_ivpos c;
	struct tl_interval iv;

	/* the next one (a walk in order), the same one again, else from a
	 * checkpoint */
	if (x->ivcache.i == i)
		c = x->ivcache;
	else if (x->ivcache.i == i + 1)
		c = x->ivprev;
	else
		c = seek(x, i);
	x->ivprev = c;
	decode(x, &c, &iv);
	iv.end = end_after(x, &c);
	x->ivcache = c;
	return iv;
}

size_t tl_thread_iv_find(const struct tl_thread *t, uint64_t ts)
{
	const struct thr *x = (const struct thr *)t;
	const struct ivck *ck = x->ivck.p;
	size_t lo = 0, hi = x->ivck.n;

	if (!x->niv || ts < ck[0].start || ts >= x->cur.start)
		return x->niv;
	/* the last group starting at or before ts, then within it */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ck[mid].start <= ts)
			lo = mid;
		else
			hi = mid;
	}
	struct tl_ivpos c = { .i = lo * IV_GROUP, .off = ck[lo].off, .prev = ck[lo].start };
	struct tl_interval iv;
	for (;;) {
		size_t i = c.i;
		decode(x, &c, &iv);
		if (end_after(x, &c) > ts)
			return i;
	}
}

bool tl_thread_at(const struct tl_thread *t, uint64_t ts, struct tl_interval *out)
{
	size_t i = tl_thread_iv_find(t, ts);

	if (i >= t->niv)
		return false;
	*out = tl_thread_iv(t, i);
	return true;
}

size_t tl_thr_niv(const struct thr *t)
{
	return t->niv;
}

void tl_thr_iv_free(struct thr *t)
{
	tl_vec_free(&t->ivb);
	tl_vec_free(&t->ivck);
}
