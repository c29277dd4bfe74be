/* group.h - many threads (or processes) that are one thing: a pool's
 * `worker-1` .. `worker-16`, 160 `sched-messaging` children, a JVM's
 * `GC Thread#0..7`. Names that differ only in their numbers share a
 * pattern (`worker-N`); a report shows a group as one row with totals and
 * its worst member, so a program with hundreds of threads stays readable.
 */
#ifndef TL_GROUP_H
#define TL_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

#define TL_PATTERN_LEN 32

/* The name's pattern: every run of digits becomes "N" ("worker-12" ->
 * "worker-N", "pool-1-thread-3" -> "pool-N-thread-N"); other bytes are
 * kept. Always NUL-terminated, cut to TL_PATTERN_LEN - 1 bytes. */
void tl_name_pattern(const char *name, char out[TL_PATTERN_LEN]);

struct tl_thread_group {
	char pattern[TL_PATTERN_LEN];
	size_t n;                          /* members */
	uint64_t ns[TL_ST_COUNT];          /* time in each state, summed */
	const struct tl_thread *worst;     /* the member that waited longest
					    * (blocked + runnable) */
	size_t first;                      /* index in the input of its first member */
};

/* Groups threads[0..n) by name pattern, in order of first appearance.
 * out must hold n entries; returns the number of groups. */
size_t tl_group_threads(const struct tl_thread *const *threads, size_t n,
			struct tl_thread_group *out);

/* Processes alike: siblings with no children of their own whose labels
 * (tl_proc_label) share a pattern, as a shell's thousand `true`s or a
 * benchmark's forty `sched-messaging` workers. */
struct tl_proc_group {
	char pattern[TL_PATTERN_LEN];
	size_t n;                          /* members */
	size_t first;                      /* index in the input of its first member */
	size_t nthreads;                   /* of all members */
	uint64_t start, end;               /* first start, last end */
	const struct tl_process *sample;   /* the first member */
	bool same_exit;                    /* every member ended as the first */
};

/* Groups procs[0..n) by label pattern, in order of first appearance.
 * out must hold n entries; group_of (NULL, or n entries) gets each
 * process's group in out. Returns the number of groups (0 when out of
 * memory). */
size_t tl_group_procs(const struct tl_process *const *procs, size_t n,
		      struct tl_proc_group *out, size_t *group_of);

/* Waiting time of a thread: blocked plus runnable, what makes it "worst". */
uint64_t tl_thread_wait_ns(const struct tl_thread *t);

#endif
