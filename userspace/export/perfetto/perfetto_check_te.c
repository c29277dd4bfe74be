/* perfetto_check_te.c - the trace checker's track-event part: track
 * descriptors, TrackEvents on their sequences (interned names, counters,
 * slices, flows), and once every packet was read, the nesting of each
 * track's slices and the flows' ends (perfetto_check_impl.h). */
#include "perfetto_check_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tracks ---- */

static struct track *find_track(struct ck *c, uint64_t uuid)
{
	const uint64_t *k = tl_hmap_find(&c->track_idx, uuid);

	return k ? &TL_VEC_AT(&c->tracks, struct track, *k) : NULL;
}

bool tl_pfck_has_fields(const struct pb_field *m, uint32_t a, uint32_t b)
{
	struct pb_reader r;
	struct pb_field f;
	bool ha = !a, hb = !b;

	tl_pb_reader_init(&r, m->data, m->len);
	while (tl_pb_next(&r, &f)) {
		ha |= f.num == a;
		hb |= f.num == b;
	}
	return !r.err && ha && hb;
}

bool tl_pfck_descriptor(struct ck *c, const struct pb_field *d)
{
	struct pb_reader r;
	struct pb_field f;
	struct track t = { 0 }, *tp;
	bool uuid = false, thread = false, process = false, parent = false;

	tl_pb_reader_init(&r, d->data, d->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_TD_UUID) { t.uuid = f.u; uuid = true; }
		parent |= f.num == PF_TD_PARENT;
		if (f.num == PF_TD_COUNTER) t.counter = true;
		if (f.num == PF_TD_THREAD) {
			if (!tl_pfck_has_fields(&f, PF_TDS_PID, PF_TDS_TID))
				return tl_pfck_fail(c, "thread track without pid and tid");
			thread = true;
		}
		if (f.num == PF_TD_PROCESS) {
			if (!tl_pfck_has_fields(&f, PF_PD_PID, 0))
				return tl_pfck_fail(c, "process track without pid");
			process = true;
		}
	}
	/* uuid 0 is the root of all tracks: its descriptor only sets how
	 * processes and threads are ordered, it is no track of its own */
	if (!r.err && uuid && !t.uuid && !thread && !process && !parent)
		return true;
	if (r.err || !uuid || !t.uuid)
		return tl_pfck_fail(c, "track descriptor without uuid");
	/* parsed at its time: without one, after every task has ended, and
	 * the importer then starts a new thread or process for it */
	if ((thread || process) && !c->has_ts)
		return tl_pfck_fail(c, "%s track %#llx without a timestamp",
				    thread ? "thread" : "process", (unsigned long long)t.uuid);
	if (find_track(c, t.uuid))
		return tl_pfck_fail(c, "track uuid %#llx declared twice", (unsigned long long)t.uuid);
	if (c->tracks.n + 1 >= MAX_TRACKS)
		return tl_pfck_fail(c, "too many tracks to check");
	if (tl_hmap_put(&c->track_idx, t.uuid, c->tracks.n))
		return tl_pfck_fail(c, "out of memory");
	tp = tl_pfck_push(c, &c->tracks, sizeof(*tp));
	if (!tp) {
		tl_hmap_del(&c->track_idx, t.uuid);
		return false;
	}
	*tp = t;
	if (thread) c->out->thread_tracks++;
	else if (process) c->out->process_tracks++;
	else if (t.counter) c->out->counter_tracks++;
	else c->out->other_tracks++;
	return true;
}

/* ---- track events ---- */

struct te { uint64_t type, track, name_iid, flows_n; bool track_set, value;
	    bool uses_iid; const uint8_t *name; size_t name_len; };

static bool check_annotation(struct ck *c, struct seq *s, const struct pb_field *a,
			     struct te *e)
{
	struct pb_reader r;
	struct pb_field f;
	bool named = false;

