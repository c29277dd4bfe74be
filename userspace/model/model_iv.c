/* model_iv.c - how a thread's intervals are stored: about 4 bytes each
 * instead of the 32 of struct tl_interval, which is what readers get back
 * (tl_thread_iv). Intervals are most of a model's memory (one and a half
 * per record of a busy recording).
 *
 * Each interval is a few bytes in its thread's byte stream. A head byte:
 * its state and cause as a code (IV_CODE: an index in code_sc[], or
 * IV_ESC and then a byte of state | cause << 3), and three bits saying
 * which of its CPU and prio, its waker, its block are the usual ones for
 * its state (what the intervals before it in its group leave, see
 * hist_use[]). Then, as variable length integers (7 bits a byte): its
 * start after the previous one's; those of the three that are not usual:
 * CPU + 1 and a prio byte; the waker, after the thread's own TID, with
 * waker_irq; its block's id (tl_block.id). Most of a thread's intervals
 * repeat the CPU, prio, waker or block of one just before: a Running
 * interval is then its head and start, a Runnable one woken by the waker
 * of the sleep before it too.
 *
 * Its end is the next one's start (the last one's: the thread's open
 * interval's start, its end once it ended). Every 32nd interval starts a
 * group: a checkpoint keeps its start and where it is in the stream, and
 * it repeats nothing (the usual values are those of a thread with no
 * interval yet), so interval i is at most 31 decodings from one, and a
 * walk in order decodes each once (the model remembers where the last
 * read of a thread stopped, for a few threads at a time: reading a
 * model's intervals from two threads of a program at once is not
 * supported).
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include "model_impl.h"
#include "util/varint.h"

#define IV_GROUP 32
#define IV_CODE 0x0f
#define IV_ESC 0x0f        /* the state | cause << 3 byte follows */
#define IV_CP_USUAL 0x10
#define IV_WK_USUAL 0x20
#define IV_BLK_USUAL 0x40
#define IV_USUAL (IV_CP_USUAL | IV_WK_USUAL | IV_BLK_USUAL)

struct ivck {
	uint64_t start;   /* the group's first interval's */
	uint64_t off;     /* where it is in the byte stream */
};

#define SC(state, cause) ((state) | (cause) << 3)
/* The states and causes intervals have, by head code. */
static const uint8_t code_sc[IV_ESC] = {
	SC(TL_ST_UNKNOWN, TL_UNK_NONE), SC(TL_ST_UNKNOWN, TL_UNK_BEFORE_FIRST),
	SC(TL_ST_UNKNOWN, TL_UNK_LOSS), SC(TL_ST_UNKNOWN, TL_UNK_INCONSISTENT),
	SC(TL_ST_RUNNING, 0), SC(TL_ST_RUNNABLE, 0),
	SC(TL_ST_RUNNABLE, TL_RUN_WOKEN), SC(TL_ST_RUNNABLE, TL_RUN_PREEMPTED),
	SC(TL_ST_RUNNABLE, TL_RUN_NEW), SC(TL_ST_RUNNABLE, TL_RUN_SNAPSHOT),
	SC(TL_ST_RUNNABLE, TL_RUN_OTHER), SC(TL_ST_SLEEPING, 0), SC(TL_ST_UNINT, 0),
	/* unused codes repeat the first: the writer picks the first match */
	SC(TL_ST_UNKNOWN, TL_UNK_NONE), SC(TL_ST_UNKNOWN, TL_UNK_NONE),
};

/* What an interval usually repeats, by state: the CPU and prio of the
 * last Running or Runnable interval (else -1 and unknown), the last
 * non-zero waker (else none), the last block (else none). */
#define U_CP 1
#define U_WK 2
#define U_BLK 4
static const uint8_t hist_use[8] = {
	[TL_ST_RUNNING] = U_CP, [TL_ST_RUNNABLE] = U_CP | U_WK,
	[TL_ST_SLEEPING] = U_WK | U_BLK, [TL_ST_UNINT] = U_WK | U_BLK,
};

/* The last 8 bytes of a struct tl_interval (waker, cpu, prio and the bit
 * fields): an interval is put together from whole words, as a struct
 * built field by field and then copied stalls the copy's loads. tail_of
 * has the bit fields of each state | cause << 3 (waker, cpu, prio 0);
 * irq_bit is waker_irq's. */
static uint64_t tail_of[64], irq_bit;
/* what a head code gives without a lookup in code_sc[] first */
static struct { uint64_t tail; unsigned use; } head_of[IV_ESC];
/* cpu -1 and prio unknown, as the word holds them */
#define CP_NONE ((uint64_t)UINT16_MAX << 32 | (uint64_t)TL_PRIO_UNKNOWN << 48)

static uint64_t tail(const struct tl_interval *iv)
{
	uint64_t w;

	memcpy(&w, (const char *)iv + 24, 8);
	return w;
}

