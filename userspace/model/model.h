/* model.h - the model: recorded events in, process tree and per-thread
 * timelines out. Pure: no I/O (load/load.h reads a recording into it).
 *
 * Use:
 *   struct tl_model *m = tl_model_new(NULL);
 *   for each record in timestamp order: tl_model_feed(m, rec);
 *   tl_model_finish(m, end_ts);
 *   ... query ...
 *   tl_model_free(m);
 *
 * Every pointer returned by a query is owned by the model, read-only, and
 * valid from tl_model_finish() until tl_model_free(). Queries before finish
 * are not supported (arrays still grow). Intervals, wakeup edges and
 * series steps are stored compactly and handed out by value (copies);
 * reading one thread's intervals remembers where the read stopped, so two
 * threads of a program must not read the same model at once. All times are CLOCK_BOOTTIME ns as
 * in the records. User terms are used here: a process has a PID (the
 * kernel's tgid), a thread a TID.
 *
 * The rules (states, reasons, Unknown, loss, ordering, PID reuse) are in
 * docs/model.md; the short version is next to each type below.
 */
#ifndef TL_MODEL_H
#define TL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf/tl_abi.h"
#include "recording/recording.h"
#include "recording/syscalls.h"

/* ------------------------------------------------------------------ */
/* States and intervals                                                */

enum tl_state {
	TL_ST_UNKNOWN = 0,  /* not known: lost events, or before the first one */
	TL_ST_RUNNING = 1,  /* on a CPU (interval.cpu) */
	TL_ST_RUNNABLE = 2, /* ready, waiting for a CPU */
	TL_ST_SLEEPING = 3, /* blocked, interruptible (prev_state & 1) */
	TL_ST_UNINT = 4,    /* blocked, uninterruptible (prev_state & 2) */
	TL_ST_COUNT = 5,
};

/* Why an interval is Unknown (interval.cause for TL_ST_UNKNOWN). */
enum tl_unknown_cause {
	TL_UNK_NONE = 0,
	TL_UNK_BEFORE_FIRST = 1, /* thread not in the start snapshot: its state
				  * before its first event is not known */
	TL_UNK_LOSS = 2,         /* events were lost (TL_LOSS) while it was open */
	TL_UNK_INCONSISTENT = 3, /* a later event contradicted it (an event was
				  * missed without a loss count) */
};

/* How a Runnable interval began (interval.cause for TL_ST_RUNNABLE). */
enum tl_runnable_cause {
	TL_RUN_WOKEN = 1,     /* by a wakeup (interval.waker) */
	TL_RUN_PREEMPTED = 2, /* switched out while runnable (interval.preempted_by) */
	TL_RUN_NEW = 3,       /* created, not yet run for the first time */
	TL_RUN_SNAPSHOT = 4,  /* runnable in the start snapshot */
	TL_RUN_OTHER = 5,     /* e.g. a sleep ended by a waking seen just before */
};

/* What a blocked thread waits in and on: from struct tl_blocked at
 * switch-out (or in the start snapshot). The model keeps one copy of each
 * distinct block and every interval blocked the same way points to it. */
struct tl_block {
	enum tl_reason why;   /* category (syscalls.h) */
	int32_t sys_nr;       /* syscall, -1 if none/unknown */
	uint32_t fd_kind;     /* enum tl_fd_kind of args[0] */
	uint32_t raw_state;   /* prev_state of the switch (or snapshot state) */
	uint64_t args[3];     /* raw first three arguments */
	/* The object waited on, per category: futex -> address; socket, pipe,
	 * file, poll (epoll fd), ipc (mq fd) -> fd; child -> pid argument of
	 * wait4/waitid (-1 = any child, as a two's complement u64); sleep -> 0.
	 * has_obj says whether obj means anything. */
	uint64_t obj;
	enum tl_futex_kind futex; /* for TL_WHY_FUTEX */
	/* A lock wait (glibc mutex, PI futex): the TID the BPF side read as
	 * its owner when the thread went to sleep; 0 = none or unknown. */
	uint32_t holder;
	bool has_obj;
	uint32_t id;          /* the model's number for it; 0: no block */
};