	tl_pb_reader_init(&r, a->data, a->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_DA_NAME_IID) {
			if (!tl_pfck_flag_at(&s->dbg, f.u))
				return tl_pfck_fail(c, "debug annotation name iid %llu not interned",
					    (unsigned long long)f.u);
			e->uses_iid = named = true;
		}
		named |= f.num == PF_DA_NAME;
		if (f.num == PF_DA_STRING_IID) {
			if (!tl_pfck_flag_at(&s->strs, f.u))
				return tl_pfck_fail(c, "debug annotation string iid %llu not interned",
					    (unsigned long long)f.u);
			e->uses_iid = true;
		}
	}
	return (!r.err && named) || tl_pfck_fail(c, "debug annotation without a name");
}

static bool flow_field(struct ck *c, const struct pb_field *f)
{
	if (f->wire != PB_FIXED64)
		return tl_pfck_fail(c, "flow id not fixed64");
	if (f->num == PF_TE_FLOW_IDS) {
		uint64_t *id = tl_pfck_push(c, &c->flows, sizeof(*id));

		if (!id)
			return false;
		*id = f->u;
		c->out->flows++;
		return true;
	}
	struct term *t = tl_pfck_push(c, &c->terms, sizeof(*t));

	if (!t)
		return false;
	*t = (struct term){ f->u, c->ts };
	return true;
}

static bool read_te(struct ck *c, struct seq *s, const struct pb_field *tf, struct te *e)
{
	struct pb_reader r;
	struct pb_field f;

	tl_pb_reader_init(&r, tf->data, tf->len);
	while (tl_pb_next(&r, &f)) {
		switch (f.num) {
		case PF_TE_TYPE: e->type = f.u; break;
		case PF_TE_TRACK_UUID: e->track = f.u; e->track_set = true; break;
		case PF_TE_NAME_IID: e->name_iid = f.u; e->uses_iid = true; break;
		case PF_TE_NAME: e->name = f.data; e->name_len = f.len; break;
		case PF_TE_COUNTER_VALUE: e->value = true; break;
		case PF_TE_DEBUG:
			if (!check_annotation(c, s, &f, e))
				return false;
			break;
		case PF_TE_FLOW_IDS:
		case PF_TE_TERM_FLOW_IDS:
			if (!flow_field(c, &f))
				return false;
			break;
		default: break;
		}
	}
	return !r.err || tl_pfck_fail(c, "malformed TrackEvent");
}

static bool open_slice(struct ck *c, struct seq *s, const struct te *e)
{
	struct tslice *sl;

	const char *iname = e->name_iid < s->names.n ?
			    TL_VEC_AT(&s->names, char *, e->name_iid) : NULL;

	sl = tl_pfck_push(c, &c->sl, sizeof(*sl));
	if (!sl)
		return false;
	sl->track = e->track;
	sl->begin = c->ts;
	sl->end = UINT64_MAX;
	sl->order = c->sl.n;
	if (e->name_iid && iname)
		sl->name = strdup(iname);
	else if (e->name)
		sl->name = strndup((const char *)e->name, e->name_len);
	else if (e->name_iid)
		return tl_pfck_fail(c, "event name iid %llu not interned",
			    (unsigned long long)e->name_iid);
	return true;
}

/* An END closes the latest still-open slice of its track (file order). */
static bool close_slice(struct ck *c, const struct te *e)
{
	for (size_t i = c->sl.n; i-- > 0;) {
		struct tslice *sl = tl_pfck_sl_at(c, i);

		if (sl->track != e->track || sl->end != UINT64_MAX)
			continue;
		if (c->ts < sl->begin)
			return tl_pfck_fail(c, "slice ends before it begins");
		sl->end = c->ts;
		return true;
	}
	return tl_pfck_fail(c, "SLICE_END with no open slice on track %#llx",
		    (unsigned long long)e->track);
}

