/* waits.h - what threads wait on, by named object: for one thread its
 * futex waits grouped by object (count, total, longest, who held it or
 * woke it most), for one process the same over all its threads (its locks
 * table, with how many threads waited and how many held each), or for
 * any set of threads (a group of alike ones). Names and
 * kinds come from the symbolizer. */
#ifndef TL_WAITS_H
#define TL_WAITS_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "symbolize.h"

struct tl_wait_stat {
	uint64_t addr;                  /* the futex address */
	const struct tl_obj_name *obj;  /* its name (owned by the symbolizer) */
	enum tl_lock_kind kind;
	uint32_t count;                 /* blocked intervals on it */
	uint64_t total_ns, longest_ns;
	uint32_t top_holder, top_holder_n; /* owner seen most often at wait time */
	uint32_t top_waker, top_waker_n;   /* thread whose wakeup ended most waits */
	uint32_t waiters, holders;      /* distinct threads waiting / seen owning */
};

/* Futex waits of t (tl_thread_waits) or of every thread of p
 * (tl_proc_waits), one entry per object, by total time, longest first.
 * Returns 0 or -ENOMEM; *out is malloc'd (NULL when none). */
int tl_thread_waits(struct tl_symbolizer *s, const struct tl_thread *t,
		    struct tl_wait_stat **out, size_t *n);
int tl_proc_waits(struct tl_symbolizer *s, const struct tl_process *p,
		  struct tl_wait_stat **out, size_t *n);
/* The same over the threads t[0..nt) (a group of alike threads). */
int tl_threads_waits(struct tl_symbolizer *s, const struct tl_thread *const *t, size_t nt,
		     struct tl_wait_stat **out, size_t *n);

#endif
