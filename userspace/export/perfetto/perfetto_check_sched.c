/* perfetto_check_sched.c - the trace checker's scheduling part: each
 * CPU's ftrace bundles replayed in order as the importer replays them
 * (plain and compact events, the task on each CPU, prev_state values),
 * and ProcessTree entries (perfetto_check_impl.h). */
#include "perfetto_check_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- packed arrays ---- */

struct arr { struct tl_vec v; bool seen; };   /* v: uint64_t */

static uint64_t arr_at(const struct arr *a, size_t i)
{
	return TL_VEC_AT(&a->v, uint64_t, i);
}

static bool read_packed(struct ck *c, const struct pb_field *f, struct arr *a)
{
	const uint8_t *p, *end;

	if (f->wire != PB_LEN)
		return tl_pfck_fail(c, "compact field %u is not packed", f->num);
	a->seen = true;
	if (!f->len) /* an empty field may have no data pointer: NULL + 0 is
		      * undefined */
		return true;
	p = f->data;
	end = f->data + f->len;
	while (p < end) {
		uint64_t v;

		if (!tl_pb_read_varint(&p, end, &v))
			return tl_pfck_fail(c, "bad varint in packed field %u", f->num);
		uint64_t *e = tl_pfck_push(c, &a->v, sizeof(*e));

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
		return tl_pfck_fail(c, "cpu %u: timestamp %llu before %llu", cpu,
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
		return tl_pfck_fail(c, "prev_state %#llx does not decode", (unsigned long long)st);
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
		return tl_pfck_fail(c, "sched_switch without prev_pid/next_pid");
	if (c->cpus[cpu].primed && c->cpus[cpu].cur != prev)
		return tl_pfck_fail(c, "cpu %u: switch from %llu but %llu is running", cpu,
			    (unsigned long long)prev,
			    (unsigned long long)c->cpus[cpu].cur);
	if (e->pid != prev)
		return tl_pfck_fail(c, "sched_switch pid %llu is not prev %llu",
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
		return tl_pfck_fail(c, "sched_waking without pid");
	emit_sched(c, cpu, e->ts, PF_EV_WAKING, 0, e->pid, pid);
	c->out->wakings[cpu % TL_PF_CHECK_CPUS]++;
	return true;
}

/* sched_blocked_reason: its caller is an iid of the packet's sequence's
 * kernel_symbols, which the packet must say it uses. Written with its
 * CPU's compact batch, it is not in that CPU's time order (the importer
 * sorts it; it only marks the thread's latest blocked row). */
static bool blocked_reason(struct ck *c, const struct plain *e)
{
	struct pb_reader r;
	struct pb_field f;
	uint64_t caller = 0;
	bool pid = false;
	struct seq *s = c->seq_id ? tl_pfck_seq_of(c, c->seq_id) : NULL;

	tl_pb_reader_init(&r, e->body, e->len);
	while (tl_pb_next(&r, &f)) {
		pid |= f.num == PF_BR_PID;
		if (f.num == PF_BR_CALLER) caller = f.u;
	}
	if (r.err || !pid)
		return tl_pfck_fail(c, "sched_blocked_reason without pid");
	if (caller && (!s || !(c->flags & PF_SEQ_NEEDS) ||
		       !tl_pfck_flag_at(&s->ksyms, caller)))
		return tl_pfck_fail(c, "sched_blocked_reason caller %llu not interned "
				    "(or no SEQ_NEEDS_INCREMENTAL_STATE)",
				    (unsigned long long)caller);
	c->out->blocked_reasons++;
	return true;
}

static bool plain_event(struct ck *c, uint32_t cpu, const struct plain *e)
{
	if (e->kind == PF_FE_BLOCKED_REASON)
		return blocked_reason(c, e);
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
	default: return tl_pfck_fail(c, "unexpected ftrace event %u", e->kind);
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
		return tl_pfck_fail(c, "malformed FtraceEvent");
	if (!ts || !pid)
		return tl_pfck_fail(c, "FtraceEvent without %s", ts ? "pid" : "timestamp");
	if (nevents != 1)
		return tl_pfck_fail(c, "FtraceEvent with %u event messages", nevents);
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
			return tl_pfck_fail(c, "compact %s arrays of unequal length", what);
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
			return tl_pfck_fail(c, "cpu %u: compact event before any switch", cpu);
		if (nsw <= nwk) {
			if (!sched_ts(c, cpu, nsw) ||
			    !check_state(c, (int64_t)arr_at(&a[SW_STATE], i)))
				return false;
			if (arr_at(&a[SW_COMM], i) >= nintern)
				return tl_pfck_fail(c, "comm index out of the intern table");
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
				return tl_pfck_fail(c, "comm index out of the intern table");
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
		ok = tl_pfck_fail(c, "malformed CompactSched");
	ok = ok && same_len(c, a, SW_TS, SW_COMM, "switch") &&
	     same_len(c, a, WK_TS, WK_COMM, "waking") &&
	     (!a[WK_FLAGS].seen || a[WK_FLAGS].v.n == a[WK_TS].v.n ||
	      tl_pfck_fail(c, "compact waking flags of unequal length"));
	ok = ok && replay_compact(c, cpu, a, nintern);
	for (int i = 0; i < NARR; i++)
		tl_vec_free(&a[i].v);
	return ok;
}

bool tl_pfck_bundle(struct ck *c, const struct pb_field *bf)
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
		return tl_pfck_fail(c, "malformed FtraceEventBundle");
	if (cpu >= MAX_CPU)
		return tl_pfck_fail(c, "bundle without a valid cpu");
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
		return tl_pfck_fail(c, "Process without pid");
	if (!ncmd)
		return tl_pfck_fail(c, "Process without a cmdline (the importer drops it)");
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
		return tl_pfck_fail(c, "Thread without tid and tgid");
	c->out->threads++;
	return true;
}

bool tl_pfck_tree(struct ck *c, const struct pb_field *pt)
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
	return !r.err || tl_pfck_fail(c, "malformed ProcessTree");
}
