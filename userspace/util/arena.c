/* arena.c - the bump allocator of arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Chunks small enough to come from the heap, below malloc's threshold for
 * mapping a block on its own, so that they fill the holes freed objects
 * leave as single objects did; a chunk and malloc's header (two words)
 * are a whole number of pages. */
#define ARENA_CHUNK (32u * 1024u)
#define ARENA_MALLOC_HDR (2 * sizeof(size_t))

struct tl_arena_chunk {
	struct tl_arena_chunk *next;
	alignas(max_align_t) unsigned char mem[];
};

/* A chunk for a request that does not fit the head's room: a big one goes
 * behind the head so the head keeps filling. */
static void *arena_grow(struct tl_arena *a, size_t n)
{
	size_t room = n > ARENA_CHUNK / 16 ? n :
		ARENA_CHUNK - ARENA_MALLOC_HDR - sizeof(struct tl_arena_chunk);
	struct tl_arena_chunk *c;

	if (room > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + room);
	if (!c)
		return NULL;
	if (room == n && a->head) {
		c->next = a->head->next;
		a->head->next = c;
		return c->mem;
	}
	c->next = a->head;
	a->head = c;
	a->size = room;
	a->used = n;
	return c->mem;
}

void *tl_arena_alloc(struct tl_arena *a, size_t n, size_t align)
{
	size_t at = (a->used + align - 1) & ~(align - 1);
	void *p;

	n = n ? n : 1;
	if (a->head && at <= a->size && a->size - at >= n) {
		p = a->head->mem + at;
		a->used = at + n;
	} else {
		p = arena_grow(a, n);
		if (!p)
			return NULL;
	}
	memset(p, 0, n);
	return p;
}

void tl_arena_free(struct tl_arena *a)
{
	struct tl_arena_chunk *c = a->head;

	while (c) {
		struct tl_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->used = a->size = 0;
}
