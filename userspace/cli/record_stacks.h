/* record_stacks.h - `record -g`, the record command's side of off-CPU
 * stacks: raw stacks unwound as the collector drains them (with their
 * process's maps read then), the start-of-trace stack snapshot, and the
 * interning in time order into what the file keeps. Private to cli/. */
#ifndef TL_RECORD_STACKS_H
#define TL_RECORD_STACKS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "bpf/tl_abi.h"
#include "kernel/procmaps.h"
#include "kernel/stacks.h"

/* Where records go: appended to the file (in time order), or injected
 * into the ordered stream (with a time of their own). */
struct tl_rec_stacks_io {
	tl_stack_emit_fn *append;
	tl_stack_emit_fn *inject;
	void *ctx;
	struct tl_maps_tracker *maps; /* may be NULL: no names */
};

struct tl_rec_stacks;

/* After the BPF object is loaded (its programs' frames are dropped by
 * their names in /proc/kallsyms). NULL on allocation failure. */
struct tl_rec_stacks *tl_rec_stacks_new(const struct tl_rec_stacks_io *io);
void tl_rec_stacks_free(struct tl_rec_stacks *s);
/* The launched command, let go at release_ns: its stacks before its exec
 * are threadline's own code waiting to start it, and are dropped. */
void tl_rec_stacks_launched(struct tl_rec_stacks *s, pid_t pid, uint64_t release_ns);
/* The collector's hook (tl_stack_hook) for a drained TL_STACK_RAW. */
const struct tl_hdr *tl_rec_stacks_drained(void *s, const struct tl_hdr *raw);
/* The session's stack snapshot callback (tl_record_cb). */
int tl_rec_stacks_snapshot(void *s, const struct tl_hdr *raw);
/* Every record in time order: consumes the stack ones (returns 1 for
 * them, they are not to be appended as they are), follows execs, forks
 * and exits; 0 for the others, or -errno. */
int tl_rec_stacks_record(struct tl_rec_stacks *s, const struct tl_hdr *h);
/* The line record prints at the end. */
void tl_rec_stacks_summary(const struct tl_rec_stacks *s, FILE *f, uint64_t lost);

#endif
