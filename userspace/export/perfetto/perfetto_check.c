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
#include "perfetto_check.h"
#include "perfetto_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static bool fail(struct ck *c, const char *fmt, ...)
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
static void *push(struct ck *c, struct tl_vec *v, size_t elsz)
{
	void *e = tl_vec_push(v, elsz);

	if (!e)
		fail(c, "out of memory");
	return e;
}

static struct seq *seq_at(const struct ck *c, size_t i)
{
	return &TL_VEC_AT(&c->seqs, struct seq, i);
}

static struct tslice *sl_at(const struct ck *c, size_t i)
{
	return &TL_VEC_AT(&c->sl, struct tslice, i);
}

/* ---- packed arrays ---- */

struct arr { struct tl_vec v; bool seen; };   /* v: uint64_t */

static uint64_t arr_at(const struct arr *a, size_t i)
{
	return TL_VEC_AT(&a->v, uint64_t, i);
}

static bool read_packed(struct ck *c, const struct pb_field *f, struct arr *a)
{
	if (f->wire != PB_LEN)
		return fail(c, "compact field %u is not packed", f->num);
	a->seen = true;
	if (!f->len) /* an empty field may have no data pointer: NULL + 0 is
		      * undefined */
		return true;
	const uint8_t *p = f->data, *end = f->data + f->len;
	while (p < end) {
		uint64_t v;

		if (!tl_pb_read_varint(&p, end, &v))
			return fail(c, "bad varint in packed field %u", f->num);
		uint64_t *e = push(c, &a->v, sizeof(*e));

		if (!e)
			return false;
		*e = v;
	}
	return true;
}

/* ---- scheduling ---- */

static bool sched_ts(struct ck *c, uint32_t cpu, uint64_t ts)
{
	if (ts < c->cpus[cpu].last_ts)
		return fail(c, "cpu %u: timestamp %llu before %llu", cpu,
			    (unsigned long long)ts,
			    (unsigned long long)c->cpus[cpu].last_ts);
	c->cpus[cpu].last_ts = ts;
	return true;
}

static void emit_sched(struct ck *c, uint32_t cpu, uint64_t ts, uint8_t kind,
		       int64_t state, uint64_t prev, uint64_t next)
{
	struct tl_pf_sched_ev ev = { ts, cpu, kind, state, (uint32_t)prev,
				     (uint32_t)next };

	if (c->cbs.sched)
		c->cbs.sched(c->cbs.ctx, &ev);
}

static bool check_state(struct ck *c, int64_t st)
{
	if (st < 0 || (st & 0xfe00))
		return fail(c, "prev_state %#llx does not decode", (unsigned long long)st);
	return true;
}

struct plain { uint64_t ts, pid; uint32_t kind; const uint8_t *body; size_t len; };

static bool plain_switch(struct ck *c, uint32_t cpu, const struct plain *e)
{
	struct pb_reader r;
	struct pb_field f;
	uint64_t prev = NO_TASK, next = NO_TASK;
	int64_t state = 0;

	tl_pb_reader_init(&r, e->body, e->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_SW_PREV_PID) prev = (uint32_t)f.u;
		if (f.num == PF_SW_NEXT_PID) next = (uint32_t)f.u;
		if (f.num == PF_SW_PREV_STATE) state = (int64_t)f.u;
	}
	if (r.err || prev == NO_TASK || next == NO_TASK)
		return fail(c, "sched_switch without prev_pid/next_pid");
	if (c->cpus[cpu].primed && c->cpus[cpu].cur != prev)
		return fail(c, "cpu %u: switch from %llu but %llu is running", cpu,
			    (unsigned long long)prev,
			    (unsigned long long)c->cpus[cpu].cur);
	if (e->pid != prev)
		return fail(c, "sched_switch pid %llu is not prev %llu",
			    (unsigned long long)e->pid, (unsigned long long)prev);
	emit_sched(c, cpu, e->ts, PF_EV_SWITCH, state, prev, next);
	c->cpus[cpu].cur = next;
	c->cpus[cpu].primed = true;
	c->out->switches[cpu % TL_PF_CHECK_CPUS]++;
	return check_state(c, state);
}