/* One piece of a thread's timeline. A thread's intervals tile its traced
 * lifetime [thread.start, thread.end]: sorted, the first starts at start,
 * each ends where the next starts, the last ends at end, none is empty. */
struct tl_interval {
	uint64_t start, end;
	/* Sleeping/Unint: why; otherwise a block with why = NONE. Never NULL,
	 * owned by the model and shared by intervals blocked the same way. */
	const struct tl_block *block;
	/* One field, named after what it holds for the interval's state and
	 * cause (an interval has one or neither): */
	union {
		uint32_t waker;        /* Sleeping/Unint: the TID whose wakeup
					* ended it; Runnable with cause
					* TL_RUN_WOKEN: the waker; 0 = none or
					* unknown (or woken from interrupt) */
		uint32_t preempted_by; /* Runnable with cause TL_RUN_PREEMPTED:
					* the TID that took the CPU (may be a
					* task outside the trace) */
	};
	int16_t cpu;           /* Running: the CPU; Runnable: CPU queued on if
				* known; else -1 */
	uint8_t prio;          /* kernel prio at switch-in/waking (0-139),
				* TL_PRIO_UNKNOWN if not known */
	uint8_t state : 3;     /* enum tl_state */
	uint8_t cause : 3;     /* enum tl_unknown_cause / tl_runnable_cause */
	uint8_t waker_irq : 1; /* the wakeup came from interrupt context */
};
#define TL_PRIO_UNKNOWN 255

/* ------------------------------------------------------------------ */
/* Events kept per thread                                              */

/* A name a thread or process had from `ts` on. */
struct tl_name {
	uint64_t ts;
	char name[TL_COMM_LEN];
};

/* A user-level mark (USDT), in the order hit. */
struct tl_mark {
	uint64_t ts;
	uint32_t tid;
	uint32_t kind;         /* enum tl_usdt_kind */
	uint64_t args[2];      /* see enum tl_usdt_kind */
	char str[TL_USDT_STR_LEN];
};

#define TL_SC_NO_EXIT 0x1   /* enter seen, exit not (still in it at the end,
			     * or the exit was lost); ret is meaningless */
#define TL_SC_NO_ENTER 0x2  /* exit seen without its enter; start = end */

/* One syscall of the traced groups (TL_SYS_ENTER .. TL_SYS_EXIT). */
struct tl_syscall {
	uint64_t start, end;
	uint32_t tid;
	int32_t nr;
	uint32_t fd_kind;
	uint32_t flags;        /* TL_SC_* */
	uint64_t args[3];      /* its first three arguments (the record has all
				* six; nothing here reads the others) */
	int64_t ret;
};

/* ------------------------------------------------------------------ */
/* Threads and processes                                               */

struct tl_process;

/* Off-CPU stacks (record -g): a thread blocked at ts with stack `stack`
 * (tl_model_stack()). */
struct tl_offcpu {
	uint64_t ts;
	uint32_t stack;
};

/* One interned stack of the recording (TL_STACK). */
struct tl_stack_def {
	uint32_t id;           /* 0: an id the recording never defined */
	uint32_t pid;          /* the process whose addresses they are */
	uint64_t ts;           /* first seen: which memory maps apply */
	uint16_t nkern, nuser;
	uint32_t flags;        /* TL_STACK_F_* */
	const uint64_t *ips;   /* nkern kernel frames, then nuser user frames,
				* innermost first; user frames after the
				* first are return addresses */
};

