/* hmap.c - growing, inserting into and deleting from the one hash table
 * (hmap.h). */
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HMAP_MIN_CAP 256

void tl_hmap_free(struct tl_hmap *h)
{
	free(h->e);
	memset(h, 0, sizeof(*h));
}

void tl_hmap_clear(struct tl_hmap *h)
{
	if (h->n)
		memset(h->e, 0, h->cap * sizeof(*h->e));
	h->n = 0;
	h->has_zero = false;
}

/* The first free slot on key's probe path (key is not stored). */
static size_t free_slot(const struct tl_hmap *h, uint64_t key)
{
	size_t mask = h->cap - 1, i = tl_hmap_slot(h, key);

	while (h->e[i].key)
		i = (i + 1) & mask;
	return i;
}

static int rehash(struct tl_hmap *h, size_t cap)
{
	struct tl_hmap n = *h;

	n.e = calloc(cap, sizeof(*n.e));
	if (!n.e)
		return -ENOMEM;
	n.cap = cap;
	n.shift = 64 - (unsigned)__builtin_ctzll(cap);
	for (size_t i = 0; i < h->cap; i++)
		if (h->e[i].key)
			n.e[free_slot(&n, h->e[i].key)] = h->e[i];
	free(h->e);
	*h = n;
	return 0;
}

/* Whether n entries fit in cap slots. */
static bool fits(const struct tl_hmap *h, size_t cap, size_t n)
{
	return h->dense ? n * 8 <= cap * 7 : n * 2 <= cap;
}

int tl_hmap_reserve(struct tl_hmap *h, size_t n)
{
	size_t cap = h->cap ? h->cap : HMAP_MIN_CAP;

	if (n > SIZE_MAX / 4)
		return -ENOMEM;
	while (!fits(h, cap, n))
		cap *= 2;
	return cap == h->cap ? 0 : rehash(h, cap);
}

/* Room for one more entry, at most half full (7/8 if dense). */
static int room_for_one(struct tl_hmap *h)
{
	if (fits(h, h->cap, h->n + 1))
		return 0;
	return rehash(h, h->cap ? h->cap * 2 : HMAP_MIN_CAP);
}

int tl_hmap_put(struct tl_hmap *h, uint64_t key, uint64_t val)
{
	uint64_t *v = tl_hmap_find(h, key);

	if (v) {
		*v = val;
		return 0;
	}
	if (room_for_one(h))
		return -ENOMEM;
	h->n++;
	if (!key) {
		h->has_zero = true;
		h->zero_val = val;
		return 0;
	}
	h->e[free_slot(h, key)] = (struct tl_hmap_ent){ key, val };
	return 0;
}

int tl_hmap_add(struct tl_hmap *h, uint64_t hash, uint64_t val)
{
	uint64_t k = tl_hmap_hkey(hash);

	if (room_for_one(h))
		return -ENOMEM;
	h->n++;
	h->e[free_slot(h, k)] = (struct tl_hmap_ent){ k, val };
	return 0;
}

/* Whether slot `home` lies cyclically in (hole, at]: an entry at `at` whose
 * probe starts there must stay behind the hole. */
static bool home_between(size_t hole, size_t at, size_t home)
{
	return hole <= at ? hole < home && home <= at : hole < home || home <= at;
}

/* Deletion without tombstones: the entries after the hole that may move
 * back into it do, so every probe path stays unbroken. */
bool tl_hmap_del(struct tl_hmap *h, uint64_t key)
{
	uint64_t *v = tl_hmap_find(h, key);
	size_t mask = h->cap - 1, hole, i;

	if (!v)
		return false;
	h->n--;
	if (!key) {
		h->has_zero = false;
		return true;
	}
	hole = (size_t)((const struct tl_hmap_ent *)
			((char *)v - offsetof(struct tl_hmap_ent, val)) - h->e);
	for (i = (hole + 1) & mask; h->e[i].key; i = (i + 1) & mask) {
		if (home_between(hole, i, tl_hmap_slot(h, h->e[i].key)))
			continue;
		h->e[hole] = h->e[i];
		hole = i;
	}
	h->e[hole].key = 0;
	return true;
}

bool tl_hmap_next(const struct tl_hmap *h, size_t *it, uint64_t *key, uint64_t *val)
{
	if (*it == 0 && h->has_zero) {
		*it = 1;
		*key = 0;
		*val = h->zero_val;
		return true;
	}
	if (*it == 0)
		*it = 1;
	for (; *it - 1 < h->cap; (*it)++) {
		const struct tl_hmap_ent *e = &h->e[*it - 1];

		if (e->key) {
			(*it)++;
			*key = e->key;
			*val = e->val;
			return true;
		}
	}
	return false;
}
