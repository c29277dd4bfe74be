/* perfetto_check.c - decodes a Perfetto trace and enforces the rules that
 * Perfetto's importer applies (shared/perfetto-format.md §3-§8, and the
 * sequence and clock rules in docs/perfetto.md), since its trace processor
 * cannot run here: a trace that passes loads without the error stats those
 * rules guard against. Packets are read the way the importer reads them:
 * a cleared flag resets the sequence's interned data and defaults, then
 * defaults, interned data and ClockSnapshots are taken in, then the
 * timestamp is turned into BOOTTIME (through the packet's clock, else the
 * sequence's default clock; sequence-scoped incremental clocks add up
 * deltas), and the checks of order and nesting use that absolute time.
 * Counts what it saw, for tests.
 */
#include "perfetto_check_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tl_pfck_fail(struct ck *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->failed)
		return false;
	c->failed = true;
	n = snprintf(c->err, c->errlen, "packet %llu: ", (unsigned long long)c->pkt);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* Appends a zeroed element to v; NULL (and the check failed) when out of
 * memory. */
void *tl_pfck_push(struct ck *c, struct tl_vec *v, size_t elsz)
{
	void *e = tl_vec_push(v, elsz);

	if (!e)
		tl_pfck_fail(c, "out of memory");
	return e;
}

struct seq *tl_pfck_seq_at(const struct ck *c, size_t i)
{
	return &TL_VEC_AT(&c->seqs, struct seq, i);
}

struct tslice *tl_pfck_sl_at(const struct ck *c, size_t i)
{
	return &TL_VEC_AT(&c->sl, struct tslice, i);
}

/* ---- sequences and interning ---- */

/* The sequence with this id, made on first sight (state not valid yet).
 * The pointer holds until the next new sequence. */
struct seq *tl_pfck_seq_of(struct ck *c, uint32_t id)
{
	const uint64_t *k = tl_hmap_find(&c->seq_idx, id);
	struct seq *s;

	if (k)
		return tl_pfck_seq_at(c, *k);
	if (tl_hmap_put(&c->seq_idx, id, c->seqs.n)) {
		tl_pfck_fail(c, "out of memory");
		return NULL;
	}
	s = tl_pfck_push(c, &c->seqs, sizeof(*s));
	if (!s) {
		tl_hmap_del(&c->seq_idx, id);
		return NULL;
	}
	s->id = id;
	return s;
}

static void free_names(struct seq *s)
{
	for (size_t k = 0; k < s->names.n; k++)
		free(TL_VEC_AT(&s->names, char *, k));
	tl_vec_free(&s->names);
	tl_vec_free(&s->dbg);
	tl_vec_free(&s->strs);
	tl_vec_free(&s->ksyms);
}

/* SEQ_INCREMENTAL_STATE_CLEARED: interned data and defaults start afresh
 * (the sequence's clocks belong to the clock graph and stay). */
static void clear_seq(struct seq *s)
{
	free_names(s);
	s->cleared = true;
	s->has_defaults = s->def_track_set = false;
	s->def_clock = 0;
	s->def_track = 0;
}

static bool define_flag(struct ck *c, struct tl_vec *v, uint64_t iid)
{
	if (tl_vec_extend(v, sizeof(bool), iid + 1))
		return tl_pfck_fail(c, "out of memory");
	TL_VEC_AT(v, bool, iid) = true;
	return true;
}