/* Counters per thread (complete after finish). */
struct tl_thread_sum {
	/* Time in each state, then Sleeping+Unint time by reason but
	 * TL_WHY_NONE (whose time is not kept): read with tl_sum_ns and
	 * tl_sum_blocked_ns. Only the totals that are not 0 are kept, in that
	 * order; bit i of `kept` says whether total i is one of them. Most
	 * threads have 4 or 5 of the 15, and in a recording of many short
	 * processes all 15 would be most of what a thread costs. */
	const uint64_t *totals;
	uint32_t vcsw;            /* voluntary switches (blocked: prev_state != 0) */
	uint32_t ivcsw;           /* involuntary (preempted: prev_state == 0) */
	uint32_t wakeups_given;   /* wakeups of other threads (any task) */
	uint32_t wakeups_received;
	uint32_t wakeups_irq;     /* of those, from an interrupt or timer
				   * (no task woke it) */
	uint32_t forks;           /* child processes created */
	uint32_t clones;          /* threads created (CLONE_THREAD) */
	uint32_t futex_waits;     /* blocked intervals in futex */
	uint32_t socket_ops;      /* sends and receives on sockets
				   * (TL_SOCK_COUNT); in older recordings
				   * socket-family syscalls (TL_SYS_ENTER),
				   * or socket blocks */
	uint32_t migrations;
	uint32_t syscalls;        /* TL_SYS_ENTER records */
	uint32_t signals_received;/* TL_SIGNAL_DELIVER */
	uint16_t kept;
};
#define TL_SUM_TOTALS (TL_ST_COUNT + TL_WHY_COUNT - 1)

/* Total i of s (i < TL_SUM_TOTALS): 0 when it is not kept. */
static inline uint64_t tl_sum_total(const struct tl_thread_sum *s, unsigned i)
{
	unsigned bit = 1u << i;

	return s->kept & bit ? s->totals[__builtin_popcount(s->kept & (bit - 1))] : 0;
}

/* A thread's time in state st. */
static inline uint64_t tl_sum_ns(const struct tl_thread_sum *s, enum tl_state st)
{
	return (unsigned)st < TL_ST_COUNT ? tl_sum_total(s, st) : 0;
}

/* A thread's Sleeping+Unint time blocked for reason r (0 for
 * TL_WHY_NONE, whose time is not kept). */
static inline uint64_t tl_sum_blocked_ns(const struct tl_thread_sum *s, int r)
{
	return r > TL_WHY_NONE && r < TL_WHY_COUNT ?
		tl_sum_total(s, TL_ST_COUNT + (unsigned)r - 1) : 0;
}

#define TL_THR_SNAPSHOT 0x1  /* described by the start snapshot */
#define TL_THR_CREATED 0x2   /* its creation (fork/clone) was seen */
#define TL_THR_EXITED 0x4    /* its exit was seen (exit_code valid) */
#define TL_THR_EXECED 0x8    /* ended because another thread exec'd (or it
			      * exec'd as a non-leader and continues as the
			      * leader, see exec_to) */

struct tl_thread {
	uint32_t tid;
	uint32_t gen;           /* 0 for the first thread with this TID, +1 each reuse */
	struct tl_process *proc;
	uint64_t start, end;    /* traced lifetime; end = exit, or trace end */
	uint64_t born_ns;       /* kernel start time if known (snapshot), else start */
	uint32_t flags;         /* TL_THR_* */
	int32_t exit_code;      /* wait status from TL_EXIT when TL_THR_EXITED */
	uint32_t creator_tid;   /* thread that created it, 0 if unknown */
	uint32_t exec_to;       /* non-leader that exec'd: continues as this TID */
	/* the arrays, then their lengths: 32-bit counts, side by side, make
	 * every thread 16 bytes smaller (tens of thousands in a busy
	 * recording); a thread's items are far fewer than 2^32 */
	const struct tl_name *names;     /* nnames >= 1, in time order */
	const struct tl_mark *marks;
	const struct tl_syscall *sys;
	const struct tl_offcpu *offcpu;  /* record -g, in time order */
	uint32_t nnames;
	uint32_t niv;          /* intervals: tl_thread_iv(t, 0 .. niv - 1) */
	uint32_t nmarks, nsys, noffcpu;
	struct tl_thread_sum sum;
};

/* A program start (exec) in a process. */
struct tl_exec_ev {
	uint64_t ts;
	uint32_t tid;          /* the thread that exec'd (after: the leader) */
	uint32_t old_tid;      /* its TID before, if it was not the leader */
	char comm[TL_COMM_LEN];
	const char *filename;  /* as long as it is (most are far from the
				* record's TL_PATH_LEN bytes) */
};