static void tails_init(void)
{
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "words as x86 and arm64 lay them out");
	_Static_assert(offsetof(struct tl_interval, waker) == 24 &&
		       offsetof(struct tl_interval, cpu) == 28 &&
		       offsetof(struct tl_interval, prio) == 30 &&
		       sizeof(struct tl_interval) == 32, "tl_interval's layout");
	for (unsigned b = 0; b < 64; b++) {
		struct tl_interval iv = { .state = b & 7, .cause = (b >> 3) & 7 };
		tail_of[b] = tail(&iv);
	}
	for (unsigned c = 0; c < IV_ESC; c++) {
		head_of[c].tail = tail_of[code_sc[c]];
		head_of[c].use = hist_use[code_sc[c] & 7];
	}
	irq_bit = tail(&(struct tl_interval){ .waker_irq = 1 });
}

static void init_once(void)
{
	if (!irq_bit)
		tails_init();
}

/* The place before the first interval of group g. */
static struct tl_ivat group_at(const struct thr *x, size_t g)
{
	const struct ivck *ck = &((const struct ivck *)x->ivcks)[g];

	return (struct tl_ivat){ .i = g * IV_GROUP, .off = ck->off, .prev = ck->start,
				 .cp = CP_NONE };
}

static uint64_t zigzag(int64_t v)
{
	return v < 0 ? ((uint64_t)-(v + 1) << 1) | 1 : (uint64_t)v << 1;
}

static int64_t unzigzag(uint64_t z)
{
	return z & 1 ? -(int64_t)(z >> 1) - 1 : (int64_t)(z >> 1);
}

/* The waker as written: 0 for none, else 1 + how far from the thread's
 * own TID; then waker_irq. */
static uint64_t waker_code(const struct thr *t, uint64_t wk)
{
	uint32_t waker = (uint32_t)wk;
	uint64_t far = waker ? zigzag((int64_t)waker - t->pub.tid) + 1 : 0;

	return far << 1 | !!(wk & irq_bit);
}

static uint64_t waker_of(const struct thr *t, uint64_t code)
{
	uint64_t far = code >> 1;
	uint32_t waker = far ? (uint32_t)(t->pub.tid + unzigzag(far - 1)) : 0;

	return waker | (code & 1 ? irq_bit : 0);
}

static unsigned head_code(unsigned sc)
{
	for (unsigned c = 0; c < IV_ESC; c++)
		if (code_sc[c] == sc)
			return c;
	return IV_ESC;
}

/* What an interval leaves for the next ones of its group. */
static inline void hist_after(struct tl_ivat *h, unsigned use, uint64_t cp, uint64_t wk,
			      uint32_t blk)
{
	if (use & U_CP)
		h->cp = cp;
	if (wk)
		h->wk = wk;
	if (blk)
		h->blk = blk;
}

/* Writes iv at p, after the intervals h is past; returns the end. */
static uint8_t *encode(const struct thr *t, const struct tl_ivat *h,
		       const struct tl_interval *iv, uint8_t *p)
{
	unsigned sc = SC(iv->state, iv->cause), use = hist_use[iv->state];
	unsigned code = head_code(sc);
	uint64_t w = tail(iv), cp = w & (CP_NONE), wk = w & (UINT32_MAX | irq_bit);
	uint32_t blk = iv->block->id;
	bool cp_u = cp == (use & U_CP ? h->cp : CP_NONE);
	bool wk_u = wk == (use & U_WK ? h->wk : 0);
	bool blk_u = blk == (use & U_BLK ? h->blk : 0);

	*p++ = (uint8_t)(code | (cp_u ? IV_CP_USUAL : 0) | (wk_u ? IV_WK_USUAL : 0) |
			 (blk_u ? IV_BLK_USUAL : 0));
	if (code == IV_ESC)
		*p++ = (uint8_t)sc;
	if (h->i % IV_GROUP)
		p = tl_put_var(p, iv->start - h->prev);
	if (!cp_u) {
		p = tl_put_var(p, (uint16_t)(iv->cpu + 1));
		*p++ = iv->prio;
	}
	if (!wk_u)
		p = tl_put_var(p, waker_code(t, wk));
	if (!blk_u)
		p = tl_put_var(p, blk);
	return p;
}