bool tl_pfck_track_event(struct ck *c, const struct pb_field *tf)
{
	struct seq *s;
	struct te e = { 0 };
	struct track *t;

	if (!c->seq_id)
		return tl_pfck_fail(c, "TrackEvent without trusted_packet_sequence_id");
	if (!c->has_ts)
		return tl_pfck_fail(c, "TrackEvent without timestamp");
	s = tl_pfck_seq_of(c, c->seq_id);
	if (!s || !read_te(c, s, tf, &e))
		return false;
	if (e.uses_iid && !(c->flags & PF_SEQ_NEEDS))
		return tl_pfck_fail(c, "TrackEvent uses iids without SEQ_NEEDS_INCREMENTAL_STATE");
	if (e.uses_iid && !s->cleared)
		return tl_pfck_fail(c, "TrackEvent uses iids before the sequence was cleared");
	if (!e.track_set && s->def_track_set) {
		e.track = s->def_track;      /* track_event_defaults.track_uuid */
		e.track_set = true;
		c->out->default_track_events++;
	}
	t = e.track_set ? find_track(c, e.track) : NULL;
	if (!t)
		return tl_pfck_fail(c, "TrackEvent on undeclared track %#llx",
			    (unsigned long long)e.track);
	if ((e.type == PF_COUNTER) != t->counter)
		return tl_pfck_fail(c, "%s event on a %s track", e.type == PF_COUNTER ?
			    "counter" : "slice", t->counter ? "counter" : "slice");
	switch (e.type) {
	case PF_COUNTER:
		c->out->counters++;
		return e.value || tl_pfck_fail(c, "counter event without value");
	case PF_INSTANT: c->out->instants++; return true;
	case PF_SLICE_BEGIN: c->out->slices++; return open_slice(c, s, &e);
	case PF_SLICE_END: return close_slice(c, &e);
	default: return tl_pfck_fail(c, "TrackEvent of type %llu", (unsigned long long)e.type);
	}
}


/* ---- after the last packet ---- */

static int sl_cmp(const void *a, const void *b)
{
	const struct tslice *x = a, *y = b;

	if (x->track != y->track)
		return x->track < y->track ? -1 : 1;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;  /* outer first */
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Per track, slices must nest: each starts after the enclosing one starts
 * and ends no later; siblings must not touch (equal stamps would leave the
 * order to the importer's sort). */
bool tl_pfck_nesting(struct ck *c)
{
	uint64_t stack[256];
	unsigned depth = 0;

	if (c->sl.n > 1) /* never qsort(NULL, 0): undefined */
		qsort(c->sl.p, c->sl.n, sizeof(struct tslice), sl_cmp);
	for (size_t i = 0; i < c->sl.n; i++) {
		const struct tslice *s = tl_pfck_sl_at(c, i);

		if (s->end == UINT64_MAX)
			return tl_pfck_fail(c, "slice '%s' on track %#llx never ends",
				    s->name ? s->name : "", (unsigned long long)s->track);
		if (i && tl_pfck_sl_at(c, i - 1)->track != s->track)
			depth = 0;
		while (depth && stack[depth - 1] <= s->begin) {
			if (stack[depth - 1] == s->begin)
				return tl_pfck_fail(c, "slices touch at %llu on track %#llx",
					    (unsigned long long)s->begin,
					    (unsigned long long)s->track);
			depth--;
		}
		if (depth && s->end > stack[depth - 1])
			return tl_pfck_fail(c, "slices overlap on track %#llx at %llu",
				    (unsigned long long)s->track,
				    (unsigned long long)s->begin);
		if (depth == 256)
			return tl_pfck_fail(c, "slices nested too deep");
		stack[depth++] = s->end;
		if (c->cbs.slice)
			c->cbs.slice(c->cbs.ctx, s->track, s->name ? s->name : "",
				     s->begin, s->end);
	}
	return true;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

bool tl_pfck_flows(struct ck *c)
{
	const uint64_t *fl = c->flows.p;
	const struct term *t = c->terms.p;

	if (c->flows.n > 1)
		qsort(c->flows.p, c->flows.n, sizeof(*fl), u64_cmp);
	for (size_t i = 1; i < c->flows.n; i++)
		if (fl[i] == fl[i - 1])
			return tl_pfck_fail(c, "flow id %llu started twice", (unsigned long long)fl[i]);
	for (size_t i = 0; i < c->terms.n; i++)
		if (!bsearch(&t[i].id, fl, c->flows.n, sizeof(*fl), u64_cmp))
			return tl_pfck_fail(c, "flow id %llu ends but never starts",
				    (unsigned long long)t[i].id);
	return true;
}
