/* waitfor.h - the wait-for graph of a recording and the deadlocks in it.
 *
 * An edge says "thread W waited, over [start, end), for thread T": W slept
 * on a mutex whose owner (read by the BPF side when W went to sleep) was
 * T, W waited in wait4/waitid for a child process whose main thread is T,
 * or W sat in pthread_join on T. A set of edges that closes a cycle while
 * all of them hold at once is a deadlock when the cycle still stood when
 * its threads ended or the recording stopped, or lasted at least a
 * threshold. A thread waiting on a mutex it owns is a cycle of one. */
#ifndef TL_WAITFOR_H
#define TL_WAITFOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

enum tl_edge_kind {
	TL_EDGE_LOCK = 1,   /* waits on a mutex the target holds */
	TL_EDGE_CHILD,      /* waits for the target's process to end */
	TL_EDGE_JOIN,       /* waits for the target thread to end */
};

struct tl_wait_edge {
	uint32_t waiter, target;   /* TIDs */
	uint64_t start, end;       /* the waiter's blocked interval */
	enum tl_edge_kind kind;
	bool unresolved;           /* the wait never ended by the target's
				    * doing: the waiter ended (killed) or the
				    * recording stopped while it waited */
	const struct tl_thread *waiter_t, *target_t; /* NULL in synthetic tests */
	const struct tl_block *block;                /* the waiter's block; idem */
};

#define TL_CYCLE_MAX 16 /* longer cycles are not searched */

struct tl_deadlock {
	size_t n;                  /* threads (and edges) in the cycle */
	struct tl_wait_edge e[TL_CYCLE_MAX]; /* e[i].target == e[(i+1) % n].waiter */
	uint64_t since, until;     /* when all of its edges held at once */
	bool unresolved;           /* still standing at the end */
	/* Threads outside the cycle stuck behind it: each waited, while the
	 * cycle stood, for one of its threads (directly, at most
	 * TL_CYCLE_MAX of them). */
	size_t nbehind;
	struct tl_wait_edge behind[TL_CYCLE_MAX];
};

#define TL_DEADLOCK_THRESHOLD_NS 500000000ull /* a cycle lasting this long */

/* The thread with TID tid alive at ts. A thread the model only starts a
 * little later counts when the kernel had started it by ts: the start
 * snapshot lists tasks one after another, so a lock's owner may come
 * after its waiter. */
const struct tl_thread *tl_thread_alive(const struct tl_model *m, uint32_t tid, uint64_t ts);

/* The holder of the lock t waits on in iv, when the owner the BPF side
 * read names a thread that can own it (of t's process for a private
 * futex); NULL otherwise. */
const struct tl_thread *tl_block_holder(const struct tl_model *m, const struct tl_thread *t,
				       const struct tl_interval *iv);

/* Every edge of the model (sorted by waiter, then start). Returns 0 or
 * -ENOMEM; *out is malloc'd. */
int tl_wait_edges(const struct tl_model *m, struct tl_wait_edge **out, size_t *n);

/* The cycles among edges (any order; sorted in place) that are deadlocks
 * by the rules above, each once, in order of `since`. Returns 0 or
 * -ENOMEM; *out is malloc'd (NULL when none). */
int tl_find_deadlocks(struct tl_wait_edge *e, size_t n, uint64_t threshold_ns,
		      struct tl_deadlock **out, size_t *nout);

/* Both steps over a model. */
int tl_model_deadlocks(const struct tl_model *m, uint64_t threshold_ns,
		       struct tl_deadlock **out, size_t *nout);

const char *tl_edge_kind_name(enum tl_edge_kind k); /* "lock", "child", "join" */

#endif
