/* perfetto_cpath.c - `export --critical-path TID`: the critical path of
 * one thread (analysis/critical_path.h) as a track under that thread, one
 * slice per piece ("producer 1234: running", "consumer 1235: blocked
 * futex"), and a flow at every hand-over from one thread to another, so
 * the UI shows where the thread's time went beside its own states. */
#include "perfetto_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include "analysis/critical_path.h"
#include "model/model.h"

#define CP_FLOW_BASE (1ull << 62) /* apart from the wakeup flows' ids */

static const char *piece_name(const struct tl_cp_seg *s, char *buf, size_t len)
{
	const char *st = s->state == TL_ST_UNKNOWN ? "unknown" : tl_state_name(s->state);

	if (!s->thread)
		snprintf(buf, len, "(not traced yet)");
	else if (s->block && s->block->why != TL_WHY_NONE)
		snprintf(buf, len, "%s %" PRIu32 ": blocked %s", tl_thread_name(s->thread),
			 s->thread->tid, tl_reason_name(s->block->why));
	else
		snprintf(buf, len, "%s %" PRIu32 ": %s", tl_thread_name(s->thread),
			 s->thread->tid, st);
	return buf;
}

/* One piece: a begin and an end; the end starts a flow to the next piece
 * when that is another thread's, and ends the flow from the one before. */
static void piece(struct tl_pf_te *te, uint64_t track, const struct tl_cp_seg *s,
		  uint64_t begin, uint64_t flow_in, uint64_t flow_out)
{
	char name[64];
	struct tl_pf_ev ev = { .ts = begin, .track = track, .type = PF_SLICE_BEGIN,
			       .name = piece_name(s, name, sizeof(name)) };

	tl_pf_te_event(te, &ev);
	ev = (struct tl_pf_ev){ .ts = s->end, .track = track, .type = PF_SLICE_END };
	if (flow_out) {
		ev.flows = &flow_out;
		ev.nflows = 1;
	}
	if (flow_in) {
		ev.term_flows = &flow_in;
		ev.nterm = 1;
	}
	tl_pf_te_event(te, &ev);
}

/* The next piece on the path after i that is not a followed wait. */
static size_t next_leaf(const struct tl_cp *cp, size_t i)
{
	for (i++; i < cp->n && cp->seg[i].followed; i++)
		;
	return i;
}

static void write_pieces(struct tl_pf_te *te, uint64_t track, const struct tl_cp *cp,
			 struct tl_pf_track_stats *st)
{
	uint64_t last = 0, flow_in = 0, nflow = 0;

	for (size_t i = next_leaf(cp, (size_t)-1); i < cp->n; i = next_leaf(cp, i)) {
		const struct tl_cp_seg *s = &cp->seg[i];
		size_t j = next_leaf(cp, i);
		uint64_t begin = s->start > last ? s->start : last + 1;
		uint64_t flow_out = 0;

		if (begin >= s->end)
			continue;
		if (j < cp->n && cp->seg[j].thread != s->thread)
			flow_out = CP_FLOW_BASE + ++nflow;
		piece(te, track, s, begin, flow_in, flow_out);
		st->flows += flow_out != 0;
		flow_in = flow_out;
		last = s->end;
	}
}

int tl_pf_write_critical_path(struct tl_pf_te *te, const struct tl_model *m, uint32_t tid,
			      struct tl_pf_track_stats *st)
{
	const struct tl_thread *t = tid ? tl_model_find_thread(m, tid, 0) : NULL;
	uint64_t track;
	struct tl_cp cp;
	int e;

	if (!t)
		return tid ? -ENOENT : 0;
	e = tl_critical_path(m, t, 0, 0, &cp);
	if (e)
		return e;
	track = tl_pf_te_uuid(te);
	tl_pf_te_named_track(te, track, tl_pf_thread_uuid(t->tid, t->gen), "critical path",
			     "where this thread's time went: its own pieces, and for a "
			     "wait another thread ended, that thread's (threadline "
			     "report --critical-path)", false);
	write_pieces(te, track, &cp, st);
	tl_cp_free(&cp);
	return 0;
}