static bool plain_waking(struct ck *c, uint32_t cpu, const struct plain *e)
{
	struct pb_reader r;
	struct pb_field f;
	uint64_t pid = NO_TASK;

	tl_pb_reader_init(&r, e->body, e->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_WK_PID)
			pid = (uint32_t)f.u;
	if (r.err || pid == NO_TASK)
		return fail(c, "sched_waking without pid");
	emit_sched(c, cpu, e->ts, PF_EV_WAKING, 0, e->pid, pid);
	c->out->wakings[cpu % TL_PF_CHECK_CPUS]++;
	return true;
}

static bool plain_event(struct ck *c, uint32_t cpu, const struct plain *e)
{
	if (!sched_ts(c, cpu, e->ts))
		return false;
	switch (e->kind) {
	case PF_FE_SCHED_SWITCH: return plain_switch(c, cpu, e);
	case PF_FE_SCHED_WAKING: return plain_waking(c, cpu, e);
	case PF_FE_TASK_NEWTASK: c->out->newtasks++; break;
	case PF_FE_TASK_RENAME: c->out->renames++; break;
	case PF_FE_PROCESS_EXEC: c->out->execs++; break;
	case PF_FE_PROCESS_EXIT: c->out->exits++; break;
	case PF_FE_PROCESS_FREE: c->out->frees++; break;
	default: return fail(c, "unexpected ftrace event %u", e->kind);
	}
	return true;
}

static bool read_plain(struct ck *c, const struct pb_field *ev, struct plain *e)
{
	struct pb_reader r;
	struct pb_field f;
	bool ts = false, pid = false;
	unsigned nevents = 0;

	memset(e, 0, sizeof(*e));
	tl_pb_reader_init(&r, ev->data, ev->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_FE_TS) { e->ts = f.u; ts = true; }
		else if (f.num == PF_FE_PID) { e->pid = f.u; pid = true; }
		else if (f.wire == PB_LEN) {
			e->kind = f.num; e->body = f.data; e->len = f.len;
			nevents++;
		}
	}
	if (r.err)
		return fail(c, "malformed FtraceEvent");
	if (!ts || !pid)
		return fail(c, "FtraceEvent without %s", ts ? "pid" : "timestamp");
	if (nevents != 1)
		return fail(c, "FtraceEvent with %u event messages", nevents);
	return true;
}

enum { SW_TS, SW_STATE, SW_PID, SW_PRIO, SW_COMM, WK_TS, WK_PID, WK_CPU,
       WK_PRIO, WK_COMM, WK_FLAGS, NARR };

static int arr_of(uint32_t num)
{
	switch (num) {
	case PF_CS_SW_TS: return SW_TS;
	case PF_CS_SW_PREV_STATE: return SW_STATE;
	case PF_CS_SW_NEXT_PID: return SW_PID;
	case PF_CS_SW_NEXT_PRIO: return SW_PRIO;
	case PF_CS_SW_NEXT_COMM: return SW_COMM;
	case PF_CS_WK_TS: return WK_TS;
	case PF_CS_WK_PID: return WK_PID;
	case PF_CS_WK_CPU: return WK_CPU;
	case PF_CS_WK_PRIO: return WK_PRIO;
	case PF_CS_WK_COMM: return WK_COMM;
	case PF_CS_WK_FLAGS: return WK_FLAGS;
	default: return -1;
	}
}

static bool same_len(struct ck *c, struct arr *a, int from, int to, const char *what)
{
	for (int i = from; i <= to; i++)
		if (a[i].v.n != a[from].v.n)
			return fail(c, "compact %s arrays of unequal length", what);
	return true;
}

