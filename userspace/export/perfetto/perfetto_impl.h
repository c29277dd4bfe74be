/* perfetto_impl.h - what the parts of the Perfetto export share: Perfetto's
 * field numbers, packet framing, and each part's interface (see perfetto.h
 * for the list of parts). Not for use outside export/perfetto/ (the tests
 * of the parts aside). */
#ifndef TL_PERFETTO_IMPL_H
#define TL_PERFETTO_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pb.h"
#include "perfetto.h"

/* ---- field numbers ---- */
enum {
	/* Trace */
	PF_TRACE_PACKET = 1,
	/* TracePacket */
	PF_TP_FTRACE_EVENTS = 1,
	PF_TP_PROCESS_TREE = 2,
	PF_TP_CLOCK_SNAPSHOT = 6,
	PF_TP_TIMESTAMP = 8,
	PF_TP_SEQ_ID = 10,
	PF_TP_TRACK_EVENT = 11,
	PF_TP_INTERNED_DATA = 12,
	PF_TP_SEQ_FLAGS = 13,
	PF_TP_PREV_DROPPED = 42,      /* previous_packet_dropped */
	PF_TP_SYSTEM_INFO = 45,
	PF_TP_CLOCK_ID = 58,          /* timestamp_clock_id */
	PF_TP_DEFAULTS = 59,          /* trace_packet_defaults */
	PF_TP_TRACK_DESCRIPTOR = 60,
	/* TracePacketDefaults / TrackEventDefaults */
	PF_DEF_CLOCK_ID = 58,
	PF_DEF_TRACK_EVENT = 11,
	PF_TED_TRACK_UUID = 11,
	/* ClockSnapshot / Clock */
	PF_CS_CLOCKS = 1,
	PF_CS_PRIMARY = 2,
	PF_CLK_ID = 1,
	PF_CLK_TS = 2,
	PF_CLK_INCREMENTAL = 3,
	PF_CLK_UNIT_NS = 4,
	/* SystemInfo / Utsname */
	PF_SI_UTSNAME = 1,
	PF_SI_SERVICE_VERSION = 4,
	PF_SI_NUM_CPUS = 8,
	PF_UTS_SYSNAME = 1,
	PF_UTS_RELEASE = 3,
	PF_UTS_MACHINE = 4,
	/* ProcessTree */
	PF_PT_PROCESSES = 1,
	PF_PT_THREADS = 2,
	PF_PROC_PID = 1,
	PF_PROC_PPID = 2,
	PF_PROC_CMDLINE = 3,
	PF_PROC_UID = 5,
	PF_PROC_START = 7,
	PF_PROC_CMDLINE_IS_COMM = 9,
	PF_THR_TID = 1,
	PF_THR_NAME = 2,
	PF_THR_TGID = 3,
	/* FtraceEventBundle */
	PF_FB_CPU = 1,
	PF_FB_EVENT = 2,
	PF_FB_LOST = 3,
	PF_FB_COMPACT = 4,
	/* CompactSched */
	PF_CS_SW_TS = 1,
	PF_CS_SW_PREV_STATE = 2,
	PF_CS_SW_NEXT_PID = 3,
	PF_CS_SW_NEXT_PRIO = 4,
	PF_CS_INTERN = 5,
	PF_CS_SW_NEXT_COMM = 6,
	PF_CS_WK_TS = 7,
	PF_CS_WK_PID = 8,
	PF_CS_WK_CPU = 9,
	PF_CS_WK_PRIO = 10,
	PF_CS_WK_COMM = 11,
	PF_CS_WK_FLAGS = 12,
	/* common_flags bits (the kernel's trace entry flags): the importer
	 * sets thread_state.irq_context for a waking with either */
	PF_FLAG_HARDIRQ = 0x08,
	PF_FLAG_SOFTIRQ = 0x10,
	/* FtraceEvent */
	PF_FE_TS = 1,
	PF_FE_PID = 2,
	PF_FE_SCHED_SWITCH = 4,
	PF_FE_COMMON_FLAGS = 5,       /* FtraceEvent.common_flags (tests read it) */
	PF_FE_BLOCKED_REASON = 18,    /* sched_blocked_reason */
	PF_FE_SCHED_WAKING = 20,
	PF_FE_TASK_NEWTASK = 235,
	PF_FE_TASK_RENAME = 236,
	PF_FE_PROCESS_EXEC = 237,
	PF_FE_PROCESS_EXIT = 238,
	PF_FE_PROCESS_FREE = 240,
	/* sched_switch */
	PF_SW_PREV_COMM = 1,
	PF_SW_PREV_PID = 2,
	PF_SW_PREV_PRIO = 3,
	PF_SW_PREV_STATE = 4,
	PF_SW_NEXT_COMM = 5,
	PF_SW_NEXT_PID = 6,
	PF_SW_NEXT_PRIO = 7,
	/* sched_blocked_reason */
	PF_BR_PID = 1,
	PF_BR_CALLER = 2,             /* iid of an interned kernel symbol */
	PF_BR_IO_WAIT = 3,
	/* sched_waking */
	PF_WK_COMM = 1,
	PF_WK_PID = 2,
	PF_WK_PRIO = 3,
	PF_WK_SUCCESS = 4,
	PF_WK_TARGET_CPU = 5,
	/* TrackDescriptor */
	PF_TD_UUID = 1,
	PF_TD_NAME = 2,
	PF_TD_PROCESS = 3,
	PF_TD_THREAD = 4,
	PF_TD_PARENT = 5,
	PF_TD_COUNTER = 8,
	PF_TD_SIBLING_RANK = 12,       /* sibling_order_rank */
	PF_TD_DESCRIPTION = 14,
	PF_TD_PROCESS_ORDERING = 19,
	PF_PROCESS_ORDERING_EXPLICIT = 1,
	PF_PD_PID = 1,
	PF_PD_NAME = 6,
	PF_TDS_PID = 1,
	PF_TDS_TID = 2,
	PF_TDS_NAME = 5,
	PF_CD_UNIT = 3,
	/* TrackEvent */
	PF_TE_CATEGORY_IIDS = 3,
	PF_TE_DEBUG = 4,
	PF_TE_TYPE = 9,
	PF_TE_NAME_IID = 10,
	PF_TE_TRACK_UUID = 11,
	PF_TE_NAME = 23,
	PF_TE_COUNTER_VALUE = 30,
	PF_TE_FLOW_IDS = 47,
	PF_TE_TERM_FLOW_IDS = 48,
	/* DebugAnnotation */
	PF_DA_NAME_IID = 1,
	PF_DA_UINT = 3,
	PF_DA_INT = 4,
	PF_DA_STRING = 6,
	PF_DA_POINTER = 7,
	PF_DA_NAME = 10,
	PF_DA_STRING_IID = 17,
	/* InternedData */
	PF_ID_CATEGORIES = 1,
	PF_ID_EVENT_NAMES = 2,
	PF_ID_DEBUG_NAMES = 3,
	PF_ID_KERNEL_SYMBOLS = 26,
	PF_ID_DEBUG_STRINGS = 29,     /* debug_annotation_string_values */
	PF_IID = 1,
	PF_INAME = 2,
};