static bool define(struct ck *c, struct seq *s, uint32_t kind, const struct pb_field *ef)
{
	struct pb_reader r;
	struct pb_field f;
	uint64_t iid = 0;
	const uint8_t *name = NULL;
	size_t len = 0;
	char **slot;

	tl_pb_reader_init(&r, ef->data, ef->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_IID) iid = f.u;
		if (f.num == PF_INAME) { name = f.data; len = f.len; }
	}
	if (r.err || !iid || !name || iid > 1000000)
		return tl_pfck_fail(c, "bad interned entry");
	if (kind == PF_ID_DEBUG_NAMES)
		return define_flag(c, &s->dbg, iid);
	if (kind == PF_ID_DEBUG_STRINGS)
		return define_flag(c, &s->strs, iid);
	if (kind == PF_ID_KERNEL_SYMBOLS)
		return define_flag(c, &s->ksyms, iid);
	if (tl_vec_extend(&s->names, sizeof(char *), iid + 1))
		return tl_pfck_fail(c, "out of memory");
	slot = &TL_VEC_AT(&s->names, char *, iid);
	free(*slot);
	*slot = strndup((const char *)name, len);
	return *slot || tl_pfck_fail(c, "out of memory");
}

static bool check_interned(struct ck *c, struct seq *s, const struct pb_field *id)
{
	struct pb_reader r;
	struct pb_field f;

	if (!s->cleared)
		return tl_pfck_fail(c, "interned data on sequence %u before SEQ_INCREMENTAL_STATE_CLEARED",
			    s->id);
	tl_pb_reader_init(&r, id->data, id->len);
	while (tl_pb_next(&r, &f))
		if ((f.num == PF_ID_EVENT_NAMES || f.num == PF_ID_DEBUG_NAMES ||
		     f.num == PF_ID_CATEGORIES || f.num == PF_ID_DEBUG_STRINGS ||
		     f.num == PF_ID_KERNEL_SYMBOLS) &&
		    !define(c, s, f.num, &f))
			return false;
	return !r.err || tl_pfck_fail(c, "malformed InternedData");
}

/* TracePacketDefaults: the clock for timestamps without their own, and the
 * track of TrackEvents without their own. */
static bool check_defaults(struct ck *c, struct seq *s, const struct pb_field *d)
{
	struct pb_reader r, tr;
	struct pb_field f, tf;

	s->has_defaults = true;
	s->def_track_set = false;
	s->def_clock = 0;
	tl_pb_reader_init(&r, d->data, d->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_DEF_CLOCK_ID)
			s->def_clock = (uint32_t)f.u;
		if (f.num != PF_DEF_TRACK_EVENT || f.wire != PB_LEN)
			continue;
		tl_pb_reader_init(&tr, f.data, f.len);
		while (tl_pb_next(&tr, &tf))
			if (tf.num == PF_TED_TRACK_UUID) {
				s->def_track = tf.u;
				s->def_track_set = true;
			}
		if (tr.err)
			return tl_pfck_fail(c, "malformed TrackEventDefaults");
	}
	return !r.err || tl_pfck_fail(c, "malformed TracePacketDefaults");
}

/* ---- clocks ---- */

static struct seq_clock *find_clock(struct seq *s, uint32_t id)
{
	struct seq_clock *k = s->clocks.p;

	for (size_t i = 0; i < s->clocks.n; i++)
		if (k[i].id == id)
			return &k[i];
	return NULL;
}

/* The packet's timestamp in BOOTTIME: its clock is the packet's
 * timestamp_clock_id, else the sequence's default, else the trace clock
 * (BOOTTIME, named primary by the trace's ClockSnapshot). */
static bool resolve_ts(struct ck *c, struct seq *s)
{
	uint32_t id = c->clock_id;
	struct seq_clock *k;

	if (!id && s && s->has_defaults)
		id = s->def_clock;
	if (!id || id == PF_CLOCK_BOOTTIME)
		return true;
	if (id < PF_CLOCK_SEQ_FIRST || id > PF_CLOCK_SEQ_LAST)
		return tl_pfck_fail(c, "timestamp on clock %u: only BOOTTIME and sequence clocks are followed",
			    id);
	k = s ? find_clock(s, id) : NULL;
	if (!k)
		return tl_pfck_fail(c, "timestamp on clock %u, which no ClockSnapshot on sequence %u defines",
			    id, c->seq_id);
	if (k->incremental) {
		k->last += c->ts * k->unit;
		c->ts = k->last;
		c->delta = true;
	} else {
		c->ts *= k->unit;
	}
	if ((int64_t)c->ts + k->to_boot < 0)
		return tl_pfck_fail(c, "timestamp before BOOTTIME 0");
	c->ts = (uint64_t)((int64_t)c->ts + k->to_boot);
	return true;
}