int tl_thr_iv_push(struct tl_model *m, struct thr *t, const struct tl_interval *iv)
{
	uint8_t buf[2 + 10 + 3 + 1 + 6 + 5];
	struct thr_live *lv = t->lv;
	struct tl_ivat *h = &lv->ivend;
	bool first = h->i % IV_GROUP == 0;

	init_once();
	if (first) {
		struct ivck *ck = model_push_uninit(m, &lv->ivck, sizeof(*ck));
		if (!ck)
			return -1;
		*ck = (struct ivck){ iv->start, lv->ivb.n };
		t->ivcks = lv->ivck.p;
		*h = group_at(t, h->i / IV_GROUP);
	}
	size_t len = (size_t)(encode(t, h, iv, buf) - buf);
	if (tl_vec_reserve_lean(&lv->ivb, 1, lv->ivb.n + len)) {
		if (first)
			lv->ivck.n--;
		m->oom = true;
		return -1;
	}
	memcpy((uint8_t *)lv->ivb.p + lv->ivb.n, buf, len);
	lv->ivb.n += len;
	t->ivbytes = lv->ivb.p;
	uint64_t w = tail(iv);
	hist_after(h, hist_use[iv->state], w & CP_NONE, w & (UINT32_MAX | irq_bit),
		   iv->block->id);
	h->i++;
	h->off = lv->ivb.n;
	h->prev = iv->start;
	t->pub.niv = h->i;
	return 0;
}

const struct tl_block *tl_model_block(const struct tl_model *m, uint32_t id)
{
	if (!id)
		return &tl_block_none;
	id--;
	return &TL_VEC_AT(&m->blocks.chunks, struct block_chunk *, id / BLOCK_CHUNK)->b[id % BLOCK_CHUNK];
}

/* Decodes what an interval at p does not repeat (head b, state's use)
 * into *cp, *wk, *blk, and leaves for the next ones what it changes. */
static inline const uint8_t *decode_rare(const struct thr *x, struct tl_ivat *c, const uint8_t *p,
				  unsigned b, unsigned use, uint64_t *cp, uint64_t *wk,
				  uint32_t *blk)
{
	if (!(b & IV_CP_USUAL)) {
		*cp = (uint64_t)(uint16_t)((uint16_t)tl_get_var(&p) - 1) << 32;
		*cp |= (uint64_t)*p++ << 48;
	}
	if (!(b & IV_WK_USUAL))
		*wk = waker_of(x, tl_get_var(&p));
	if (!(b & IV_BLK_USUAL))
		*blk = (uint32_t)tl_get_var(&p);
	hist_after(c, use, *cp, *wk, *blk);
	return p;
}

/* Moves c past the interval at it: its start, and the last word of its
 * struct tl_interval and its block's id in *tail and *blk. */
static inline uint64_t step(const struct thr *x, struct tl_ivat *c, uint64_t *tail,
			    uint32_t *blk)
{
	const uint8_t *p = (const uint8_t *)x->ivbytes + c->off;
	unsigned b = *p++, code = b & IV_CODE, use;
	uint64_t start, tl;

	if (__builtin_expect(code != IV_ESC, 1)) {
		tl = head_of[code].tail;
		use = head_of[code].use;
	} else {
		unsigned sc = *p++ & 0x3f;
		tl = tail_of[sc];
		use = hist_use[sc & 7];
	}
	if (c->i % IV_GROUP) {
		start = c->prev + tl_get_var(&p);
	} else {
		*c = group_at(x, c->i / IV_GROUP);
		start = c->prev;
	}
	/* the usual ones: what the interval leaves for the next is unchanged */
	uint64_t cp = use & U_CP ? c->cp : CP_NONE;
	uint64_t wk = use & U_WK ? c->wk : 0;
	*blk = use & U_BLK ? (uint32_t)c->blk : 0;
	if (__builtin_expect((b & IV_USUAL) != IV_USUAL, 0))
		p = decode_rare(x, c, p, b, use, &cp, &wk, blk);
	*tail = tl | wk | cp;
	c->off = (size_t)(p - (const uint8_t *)x->ivbytes);
	c->prev = start;
	c->i++;
	return start;
}

/* Decodes the interval at c (its end left 0) and moves c past it. */
static inline void decode(const struct thr *x, struct tl_ivat *c, struct tl_interval *iv)
{
	uint64_t w[4];
	uint32_t blk;

	w[0] = step(x, c, &w[3], &blk);
	w[1] = 0;
	w[2] = (uintptr_t)tl_model_block(x->m, blk);
	memcpy(iv, w, sizeof(w));
}

/* The start of the interval at c (c->i < niv), c unmoved. */
static uint64_t start_at(const struct thr *x, const struct tl_ivat *c)
{
	const uint8_t *p = (const uint8_t *)x->ivbytes + c->off;

	if (c->i % IV_GROUP == 0)
		return ((const struct ivck *)x->ivcks)[c->i / IV_GROUP].start;
	p += (*p & IV_CODE) == IV_ESC ? 2 : 1;
	return c->prev + tl_get_var(&p);
}

/* The position of interval i: from where the last read stopped (at, if
 * any) when that is before it in its group, else from its group's
 * checkpoint. */
static struct tl_ivat seek(const struct thr *x, const struct tl_ivat *at, size_t i)
{
	struct tl_ivat c;
	uint64_t tail;
	uint32_t blk;

