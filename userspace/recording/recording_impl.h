/* recording_impl.h - what the recording module's files share and no other
 * folder uses: the reader's background decompressor (unpack.c). */
#ifndef TL_RECORDING_IMPL_H
#define TL_RECORDING_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/vec.h"

/* Decompresses the next zstd block on a thread of its own while the
 * reader's caller works through the current one, so that reading a
 * compressed recording costs the caller's thread little more than reading
 * a raw one (on a machine with a CPU to spare). One block at a time. */
struct tl_unpacker;

struct tl_unpacker *tl_unpacker_new(void);
void tl_unpacker_free(struct tl_unpacker *u);
/* Starts decompressing a copy of the n stored bytes at src, those of the
 * block at file offset off, expected to give raw_len bytes. False when a
 * block is still in hand or memory is short: the reader then decompresses
 * the block itself when it gets there. */
bool tl_unpacker_start(struct tl_unpacker *u, uint64_t off, const void *src,
		       size_t n, size_t raw_len);
/* The block at off, if it was started: waits for it and, when it gave
 * exactly its raw_len bytes, swaps them into out (bytes) and returns true.
 * Anything else (another block, a damaged one) returns false and the
 * reader decompresses, or reports, the block itself. */
bool tl_unpacker_take(struct tl_unpacker *u, uint64_t off, struct tl_vec *out);

#endif