enum pf_te_type {
	PF_SLICE_BEGIN = 1,
	PF_SLICE_END = 2,
	PF_INSTANT = 3,
	PF_COUNTER = 4,
};

#define PF_CLOCK_REALTIME 1
#define PF_CLOCK_BOOTTIME 6
#define PF_SEQ_CLEARED 1      /* SEQ_INCREMENTAL_STATE_CLEARED */
#define PF_SEQ_NEEDS 2        /* SEQ_NEEDS_INCREMENTAL_STATE */
#define PF_SEQ_META 2         /* clock, system info, process tree */
#define PF_SEQ_FTRACE 1       /* ftrace bundles */
#define PF_SEQ_TRACK 3        /* track descriptors */
#define PF_SEQ_TE_FIRST 4     /* the first track's own event sequence */
#define PF_CLOCK_SEQ_FIRST 64 /* sequence-scoped clocks: 64..127 */
#define PF_CLOCK_SEQ_LAST 127
#define PF_CLOCK_TE 64        /* each event sequence's incremental clock */
#define PF_CLONE_THREAD 0x10000ULL

/* Opens a TracePacket (Trace.packet); ts 0 / seq 0 / flags 0 are omitted. */
void tl_pf_packet_begin(struct pb_writer *w, uint64_t ts, uint32_t seq,
			uint32_t flags);
