/* perfetto_check_impl.h - what the parts of the trace checker share (see
 * perfetto_check.h for the public interface):
 *   perfetto_check.c        the driver: packets in the importer's order,
 *                           sequences, interning, clocks, SystemInfo;
 *   perfetto_check_sched.c  ftrace bundles replayed per CPU (compact and
 *                           plain events) and ProcessTree entries;
 *   perfetto_check_te.c     track descriptors, track events, and after the
 *                           last packet the nesting of slices and flows.
 * Not for use outside export/perfetto/. */
#ifndef TL_PERFETTO_CHECK_IMPL_H
#define TL_PERFETTO_CHECK_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "perfetto_check.h"
#include "perfetto_impl.h"
#include "util/hmap.h"
#include "util/vec.h"

#define MAX_CPU 1024
#define NO_TASK UINT64_MAX

/* A sequence-scoped clock, related to BOOTTIME by one ClockSnapshot. */
struct seq_clock {
	uint32_t id;                     /* 64..127 */
	bool incremental;
	uint64_t unit;                   /* ns per tick */
	uint64_t last;                   /* incremental: the clock's value, ns */
	int64_t to_boot;                 /* BOOTTIME - this clock, ns */
};

struct seq {
	uint32_t id;
	bool cleared;
	struct tl_vec names;             /* char *: event name iid -> name */
	struct tl_vec dbg;               /* bool: debug annotation iids defined */
	struct tl_vec strs;              /* bool: annotation string value iids */
	struct tl_vec ksyms;             /* bool: kernel_symbols iids defined */
	bool has_defaults, def_track_set;
	uint32_t def_clock;              /* TracePacketDefaults.timestamp_clock_id */
	uint64_t def_track;              /* track_event_defaults.track_uuid */
	struct tl_vec clocks;            /* struct seq_clock */
};

struct cpu_state {
	uint64_t cur;        /* task on the CPU per the switches so far */
	uint64_t last_ts;
	bool primed;
};

struct tslice { uint64_t track, begin, end; char *name; size_t order; };
struct track { uint64_t uuid; bool counter; };
struct term { uint64_t id, ts; };
#define MAX_TRACKS (1u << 19)    /* the most tracks one check follows */

struct ck {
	struct tl_pf_check *out;
	char *err; size_t errlen;
	uint64_t pkt;
	bool failed;
	struct cpu_state cpus[MAX_CPU];
	struct tl_vec seqs;              /* struct seq */
	struct tl_hmap seq_idx;          /* sequence id -> index in seqs */
	struct tl_vec tracks;            /* struct track */
	struct tl_hmap track_idx;        /* declared uuid -> index in tracks */
	struct tl_vec sl;                /* struct tslice */
	struct tl_vec flows;             /* uint64_t: started flow ids */
	struct tl_vec terms;             /* struct term */
	struct tl_pf_check_cbs cbs;
	/* the packet being read; ts is BOOTTIME once resolved */
	uint64_t ts; bool has_ts; uint32_t seq_id, flags, clock_id;
	bool delta;                       /* ts came from an incremental clock */
};

/* Records the first broken rule (with the packet index); returns false. */
bool tl_pfck_fail(struct ck *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a zeroed element to v; NULL (and the check failed) when out of
 * memory. */
void *tl_pfck_push(struct ck *c, struct tl_vec *v, size_t elsz);
struct seq *tl_pfck_seq_at(const struct ck *c, size_t i);
struct tslice *tl_pfck_sl_at(const struct ck *c, size_t i);
/* The state of sequence id, created on first use (NULL: out of memory). */
struct seq *tl_pfck_seq_of(struct ck *c, uint32_t id);
/* Whether v (bool, by iid) has iid set. */
static inline bool tl_pfck_flag_at(const struct tl_vec *v, uint64_t iid)
{
	return iid < v->n && TL_VEC_AT(v, bool, iid);
}
/* Whether message m has fields a and b (0: not needed). */
bool tl_pfck_has_fields(const struct pb_field *m, uint32_t a, uint32_t b);

/* perfetto_check_sched.c: a FtraceEventBundle, a ProcessTree. */
bool tl_pfck_bundle(struct ck *c, const struct pb_field *bf);
bool tl_pfck_tree(struct ck *c, const struct pb_field *pt);
/* perfetto_check_te.c: a TrackDescriptor, a TrackEvent (c->ts resolved),
 * and the rules checked once every packet was read. */
bool tl_pfck_descriptor(struct ck *c, const struct pb_field *d);
bool tl_pfck_track_event(struct ck *c, const struct pb_field *tf);
bool tl_pfck_nesting(struct ck *c);
bool tl_pfck_flows(struct ck *c);

#endif
