/* session.h - the kernel side of a recording: load the BPF object, probe
 * features, attach the probes of the catalogue (probes/catalogue.h), keep
 * the in-kernel filter of traced tgids, snapshot existing tasks, attach USDT.
 */
#ifndef TL_SESSION_H
#define TL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf/tl_abi.h"

struct tl_session;

struct tl_session_opts {
	uint32_t groups;      /* 1 << enum tl_group */
	bool all;             /* trace the whole system (filter lifted) */
	bool stacks;          /* off-CPU stacks (TL_STACK_RAW) on blocking */
	uint32_t ringbuf_mb;  /* per-CPU ring buffer size, MiB (0 = default) */
	int verbose;          /* libbpf debug output at >= 2 */
	bool raw_tp;          /* load the raw_tp twins, not tp_btf (as the
				 environment THREADLINE_FORCE_RAW_TP=1 does) */
};

/* Checks privileges, BTF and tracefs, opens and loads the BPF object.
 * On failure returns NULL and a one-line error in err (what to do). */
struct tl_session *tl_session_open(const struct tl_session_opts *o, char *err,
				   size_t errlen);
/* Adds a tgid to the in-kernel filter (its future children follow). */
int tl_session_add_tgid(struct tl_session *s, uint32_t tgid);
/* Attaches every probe of the selected groups. Optional ones that fail are
 * one warning on stderr each. Returns 0 or -errno with err filled. */
int tl_session_attach(struct tl_session *s, char *err, size_t errlen);
/* The targets ("category/name" or tracepoint name, as the catalogue says)
 * of the probes tl_session_attach attached, in order; *n gets how many. */
const char *const *tl_session_targets(const struct tl_session *s, size_t *n);
/* Attaches the threadline USDT probes found in binary `path` for process
 * `pid` (-1: all processes). Returns number attached or -errno. */
int tl_session_attach_usdt(struct tl_session *s, int pid, const char *path);

typedef int (*tl_record_cb)(void *ctx, const struct tl_hdr *rec);
/* Walks the tasks of the traced tgids (or all with opts.all) with the BPF
 * task iterator and calls cb with one TL_TASK_SNAP each. */
int tl_session_snapshot(struct tl_session *s, tl_record_cb cb, void *ctx);
/* With opts.stacks: a TL_STACK_RAW for every task of the traced tgids
 * that is blocked now (it may not switch out again for a long time), from
 * a sleepable task iterator. Run after tl_session_snapshot(). */
int tl_session_stack_snapshot(struct tl_session *s, tl_record_cb cb, void *ctx);
/* Moves what each CPU staged (see bpf/common.bpf.h) to its ring buffer, so
 * that the next drain sees every event up to now. Safe while probes run and
 * after detach. Returns 0 or -errno. */
int tl_session_flush_stages(struct tl_session *s);
/* The ring buffer map fds, one per CPU, and the CPU count. */
int tl_session_ringbuf_fd(const struct tl_session *s, int cpu);
int tl_session_ncpus(const struct tl_session *s);
/* Group "net": a TL_SOCK_COUNT stamped `ts` for every thread whose sends
 * and receives the kernel still holds (those that have not exited), each
 * handed to cb and then forgotten. Call after tl_session_stop. Returns 0
 * or the first error of cb. */
int tl_session_sock_counts(struct tl_session *s, uint64_t ts, tl_record_cb cb,
			   void *ctx);
/* Reads the per-CPU lost counters kept by the BPF side. */
int tl_session_lost(const struct tl_session *s, uint64_t *lost_per_cpu, int n);
/* Reads the per-CPU lost and emitted counters; returns how many CPUs. */
int tl_session_cpu_stats(const struct tl_session *s, struct tl_cpu_stats *st,
			 int n);
/* Stacks (TL_STACK_RAW) that did not fit in a ring, all CPUs: counted
 * apart from lost events, since the timeline misses nothing for them. */
uint64_t tl_session_stacks_lost(const struct tl_session *s);
/* True when the kernel refused tp_btf and the raw_tp programs are in use. */
bool tl_session_raw_tp(const struct tl_session *s);
/* Ends the recording in the kernel at once: every program stops emitting
 * (one flag in the BPF side's memory), while the probes stay attached, so
 * the end is exact however long detaching takes and nothing is lost to
 * it. Waits a moment for programs already running, and returns the stop
 * time (CLOCK_BOOTTIME ns): records stamped later are not part of the
 * recording (tl_collector_stop drops them). */
uint64_t tl_session_stop(struct tl_session *s);
/* Releasing a syscall tracepoint waits for an RCU grace period, one after
 * the other under a kernel mutex: from 150 ms to seconds in all. After
 * tl_session_stop nothing is recorded any more, so this hands the release
 * to a helper process that holds the probes until this process has exited
 * and then exits itself, releasing them: closing them here, or exiting,
 * is then immediate. Best effort (without fork or pidfds the release
 * stays here). */
void tl_session_release_later(struct tl_session *s);
/* Detaches the probes (stops new events); maps stay readable. Idempotent. */
void tl_session_detach(struct tl_session *s);
void tl_session_close(struct tl_session *s);

#endif