struct clk { uint64_t id, ts, unit; bool incremental; };

static bool read_clock(struct ck *c, const struct pb_field *cf, struct clk *k)
{
	struct pb_reader r;
	struct pb_field f;
	bool id = false;

	*k = (struct clk){ .unit = 1 };
	tl_pb_reader_init(&r, cf->data, cf->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_CLK_ID) { k->id = f.u; id = true; }
		if (f.num == PF_CLK_TS) k->ts = f.u;
		if (f.num == PF_CLK_INCREMENTAL) k->incremental = f.u != 0;
		if (f.num == PF_CLK_UNIT_NS && f.u) k->unit = f.u;
	}
	if (r.err || !id)
		return tl_pfck_fail(c, "ClockSnapshot clock without clock_id");
	if (k->incremental && (k->id < PF_CLOCK_SEQ_FIRST || k->id > PF_CLOCK_SEQ_LAST))
		return tl_pfck_fail(c, "clock %llu is incremental but not sequence-scoped",
			    (unsigned long long)k->id);
	if (k->id == PF_CLOCK_BOOTTIME && k->unit != 1)
		return tl_pfck_fail(c, "BOOTTIME, the trace clock, must count ns");
	return true;
}

/* A sequence clock of snapshot: known from here on, at boot - its ns. */
static bool add_seq_clock(struct ck *c, const struct clk *k, uint64_t boot)
{
	struct seq *s;
	struct seq_clock *sc;

	if (!c->seq_id)
		return tl_pfck_fail(c, "sequence clock %llu in a ClockSnapshot without sequence id",
			    (unsigned long long)k->id);
	s = tl_pfck_seq_of(c, c->seq_id);
	if (!s)
		return false;
	if (find_clock(s, (uint32_t)k->id))
		return tl_pfck_fail(c, "a second ClockSnapshot of clock %llu on sequence %u",
			    (unsigned long long)k->id, s->id);
	sc = tl_pfck_push(c, &s->clocks, sizeof(*sc));
	if (!sc)
		return false;
	sc->id = (uint32_t)k->id;
	sc->incremental = k->incremental;
	sc->unit = k->unit;
	sc->last = k->ts * k->unit;
	sc->to_boot = (int64_t)(boot - sc->last);
	return true;
}

/* The trace's ClockSnapshot names BOOTTIME primary; a later one relates
 * sequence clocks to BOOTTIME (which it must hold) and names no other
 * primary clock. */
static bool check_clock(struct ck *c, const struct pb_field *cs)
{
	struct pb_reader r;
	struct pb_field f;
	struct clk k[8];
	unsigned n = 0;
	bool boot = false, primary = false, other = false;
	uint64_t boot_ts = 0;

	tl_pb_reader_init(&r, cs->data, cs->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_CS_CLOCKS) {
			if (n == 8)
				return tl_pfck_fail(c, "ClockSnapshot with more than 8 clocks");
			if (!read_clock(c, &f, &k[n]))
				return false;
			if (k[n].id == PF_CLOCK_BOOTTIME) {
				boot = true;
				boot_ts = k[n].ts;
			}
			n++;
		}
		if (f.num == PF_CS_PRIMARY) {
			primary |= f.u == PF_CLOCK_BOOTTIME;
			other |= f.u != PF_CLOCK_BOOTTIME;
		}
	}
	if (r.err)
		return tl_pfck_fail(c, "malformed ClockSnapshot");
	if (!boot || other || (!c->out->has_clock_snapshot && !primary))
		return tl_pfck_fail(c, "ClockSnapshot without BOOTTIME as primary clock");
	for (unsigned i = 0; i < n; i++)
		if (k[i].id >= PF_CLOCK_SEQ_FIRST && k[i].id <= PF_CLOCK_SEQ_LAST &&
		    !add_seq_clock(c, &k[i], boot_ts))
			return false;
	c->out->has_clock_snapshot = true;
	return true;
}