	if (at && at->i <= i && at->i / IV_GROUP == i / IV_GROUP && at->i <= x->pub.niv)
		c = *at;
	else
		c = group_at(x, i / IV_GROUP);
	while (c.i < i)
		step(x, &c, &tail, &blk);
	return c;
}

/* Where the last interval ends: the open one's start (once the thread
 * ended: its end). */
static uint64_t open_start(const struct thr *x)
{
	return x->lv ? x->lv->cur.start : x->pub.end;
}

static uint64_t end_after(const struct thr *x, const struct tl_ivat *c)
{
	return c->i < x->pub.niv ? start_at(x, c) : open_start(x);
}

/* The slot of x's last read, NULL if none can be kept (no memory). */
static struct iv_read *read_slot(const struct thr *x)
{
	struct tl_model *m = (struct tl_model *)x->m; /* only read places change */

	if (!m->iv_read)
		m->iv_read = calloc(IV_READ_SLOTS, sizeof(*m->iv_read));
	return m->iv_read ? &m->iv_read[x->idx % IV_READ_SLOTS] : NULL;
}

struct tl_interval tl_thread_iv(const struct tl_thread *t, size_t i)
{
	const struct thr *x = (const struct thr *)t;
	struct iv_read *r = read_slot(x);
	const struct tl_ivat *at = r && r->t == x ? &r->at : NULL;
	struct tl_ivat c;
	struct tl_interval iv;

	init_once();
	/* the next one (a walk in order), the same one again, else from a
	 * checkpoint */
	if (at && at->i == i)
		c = *at;
	else if (at && at->i == i + 1)
		c = r->prev;
	else
		c = seek(x, at, i);
	if (r) {
		r->t = x;
		r->prev = c;
	}
	decode(x, &c, &iv);
	iv.end = end_after(x, &c);
	if (r)
		r->at = c;
	return iv;
}

uint64_t tl_thr_iv_end(const struct thr *x)
{
	return open_start(x);
}

uint8_t tl_thr_iv_skim(const struct thr *x, size_t i, struct tl_ivskim *c)
{
	const uint8_t *b0 = x->ivbytes, *p = b0 + c->off;
	unsigned b = *p++, code = b & IV_CODE;
	unsigned sc = code != IV_ESC ? code_sc[code] : (*p++ & 0x3f);
	uint64_t start;

	if (i % IV_GROUP)
		start = c->prev + tl_get_var(&p);
	else
		start = ((const struct ivck *)x->ivcks)[i / IV_GROUP].start;
	if (!(b & IV_CP_USUAL)) {
		tl_get_var(&p);
		p++;
	}
	if (!(b & IV_WK_USUAL))
		tl_get_var(&p);
	if (!(b & IV_BLK_USUAL))
		tl_get_var(&p);
	*c = (struct tl_ivskim){ (size_t)(p - b0), start };
	return sc & 7;
}

size_t tl_thread_iv_find(const struct tl_thread *t, uint64_t ts)
{
	const struct thr *x = (const struct thr *)t;
	const struct ivck *ck = x->ivcks;
	size_t niv = x->pub.niv, lo = 0, hi = (niv + IV_GROUP - 1) / IV_GROUP;

	if (!niv || ts < ck[0].start || ts >= open_start(x))
		return niv;
	init_once();
	/* the last group starting at or before ts, then within it */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (ck[mid].start <= ts)
			lo = mid;
		else
			hi = mid;
	}
	struct tl_ivat c = group_at(x, lo);
	uint64_t tail;
	uint32_t blk;
	for (;;) {
		size_t i = c.i;
		step(x, &c, &tail, &blk);
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
	return t->pub.niv;
}

int tl_thr_iv_seal(struct tl_model *m, struct thr *t)
{
	struct thr_live *lv = t->lv;
	size_t ckb = lv->ivck.n * sizeof(struct ivck);
	uint8_t *b = NULL;

	if (t->pub.niv) {
		b = tl_arena_alloc(&m->arena, ckb + lv->ivb.n, alignof(struct ivck));
		if (!b) {
			m->oom = true;
			return -1;
		}
		memcpy(b, lv->ivck.p, ckb);
		memcpy(b + ckb, lv->ivb.p, lv->ivb.n);
	}
	tl_vec_free(&lv->ivb);
	tl_vec_free(&lv->ivck);
	t->ivcks = b;
	t->ivbytes = b ? b + ckb : NULL;
	return 0;
}

void tl_thr_iv_free(struct thr *t)
{
	/* a sealed block is the model's arena's, given back with it */
	if (t->lv) {
		tl_vec_free(&t->lv->ivb);
		tl_vec_free(&t->lv->ivck);
	}
	t->ivcks = t->ivbytes = NULL;
}
