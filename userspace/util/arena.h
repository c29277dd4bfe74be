/* arena.h - a bump allocator for many small objects that all live as long
 * as their owner: they come from big chunks, cost no per-object header,
 * and are given back together by tl_arena_free. Nothing is freed alone.
 */
#ifndef TL_UTIL_ARENA_H
#define TL_UTIL_ARENA_H

#include <stddef.h>

struct tl_arena_chunk;

struct tl_arena {
	struct tl_arena_chunk *head;    /* the chunk being filled; older ones follow */
	size_t used, size;              /* bytes of head in use, and its room */
};

/* n bytes aligned to align (a power of two, at most that of max_align_t:
 * alignof the type, 1 for a string), zeroed; NULL when out of memory.
 * A request over 2 KiB gets a block of its own. */
void *tl_arena_alloc(struct tl_arena *a, size_t n, size_t align);
/* Gives back every chunk; the arena is empty and usable again. */
void tl_arena_free(struct tl_arena *a);

#endif