/* ---- packets ---- */

/* The packet's own fields, and the sequence-state ones, as the importer
 * takes them before anything else: a cleared flag first, then defaults. */
static bool packet_header(struct ck *c, const struct pb_field *pk, bool *snapshot)
{
	struct pb_reader r;
	struct pb_field f;
	struct seq *s = NULL;

	c->has_ts = c->delta = *snapshot = false;
	c->seq_id = c->flags = c->clock_id = 0;
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_TP_TIMESTAMP) { c->ts = f.u; c->has_ts = true; }
		if (f.num == PF_TP_SEQ_ID) c->seq_id = (uint32_t)f.u;
		if (f.num == PF_TP_SEQ_FLAGS) c->flags = (uint32_t)f.u;
		if (f.num == PF_TP_CLOCK_ID) c->clock_id = (uint32_t)f.u;
		if (f.num == PF_TP_PREV_DROPPED && f.u)
			return tl_pfck_fail(c, "a packet says packets before it were dropped");
		*snapshot |= f.num == PF_TP_CLOCK_SNAPSHOT;
	}
	if (r.err)
		return tl_pfck_fail(c, "malformed TracePacket");
	if (c->seq_id && !(s = tl_pfck_seq_of(c, c->seq_id)))
		return false;
	if (c->flags & PF_SEQ_CLEARED) {
		if (!s)
			return tl_pfck_fail(c, "SEQ_INCREMENTAL_STATE_CLEARED without a sequence id");
		clear_seq(s);
		c->out->sequences++;
	}
	if (c->flags & PF_SEQ_NEEDS && (!s || !s->cleared))
		return tl_pfck_fail(c, "SEQ_NEEDS_INCREMENTAL_STATE on a sequence not cleared (dropped)");
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_TP_DEFAULTS &&
		    !(s ? check_defaults(c, s, &f)
			: tl_pfck_fail(c, "TracePacketDefaults without a sequence id")))
			return false;
	return true;
}

static bool check_system_info(struct ck *c, const struct pb_field *si)
{
	struct pb_reader r;
	struct pb_field f;

	tl_pb_reader_init(&r, si->data, si->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_SI_UTSNAME && tl_pfck_has_fields(&f, PF_UTS_SYSNAME, PF_UTS_RELEASE) &&
		    f.len >= 7 && memmem(f.data, f.len, "Linux", 5)) {
			c->out->has_system_info = true;
			return true;
		}
	return tl_pfck_fail(c, "SystemInfo without utsname sysname Linux and release");
}

static bool check_data(struct ck *c, const struct pb_field *f)
{
	bool data = f->num == PF_TP_FTRACE_EVENTS || f->num == PF_TP_TRACK_EVENT ||
		    f->num == PF_TP_PROCESS_TREE;

	if (data && !c->out->has_clock_snapshot)
		return tl_pfck_fail(c, "data before the ClockSnapshot");
	switch (f->num) {
	case PF_TP_FTRACE_EVENTS: return tl_pfck_bundle(c, f);
	case PF_TP_PROCESS_TREE: return tl_pfck_tree(c, f);
	case PF_TP_SYSTEM_INFO: return check_system_info(c, f);
	case PF_TP_TRACK_DESCRIPTOR: return tl_pfck_descriptor(c, f);
	case PF_TP_TRACK_EVENT: return tl_pfck_track_event(c, f);
	default: return true;
	}
}

/* A packet with a ClockSnapshot: the importer takes its sequence state
 * and the snapshot, and nothing else of it. */