static inline void tl_pf_packet_end(struct pb_writer *w) { tl_pb_end(w); }

/* The first packets: ClockSnapshot (BOOTTIME and REALTIME, BOOTTIME
 * primary), then SystemInfo (utsname from the recording's kernel). */
void tl_pf_write_preamble(struct pb_writer *w, const struct tl_rec_info *info);

/* ---- sched_switch prev_state as Perfetto decodes it ---- */
/* Maps a recorded prev_state (__state & 0xff) and preempt flag to the value
 * the kernel's own sched_switch tracepoint would report on a >= 4.14
 * kernel: preempted -> 0x100 (R+), S 1, D 2, T 4, t 8, P 0x40, a dead task
 * (TASK_DEAD) -> 0x10 (X), or 0x20 (Z) for a process leader. */
int64_t tl_pf_prev_state(int64_t state, bool preempt, bool leader);

/* ---- process tree ---- */
struct tl_pf_proc;
/* all_traced: recorded with --all, every task is traced but the
 * recorder's (recorder_pid, 0 unknown). */
struct tl_pf_proc *tl_pf_proc_new(struct pb_writer *w, bool all_traced,
				  uint32_t recorder_pid);
/* Learns from one record; new or changed processes/threads are queued. */
void tl_pf_proc_record(struct tl_pf_proc *p, const struct tl_hdr *rec);
/* Writes the queued entries as one ProcessTree packet (if any). */
void tl_pf_proc_flush(struct tl_pf_proc *p);
void tl_pf_proc_free(struct tl_pf_proc *p);

struct tl_pf_sched;
/* ncpus: CPUs of the recording; bundle_max: compact events of one kind
 * per CPU bundle before it is written (0: default, 16384, also the most). */
struct tl_pf_sched *tl_pf_sched_new(struct pb_writer *w, uint32_t ncpus,
				    unsigned bundle_max);
void tl_pf_sched_record(struct tl_pf_sched *s, const struct tl_hdr *rec);
/* Writes every pending bundle and the frees still due. */
void tl_pf_sched_finish(struct tl_pf_sched *s);
void tl_pf_sched_stats(const struct tl_pf_sched *s, struct tl_pf_sched_stats *st);
void tl_pf_sched_free(struct tl_pf_sched *s);

/* ---- why threads blocked (perfetto_blocked.c) ----
 * sched_blocked_reason events, one when a wait of at least
 * TL_PF_BLOCKED_MIN_NS ends, queued per CPU and written with the CPU's
 * next bundle; their names (the syscall a thread blocked in) are interned
 * as kernel_symbols on the ftrace sequence. */
#define TL_PF_BLOCKED_MIN_NS 1000000ull
struct tl_pf_blocked;
struct tl_pf_blocked *tl_pf_blocked_new(void);
void tl_pf_blocked_free(struct tl_pf_blocked *b);
/* tid switched out at ts blocked in name (a static string). */
int tl_pf_blocked_block(struct tl_pf_blocked *b, uint32_t tid, uint64_t ts,
			const char *name, bool io_wait);
/* A waking of tid on cpu at ts ends its wait: an event is queued for cpu
 * when the wait was long enough. */
int tl_pf_blocked_wake(struct tl_pf_blocked *b, uint16_t cpu, uint32_t tid,
		       uint64_t ts);