#define TL_PROC_SNAPSHOT 0x1 /* existed at the start */
#define TL_PROC_FORKED 0x2   /* its fork was seen */
#define TL_PROC_EXITED 0x4   /* last thread's exit seen; exit_status valid */
#define TL_PROC_REAPED 0x8   /* reaped_ts valid */

/* One memory mapping of a process (TL_PROC_MAPS). */
struct tl_map {
	uint64_t start, end, offset;
	uint32_t stack_tid;   /* a thread whose stack it was, 0 unknown */
	uint8_t prot;         /* TL_MAP_* */
	uint8_t build_id_len;
	uint8_t build_id[TL_MAP_BUILD_ID_MAX];
	const char *path;     /* "" anonymous, "[heap]", "/usr/lib/..." */
};
/* A process's maps as read at ts (sorted by start). */
struct tl_maps_snap {
	uint64_t ts;
	const struct tl_map *maps;
	size_t n;
};

struct tl_process {
	uint32_t pid;
	uint32_t gen;           /* 0 for the first process with this PID, +1 each reuse */
	uint32_t ppid;          /* parent PID (latest known), 0 unknown */
	struct tl_process *parent; /* parent process in the model, or NULL */
	uint32_t uid;           /* from TL_PROC_INFO, (uint32_t)-1 unknown */
	uint64_t start, end;    /* traced lifetime: fork or first sight .. exit
				 * of its last thread, or trace end */
	uint64_t born_ns;       /* kernel start time if known, else start */
	uint64_t reaped_ts;     /* when its parent's wait returned it (zombie
				 * interval = [end, reaped_ts]): exact from a
				 * traced wait4 result, else inferred from the
				 * parent's wait (see docs/model.md) */
	uint32_t flags;         /* TL_PROC_* */
	int32_t exit_status;    /* wait status: WIFEXITED/WEXITSTATUS/WTERMSIG */
	const char *cmdline;    /* latest TL_PROC_INFO, args space-separated, or "" */
	const struct tl_name *names; size_t nnames; /* >= 1 */
	const struct tl_exec_ev *execs; size_t nexecs;
	struct tl_thread *const *threads; size_t nthreads; /* creation order */
	struct tl_process *const *children; size_t nchildren; /* fork order */
	const struct tl_maps_snap *maps; size_t nmaps; /* in time order */
};

/* ------------------------------------------------------------------ */
/* Edges between threads                                               */

struct tl_wakeup_ev {
	uint64_t ts;
	uint32_t waker;        /* TID that woke it; 0 when it came from an
				* interrupt (irq) or the idle task */
	uint32_t wakee;
	/* The model's threads (tl_model_thread() index), TL_NO_THREAD when
	 * not traced: the wakee, and the waker when it was the one current. */
	uint32_t waker_idx, wakee_idx;
	/* Since when the waker had been Running or Runnable (it has not
	 * blocked since then); 0 when waker_idx is TL_NO_THREAD. */
	uint64_t waker_awake_since;
	int32_t target_cpu;
	bool irq;              /* from interrupt context: waker is not the cause */
	bool new_task;         /* TL_WAKEUP_NEW (first wakeup of a new task) */
	bool effective;        /* it ended a Sleeping/Unint/Unknown interval
				* (false: wakee was already Running/Runnable) */
};
#define TL_NO_THREAD UINT32_MAX

struct tl_fork_ev {
	uint64_t ts;
	uint32_t parent_tid, parent_pid;
	uint32_t child_tid, child_pid;
	uint64_t clone_flags;  /* from TL_NEWTASK, 0 if only TL_FORK was seen */
	bool thread;           /* CLONE_THREAD: a thread, not a process */
};

struct tl_exit_ev {
	uint64_t ts;
	uint32_t tid, pid;
	int32_t exit_code;     /* wait status */
	bool group_dead;       /* last thread of the process */
	uint64_t reaped_ts;    /* group_dead only: when reaped, 0 unknown */
	uint32_t reaper_tid;   /* who reaped it, 0 unknown */
};