/* Replays the compact events of one bundle in time order on the CPU. */
static bool replay_compact(struct ck *c, uint32_t cpu, struct arr *a, size_t nintern)
{
	size_t i = 0, j = 0;
	uint64_t tsw = 0, twk = 0;

	while (i < a[SW_TS].v.n || j < a[WK_TS].v.n) {
		uint64_t nsw = i < a[SW_TS].v.n ? tsw + arr_at(&a[SW_TS], i) : UINT64_MAX;
		uint64_t nwk = j < a[WK_TS].v.n ? twk + arr_at(&a[WK_TS], j) : UINT64_MAX;

		if (!c->cpus[cpu].primed)
			return fail(c, "cpu %u: compact event before any switch", cpu);
		if (nsw <= nwk) {
			if (!sched_ts(c, cpu, nsw) ||
			    !check_state(c, (int64_t)arr_at(&a[SW_STATE], i)))
				return false;
			if (arr_at(&a[SW_COMM], i) >= nintern)
				return fail(c, "comm index out of the intern table");
			emit_sched(c, cpu, nsw, PF_EV_SWITCH, (int64_t)arr_at(&a[SW_STATE], i),
				   c->cpus[cpu].cur, (uint32_t)arr_at(&a[SW_PID], i));
			c->cpus[cpu].cur = (uint32_t)arr_at(&a[SW_PID], i);
			c->out->switches[cpu % TL_PF_CHECK_CPUS]++;
			tsw = nsw;
			i++;
		} else {
			if (!sched_ts(c, cpu, nwk))
				return false;
			if (arr_at(&a[WK_COMM], j) >= nintern)
				return fail(c, "comm index out of the intern table");
			emit_sched(c, cpu, nwk, PF_EV_WAKING, 0, c->cpus[cpu].cur,
				   (uint32_t)arr_at(&a[WK_PID], j));
			c->out->wakings[cpu % TL_PF_CHECK_CPUS]++;
			twk = nwk;
			j++;
		}
	}
	return true;
}

static bool check_compact(struct ck *c, uint32_t cpu, const struct pb_field *cf)
{
	struct arr a[NARR] = { 0 };
	struct pb_reader r;
	struct pb_field f;
	size_t nintern = 0;
	bool ok = true;

	tl_pb_reader_init(&r, cf->data, cf->len);
	while (ok && tl_pb_next(&r, &f)) {
		int k = arr_of(f.num);

		if (f.num == PF_CS_INTERN)
			nintern++;
		else if (k >= 0)
			ok = read_packed(c, &f, &a[k]);
	}
	if (ok && r.err)
		ok = fail(c, "malformed CompactSched");
	ok = ok && same_len(c, a, SW_TS, SW_COMM, "switch") &&
	     same_len(c, a, WK_TS, WK_COMM, "waking") &&
	     (!a[WK_FLAGS].seen || a[WK_FLAGS].v.n == a[WK_TS].v.n ||
	      fail(c, "compact waking flags of unequal length"));
	ok = ok && replay_compact(c, cpu, a, nintern);
	for (int i = 0; i < NARR; i++)
		tl_vec_free(&a[i].v);
	return ok;
}

static bool check_bundle(struct ck *c, const struct pb_field *bf)
{
	struct pb_reader r;
	struct pb_field f;
	uint64_t cpu = UINT64_MAX;
	struct plain e;

	tl_pb_reader_init(&r, bf->data, bf->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_FB_CPU)
			cpu = f.u;
	if (r.err)
		return fail(c, "malformed FtraceEventBundle");
	if (cpu >= MAX_CPU)
		return fail(c, "bundle without a valid cpu");
	tl_pb_reader_init(&r, bf->data, bf->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_FB_EVENT &&
		    !(read_plain(c, &f, &e) && plain_event(c, (uint32_t)cpu, &e)))
			return false;
		if (f.num == PF_FB_COMPACT && !check_compact(c, (uint32_t)cpu, &f))
			return false;
		if (f.num == PF_FB_LOST && f.u)
			c->out->lost_bundles++;
	}
	c->out->sched_bytes += bf->len;
	return true;
}

/* ---- process tree ---- */

static bool check_process(struct ck *c, const struct pb_field *pf)
{
	struct pb_reader r;
	struct pb_field f;
	bool pid = false;
	unsigned ncmd = 0;

	tl_pb_reader_init(&r, pf->data, pf->len);
	while (tl_pb_next(&r, &f)) {
		pid |= f.num == PF_PROC_PID;
		ncmd += f.num == PF_PROC_CMDLINE && f.len > 0;
	}
	if (r.err || !pid)
		return fail(c, "Process without pid");
	if (!ncmd)
		return fail(c, "Process without a cmdline (the importer drops it)");
	c->out->processes++;
	return true;
}

static bool check_thread(struct ck *c, const struct pb_field *tf)
{
	struct pb_reader r;
	struct pb_field f;
	bool tid = false, tgid = false;

	tl_pb_reader_init(&r, tf->data, tf->len);
	while (tl_pb_next(&r, &f)) {
		tid |= f.num == PF_THR_TID;
		tgid |= f.num == PF_THR_TGID;
	}
	if (r.err || !tid || !tgid)
		return fail(c, "Thread without tid and tgid");
	c->out->threads++;
	return true;
}