/* tid is not blocked any more without a waking (it ran on, or ended). */
void tl_pf_blocked_forget(struct tl_pf_blocked *b, uint32_t tid);
bool tl_pf_blocked_pending(const struct tl_pf_blocked *b, uint16_t cpu);
/* In an open packet: InternedData with the names not yet written; returns
 * whether it wrote any. */
bool tl_pf_blocked_interned(struct tl_pf_blocked *b, struct pb_writer *w);
/* In an open FtraceEventBundle: cpu's queued events, then forgets them. */
void tl_pf_blocked_events(struct tl_pf_blocked *b, struct pb_writer *w,
			  uint16_t cpu);

/* ---- track-event writer (perfetto_te.c) ----
 * Descriptors go on sequence PF_SEQ_TRACK. Each track's events go on a
 * sequence of their own, started at the track's first event: that packet
 * clears the sequence's state, sets its defaults (clock PF_CLOCK_TE, the
 * track) and snapshots PF_CLOCK_TE, an incremental clock, against BOOTTIME.
 * An event then carries the time since the previous one on its track and
 * no track uuid; an event earlier than that carries its absolute BOOTTIME
 * time instead. Names are interned per sequence, on first use. */
enum tl_pf_arg_kind { PF_ARG_UINT, PF_ARG_INT, PF_ARG_STR, PF_ARG_PTR };
/* Debug annotation names, interned once at the start of the sequence. */
enum tl_pf_arg_name {
	PF_A_ADDRESS = 1, PF_A_FD, PF_A_FD_KIND, PF_A_BYTES, PF_A_RESULT,
	PF_A_REASON, PF_A_BLOCKED_NS, PF_A_WOKEN_BY, PF_A_VALUE, PF_A_ID,
	PF_A_COMMAND, PF_A_TARGET, PF_A_VERSION, PF_A_HOST, PF_A_KERNEL,
	PF_A_LOST, PF_A_SYSCALL, PF_A_STATE, PF_A_QUEUE, PF_A_LOCK, PF_A_LOCK_KIND,
	PF_A_HELD_BY, PF_A_STACK, PF_A_COUNT
};
struct tl_pf_arg {
	uint8_t name;          /* enum tl_pf_arg_name */
	uint8_t kind;          /* enum tl_pf_arg_kind */
	uint64_t u;            /* UINT, PTR; INT as two's complement */
	const char *s;         /* STR */
};
#define PF_MAX_ARGS 9
struct tl_pf_ev {
	uint64_t ts;
	uint64_t track;
	uint8_t type;                 /* enum pf_te_type */
	const char *name;             /* interned; NULL for ends and counters */
	const struct tl_pf_arg *args; unsigned nargs;
	const uint64_t *flows; unsigned nflows;        /* flow_ids */
	const uint64_t *term_flows; unsigned nterm;    /* terminating_flow_ids */
	int64_t value;                /* counters */
};
struct tl_pf_te;
/* A writer over w. ts (the recording's start) is not needed any more: each
 * track's sequence starts at its own first event. */
struct tl_pf_te *tl_pf_te_new(struct pb_writer *w, uint64_t ts);
void tl_pf_te_free(struct tl_pf_te *te);
/* Track descriptors. parent 0 = none. A process or thread track's
 * descriptor is parsed at its packet's time ts, when the importer binds
 * the pid/tid to the process or thread alive then: ts must lie inside the
 * task's life, after its task_newtask (tl_pf_life_ts). */
void tl_pf_te_process_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			    const char *name, uint64_t ts, int32_t rank);
/* The root descriptor (uuid 0) saying process tracks are ordered by their
 * rank: the importer gives each process a sort hint from it, which the
 * UI's process list sorts by (lowest first, processes without one at 0). */
void tl_pf_te_process_order(struct tl_pf_te *te);
void tl_pf_te_thread_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			   uint32_t tid, const char *name, uint64_t ts);
/* A time inside a task's life [start, end] strictly after its start: the
 * importer parses non-ftrace packets before ftrace events of the same
 * timestamp, so at `start` itself the task_newtask creating it would come
 * after them. */
