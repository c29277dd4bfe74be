/* model_block.c - the model's store of blocking reasons. A program blocks
 * the same way over and over (one lock, one socket, one pipe), so each
 * distinct struct tl_block is kept once, in chunks that never move, and
 * intervals point to it: an interval stays small, and the timelines that
 * exporters walk stay dense in memory.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

/* What an interval that is not blocked points to (id 0). */
const struct tl_block tl_block_none;

/* Blocks are built zeroed and filled field by field (tl_block_of()), so
 * their padding is zero too and the bytes can be hashed and compared
 * (all but the id, given when stored). */
#define BLOCK_KEY_LEN offsetof(struct tl_block, id)

static uint64_t block_hash(const struct tl_block *b)
{
	uint64_t w[sizeof(*b) / 8], h = 0x9e3779b97f4a7c15ULL;

	_Static_assert(sizeof(*b) % 8 == 0, "tl_block is hashed as words");
	_Static_assert(offsetof(struct tl_block, id) + 4 == sizeof(*b),
		       "tl_block's id is its last word");
	memcpy(w, b, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static struct tl_block *new_block(struct block_store *bs)
{
	struct block_chunk *c = bs->chunks.n ?
		TL_VEC_AT(&bs->chunks, struct block_chunk *, bs->chunks.n - 1) : NULL;

	if (!c || c->n == BLOCK_CHUNK) {
		if (tl_vec_reserve(&bs->chunks, sizeof(c), bs->chunks.n + 1))
			return NULL;
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->n = 0;
		TL_VEC_AT(&bs->chunks, struct block_chunk *, bs->chunks.n++) = c;
	}
	struct tl_block *b = &c->b[c->n++];
	b->id = (uint32_t)++bs->nblocks;
	return b;
}

static const struct tl_block *block_at(const struct block_store *bs, uint32_t id)
{
	id--;
	return &TL_VEC_AT(&bs->chunks, struct block_chunk *, id / BLOCK_CHUNK)->b[id % BLOCK_CHUNK];
}

/* The first slot to look at for hash h (cap > 0): its top bits. */
static size_t slot_of(const struct block_store *bs, uint64_t h)
{
	return (size_t)((h * 0x9e3779b97f4a7c15ULL) >> (64 - __builtin_ctzll(bs->cap)));
}

/* Room for one more id, the table kept at most half full: the ids are
 * placed again by their block's hash. */
static int slots_reserve(struct block_store *bs)
{
	size_t cap = bs->cap ? bs->cap : 64;
	uint32_t *old = bs->slots;
	size_t ocap = bs->cap;

	while (2 * (bs->nblocks + 1) > cap)
		cap *= 2;
	if (cap == bs->cap)
		return 0;
	bs->slots = calloc(cap, sizeof(*bs->slots));
	if (!bs->slots) {
		bs->slots = old;
		return -1;
	}
	bs->cap = cap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i])
			continue;
		size_t s = slot_of(bs, block_hash(block_at(bs, old[i])));

		while (bs->slots[s])
			s = (s + 1) & (cap - 1);
		bs->slots[s] = old[i];
	}
	free(old);
	return 0;
}

/* The stored copy of b (stored now if new); NULL when out of memory. */
static const struct tl_block *block_intern(struct block_store *bs,
					   const struct tl_block *b)
{
	uint64_t h = block_hash(b);
	struct tl_block *nb;
	size_t s;

	if (slots_reserve(bs))
		return NULL;
	for (s = slot_of(bs, h); bs->slots[s]; s = (s + 1) & (bs->cap - 1)) {
		const struct tl_block *old = block_at(bs, bs->slots[s]);

		if (!memcmp(old, b, BLOCK_KEY_LEN))
			return old;
	}
	nb = new_block(bs);
	if (!nb)
		return NULL;
	memcpy(nb, b, BLOCK_KEY_LEN);
	bs->slots[s] = nb->id;
	return nb;
}

static uint64_t block_obj(int32_t nr, const __u64 *a, bool *has)
{
	*has = true;
	if (nr == TL_NR_WAITID) /* idtype P_PID (1) names a pid; else any */
		return a[0] == 1 ? a[1] : (uint64_t)-1;
	if (nr == TL_NR_WAIT4 || nr == TL_NR_FUTEX || nr == TL_NR_FUTEX_WAITV ||
	    nr == TL_NR_FUTEX_WAIT)
		return a[0];
	if (tl_syscall_takes_fd(nr))
		return a[0];
	enum tl_reason r = tl_syscall_reason(nr, 0, false);
	if (r == TL_WHY_IPC)
		return a[0];
	*has = false;
	return 0;
}

static void block_fill(struct tl_block *b, const struct tl_blocked *why,
		       uint32_t raw_state, bool unint, uint32_t holder)
{
	b->holder = holder;
	b->sys_nr = why->sys_nr;
	b->fd_kind = why->fd_kind;
	b->raw_state = raw_state;
	for (int i = 0; i < 3; i++)
		b->args[i] = why->args[i];
	b->why = tl_syscall_reason(why->sys_nr, why->fd_kind, unint);
	if (!(raw_state & 3))
		b->why = TL_WHY_OTHER; /* stopped, traced, parked */
	if (why->sys_nr >= 0)
		b->obj = block_obj(why->sys_nr, why->args, &b->has_obj);
	if (why->sys_nr == TL_NR_FUTEX)
		b->futex = tl_futex_kind(why->args[1]);
	else if (why->sys_nr == TL_NR_FUTEX_WAITV)
		b->futex = TL_FUTEX_WAITV;
	else if (why->sys_nr == TL_NR_FUTEX_WAIT)
		b->futex = TL_FUTEX_WAIT_BITSET;
}

static size_t key_slot(const struct block_key *k)
{
	uint64_t w[sizeof(*k) / 8], h = 0;

	_Static_assert(sizeof(*k) % 8 == 0, "block_key is hashed as words");
	memcpy(w, k, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 58) % BLOCK_RECENT;
}

/* A program blocks the same few ways over and over: the block made from
 * the same syscall, arguments and state lately is taken from a small
 * cache before the block is built, hashed and looked up. */
const struct tl_block *tl_block_of(struct tl_model *m, const struct tl_blocked *why,
				uint32_t raw_state, bool unint, uint32_t holder)
{
	struct block_key k = { .why = *why, .raw_state = raw_state, .unint = unint,
			       .holder = holder };
	size_t i = key_slot(&k);
	struct tl_block b;
	const struct tl_block *stored;

	if (m->blocks.recent[i].b && !memcmp(&m->blocks.recent[i].k, &k, sizeof(k)))
		return m->blocks.recent[i].b;
	memset(&b, 0, sizeof(b));
	block_fill(&b, why, raw_state, unint, holder);
	stored = block_intern(&m->blocks, &b);
	if (!stored) {
		m->oom = true;
		return &tl_block_none;
	}
	m->blocks.recent[i].k = k;
	m->blocks.recent[i].b = stored;
	return stored;
}

void tl_block_store_free(struct block_store *bs)
{
	for (size_t i = 0; i < bs->chunks.n; i++)
		free(TL_VEC_AT(&bs->chunks, struct block_chunk *, i));
	tl_vec_free(&bs->chunks);
	free(bs->slots);
	memset(bs, 0, sizeof(*bs));
}
