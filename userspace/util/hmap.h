/* hmap.h - the one hash table of the project: open addressing with linear
 * probing over (u64 key, u64 value) pairs, kept at most half full.
 *
 * Two ways to use a table (one way per table):
 *  - integer keys (a TID, a PID, a track uuid): tl_hmap_find/put/del. Every
 *    key value is allowed; u32 keys are simply widened. A value is a u64:
 *    an index, a count, or a pointer through the _ptr helpers.
 *  - keys the table cannot compare (strings, structs): the caller hashes its
 *    key to a u64, stores (hash, index of its own entry) with tl_hmap_add,
 *    and walks the entries of a hash with tl_hmap_probe, comparing its own
 *    keys. Equal hashes may repeat; the caller keeps keys unique.
 * Lookups are inline: a hot loop pays a multiply, a load and a compare.
 * A table is at most half full, or 7/8 full if dense (see below).
 * Growing (on put/add) returns -ENOMEM and leaves the table as it was;
 * it moves the entries, so value pointers and probe positions taken
 * before a put/add are stale after it.
 */
#ifndef TL_UTIL_HMAP_H
#define TL_UTIL_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_hmap_ent {
	uint64_t key;      /* 0 = empty slot; key 0 lives in zero_val */
	uint64_t val;
};

struct tl_hmap {
	struct tl_hmap_ent *e;
	size_t cap, n;     /* cap is 0 or a power of two; n counts key 0 too */
	unsigned shift;    /* 64 - log2(cap): the slot is the hash's top bits */
	bool has_zero;
	/* set by its owner while empty: the table fills up to 7/8 of its
	 * slots, not 1/2. For keys that are nearly consecutive integers
	 * (TIDs, PIDs), which Fibonacci hashing spreads evenly, so probes
	 * stay short; it halves the memory of a table of one size in two. */
	bool dense;
	uint64_t zero_val;
};

void tl_hmap_free(struct tl_hmap *h);
/* Empties the table and keeps its memory, for a table refilled often. */
void tl_hmap_clear(struct tl_hmap *h);
/* Room for n entries without growing: 0 or -ENOMEM. */
int tl_hmap_reserve(struct tl_hmap *h, size_t n);

/* Fibonacci hashing: keys that differ in any bit spread over the slots. */
static inline size_t tl_hmap_slot(const struct tl_hmap *h, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> h->shift);
}

/* ---- integer keys ---- */

/* The value stored for key, or NULL. */
static inline uint64_t *tl_hmap_find(const struct tl_hmap *h, uint64_t key)
{
	size_t mask = h->cap - 1, i;

	if (!key)
		return h->has_zero ? (uint64_t *)&h->zero_val : NULL;
	if (!h->cap)
		return NULL;
	for (i = tl_hmap_slot(h, key);; i = (i + 1) & mask) {
		if (h->e[i].key == key)
			return &h->e[i].val;
		if (!h->e[i].key)
			return NULL;
	}
}

/* Sets key's value (inserting key): 0 or -ENOMEM. */
int tl_hmap_put(struct tl_hmap *h, uint64_t key, uint64_t val);
/* Removes key; whether it was there. */
bool tl_hmap_del(struct tl_hmap *h, uint64_t key);

static inline void *tl_hmap_get_ptr(const struct tl_hmap *h, uint64_t key)
{
	const uint64_t *v = tl_hmap_find(h, key);

	return v ? (void *)(uintptr_t)*v : NULL;
}

static inline int tl_hmap_put_ptr(struct tl_hmap *h, uint64_t key, void *p)
{
	return tl_hmap_put(h, key, (uint64_t)(uintptr_t)p);
}

/* Every entry in slot order: start with *it = 0; false at the end. */
bool tl_hmap_next(const struct tl_hmap *h, size_t *it, uint64_t *key, uint64_t *val);

/* ---- caller-compared keys ---- */

/* Hash 0 marks an empty slot, so it is stored as 1 (equal hashes repeat
 * anyway, so nothing is lost). */
static inline uint64_t tl_hmap_hkey(uint64_t hash)
{
	return hash ? hash : 1;
}

/* Where the walk over hash's entries starts. */
static inline size_t tl_hmap_probe_start(const struct tl_hmap *h, uint64_t hash)
{
	return h->cap ? tl_hmap_slot(h, tl_hmap_hkey(hash)) : 0;
}

/* The next entry stored with hash from *pos on (advancing *pos past it),
 * or NULL when there is none. */
static inline const uint64_t *tl_hmap_probe(const struct tl_hmap *h, uint64_t hash,
					    size_t *pos)
{
	uint64_t k = tl_hmap_hkey(hash);
	size_t mask = h->cap - 1;

	if (!h->cap)
		return NULL;
	for (;; *pos = (*pos + 1) & mask) {
		const struct tl_hmap_ent *e = &h->e[*pos];

		if (!e->key)
			return NULL;
		if (e->key == k) {
			*pos = (*pos + 1) & mask;
			return &e->val;
		}
	}
}

/* Stores (hash, val) as a new entry: 0 or -ENOMEM. */
int tl_hmap_add(struct tl_hmap *h, uint64_t hash, uint64_t val);

#endif