static inline uint64_t tl_pf_life_ts(uint64_t start, uint64_t end)
{
	return start < end ? start + 1 : start;
}
void tl_pf_te_named_track(struct tl_pf_te *te, uint64_t uuid, uint64_t parent,
			  const char *name, const char *description, bool counter);
void tl_pf_te_event(struct tl_pf_te *te, const struct tl_pf_ev *ev);
/* The track will have no more events: its sequence's state is dropped
 * (an event on it after all would start a new sequence). */
void tl_pf_te_track_done(struct tl_pf_te *te, uint64_t track);
/* A slice [begin, end] on a track whose slices never overlap: a begin at
 * or before the track's previous end is moved just after it, and a slice
 * left empty is dropped (returns false). *last holds the previous end. */
bool tl_pf_te_slice(struct tl_pf_te *te, uint64_t *last, uint64_t track,
		    uint64_t begin, uint64_t end, const char *name,
		    const struct tl_pf_arg *args, unsigned nargs);
uint64_t tl_pf_te_uuid(struct tl_pf_te *te);   /* a fresh track uuid */
struct tl_pf_te_stats {
	uint64_t sequences;       /* event sequences started (one per track) */
	uint64_t delta_events;    /* events timed on their sequence's clock */
	uint64_t absolute_events; /* events before their track's previous one */
};
void tl_pf_te_stats(const struct tl_pf_te *te, struct tl_pf_te_stats *st);
/* Track uuids of model processes and threads. */
uint64_t tl_pf_proc_uuid(uint32_t pid, uint32_t gen);
uint64_t tl_pf_thread_uuid(uint32_t tid, uint32_t gen);

/* ---- a thread's blocking slices (perfetto_slices.c) ----
 * Made one at a time from the thread's intervals, in order; each is
 * handed out once the next begins (till then later intervals of its
 * syscall add to it). 40 bytes: the writer widens it to what it draws. */
#define PF_BS_SC 0x3fffffffu      /* sc: 1 + index in t->sys, 0 none */
#define PF_BS_UNINT 0x40000000u   /* state TL_ST_UNINT */
#define PF_BS_WRITTEN 0x80000000u /* something is left of it on the track
				   * after the previous one */
struct tl_pf_bslice {
	uint64_t start, end;
	uint64_t blocked_ns;
	uint32_t blk;                    /* tl_block.id (tl_model_block) */
	uint32_t sc;                     /* PF_BS_* */
	uint32_t waker;
	uint32_t stack;                  /* record -g: its first interval's */
};
struct tl_thread;
struct tl_pf_slice_it {
	const struct tl_thread *t;
	size_t i, k;                     /* next interval; syscall reached */
	struct tl_pf_bslice last;        /* made, not handed out yet */
	uint64_t wend;                   /* end of the last one written */
	bool have, stacks;
	bool sorted;                     /* no slice ended before the one
					  * before it (so far) */
};
/* stacks: fill bslice.stack (else 0). */
void tl_pf_slices_begin(struct tl_pf_slice_it *it, const struct tl_thread *t,
			bool stacks);
/* The next slice into *b; false after the last. */
bool tl_pf_slices_next(struct tl_pf_slice_it *it, struct tl_pf_bslice *b);
/* The slice's begin on its track, given the previous slice's end there:
 * slices of one thread never overlap. 0 when nothing is left of it. */
uint64_t tl_pf_slice_begin(uint64_t start, uint64_t end, uint64_t last);

/* ---- flows along wakeup chains (perfetto_flows.c) ----
 * A flow goes from the waker's last blocking slice before a wakeup, when
 * it has not blocked since that slice ended, to the wakee's slice the
 * wakeup ended; both written (PF_BS_WRITTEN), at most PF_SLICE_FLOWS
 * leaving and as many ending at one slice (the first ones), so every flow
 * that is terminated was also started. Ids are 1, 2, ... in the order of
 * the wakeups. The wakeup edges are read once, in order
 * (tl_model_opts.wakeup_edges_read_once lets the model free them as they
 * are read); what each thread's slices need is kept in two byte streams
 * of its own, about three bytes a flow each. */
