/* critical_path.h - where a thread's time went: its own running and
 * waiting for a CPU, and for every wait that another traced thread ended,
 * what that waker was doing meanwhile (followed back the same way, and so
 * on). The answer to "why did this take so long" when the thread itself
 * mostly waited.
 *
 * The walk goes back from the end of the window. While the thread runs or
 * waits for a CPU, that is the path. When it was blocked and a traced
 * thread woke it, the path over the wait is the waker's own path over the
 * same span; a wait ended by an interrupt or timer, or by a task outside
 * the trace, stays the thread's own (there is no one to follow).
 */
#ifndef TL_CRITICAL_PATH_H
#define TL_CRITICAL_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

#define TL_CP_MAX_DEPTH 32       /* wakers followed inside one another */
#define TL_CP_MAX_SEGS 200000    /* segments kept; the walk stops there */

/* One piece of the path, in time order. A followed wait comes first, then
 * the waker's pieces over the same span, one level deeper. */
struct tl_cp_seg {
	uint64_t start, end;
	const struct tl_thread *thread;   /* NULL: no traced thread (absent) */
	const struct tl_block *block;     /* blocked: on what */
	uint32_t other;      /* blocked: the waker (0 none / interrupt);
			      * runnable: who held the CPU (0 unknown) */
	int16_t cpu;         /* running: the CPU; runnable: queued on, or -1 */
	uint8_t state;       /* enum tl_state of thread */
	uint8_t depth;       /* 0 = the thread asked about */
	bool followed;       /* a wait whose time belongs to the waker below */
	bool irq;            /* blocked: ended by an interrupt or timer */
};

struct tl_cp {
	struct tl_cp_seg *seg;
	size_t n, cap;
	uint64_t t0, t1;     /* the window walked */
	bool truncated;      /* TL_CP_MAX_SEGS reached: the earliest part is missing */
};

/* The critical path of t over [t0, t1] (clipped to t's life; t1 = 0: to
 * its end). Returns 0, -EINVAL for an empty window or -ENOMEM. */
int tl_critical_path(const struct tl_model *m, const struct tl_thread *t, uint64_t t0,
		     uint64_t t1, struct tl_cp *out);
void tl_cp_free(struct tl_cp *cp);

/* Who held the CPU a runnable piece waited for: the preempter when the
 * switch said so, else the traced thread running on that CPU in the middle
 * of the piece (a search over every thread: call it for what is shown).
 * 0 when not known. For other pieces, s->other. */
uint32_t tl_cp_holder(const struct tl_model *m, const struct tl_cp_seg *s);

/* Time on the path per (thread, state, reason), largest first: the
 * followed waits' time counts once, under the waker's pieces. */
struct tl_cp_total {
	const struct tl_thread *thread;
	uint8_t state;
	int why;             /* enum tl_reason for blocked time, else -1 */
	uint64_t ns;
};
/* Fills out[0..max) and returns how many totals there are. */
size_t tl_cp_totals(const struct tl_cp *cp, struct tl_cp_total *out, size_t max);

#endif
