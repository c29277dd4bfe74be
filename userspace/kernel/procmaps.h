/* procmaps.h - a process's memory mappings, read from /proc while it is
 * alive and turned into TL_PROC_MAPS records (bpf/tl_abi.h), so that lock
 * addresses and stacks can be named offline after the process is gone; and
 * the tracker that decides when `record` reads them again: a process first
 * seen, an exec, or a futex address outside every mapping read so far (a
 * library loaded later, a new heap or stack). */
#ifndef TL_PROCMAPS_H
#define TL_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "bpf/tl_abi.h"

/* Receives each record of one capture (several when the list is long). */
typedef int tl_maps_emit_fn(void *ctx, const struct tl_hdr *rec);

struct tl_maps_tracker;

struct tl_maps_tracker *tl_maps_tracker_new(void);
void tl_maps_tracker_free(struct tl_maps_tracker *t);

/* Whether addr of process tgid lies outside what was captured of it, and a
 * new capture is allowed (at most one per process per 50 ms of trace
 * time, so an address that is never mapped cannot cause a storm). */
bool tl_maps_need(struct tl_maps_tracker *t, uint32_t tgid, uint64_t addr,
		  uint64_t ts);
/* Forgets what was captured of tgid (after an exec its maps are new). */
void tl_maps_forget(struct tl_maps_tracker *t, uint32_t tgid);

/* Reads /proc/<pid>/maps (with build ids of the files and the threads
 * whose stack pointer lies in each mapping) and emits it as TL_PROC_MAPS
 * records stamped ts/cpu; the tracker (may be NULL) remembers the ranges.
 * Returns 0, -ENOENT when the process is gone, or the first error of emit. */
int tl_maps_capture(struct tl_maps_tracker *t, pid_t pid, uint64_t ts,
		    uint16_t cpu, tl_maps_emit_fn *emit, void *ctx);

/* The owner of the lock a task blocked in a futex wait is sleeping on,
 * read now from its process's memory (/proc/<pid>/mem), the way the BPF
 * side reads it at switch-out: a glibc mutex's __owner (futex + 8) for a
 * wait with value 2, a PI futex word's owner bits. 0 when not a lock wait
 * or unreadable. For threads already blocked when tracing starts. */
uint32_t tl_futex_owner_now(pid_t pid, const struct tl_blocked *why);

#endif
