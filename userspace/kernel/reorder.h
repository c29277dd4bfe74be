/* reorder.h - a bounded reorder buffer that merges records from several
 * sources (one per CPU ring, plus user space) into one stream in timestamp
 * order. Pure: no I/O, no clock; the caller decides the watermark.
 *
 * Records are copied in; a record is released once the watermark reaches
 * its timestamp. Equal timestamps keep their arrival order. A record older
 * than one already released can no longer be put in its place: it is not
 * stored, push() says so, and it is counted as late (the caller accounts
 * it as lost), so the output is never out of order and nothing vanishes
 * silently.
 */
#ifndef TL_REORDER_H
#define TL_REORDER_H

#include <stddef.h>
#include <stdint.h>
#include "bpf/tl_abi.h"

#define TL_REORDER_LATE 1

struct tl_reorder;

struct tl_reorder_stats {
	uint64_t pushed;      /* records stored */
	uint64_t released;    /* records handed out */
	uint64_t late;        /* refused: older than the last released */
	uint64_t inverted;    /* stored older than the previous of its source */
	uint64_t pending;     /* stored, not yet released */
	uint64_t peak;        /* highest pending */
	uint64_t last_ts;     /* timestamp of the last released record */
};

/* rec is valid only during the call; a non-zero return stops the release
 * (the record counts as released) and is passed back to the caller. */
typedef int (*tl_reorder_cb)(void *ctx, const struct tl_hdr *rec);

/* nsources: distinct streams the caller pushes from (for `inverted`). */
struct tl_reorder *tl_reorder_new(unsigned nsources);
void tl_reorder_free(struct tl_reorder *r);
/* Copies rec (rec->size bytes). Returns 0, TL_REORDER_LATE when refused as
 * late, -EINVAL for a record shorter than its header or a bad source,
 * -ENOMEM. */
int tl_reorder_push(struct tl_reorder *r, const struct tl_hdr *rec,
		    unsigned source);
/* Releases, in order, every record with ts <= watermark. */
int tl_reorder_release(struct tl_reorder *r, uint64_t watermark,
		       tl_reorder_cb cb, void *ctx);
/* Releases everything. */
int tl_reorder_drain(struct tl_reorder *r, tl_reorder_cb cb, void *ctx);
void tl_reorder_stats(const struct tl_reorder *r, struct tl_reorder_stats *st);

#endif