static bool check_tree(struct ck *c, const struct pb_field *pt)
{
	struct pb_reader r;
	struct pb_field f;

	tl_pb_reader_init(&r, pt->data, pt->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_PT_PROCESSES && !check_process(c, &f))
			return false;
		if (f.num == PF_PT_THREADS && !check_thread(c, &f))
			return false;
	}
	return !r.err || fail(c, "malformed ProcessTree");
}

/* ---- sequences and interning ---- */

/* The sequence with this id, made on first sight (state not valid yet).
 * The pointer holds until the next new sequence. */
static struct seq *seq_of(struct ck *c, uint32_t id)
{
	const uint64_t *k = tl_hmap_find(&c->seq_idx, id);
	struct seq *s;

	if (k)
		return seq_at(c, *k);
	if (tl_hmap_put(&c->seq_idx, id, c->seqs.n)) {
		fail(c, "out of memory");
		return NULL;
	}
	s = push(c, &c->seqs, sizeof(*s));
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

/* Whether v (bool, by iid) has iid set. */
static bool flag_at(const struct tl_vec *v, uint64_t iid)
{
	return iid < v->n && TL_VEC_AT(v, bool, iid);
}

static bool define_flag(struct ck *c, struct tl_vec *v, uint64_t iid)
{
	if (tl_vec_extend(v, sizeof(bool), iid + 1))
		return fail(c, "out of memory");
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
		return fail(c, "bad interned entry");
	if (kind == PF_ID_DEBUG_NAMES)
		return define_flag(c, &s->dbg, iid);
	if (kind == PF_ID_DEBUG_STRINGS)
		return define_flag(c, &s->strs, iid);
	if (tl_vec_extend(&s->names, sizeof(char *), iid + 1))
		return fail(c, "out of memory");
	slot = &TL_VEC_AT(&s->names, char *, iid);
	free(*slot);
	*slot = strndup((const char *)name, len);
	return *slot || fail(c, "out of memory");
}

static bool check_interned(struct ck *c, struct seq *s, const struct pb_field *id)
{
	struct pb_reader r;
	struct pb_field f;

	if (!s->cleared)
		return fail(c, "interned data on sequence %u before SEQ_INCREMENTAL_STATE_CLEARED",
			    s->id);
	tl_pb_reader_init(&r, id->data, id->len);
	while (tl_pb_next(&r, &f))
		if ((f.num == PF_ID_EVENT_NAMES || f.num == PF_ID_DEBUG_NAMES ||
		     f.num == PF_ID_CATEGORIES || f.num == PF_ID_DEBUG_STRINGS) &&
		    !define(c, s, f.num, &f))
			return false;
	return !r.err || fail(c, "malformed InternedData");
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
			return fail(c, "malformed TrackEventDefaults");
	}
	return !r.err || fail(c, "malformed TracePacketDefaults");
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
		return fail(c, "timestamp on clock %u: only BOOTTIME and sequence clocks are followed",
			    id);
	k = s ? find_clock(s, id) : NULL;
	if (!k)
		return fail(c, "timestamp on clock %u, which no ClockSnapshot on sequence %u defines",
			    id, c->seq_id);
	if (k->incremental) {
		k->last += c->ts * k->unit;
		c->ts = k->last;
		c->delta = true;
	} else {
		c->ts *= k->unit;
	}
	if ((int64_t)c->ts + k->to_boot < 0)
		return fail(c, "timestamp before BOOTTIME 0");
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
		return fail(c, "ClockSnapshot clock without clock_id");
	if (k->incremental && (k->id < PF_CLOCK_SEQ_FIRST || k->id > PF_CLOCK_SEQ_LAST))
		return fail(c, "clock %llu is incremental but not sequence-scoped",
			    (unsigned long long)k->id);
	if (k->id == PF_CLOCK_BOOTTIME && k->unit != 1)
		return fail(c, "BOOTTIME, the trace clock, must count ns");
	return true;
}