static bool snapshot_packet(struct ck *c, const struct pb_field *pk)
{
	struct pb_reader r;
	struct pb_field f;

	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_TP_CLOCK_SNAPSHOT && !check_clock(c, &f))
			return false;
		if (f.num == PF_TP_FTRACE_EVENTS || f.num == PF_TP_PROCESS_TREE ||
		    f.num == PF_TP_TRACK_EVENT || f.num == PF_TP_TRACK_DESCRIPTOR ||
		    f.num == PF_TP_SYSTEM_INFO)
			return tl_pfck_fail(c, "data in a ClockSnapshot packet (the importer skips it)");
	}
	return true;
}

static bool check_packet(struct ck *c, const struct pb_field *pk)
{
	struct pb_reader r;
	struct pb_field f;
	bool first = c->pkt == 0, sysinfo = false, snapshot;
	struct seq *s;

	if (!packet_header(c, pk, &snapshot))
		return false;
	s = c->seq_id ? tl_pfck_seq_of(c, c->seq_id) : NULL;
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_TP_INTERNED_DATA &&
		    !(s ? check_interned(c, s, &f)
			: tl_pfck_fail(c, "interned data without a sequence id")))
			return false;
	if (snapshot)
		return snapshot_packet(c, pk) &&
		       (!first || tl_pfck_fail(c, "the first packet is not SystemInfo"));
	if (c->has_ts && !resolve_ts(c, s))
		return false;
	c->out->delta_packets += c->delta;
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f)) {
		sysinfo |= f.num == PF_TP_SYSTEM_INFO;
		if (!check_data(c, &f))
			return false;
	}
	if (first && !sysinfo)
		return tl_pfck_fail(c, "the first packet is not SystemInfo");
	return true;
}

static void ck_free(struct ck *c)
{
	for (size_t i = 0; i < c->seqs.n; i++) {
		free_names(tl_pfck_seq_at(c, i));
		tl_vec_free(&tl_pfck_seq_at(c, i)->clocks);
	}
	tl_vec_free(&c->seqs);
	tl_hmap_free(&c->seq_idx);
	for (size_t i = 0; i < c->sl.n; i++)
		free(tl_pfck_sl_at(c, i)->name);
	tl_vec_free(&c->sl);
	tl_vec_free(&c->tracks);
	tl_hmap_free(&c->track_idx);
	tl_vec_free(&c->flows);
	tl_vec_free(&c->terms);
}

int tl_pf_check_cb(const void *data, size_t len, struct tl_pf_check *out,
		   const struct tl_pf_check_cbs *cbs, char *err, size_t errlen)
{
	struct ck *c = calloc(1, sizeof(*c));
	struct pb_reader r;
	struct pb_field f;
	bool ok = true;

	if (!c)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	*c = (struct ck){ .out = out, .err = err, .errlen = errlen };
	if (cbs)
		c->cbs = *cbs;
	tl_pb_reader_init(&r, data, len);
	while (ok && tl_pb_next(&r, &f)) {
		if (f.num != PF_TRACE_PACKET || f.wire != PB_LEN)
			ok = tl_pfck_fail(c, "not a Trace.packet field");
		else
			ok = check_packet(c, &f);
		c->pkt++;
	}
	if (ok && r.err)
		ok = tl_pfck_fail(c, "the trace is cut or malformed");
	out->packets = c->pkt;
	ok = ok && (out->has_system_info || tl_pfck_fail(c, "no SystemInfo"));
	ok = ok && tl_pfck_nesting(c) && tl_pfck_flows(c);
	ck_free(c);
	free(c);
	return ok ? 0 : -EBADMSG;
}

int tl_pf_check(const void *data, size_t len, struct tl_pf_check *out,
		char *err, size_t errlen)
{
	return tl_pf_check_cb(data, len, out, NULL, err, errlen);
}
