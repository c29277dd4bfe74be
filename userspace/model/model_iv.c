/* model_iv.c - how a thread's intervals are stored: 16 bytes each instead of
 * the 32 of struct tl_interval, which is what readers get back
 * (tl_thread_iv). Intervals are most of a model's memory.
 *
 * An interval's end is the next one's start (the last one's: the thread's
 * open interval's start, which is its end once it ended); its start is kept
 * as 48 bits from the first record's time (3.2 days); its block as the
 * block's id (tl_block.id, 17 bits). An interval that does not fit (a
 * start before the first record or 3.2 days after it, a block id beyond
 * 2^17 - 2) is kept whole in a side array, and its compact entry says
 * where: correct for any input, compact for every real one.
 */
#include "model_impl.h"

#define IVC_OFF_BITS 48
#define IVC_OFF_MAX ((1ull << IVC_OFF_BITS) - 1)
#define IVC_BLOCK_BITS 17
#define IVC_ESC ((1u << IVC_BLOCK_BITS) - 1)   /* block field: kept whole */

struct ivc {
	uint64_t w0;      /* bits 0-47: start - base; 48-63: cpu (int16) */
	uint32_t waker;   /* waker / preempted_by; escaped: index in ivx */
	uint32_t w1;      /* 0-16 block id, 17-24 prio, 25-27 state,
			   * 28-30 cause, 31 waker_irq */
};
_Static_assert(sizeof(struct ivc) == 16, "a stored interval is 16 bytes");

static const struct thr *thr_of(const struct tl_thread *t)
{
	return (const struct thr *)t;
}

int tl_thr_iv_push(struct tl_model *m, struct thr *t, const struct tl_interval *iv)
{
	struct ivc *c = model_push_uninit(m, &t->ivc, sizeof(*c));
	uint32_t id = iv->block->id;

	if (!c)
		return -1;
	if (iv->start < m->iv_base || iv->start - m->iv_base > IVC_OFF_MAX ||
	    id >= IVC_ESC) {
		struct tl_interval *x = model_push_uninit(m, &t->ivx, sizeof(*x));
		if (!x) {
			t->ivc.n--;
			return -1;
		}
		*x = *iv;
		*c = (struct ivc){ .waker = (uint32_t)(t->ivx.n - 1), .w1 = IVC_ESC };
		return 0;
	}
	c->w0 = (iv->start - m->iv_base) | (uint64_t)(uint16_t)iv->cpu << IVC_OFF_BITS;
	c->waker = iv->waker;
	c->w1 = id | (uint32_t)iv->prio << 17 | (uint32_t)iv->state << 25 |
		(uint32_t)iv->cause << 28 | (uint32_t)iv->waker_irq << 31;
	return 0;
}

static bool escaped(const struct ivc *c)
{
	return (c->w1 & IVC_ESC) == IVC_ESC;
}

static uint64_t start_of(const struct thr *x, const struct ivc *c)
{
	if (escaped(c))
		return ((const struct tl_interval *)x->ivx.p)[c->waker].start;
	return x->m->iv_base + (c->w0 & IVC_OFF_MAX);
}

/* The block with this id: 0 is tl_block_none. */
static const struct tl_block *block_at(const struct tl_model *m, uint32_t id)
{
	if (!id)
		return &tl_block_none;
	id--;
	return &m->blocks.chunkv[id / BLOCK_CHUNK]->b[id % BLOCK_CHUNK];
}

struct tl_interval tl_thread_iv(const struct tl_thread *t, size_t i)
{
	const struct thr *x = thr_of(t);
	const struct ivc *cs = x->ivc.p, *c = &cs[i];
	struct tl_interval iv;

	if (escaped(c)) {
		iv = ((const struct tl_interval *)x->ivx.p)[c->waker];
	} else {
		iv = (struct tl_interval){
			.start = x->m->iv_base + (c->w0 & IVC_OFF_MAX),
			.block = block_at(x->m, c->w1 & IVC_ESC),
			.waker = c->waker,
			.cpu = (int16_t)(uint16_t)(c->w0 >> IVC_OFF_BITS),
			.prio = (uint8_t)(c->w1 >> 17),
			.state = (c->w1 >> 25) & 7,
			.cause = (c->w1 >> 28) & 7,
			.waker_irq = c->w1 >> 31,
		};
	}
	iv.end = i + 1 < x->ivc.n ? start_of(x, c + 1) : x->cur.start;
	return iv;
}

size_t tl_thread_iv_find(const struct tl_thread *t, uint64_t ts)
{
	const struct thr *x = thr_of(t);
	const struct ivc *cs = x->ivc.p;
	size_t lo = 0, hi = x->ivc.n;

	if (!hi || ts < start_of(x, &cs[0]) || ts >= x->cur.start)
		return x->ivc.n;
	/* the last interval starting at or before ts */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (start_of(x, &cs[mid]) <= ts)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
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
	return t->ivc.n;
}

void tl_thr_iv_free(struct thr *t)
{
	tl_vec_free(&t->ivc);
	tl_vec_free(&t->ivx);
}
