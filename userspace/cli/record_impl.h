/* record_impl.h - what the files of `threadline record` share: the state
 * of one run and the helpers that cross files (record_cmd.c runs it,
 * record_targets.c finds and checks what it traces). */
#ifndef TL_RECORD_IMPL_H
#define TL_RECORD_IMPL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "kernel/collector.h"
#include "kernel/launch.h"
#include "kernel/procmaps.h"
#include "kernel/session.h"
#include "record_cmd.h"
#include "record_stacks.h"
#include "recording/recording.h"
#include "util/vec.h"

struct rec {
	const struct tl_record_opts *o;
	struct tl_session *s;
	struct tl_collector *c;
	struct tl_writer *w;
	struct tl_maps_tracker *maps;
	struct tl_rec_stacks *stacks; /* -g */
	struct tl_launch child;
	bool launched, child_execd;
	struct tl_creds creds;
	char exe[PATH_MAX];      /* the resolved command */
	int werr;                /* first write error */
	uint64_t rejected;       /* records the writer refused */
	uint64_t last_flush_ns, target_gone_ns;
	uint64_t start_ns;       /* record started (for -v timings) */
	uint64_t until_ns;       /* -d: the end, 0 without */
	uint64_t first_ts;       /* where the data starts, -d counts from
				  * there: when attaching begins (events of
				  * running targets flow from then on), or for
				  * a launched command, which runs only once
				  * all is attached, the snapshot */
	uint32_t ncpus;
	struct tl_vec tree;      /* pid_t: -p, the descendants found at the start */
	struct tl_vec early_tids; /* uint32_t: -p, tasks of the snapshot before attaching */
	struct tl_vec seen_tids; /* uint32_t: live tasks of the snapshot after attaching */
	int pidfds[TL_RECORD_MAX_PIDS + 1]; /* targets, to wake at their exit */
	int npidfds;
	struct tl_vec early;     /* uint64_t words: -p, records taken before attaching */
	char err[512];
};

#define fail_line(...) (fprintf(stderr, "threadline record: " __VA_ARGS__), \
			fputc('\n', stderr))
/* A usage error (exit status 2), as every subcommand says one: the error
 * in one line, then where to look. */
#define USAGE_HINT "Try 'threadline record --help'.\n"
#define usage_line(...) (fail_line(__VA_ARGS__), fputs(USAGE_HINT, stderr))

/* CLOCK_BOOTTIME now, in ns: the clock of every record. */
uint64_t tl_rec_boot_ns(void);
/* A TL_PROC_INFO for pid from /proc at ts; false when the process is gone. */
bool tl_rec_proc_info(pid_t pid, uint64_t ts, uint16_t cpu, struct tl_proc_info *pi,
		      size_t cap);

/* ---- record_targets.c ---- */
/* Checks the -p PIDs (a TID stands for its process); 0, or the exit
 * status: 1 no such process, 2 a kernel thread (a usage error). */
int tl_rec_check_pids(struct tl_record_opts *o);
/* -p: the tasks and identities of the targets just before attaching. */
void tl_rec_early_snapshot(struct rec *r);
/* A task of the snapshot after attaching that died since the early one
 * (its entry from before stands). */
bool tl_rec_died_since_early(const struct rec *r, const struct tl_task_snap *s);
/* Notes a task the snapshot after attaching found alive. */
int tl_rec_note_seen(struct rec *r, uint32_t tid);
/* Injects what the early snapshot took of the tasks the later one no
 * longer found. */
int tl_rec_inject_early(struct rec *r);
/* Adds the existing descendants of the -p processes; 0 or exit status 1. */
int tl_rec_add_descendants(struct rec *r);

#endif