struct tl_signal_ev {
	uint64_t ts;
	uint32_t sender, sender_pid;   /* TL_SIGNAL_GEN: current task */
	uint32_t target, target_pid;
	int32_t sig, code, result;
	bool delivered;        /* a TL_SIGNAL_DELIVER record (sender = target) */
	uint64_t handler;      /* TL_SIGNAL_DELIVER: sa_handler */
};

struct tl_loss_ev {
	uint64_t ts;
	uint16_t cpu;
	uint64_t lost_new, lost_total;
};

/* ------------------------------------------------------------------ */
/* Parallelism: per process step function over time                   */

/* From ts until the next step's ts (or the end of the series), `running`
 * threads were Running and `runnable` Runnable; `unknown` threads had an
 * Unknown state (counted in neither). Concurrency = running + runnable. */
struct tl_step {
	uint64_t ts;
	uint16_t running, runnable, unknown;
};

struct tl_stepvec;

#define TL_SERIES_LEVELS 65 /* levels 0..63 exactly, 64 = "64 or more" */

/* A series' totals over its whole span: what is left of a long series
 * when tl_model_opts.series_totals_only (analysis.h reads them). */
struct tl_series_sum {
	uint64_t start;                  /* its first step's ts */
	uint64_t known_ns, unknown_ns;   /* with no thread / some thread Unknown */
	double par_sum, conc_sum;        /* sum of running x ns, and of
					  * (running + runnable) x ns */
	uint32_t max_par, max_conc;      /* over steps lasting > 0 ns */
	uint64_t par_ns[TL_SERIES_LEVELS], conc_ns[TL_SERIES_LEVELS];
};
/* Adds step s, lasting d ns, to the totals o (the one way totals are
 * made, here and by the statistics over a window, so both agree). */
void tl_series_sum_add(struct tl_series_sum *o, const struct tl_step *s, uint64_t d);

struct tl_series {
	size_t nsteps;         /* steps: tl_series_step(s, 0 .. nsteps - 1) */
	uint64_t end;          /* end of the last step */
	const struct tl_stepvec *sv; /* the model's (stored compactly) */
	/* series_totals_only: its totals, and no steps (nsteps 0), once it
	 * had more than ~136; else NULL */
	const struct tl_series_sum *sum;
};
/* Step i of s (i < s->nsteps), decoded. */
struct tl_step tl_series_step(const struct tl_series *s, size_t i);

/* ------------------------------------------------------------------ */
/* The model                                                           */

struct tl_model_opts {
	bool all_tasks;        /* every task is traced (recording made with --all) */
	uint32_t recorder_pid; /* but this process, which made the recording:
				* seen only as the other side of events */
	/* keep in tl_thread.sys only the syscalls the thread blocked in (and
	 * those whose enter was not seen): what the Perfetto export draws as
	 * slices. The per-thread counts still count every syscall. */
	bool blocking_syscalls_only;
	/* leave out series no one will ask for, which are then empty: the
	 * whole trace's (tl_model_series) and each process tree's
	 * (tl_proc_tree_series; a tree of one process still shares its own).
	 * Each costs 16 bytes per change, as the processes' own series do:
	 * on a -a recording ~14 MiB per million records apiece. */
	bool no_trace_series;
	bool no_tree_series;
	/* count wakeup edges (tl_model_nwakeups) without keeping them:
	 * tl_model_wakeup and tl_model_count_wakeups have none to read.
	 * ~6 to 8 bytes an edge (model_wake.c), up to one per two records. */
	bool no_wakeup_edges;
	/* the caller reads the wakeup edges once, in order (tl_model_wakeup
	 * with i rising from 0, as the Perfetto export's flows do): the
	 * store gives back what lies before the group being read, so it
	 * shrinks as the caller's own structures grow. An edge read past is
	 * gone (so is tl_model_count_wakeups' and tl_model_check's walk). */
	bool wakeup_edges_read_once;
	/* count fork, exit and signal edges (tl_model_nforks, tl_model_nexits,
	 * tl_model_nsignals) without keeping them: tl_model_fork, tl_model_exit,
	 * tl_model_signal and tl_proc_nforks have none to read. 40 to 48 bytes
	 * an edge; a recording of many short processes has a fork and an exit
	 * edge for every thread. */
	bool no_task_edges;
	/* keep only the totals (tl_series.sum) of a series of more than
	 * ~136 steps (the size of the totals), added up as it is built: for a caller that asks
	 * only for whole-span statistics (8 bytes a step, ~1 per record in
	 * the processes' series and as many in the trees'). */
	bool series_totals_only;
	/* build no process's own series (tl_proc_series is then empty, and
	 * so are the tree and trace series that would have shared its steps):
	 * the caller streams each with tl_proc_series_each instead, keeping
	 * none of its steps (8 bytes each, ~1 per record). */
	bool proc_series_streamed;
};