/* A sequence clock of snapshot: known from here on, at boot - its ns. */
static bool add_seq_clock(struct ck *c, const struct clk *k, uint64_t boot)
{
	struct seq *s;
	struct seq_clock *sc;

	if (!c->seq_id)
		return fail(c, "sequence clock %llu in a ClockSnapshot without sequence id",
			    (unsigned long long)k->id);
	s = seq_of(c, c->seq_id);
	if (!s)
		return false;
	if (find_clock(s, (uint32_t)k->id))
		return fail(c, "a second ClockSnapshot of clock %llu on sequence %u",
			    (unsigned long long)k->id, s->id);
	sc = push(c, &s->clocks, sizeof(*sc));
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
				return fail(c, "ClockSnapshot with more than 8 clocks");
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
		return fail(c, "malformed ClockSnapshot");
	if (!boot || other || (!c->out->has_clock_snapshot && !primary))
		return fail(c, "ClockSnapshot without BOOTTIME as primary clock");
	for (unsigned i = 0; i < n; i++)
		if (k[i].id >= PF_CLOCK_SEQ_FIRST && k[i].id <= PF_CLOCK_SEQ_LAST &&
		    !add_seq_clock(c, &k[i], boot_ts))
			return false;
	c->out->has_clock_snapshot = true;
	return true;
}

/* ---- tracks ---- */

static struct track *find_track(struct ck *c, uint64_t uuid)
{
	const uint64_t *k = tl_hmap_find(&c->track_idx, uuid);

	return k ? &TL_VEC_AT(&c->tracks, struct track, *k) : NULL;
}

static bool has_fields(const struct pb_field *m, uint32_t a, uint32_t b)
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

static bool check_descriptor(struct ck *c, const struct pb_field *d)
{
	struct pb_reader r;
	struct pb_field f;
	struct track t = { 0 }, *tp;
	bool uuid = false, thread = false, process = false;

	tl_pb_reader_init(&r, d->data, d->len);
	while (tl_pb_next(&r, &f)) {
		if (f.num == PF_TD_UUID) { t.uuid = f.u; uuid = true; }
		if (f.num == PF_TD_COUNTER) t.counter = true;
		if (f.num == PF_TD_THREAD) {
			if (!has_fields(&f, PF_TDS_PID, PF_TDS_TID))
				return fail(c, "thread track without pid and tid");
			thread = true;
		}
		if (f.num == PF_TD_PROCESS) {
			if (!has_fields(&f, PF_PD_PID, 0))
				return fail(c, "process track without pid");
			process = true;
		}
	}
	if (r.err || !uuid || !t.uuid)
		return fail(c, "track descriptor without uuid");
	if (find_track(c, t.uuid))
		return fail(c, "track uuid %#llx declared twice", (unsigned long long)t.uuid);
	if (c->tracks.n + 1 >= MAX_TRACKS)
		return fail(c, "too many tracks to check");
	if (tl_hmap_put(&c->track_idx, t.uuid, c->tracks.n))
		return fail(c, "out of memory");
	tp = push(c, &c->tracks, sizeof(*tp));
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
			if (!flag_at(&s->dbg, f.u))
				return fail(c, "debug annotation name iid %llu not interned",
					    (unsigned long long)f.u);
			e->uses_iid = named = true;
		}
		named |= f.num == PF_DA_NAME;
		if (f.num == PF_DA_STRING_IID) {
			if (!flag_at(&s->strs, f.u))
				return fail(c, "debug annotation string iid %llu not interned",
					    (unsigned long long)f.u);
			e->uses_iid = true;
		}
	}
	return (!r.err && named) || fail(c, "debug annotation without a name");
}

static bool flow_field(struct ck *c, const struct pb_field *f)
{
	if (f->wire != PB_FIXED64)
		return fail(c, "flow id not fixed64");
	if (f->num == PF_TE_FLOW_IDS) {
		uint64_t *id = push(c, &c->flows, sizeof(*id));

		if (!id)
			return false;
		*id = f->u;
		c->out->flows++;
		return true;
	}
	struct term *t = push(c, &c->terms, sizeof(*t));

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
	return !r.err || fail(c, "malformed TrackEvent");
}

