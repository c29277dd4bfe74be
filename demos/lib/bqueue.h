/* bqueue.h - a bounded blocking queue of longs for the queue demos (D1-D3),
 * in the manner of Python's queue.Queue / LifoQueue / PriorityQueue:
 * put blocks while full, get blocks while empty, the _nowait forms fail
 * instead, task_done/join count unfinished work.
 *
 * Every put and get is marked with THREADLINE_QUEUE_PUT/GET carrying the
 * depth after the operation, so a tracer can tell when a thread that blocks
 * in futex was waiting on an empty or on a full queue.
 *
 * A queue made with bq_new_shared() lives in shared memory with
 * process-shared locks, so a parent and its fork()ed children can use it
 * (multiprocessing.Queue). All functions return 0 or -errno.
 */
#ifndef BQUEUE_H
#define BQUEUE_H

#include <stdbool.h>
#include <stddef.h>

enum bq_kind {
	BQ_FIFO = 0,     /* first in, first out */
	BQ_LIFO = 1,     /* last in, first out (a stack) */
	BQ_PRIORITY = 2, /* smallest item first */
};

#define BQ_BLOCK (-1)  /* timeout_ms: wait as long as needed */
#define BQ_NOWAIT 0    /* timeout_ms: fail at once (-EAGAIN) */

struct bqueue;

/* A queue of at most `capacity` items (>= 1), in private memory. */
struct bqueue *bq_new(enum bq_kind kind, size_t capacity, const char *name);
/* The same in a MAP_SHARED mapping, usable across fork(). */
struct bqueue *bq_new_shared(enum bq_kind kind, size_t capacity, const char *name);
void bq_free(struct bqueue *q);

/* Adds `item`. Full queue: waits up to timeout_ms (BQ_BLOCK: forever);
 * -EAGAIN for BQ_NOWAIT, -ETIMEDOUT when a timed wait ran out. */
int bq_put(struct bqueue *q, long item, int timeout_ms);
/* Removes the next item. Empty queue: as bq_put. */
int bq_get(struct bqueue *q, long *item, int timeout_ms);
/* Marks one item taken by get as processed. -EINVAL if none was pending. */
int bq_task_done(struct bqueue *q);
/* Waits until every item ever put has been marked done (or timeout). */
int bq_join(struct bqueue *q, int timeout_ms);

size_t bq_size(struct bqueue *q);
bool bq_full(struct bqueue *q);
const char *bq_name(const struct bqueue *q);

#endif