struct tl_model_stats {
	uint64_t start, end;          /* first record ts .. finish end_ts */
	uint64_t records;             /* accepted */
	uint64_t per_type[TL_MAX_TYPES];
	uint64_t out_of_order;        /* rejected: ts earlier than the previous one */
	uint64_t malformed;           /* rejected: too short for its type, unknown type */
	uint64_t inconsistencies;     /* events contradicting the current state */
	uint64_t unmatched_sys_exit;
	uint64_t lost_total;          /* sum of TL_LOSS lost_new */
	uint64_t loss_records;
	uint64_t first_loss_ts, last_loss_ts; /* 0 if none */
	uint32_t ncpus;               /* highest CPU seen + 1 */
};

struct tl_model;

struct tl_model *tl_model_new(const struct tl_model_opts *o); /* o may be NULL */
/* Feeds one record. Records must come in non-decreasing ts order: an
 * earlier one is rejected (-ERANGE) and counted in out_of_order, the model
 * staying as it was; a record too short for its type or of an unknown type
 * gets -EINVAL (counted in malformed). TL_TRAILER sets nothing but the end.
 * -ENOMEM on allocation failure (the model is then unusable). */
int tl_model_feed(struct tl_model *m, const struct tl_hdr *rec);
/* Closes every open interval at end_ts (0: the last record's ts; an end_ts
 * before the last record is raised to it), builds the summaries and the
 * parallelism series. Returns 0 or -ENOMEM. Call once. */
int tl_model_finish(struct tl_model *m, uint64_t end_ts);
void tl_model_free(struct tl_model *m);

const struct tl_model_stats *tl_model_stats(const struct tl_model *m);
/* Checks the invariants (tiling of every thread, sorted edges). Returns 0,
 * or -1 with a one-line description in err. */
int tl_model_check(const struct tl_model *m, char *err, size_t errlen);

/* ---- processes ---- */
size_t tl_model_nprocs(const struct tl_model *m);
const struct tl_process *tl_model_proc(const struct tl_model *m, size_t i); /* first-seen order */
/* The process with this PID alive at ts (start <= ts <= end); ts = 0: the
 * latest generation. NULL if none. */
const struct tl_process *tl_model_find_proc(const struct tl_model *m, uint32_t pid,
					    uint64_t ts);
const char *tl_proc_name(const struct tl_process *p); /* latest name */
/* What to call the process: its executable's name at its last exec (the
 * basename of the path, not cut to a comm's 15 bytes), else the name it
 * was created or found with. Names and titles a program gives itself
 * later (prctl, a rewritten argv read as its command line) do not change
 * it; they stay in names[] and cmdline. */
const char *tl_proc_label(const struct tl_process *p);
const char *tl_proc_name_at(const struct tl_process *p, uint64_t ts);
/* Exit code (WEXITSTATUS) if it exited normally, else -1. */
int tl_proc_exit_code(const struct tl_process *p);
/* Terminating signal if killed by one, else 0. */
int tl_proc_exit_signal(const struct tl_process *p);
/* Child processes forked by p (fork edges from any of its threads). */
size_t tl_proc_nforks(const struct tl_model *m, const struct tl_process *p);