#define PF_SLICE_FLOWS 64
struct tl_pf_flows;
struct tl_model;
/* NULL when out of memory. */
struct tl_pf_flows *tl_pf_flows_find(const struct tl_model *m);
void tl_pf_flows_free(struct tl_pf_flows *f);
uint64_t tl_pf_flows_count(const struct tl_pf_flows *f);
/* Reading thread ti's flows, its slices in order (their index counting
 * every slice tl_pf_slices_next hands out). */
struct tl_pf_flow_cur {               /* one direction */
	const uint8_t *p, *end;          /* what is left of the stream */
	uint32_t *pairs;                 /* or, owned, (slice, id) pairs in
					  * order: for a thread whose slices
					  * do not end in order */
	size_t npairs, at;
	uint32_t slice, id;              /* the entry read ahead */
	bool have;
};
struct tl_pf_flow_rd {
	struct tl_pf_flows *f;
	size_t ti;
	struct tl_pf_flow_cur out, in;
	uint64_t ids_out[PF_SLICE_FLOWS], ids_in[PF_SLICE_FLOWS];
};
/* 0 or -ENOMEM. */
int tl_pf_flows_open(struct tl_pf_flows *f, size_t ti, struct tl_pf_flow_rd *rd);
/* The ids of the flows leaving slice i and of those ending at it into
 * ev's flows and term_flows (slices asked for in rising order). */
void tl_pf_flows_at(struct tl_pf_flow_rd *rd, uint32_t i, struct tl_pf_ev *ev);
/* Done with the thread: its streams are freed. */
void tl_pf_flows_close(struct tl_pf_flow_rd *rd);

/* USDT marks as tracks: tasks and sections as slices (on as many lanes
 * under the process as overlaps need), marks as instants on the thread,
 * queue depths as counters, coroutines each on a track (perfetto_usdt.c). */
int tl_pf_write_usdt(struct tl_pf_te *te, const struct tl_model *m,
		     struct tl_pf_track_stats *st);
/* Each deadlock as an instant on each of its threads (perfetto_deadlock.c).
 * They are found before the slices are written, so that a thread's track
 * can be done with once its slices are, unless a deadlock instant is yet
 * to come on it. */
struct tl_deadlock;
struct tl_pf_deadlocks {
	struct tl_deadlock *d;
	size_t nd;
	const struct tl_thread **waiters;   /* of all, sorted */
	size_t nwaiters;
	bool all_wait;                      /* not known: take every thread */
	int err;                            /* finding them */
};
void tl_pf_deadlocks_find(struct tl_pf_deadlocks *dl, const struct tl_model *m);
/* Whether thread t gets a deadlock instant. */
bool tl_pf_deadlocks_waits(const struct tl_pf_deadlocks *dl, const struct tl_thread *t);
void tl_pf_deadlocks_free(struct tl_pf_deadlocks *dl);
int tl_pf_write_deadlocks(struct tl_pf_te *te, const struct tl_pf_deadlocks *dl,
			  const struct tl_model *m, struct tl_pf_track_stats *st);
/* The critical path of thread tid (0: none) as a track under it, with a
 * flow at each hand-over (perfetto_cpath.c). -ENOENT: no such thread. */
int tl_pf_write_critical_path(struct tl_pf_te *te, const struct tl_model *m, uint32_t tid,
			      struct tl_pf_track_stats *st);
/* Writes descriptors and events for everything in the finished model
 * (through perfetto_te.c), and the critical path of cp_tid (0: none).
 * Returns 0 or -errno. */
int tl_pf_write_tracks(struct pb_writer *w, const struct tl_model *m,
		       const struct tl_rec_info *info, uint32_t cp_tid,
		       struct tl_pf_track_stats *st);

#endif
