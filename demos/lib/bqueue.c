/* bqueue.c - the blocking queue of the queue demos: one mutex, three
 * condition variables (not empty, not full, all done), items kept as a ring
 * (FIFO), a stack (LIFO) or a binary min-heap (priority). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bqueue.h"
#include "probes/threadline_usdt.h"

struct bqueue {
	pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	pthread_cond_t all_done;
	enum bq_kind kind;
	bool shared;
	size_t cap;
	size_t count;
	size_t head;       /* FIFO: index of the oldest item */
	size_t unfinished; /* put but not yet task_done */
	size_t map_len;
	char name[32];
	long items[];
};

static size_t bq_bytes(size_t capacity)
{
	return sizeof(struct bqueue) + capacity * sizeof(long);
}

static int bq_init_sync(struct bqueue *q)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int pshared = q->shared ? PTHREAD_PROCESS_SHARED : PTHREAD_PROCESS_PRIVATE;
	int err;

	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, pshared);
	err = pthread_mutex_init(&q->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	if (err)
		return -err;
	pthread_condattr_init(&ca);
	pthread_condattr_setpshared(&ca, pshared);
	/* timed waits measure CLOCK_MONOTONIC so clock steps cannot stretch them */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->not_empty, &ca);
	pthread_cond_init(&q->not_full, &ca);
	pthread_cond_init(&q->all_done, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

static struct bqueue *bq_setup(struct bqueue *q, enum bq_kind kind,
			       size_t capacity, const char *name, bool shared)
{
	q->kind = kind;
	q->cap = capacity;
	q->shared = shared;
	q->map_len = shared ? bq_bytes(capacity) : 0;
	strncpy(q->name, name ? name : "queue", sizeof(q->name) - 1);
	if (bq_init_sync(q) < 0) {
		bq_free(q);
		return NULL;
	}
	return q;
}

struct bqueue *bq_new(enum bq_kind kind, size_t capacity, const char *name)
{
	struct bqueue *q;

	if (capacity == 0 || kind > BQ_PRIORITY) {
		errno = EINVAL;
		return NULL;
	}
	q = calloc(1, bq_bytes(capacity));
	return q ? bq_setup(q, kind, capacity, name, false) : NULL;
}

struct bqueue *bq_new_shared(enum bq_kind kind, size_t capacity, const char *name)
{
	struct bqueue *q;

	if (capacity == 0 || kind > BQ_PRIORITY) {
		errno = EINVAL;
		return NULL;
	}
	q = mmap(NULL, bq_bytes(capacity), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED)
		return NULL;
	return bq_setup(q, kind, capacity, name, true);
}

void bq_free(struct bqueue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->all_done);
	if (q->shared)
		munmap(q, q->map_len);
	else
		free(q);
}

/* ---- storage: ring, stack or heap ------------------------------------- */

static void heap_swap(long *a, long *b)
{
	long t = *a;

	*a = *b;
	*b = t;
}

static void heap_push(struct bqueue *q, long item)
{
	size_t i = q->count;

	q->items[i] = item;
	while (i > 0 && q->items[(i - 1) / 2] > q->items[i]) {
		heap_swap(&q->items[(i - 1) / 2], &q->items[i]);
		i = (i - 1) / 2;
	}
}

static long heap_pop(struct bqueue *q)
{
	long top = q->items[0];
	size_t n = q->count - 1, i = 0;

	q->items[0] = q->items[n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < n && q->items[l] < q->items[m])
			m = l;
		if (r < n && q->items[r] < q->items[m])
			m = r;
		if (m == i)
			break;
		heap_swap(&q->items[m], &q->items[i]);
		i = m;
	}
	return top;
}

static void store(struct bqueue *q, long item)
{
	if (q->kind == BQ_FIFO)
		q->items[(q->head + q->count) % q->cap] = item;
	else if (q->kind == BQ_LIFO)
		q->items[q->count] = item;
	else
		heap_push(q, item);
	q->count++;
}

static long take(struct bqueue *q)
{
	long item;

	if (q->kind == BQ_FIFO) {
		item = q->items[q->head];
		q->head = (q->head + 1) % q->cap;
	} else if (q->kind == BQ_LIFO) {
		item = q->items[q->count - 1];
	} else {
		item = heap_pop(q);
	}
	q->count--;
	return item;
}

/* ---- waiting ----------------------------------------------------------- */

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits on cond (lock held) until stop_waiting(q) holds. */
static int wait_until(struct bqueue *q, pthread_cond_t *cond,
		      bool (*stop_waiting)(const struct bqueue *), int timeout_ms)
{
	struct timespec dl;

	if (timeout_ms > 0)
		deadline_after(&dl, timeout_ms);
	while (!stop_waiting(q)) {
		int err;

		if (timeout_ms == BQ_NOWAIT)
			return -EAGAIN;
		if (timeout_ms < 0)
			err = pthread_cond_wait(cond, &q->lock);
		else
			err = pthread_cond_timedwait(cond, &q->lock, &dl);
		if (err == ETIMEDOUT && !stop_waiting(q))
			return -ETIMEDOUT;
	}
	return 0;
}

static bool has_room(const struct bqueue *q) { return q->count < q->cap; }
static bool has_item(const struct bqueue *q) { return q->count > 0; }
static bool all_done(const struct bqueue *q) { return q->unfinished == 0; }

int bq_put(struct bqueue *q, long item, int timeout_ms)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_until(q, &q->not_full, has_room, timeout_ms);
	if (!err) {
		store(q, item);
		q->unfinished++;
		THREADLINE_QUEUE_PUT(q, q->count, q->name);
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

int bq_get(struct bqueue *q, long *item, int timeout_ms)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_until(q, &q->not_empty, has_item, timeout_ms);
	if (!err) {
		*item = take(q);
		THREADLINE_QUEUE_GET(q, q->count, q->name);
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->lock);
	return err;
}

int bq_task_done(struct bqueue *q)
{
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->unfinished == 0)
		err = -EINVAL;
	else if (--q->unfinished == 0)
		pthread_cond_broadcast(&q->all_done);
	pthread_mutex_unlock(&q->lock);
	return err;
}

int bq_join(struct bqueue *q, int timeout_ms)
{
	int err;

	pthread_mutex_lock(&q->lock);
	err = wait_until(q, &q->all_done, all_done, timeout_ms);
	pthread_mutex_unlock(&q->lock);
	return err;
}

size_t bq_size(struct bqueue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

bool bq_full(struct bqueue *q)
{
	return bq_size(q) >= q->cap;
}

const char *bq_name(const struct bqueue *q)
{
	return q->name;
}