static bool open_slice(struct ck *c, struct seq *s, const struct te *e)
{
	struct tslice *sl;

	const char *iname = e->name_iid < s->names.n ?
			    TL_VEC_AT(&s->names, char *, e->name_iid) : NULL;

	sl = push(c, &c->sl, sizeof(*sl));
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
		return fail(c, "event name iid %llu not interned",
			    (unsigned long long)e->name_iid);
	return true;
}

/* An END closes the latest still-open slice of its track (file order). */
static bool close_slice(struct ck *c, const struct te *e)
{
	for (size_t i = c->sl.n; i-- > 0;) {
		struct tslice *sl = sl_at(c, i);

		if (sl->track != e->track || sl->end != UINT64_MAX)
			continue;
		if (c->ts < sl->begin)
			return fail(c, "slice ends before it begins");
		sl->end = c->ts;
		return true;
	}
	return fail(c, "SLICE_END with no open slice on track %#llx",
		    (unsigned long long)e->track);
}

static bool check_track_event(struct ck *c, const struct pb_field *tf)
{
	struct seq *s;
	struct te e = { 0 };
	struct track *t;

	if (!c->seq_id)
		return fail(c, "TrackEvent without trusted_packet_sequence_id");
	if (!c->has_ts)
		return fail(c, "TrackEvent without timestamp");
	s = seq_of(c, c->seq_id);
	if (!s || !read_te(c, s, tf, &e))
		return false;
	if (e.uses_iid && !(c->flags & PF_SEQ_NEEDS))
		return fail(c, "TrackEvent uses iids without SEQ_NEEDS_INCREMENTAL_STATE");
	if (e.uses_iid && !s->cleared)
		return fail(c, "TrackEvent uses iids before the sequence was cleared");
	if (!e.track_set && s->def_track_set) {
		e.track = s->def_track;      /* track_event_defaults.track_uuid */
		e.track_set = true;
		c->out->default_track_events++;
	}
	t = e.track_set ? find_track(c, e.track) : NULL;
	if (!t)
		return fail(c, "TrackEvent on undeclared track %#llx",
			    (unsigned long long)e.track);
	if ((e.type == PF_COUNTER) != t->counter)
		return fail(c, "%s event on a %s track", e.type == PF_COUNTER ?
			    "counter" : "slice", t->counter ? "counter" : "slice");
	switch (e.type) {
	case PF_COUNTER:
		c->out->counters++;
		return e.value || fail(c, "counter event without value");
	case PF_INSTANT: c->out->instants++; return true;
	case PF_SLICE_BEGIN: c->out->slices++; return open_slice(c, s, &e);
	case PF_SLICE_END: return close_slice(c, &e);
	default: return fail(c, "TrackEvent of type %llu", (unsigned long long)e.type);
	}
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
			return fail(c, "a packet says packets before it were dropped");
		*snapshot |= f.num == PF_TP_CLOCK_SNAPSHOT;
	}
	if (r.err)
		return fail(c, "malformed TracePacket");
	if (c->seq_id && !(s = seq_of(c, c->seq_id)))
		return false;
	if (c->flags & PF_SEQ_CLEARED) {
		if (!s)
			return fail(c, "SEQ_INCREMENTAL_STATE_CLEARED without a sequence id");
		clear_seq(s);
		c->out->sequences++;
	}
	if (c->flags & PF_SEQ_NEEDS && (!s || !s->cleared))
		return fail(c, "SEQ_NEEDS_INCREMENTAL_STATE on a sequence not cleared (dropped)");
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_TP_DEFAULTS &&
		    !(s ? check_defaults(c, s, &f)
			: fail(c, "TracePacketDefaults without a sequence id")))
			return false;
	return true;
}

static bool check_system_info(struct ck *c, const struct pb_field *si)
{
	struct pb_reader r;
	struct pb_field f;

	tl_pb_reader_init(&r, si->data, si->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_SI_UTSNAME && has_fields(&f, PF_UTS_SYSNAME, PF_UTS_RELEASE) &&
		    f.len >= 7 && memmem(f.data, f.len, "Linux", 5)) {
			c->out->has_system_info = true;
			return true;
		}
	return fail(c, "SystemInfo without utsname sysname Linux and release");
}