/* ---- threads ---- */
size_t tl_model_nthreads(const struct tl_model *m);
const struct tl_thread *tl_model_thread(const struct tl_model *m, size_t i);
/* The thread with this TID alive at ts; ts = 0: the latest generation. */
const struct tl_thread *tl_model_find_thread(const struct tl_model *m, uint32_t tid,
					     uint64_t ts);
const char *tl_thread_name(const struct tl_thread *t); /* latest name */
const char *tl_thread_name_at(const struct tl_thread *t, uint64_t ts);
/* Threads of p whose latest name is name: fills out[0..max) in creation
 * order and returns how many there are (may exceed max). out may be NULL. */
size_t tl_proc_threads_named(const struct tl_process *p, const char *name,
			     const struct tl_thread **out, size_t max);
/* Interval i of t (i < t->niv), decoded: intervals are read only through
 * this and tl_thread_iv_find() (the model stores them compactly, see
 * model_iv.c), so a pointer to one is to the caller's copy. */
struct tl_interval tl_thread_iv(const struct tl_thread *t, size_t i);
/* Index of t's interval containing ts (start <= ts < end), or t->niv. */
size_t tl_thread_iv_find(const struct tl_thread *t, uint64_t ts);
/* The interval of t containing ts (start <= ts < end) into *out: false,
 * *out untouched, if none. */
bool tl_thread_at(const struct tl_thread *t, uint64_t ts, struct tl_interval *out);
/* The block with this id (tl_block.id; 0: the none block). id must be one
 * the model gave. */
const struct tl_block *tl_model_block(const struct tl_model *m, uint32_t id);
/* Name of any task seen, traced or not ("" if never seen). */
const char *tl_model_task_name(const struct tl_model *m, uint32_t tid);
/* Whether the TID belongs to a traced process (has a struct tl_thread). */
bool tl_model_is_traced(const struct tl_model *m, uint32_t tid);

/* Interval filter for sums and counts. Zeroed = every interval. */
#define TL_F_STATE(s) (1u << (s))
#define TL_F_BLOCKED (TL_F_STATE(TL_ST_SLEEPING) | TL_F_STATE(TL_ST_UNINT))
struct tl_iv_filter {
	uint32_t states;       /* mask of TL_F_STATE(); 0 = any */
	uint64_t t0, t1;       /* clip window; t1 = 0: no window */
	bool by_reason;  enum tl_reason why;
	bool by_sys;     int32_t sys_nr;
	bool by_obj;     uint64_t obj;   /* tl_block.obj (futex address, fd...) */
	bool by_waker;   uint32_t waker;
	bool by_cpu;     int16_t cpu;
};
/* Total ns of t's intervals matching f (clipped to the window). */
uint64_t tl_thread_sum_ns(const struct tl_thread *t, const struct tl_iv_filter *f);
/* Number of t's intervals matching f (overlapping the window). */
size_t tl_thread_count_iv(const struct tl_thread *t, const struct tl_iv_filter *f);
/* Shorthand: time of t in state st over [t0, t1] (t1 = 0: whole life). */
uint64_t tl_thread_state_ns(const struct tl_thread *t, enum tl_state st,
			    uint64_t t0, uint64_t t1);

/* USDT marks of t of one kind (0 = any kind), in order: fills out like
 * tl_proc_threads_named and returns the total count. */
size_t tl_thread_marks(const struct tl_thread *t, uint32_t kind,
		       const struct tl_mark **out, size_t max);

/* ---- off-CPU stacks (record -g) ---- */
/* The stack recorded when the blocked interval iv of t began, 0 if none. */
uint32_t tl_thread_iv_stack(const struct tl_thread *t, const struct tl_interval *iv);
/* Stack id, or NULL when the recording defines no such stack. */
const struct tl_stack_def *tl_model_stack(const struct tl_model *m, uint32_t id);
size_t tl_model_nstacks(const struct tl_model *m); /* ids are 1..n */
/* The kernel function containing addr (recorded TL_KSYMs): its name and
 * *off = addr - its start; NULL when none was recorded. */
