/* perfetto.h - the native Perfetto export (a protobuf trace), as the rest
 * of threadline sees it: stream every record in, finish with the model.
 * The parts and their field numbers are private (perfetto_impl.h):
 *   perfetto.c         the driver: records to the streamed parts, then the
 *                      model's tracks;
 *   perfetto_packet.c  packet framing, ClockSnapshot, SystemInfo, prev_state;
 *   perfetto_proc.c    ProcessTree packets (start snapshot, then every
 *                      process and thread as it appears, renames, execs);
 *   perfetto_sched.c   scheduling as per-CPU FtraceEventBundles (compact
 *                      switches and wakings), so the UI draws CPU and
 *                      thread-state tracks and wakeup arrows itself;
 *   perfetto_te.c      the TrackEvent writer (descriptors; each track's
 *                      events on a sequence of its own, interned names);
 *   perfetto_track.c   what the model knows, as TrackEvents: blocking
 *                      slices, wakeup flows, parallelism counters, loss;
 *   perfetto_slices.c  a thread's blocking slices, made one at a time;
 *   perfetto_flows.c   the wakeup flows between slices, found in one walk
 *                      of the wakeup edges;
 *   perfetto_usdt.c    USDT tasks/sections/marks/queues/coroutines.
 * The checker of finished traces is perfetto_check.h. Field numbers are
 * Perfetto's (docs/perfetto.md).
 */
#ifndef TL_PERFETTO_H
#define TL_PERFETTO_H

#include <stdbool.h>
#include <stdint.h>
#include "recording/recording.h"

struct tl_model;
struct pb_writer;

/* ---- scheduling ---- */
struct tl_pf_sched_stats {
	uint64_t switches;        /* written, compact or plain */
	uint64_t wakings;
	uint64_t compact_switches;
	uint64_t compact_wakings;
	uint64_t plain_events;    /* all plain ftrace events, bridges included */
	uint64_t bridges;         /* switches made up to join a gap on a CPU */
	uint64_t replayed_wakings; /* wakings written again after their
				    * wakee's switch-out (it was switching
				    * out when woken) */
	uint64_t bundles;
	uint64_t bytes;           /* of all ftrace bundle packets */
};

/* ---- track events from the model ---- */
struct tl_pf_track_stats {
	uint64_t thread_tracks, process_tracks;
	uint64_t syscall_slices;  /* blocking-syscall slices */
	uint64_t usdt_slices, usdt_instants;
	uint64_t counter_points;
	uint64_t flows;
	uint64_t deadlock_instants; /* one per thread of each deadlock */
};

/* ---- the whole export over a record stream ---- */
struct tl_pf;
struct tl_pf *tl_pf_new(struct pb_writer *w, const struct tl_rec_info *info);
/* Also draw the critical path of thread tid (latest generation) as a track
 * under it; tl_pf_finish then fails with -ENOENT when there is no such
 * thread. */
void tl_pf_set_critical_path(struct tl_pf *pf, uint32_t tid);
/* Feed every record in order (ftrace and process tree are streamed). */
void tl_pf_record(struct tl_pf *pf, const struct tl_hdr *rec);
/* Finishes the scheduling part, then writes the model's track events (m may
 * be NULL: scheduling only). Returns pb_error() or -errno. */
int tl_pf_finish(struct tl_pf *pf, const struct tl_model *m);
void tl_pf_stats(const struct tl_pf *pf, struct tl_pf_sched_stats *sched,
		 struct tl_pf_track_stats *track);
void tl_pf_free(struct tl_pf *pf);

#endif