static bool check_data(struct ck *c, const struct pb_field *f)
{
	bool data = f->num == PF_TP_FTRACE_EVENTS || f->num == PF_TP_TRACK_EVENT ||
		    f->num == PF_TP_PROCESS_TREE;

	if (data && !c->out->has_clock_snapshot)
		return fail(c, "data before the ClockSnapshot");
	switch (f->num) {
	case PF_TP_FTRACE_EVENTS: return check_bundle(c, f);
	case PF_TP_PROCESS_TREE: return check_tree(c, f);
	case PF_TP_SYSTEM_INFO: return check_system_info(c, f);
	case PF_TP_TRACK_DESCRIPTOR: return check_descriptor(c, f);
	case PF_TP_TRACK_EVENT: return check_track_event(c, f);
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
			return fail(c, "data in a ClockSnapshot packet (the importer skips it)");
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
	s = c->seq_id ? seq_of(c, c->seq_id) : NULL;
	tl_pb_reader_init(&r, pk->data, pk->len);
	while (tl_pb_next(&r, &f))
		if (f.num == PF_TP_INTERNED_DATA &&
		    !(s ? check_interned(c, s, &f)
			: fail(c, "interned data without a sequence id")))
			return false;
	if (snapshot)
		return snapshot_packet(c, pk) &&
		       (!first || fail(c, "the first packet is not SystemInfo"));
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
		return fail(c, "the first packet is not SystemInfo");
	return true;
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
static bool check_nesting(struct ck *c)
{
	uint64_t stack[256];
	unsigned depth = 0;

	if (c->sl.n > 1) /* never qsort(NULL, 0): undefined */
		qsort(c->sl.p, c->sl.n, sizeof(struct tslice), sl_cmp);
	for (size_t i = 0; i < c->sl.n; i++) {
		const struct tslice *s = sl_at(c, i);

		if (s->end == UINT64_MAX)
			return fail(c, "slice '%s' on track %#llx never ends",
				    s->name ? s->name : "", (unsigned long long)s->track);
		if (i && sl_at(c, i - 1)->track != s->track)
			depth = 0;
		while (depth && stack[depth - 1] <= s->begin) {
			if (stack[depth - 1] == s->begin)
				return fail(c, "slices touch at %llu on track %#llx",
					    (unsigned long long)s->begin,
					    (unsigned long long)s->track);
			depth--;
		}
		if (depth && s->end > stack[depth - 1])
			return fail(c, "slices overlap on track %#llx at %llu",
				    (unsigned long long)s->track,
				    (unsigned long long)s->begin);
		if (depth == 256)
			return fail(c, "slices nested too deep");
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

static bool check_flows(struct ck *c)
{
	const uint64_t *fl = c->flows.p;
	const struct term *t = c->terms.p;

	if (c->flows.n > 1) /* never qsort(NULL, 0): undefined */
		qsort(c->flows.p, c->flows.n, sizeof(*fl), u64_cmp);
	for (size_t i = 1; i < c->flows.n; i++)
		if (fl[i] == fl[i - 1])
			return fail(c, "flow id %llu started twice", (unsigned long long)fl[i]);
	for (size_t i = 0; i < c->terms.n; i++)
		if (!c->flows.n || !bsearch(&t[i].id, fl, c->flows.n, sizeof(*fl), u64_cmp))
			return fail(c, "flow id %llu ends but never starts",
				    (unsigned long long)t[i].id);
	return true;
}

static void ck_free(struct ck *c)
{
	for (size_t i = 0; i < c->seqs.n; i++) {
		free_names(seq_at(c, i));
		tl_vec_free(&seq_at(c, i)->clocks);
	}
	tl_vec_free(&c->seqs);
	tl_hmap_free(&c->seq_idx);
	for (size_t i = 0; i < c->sl.n; i++)
		free(sl_at(c, i)->name);
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
			ok = fail(c, "not a Trace.packet field");
		else
			ok = check_packet(c, &f);
		c->pkt++;
	}
	if (ok && r.err)
		ok = fail(c, "the trace is cut or malformed");
	out->packets = c->pkt;
	ok = ok && (out->has_system_info || fail(c, "no SystemInfo"));
	ok = ok && check_nesting(c) && check_flows(c);
	ck_free(c);
	free(c);
	return ok ? 0 : -EBADMSG;
}

int tl_pf_check(const void *data, size_t len, struct tl_pf_check *out,
		char *err, size_t errlen)
{
	return tl_pf_check_cb(data, len, out, NULL, err, errlen);
}
