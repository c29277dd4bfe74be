/* perfetto_check.h - a checker for a finished Perfetto trace: decodes it
 * and enforces the importer's rules (docs/perfetto.md, "What the checker
 * enforces"). `export --check` and the tests use it. */
#ifndef TL_PERFETTO_CHECK_H
#define TL_PERFETTO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- checking a finished trace against the importer's rules ---- */
#define TL_PF_CHECK_CPUS 64
struct tl_pf_check {
	uint64_t packets;
	uint64_t switches[TL_PF_CHECK_CPUS];  /* compact + plain, per CPU */
	uint64_t wakings[TL_PF_CHECK_CPUS];
	uint64_t sched_bytes;                 /* bytes of bundle packets */
	uint64_t newtasks, renames, execs, exits, frees;
	uint64_t blocked_reasons;             /* sched_blocked_reason events */
	uint64_t processes, threads;          /* ProcessTree entries */
	uint64_t thread_tracks, process_tracks, counter_tracks, other_tracks;
	uint64_t slices, instants, counters;  /* TrackEvent by type */
	uint64_t flows;                       /* flow ids started */
	uint64_t lost_bundles;
	uint64_t sequences;                   /* sequences cleared */
	uint64_t delta_packets;               /* timed on an incremental clock */
	uint64_t default_track_events;        /* track from the sequence defaults */
	bool has_clock_snapshot, has_system_info;
};
/* Decodes a whole trace, fills *out and returns 0, or returns -EBADMSG
 * with the first broken rule (and the packet index) in err. Rules: see
 * docs/perfetto.md ("What the checker enforces"). */
int tl_pf_check(const void *data, size_t len, struct tl_pf_check *out,
		char *err, size_t errlen);
/* Same, also showing the caller what was decoded: every slice (track uuid,
 * name, begin, end, after the whole trace was read) and every switch and
 * waking in each CPU's time order, with the prev task of compact switches
 * filled in from the replay. Either callback may be NULL. */
enum tl_pf_sched_kind { PF_EV_SWITCH = 1, PF_EV_WAKING = 2 };
struct tl_pf_sched_ev {
	uint64_t ts;
	uint32_t cpu;
	uint8_t kind;          /* enum tl_pf_sched_kind */
	int64_t prev_state;    /* switch */
	uint32_t prev, next;   /* switch: tasks; waking: next = the wakee */
};
struct tl_pf_check_cbs {
	void (*slice)(void *ctx, uint64_t track, const char *name, uint64_t begin,
		      uint64_t end);
	void (*sched)(void *ctx, const struct tl_pf_sched_ev *ev);
	void *ctx;
};
int tl_pf_check_cb(const void *data, size_t len, struct tl_pf_check *out,
		   const struct tl_pf_check_cbs *cbs, char *err, size_t errlen);

#endif