const char *tl_model_ksym(const struct tl_model *m, uint64_t addr, uint64_t *off);

/* ---- the far ends of sockets (TL_SOCK_PEER) ---- */
/* What the BPF side read of a socket a thread of process pid blocked on
 * through fd, told at ts (the first block on it, and again when its remote
 * end changed). */
struct tl_peer {
	uint64_t ts;
	uint32_t pid, fd;
	uint64_t ino;          /* the socket's inode number */
	uint32_t peer_pid;     /* AF_UNIX: the peer credentials' PID, 0 unknown */
	uint16_t family;       /* AF_UNIX, AF_INET, AF_INET6, ... */
	uint16_t type;         /* SOCK_STREAM, SOCK_DGRAM, ... */
	uint16_t sport, dport; /* inet: local and remote port (0: unconnected) */
	uint8_t state;         /* TCP state (10: listening) */
	uint8_t daddr[16];     /* inet: remote address, network order */
};
/* Sorted by PID, fd and time. */
size_t tl_model_npeers(const struct tl_model *m);
const struct tl_peer *tl_model_peer(const struct tl_model *m, size_t i);
/* The record of (pid, fd) in force at ts: the latest at or before it (a
 * block's record carries the block's own start); NULL if none. */
const struct tl_peer *tl_model_peer_at(const struct tl_model *m, uint32_t pid,
				       uint32_t fd, uint64_t ts);

/* ---- edges (all in timestamp order) ---- */
size_t tl_model_nwakeups(const struct tl_model *m); /* kept or not */
/* Edge i (i < tl_model_nwakeups, when kept), decoded: stored compactly
 * (model_wake.c); a walk in order decodes each once. */
struct tl_wakeup_ev tl_model_wakeup(const struct tl_model *m, size_t i);
/* Wakeups from waker to wakee in [t0, t1] (0 = any TID; t1 = 0: no window). */
size_t tl_model_count_wakeups(const struct tl_model *m, uint32_t waker,
			      uint32_t wakee, uint64_t t0, uint64_t t1);
/* Fork, exit and signal edges: counted whether kept or not (no_task_edges),
 * read while kept (i < the count; NULL past the end). */
size_t tl_model_nforks(const struct tl_model *m);
const struct tl_fork_ev *tl_model_fork(const struct tl_model *m, size_t i);
size_t tl_model_nexits(const struct tl_model *m);
const struct tl_exit_ev *tl_model_exit(const struct tl_model *m, size_t i);
size_t tl_model_nsignals(const struct tl_model *m);
const struct tl_signal_ev *tl_model_signal(const struct tl_model *m, size_t i);
size_t tl_model_nlosses(const struct tl_model *m);
const struct tl_loss_ev *tl_model_loss(const struct tl_model *m, size_t i);
/* Every USDT mark of every thread, in timestamp order. */
size_t tl_model_nmarks(const struct tl_model *m);
const struct tl_mark *tl_model_mark(const struct tl_model *m, size_t i);

/* ---- parallelism series ---- */
/* Over the threads of one process, from p->start to p->end. */
const struct tl_series *tl_proc_series(const struct tl_process *p);
/* The steps of tl_proc_series(p) as they would be kept, built again from
 * the threads' intervals and handed to fn one by one, in time order,
 * without keeping them (tl_model_opts.proc_series_streamed). 0 or -ENOMEM
 * (then fn may have seen some of them; -EOVERFLOW for a thread of more
 * than 2^32 intervals). */
typedef void (*tl_step_fn)(void *arg, const struct tl_step *s);
int tl_proc_series_each(const struct tl_process *p, tl_step_fn fn, void *arg);
/* Over p and all its descendant processes (the program as a whole). */
const struct tl_series *tl_proc_tree_series(const struct tl_process *p);
/* Over every traced thread, from stats.start to stats.end. */
const struct tl_series *tl_model_series(const struct tl_model *m);

const char *tl_state_name(enum tl_state s);   /* "running", "runnable", ... */

#endif
