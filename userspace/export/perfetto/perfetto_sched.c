/* perfetto_sched.c - scheduling records as Perfetto ftrace bundles.
 *
 * Switches and wakings go out in the compact encoding: per CPU, arrays of
 * delta-encoded timestamps, states, pids, priorities and indexes into a comm
 * table, written as packed fields when a CPU's batch fills. The compact form
 * has no prev task: the importer takes the previous switch's next task. So
 * the first switch on each CPU is written as a plain sched_switch (naming
 * its prev), and when a recorded prev is not the task the importer believes
 * is on the CPU (events of untraced tasks are filtered out in the kernel, or
 * were lost), a plain "bridge" switch from the believed task to the recorded
 * prev is written 1 ns before, so no slice is left open or mismatched.
 * Likewise a waking whose waker is not the believed current task goes out
 * plain, with its real waker, unless it came from an interrupt (no task
 * woke it; the compact flags mark it). Plain events are written in their own bundle
 * after the CPU's pending compact batch, keeping each CPU in time order.
 *
 * A thread's end (sched_process_free) is written just after its last
 * switch-out (the one after its exit), so the importer neither ends it
 * early nor makes a new thread of that final switch.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hmap.h"

/* Compact events of each kind per CPU bundle. The comm table and the
 * bundle framing are paid once per bundle, so bigger bundles cost fewer
 * bytes per event; BATCH_MAX is the most a trace has ever been written
 * with (the comm table once had 16-bit slots), kept so traces stay the
 * same bytes. */
#define DEFAULT_BATCH 16384
#define BATCH_MAX 16384
#define NO_TASK UINT32_MAX
#define MAX_EXITING 64

struct exiting {
	uint32_t tid;
	bool leader, switched_out;
	uint16_t cpu;        /* where it switched out */
	uint64_t due;        /* free at or after this ts */
	char comm[TL_COMM_LEN];
};

struct cpu_batch {
	uint32_t cur;        /* task the importer believes runs here */
	int32_t cur_prio;
	char cur_comm[TL_COMM_LEN];
	bool primed;         /* a switch was written on this CPU */
	bool lost;           /* next bundle says events were lost before it */
	uint64_t last_ts;    /* latest event written or queued */
	unsigned nsw, nwk, ncomm;
	bool wk_flags_used;
	uint64_t *sw_ts; int64_t *sw_state; int32_t *sw_pid, *sw_prio;
	uint32_t *sw_comm;
	uint64_t *wk_ts; int32_t *wk_pid, *wk_cpu, *wk_prio;
	uint32_t *wk_comm, *wk_flags;
	char (*comms)[TL_COMM_LEN];
	/* comm hash -> index in comms; emptied per batch, its memory kept:
	 * it grows to the most comms one batch had, so it stays small */
	struct tl_hmap comm_idx;
};

struct tl_pf_sched {
	struct pb_writer *w;
	uint32_t ncpus;
	unsigned batch;
	struct cpu_batch **cpus;
	struct exiting exiting[MAX_EXITING];
	unsigned nexiting;
	struct tl_pf_sched_stats st;
};

struct tl_pf_sched *tl_pf_sched_new(struct pb_writer *w, uint32_t ncpus,
				    unsigned bundle_max)
{
	struct tl_pf_sched *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->w = w;
	s->ncpus = ncpus && ncpus <= TL_MAX_CPUS ? ncpus : TL_MAX_CPUS;
	s->batch = bundle_max ? bundle_max : DEFAULT_BATCH;
	if (s->batch > BATCH_MAX)
		s->batch = BATCH_MAX;
	s->cpus = calloc(TL_MAX_CPUS, sizeof(*s->cpus));
	if (!s->cpus) {
		free(s);
		return NULL;
	}
	return s;
}

static void free_cpu(struct cpu_batch *c)
{
	if (!c)
		return;
	free(c->sw_ts);
	free(c->wk_ts);
	free(c->comms);
	tl_hmap_free(&c->comm_idx);
	free(c);
}

/* One allocation per array kind; a CPU's arrays exist only once it is used. */
static struct cpu_batch *new_cpu(unsigned n)
{
	struct cpu_batch *c = calloc(1, sizeof(*c));
	size_t sw = n * (8 + 8 + 4 + 4 + 4), wk = n * (8 + 4 * 5);

	if (!c)
		return NULL;
	c->cur = NO_TASK;
	c->sw_ts = malloc(sw);
	c->wk_ts = malloc(wk);
	c->comms = malloc((size_t)n * TL_COMM_LEN);
	if (!c->sw_ts || !c->wk_ts || !c->comms) {
		free_cpu(c);
		return NULL;
	}
	c->sw_state = (int64_t *)(c->sw_ts + n);
	c->sw_pid = (int32_t *)(c->sw_state + n);
	c->sw_prio = c->sw_pid + n;
	c->sw_comm = (uint32_t *)(c->sw_prio + n);
	c->wk_pid = (int32_t *)(c->wk_ts + n);
	c->wk_cpu = c->wk_pid + n;
	c->wk_prio = c->wk_cpu + n;
	c->wk_comm = (uint32_t *)(c->wk_prio + n);
	c->wk_flags = c->wk_comm + n;
	return c;
}

static struct cpu_batch *cpu_of(struct tl_pf_sched *s, uint16_t cpu)
{
	if (cpu >= TL_MAX_CPUS)
		return NULL;
	if (!s->cpus[cpu]) {
		s->cpus[cpu] = new_cpu(s->batch);
		if (!s->cpus[cpu] && !s->w->err)
			s->w->err = -ENOMEM;
	}
	return s->cpus[cpu];
}

/* ---- bundles ---- */

static void bundle_begin(struct tl_pf_sched *s, struct cpu_batch *c, uint16_t cpu)
{
	tl_pf_packet_begin(s->w, 0, PF_SEQ_FTRACE, 0);
	tl_pb_begin(s->w, PF_TP_FTRACE_EVENTS);
	pb_varint(s->w, PF_FB_CPU, cpu);
	if (c->lost) {
		pb_bool(s->w, PF_FB_LOST, true);
		c->lost = false;
	}
}

static void bundle_end(struct tl_pf_sched *s, uint64_t start)
{
	tl_pb_end(s->w);
	tl_pf_packet_end(s->w);
	s->st.bundles++;
	s->st.bytes += pb_total(s->w) - start;
}

/* Timestamps become deltas from the previous one of the same kind. */
static void delta_encode(uint64_t *ts, unsigned n)
{
	for (unsigned i = n; i-- > 1;)
		ts[i] -= ts[i - 1];
}

static void write_compact(struct pb_writer *w, struct cpu_batch *c)
{
	tl_pb_begin(w, PF_FB_COMPACT);
	for (unsigned i = 0; i < c->ncomm; i++)
		tl_pb_string_n(w, PF_CS_INTERN, c->comms[i], TL_COMM_LEN);
	delta_encode(c->sw_ts, c->nsw);
	tl_pb_packed_u64(w, PF_CS_SW_TS, c->sw_ts, c->nsw);
	tl_pb_packed_i64(w, PF_CS_SW_PREV_STATE, c->sw_state, c->nsw);
	tl_pb_packed_i32(w, PF_CS_SW_NEXT_PID, c->sw_pid, c->nsw);
	tl_pb_packed_i32(w, PF_CS_SW_NEXT_PRIO, c->sw_prio, c->nsw);
	tl_pb_packed_u32(w, PF_CS_SW_NEXT_COMM, c->sw_comm, c->nsw);
	delta_encode(c->wk_ts, c->nwk);
	tl_pb_packed_u64(w, PF_CS_WK_TS, c->wk_ts, c->nwk);
	tl_pb_packed_i32(w, PF_CS_WK_PID, c->wk_pid, c->nwk);
	tl_pb_packed_i32(w, PF_CS_WK_CPU, c->wk_cpu, c->nwk);
	tl_pb_packed_i32(w, PF_CS_WK_PRIO, c->wk_prio, c->nwk);
	tl_pb_packed_u32(w, PF_CS_WK_COMM, c->wk_comm, c->nwk);
	if (c->wk_flags_used)
		tl_pb_packed_u32(w, PF_CS_WK_FLAGS, c->wk_flags, c->nwk);
	tl_pb_end(w);
}

static void flush_cpu(struct tl_pf_sched *s, uint16_t cpu)
{
	struct cpu_batch *c = s->cpus[cpu];
	uint64_t start = pb_total(s->w);

	if (!c || (!c->nsw && !c->nwk))
		return;
	bundle_begin(s, c, cpu);
	write_compact(s->w, c);
	bundle_end(s, start);
	c->nsw = c->nwk = c->ncomm = 0;
	c->wk_flags_used = false;
	tl_hmap_clear(&c->comm_idx);
}

static unsigned comm_hash(const char *comm)
{
	uint64_t a, b;

	memcpy(&a, comm, 8);
	memcpy(&b, comm + 8, 8);
	return (unsigned)(((a * 0x9e3779b97f4a7c15ULL) ^ (b * 0xc2b2ae3d27d4eb4fULL)) >> 40);
}

/* Index of comm in the batch's table, adding it (0 and the writer's error
 * set when out of memory). */
static uint32_t intern(struct tl_pf_sched *s, struct cpu_batch *c, const char *comm)
{
	uint64_t h = comm_hash(comm);
	size_t pos = tl_hmap_probe_start(&c->comm_idx, h);
	const uint64_t *k;

	while ((k = tl_hmap_probe(&c->comm_idx, h, &pos)))
		if (!memcmp(c->comms[*k], comm, TL_COMM_LEN))
			return (uint32_t)*k;
	if (tl_hmap_add(&c->comm_idx, h, c->ncomm)) {
		if (!s->w->err)
			s->w->err = -ENOMEM;
		return 0;
	}
	memcpy(c->comms[c->ncomm], comm, TL_COMM_LEN);
	c->comms[c->ncomm][TL_COMM_LEN - 1] = 0;
	return c->ncomm++;
}

/* ---- plain events, each in its own bundle after the compact batch ---- */

static uint64_t plain_begin_flags(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
				  uint32_t pid, uint32_t flags, uint32_t field)
{
	uint64_t start;

	flush_cpu(s, cpu);
	start = pb_total(s->w);
	bundle_begin(s, s->cpus[cpu], cpu);
	tl_pb_begin(s->w, PF_FB_EVENT);
	pb_varint(s->w, PF_FE_TS, ts);
	pb_varint(s->w, PF_FE_PID, pid);
	if (flags)
		pb_varint(s->w, PF_FE_COMMON_FLAGS, flags);
	tl_pb_begin(s->w, field);
	s->st.plain_events++;
	if (ts > s->cpus[cpu]->last_ts)
		s->cpus[cpu]->last_ts = ts;
	return start;
}

static uint64_t plain_begin(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
			    uint32_t pid, uint32_t field)
{
	return plain_begin_flags(s, cpu, ts, pid, 0, field);
}

static void plain_end(struct tl_pf_sched *s, uint64_t start)
{
	tl_pb_end(s->w);   /* the event's own message */
	tl_pb_end(s->w);   /* FtraceEvent */
	bundle_end(s, start);
}

static void set_cur(struct cpu_batch *c, const struct tl_switch *sw)
{
	c->cur = sw->next_tid;
	c->cur_prio = sw->next_prio;
	memcpy(c->cur_comm, sw->next_comm, TL_COMM_LEN);
}

static void plain_switch(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
			 uint32_t prev, const char *prev_comm, int32_t prev_prio,
			 int64_t state, const struct tl_switch *sw)
{
	uint64_t at = plain_begin(s, cpu, ts, prev, PF_FE_SCHED_SWITCH);
	struct pb_writer *w = s->w;

	tl_pb_string_n(w, PF_SW_PREV_COMM, prev_comm, TL_COMM_LEN);
	pb_int32(w, PF_SW_PREV_PID, (int32_t)prev);
	pb_int32(w, PF_SW_PREV_PRIO, prev_prio);
	pb_int64(w, PF_SW_PREV_STATE, state);
	tl_pb_string_n(w, PF_SW_NEXT_COMM, sw->next_comm, TL_COMM_LEN);
	pb_int32(w, PF_SW_NEXT_PID, (int32_t)sw->next_tid);
	pb_int32(w, PF_SW_NEXT_PRIO, sw->next_prio);
	plain_end(s, at);
	set_cur(s->cpus[cpu], sw);
	s->cpus[cpu]->primed = true;
}

/* The CPU ran something we did not see between the believed task and the
 * recorded prev: end the believed task's slice 1 ns before, handing the CPU
 * to the recorded prev (state unknown, so runnable). */
static void bridge(struct tl_pf_sched *s, struct cpu_batch *c, const struct tl_switch *sw)
{
	struct tl_switch to_prev = *sw;
	uint64_t ts = sw->h.ts > c->last_ts ? sw->h.ts - 1 : sw->h.ts;

	to_prev.next_tid = sw->h.tid;
	memcpy(to_prev.next_comm, sw->prev_comm, TL_COMM_LEN);
	to_prev.next_prio = sw->prev_prio;
	plain_switch(s, sw->h.cpu, ts, c->cur, c->cur_comm, c->cur_prio, 0,
		     &to_prev);
	s->st.bridges++;
}

/* ---- thread ends ---- */

static struct exiting *find_exiting(struct tl_pf_sched *s, uint32_t tid)
{
	for (unsigned i = 0; i < s->nexiting; i++)
		if (s->exiting[i].tid == tid)
			return &s->exiting[i];
	return NULL;
}

static void write_free(struct tl_pf_sched *s, const struct exiting *e, uint64_t ts)
{
	struct cpu_batch *c = s->cpus[e->cpu];
	uint64_t at = plain_begin(s, e->cpu, ts, c->cur == NO_TASK ? 0 : c->cur,
				  PF_FE_PROCESS_FREE);

	tl_pb_string_n(s->w, 1, e->comm, TL_COMM_LEN);
	pb_int32(s->w, 2, (int32_t)e->tid);
	plain_end(s, at);
}

static void drop_exiting(struct tl_pf_sched *s, struct exiting *e)
{
	*e = s->exiting[--s->nexiting];
}

/* Frees due on cpu before an event at ts is written there. */
static void frees_due(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts)
{
	for (unsigned i = 0; i < s->nexiting;) {
		struct exiting *e = &s->exiting[i];

		if (e->switched_out && e->cpu == cpu && ts >= e->due) {
			write_free(s, e, e->due);
			drop_exiting(s, e);
			continue;
		}
		i++;
	}
}

static void on_task_exit(struct tl_pf_sched *s, const struct tl_exit *x)
{
	struct exiting *e = find_exiting(s, x->h.tid);
	uint64_t at;

	if (!cpu_of(s, x->h.cpu))
		return;
	at = plain_begin(s, x->h.cpu, x->h.ts, x->h.tid, PF_FE_PROCESS_EXIT);
	tl_pb_string_n(s->w, 1, x->comm, TL_COMM_LEN);
	pb_int32(s->w, 2, (int32_t)x->h.tid);
	pb_int32(s->w, 3, (int32_t)x->h.tgid);
	plain_end(s, at);
	if (!e) {
		if (s->nexiting == MAX_EXITING) /* make room: the oldest ends now */
			frees_due(s, s->exiting[0].cpu, UINT64_MAX);
		if (s->nexiting == MAX_EXITING)
			return;
		e = &s->exiting[s->nexiting++];
	}
	memset(e, 0, sizeof(*e));
	e->tid = x->h.tid;
	e->leader = x->h.tid == x->h.tgid;
	e->cpu = x->h.cpu;
	memcpy(e->comm, x->comm, TL_COMM_LEN);
}

/* ---- switches and wakings ---- */

static void on_switch(struct tl_pf_sched *s, const struct tl_switch *sw)
{
	uint16_t cpu = sw->h.cpu;
	struct cpu_batch *c = cpu_of(s, cpu);
	struct exiting *e = s->nexiting ? find_exiting(s, sw->h.tid) : NULL;
	int64_t state;

	if (!c)
		return;
	state = tl_pf_prev_state(sw->prev_state, sw->preempt, e && e->leader);
	if (!c->primed) {
		plain_switch(s, cpu, sw->h.ts, sw->h.tid, sw->prev_comm,
			     sw->prev_prio, state, sw);
	} else {
		if (c->cur != sw->h.tid)
			bridge(s, c, sw);
		if (c->nsw == s->batch || c->ncomm + 1 >= s->batch)
			flush_cpu(s, cpu);
		c->sw_ts[c->nsw] = sw->h.ts;
		c->sw_state[c->nsw] = state;
		c->sw_pid[c->nsw] = (int32_t)sw->next_tid;
		c->sw_prio[c->nsw] = sw->next_prio;
		c->sw_comm[c->nsw] = intern(s, c, sw->next_comm);
		c->nsw++;
		set_cur(c, sw);
		c->last_ts = sw->h.ts;
		s->st.compact_switches++;
	}
	s->st.switches++;
	if (e && sw->prev_state & 0x80) {
		e->switched_out = true;
		e->cpu = cpu;
		e->due = sw->h.ts + 1;
	}
}

static void plain_waking(struct tl_pf_sched *s, const struct tl_waking *wk)
{
	bool irq = wk->h.flags & TL_HDR_F_IRQ;
	uint64_t at = plain_begin_flags(s, wk->h.cpu, wk->h.ts, wk->h.tid,
					irq ? PF_FLAG_HARDIRQ : 0, PF_FE_SCHED_WAKING);

	tl_pb_string_n(s->w, PF_WK_COMM, wk->comm, TL_COMM_LEN);
	pb_int32(s->w, PF_WK_PID, (int32_t)wk->tid);
	pb_int32(s->w, PF_WK_PRIO, wk->prio);
	pb_int32(s->w, PF_WK_SUCCESS, 1);
	pb_int32(s->w, PF_WK_TARGET_CPU, wk->target_cpu);
	plain_end(s, at);
}

static void on_waking(struct tl_pf_sched *s, const struct tl_waking *wk)
{
	uint16_t cpu = wk->h.cpu;
	struct cpu_batch *c = cpu_of(s, cpu);
	bool irq = wk->h.flags & TL_HDR_F_IRQ;

	if (!c)
		return;
	s->st.wakings++;
	/* Only the compact form's flags reach thread_state.irq_context (the
	 * importer reads no flags of a plain sched_waking), and an
	 * interrupt's waking has no waker to name: it stays compact. */
	if (!c->primed || (c->cur != wk->h.tid && !irq)) {
		plain_waking(s, wk);
		return;
	}
	if (c->nwk == s->batch || c->ncomm + 1 >= s->batch)
		flush_cpu(s, cpu);
	c->wk_ts[c->nwk] = wk->h.ts;
	c->wk_pid[c->nwk] = (int32_t)wk->tid;
	c->wk_cpu[c->nwk] = wk->target_cpu;
	c->wk_prio[c->nwk] = wk->prio;
	c->wk_comm[c->nwk] = intern(s, c, wk->comm);
	/* hard or soft, the BPF side says only "interrupt": either bit
	 * makes the importer set irq_context */
	c->wk_flags[c->nwk] = irq ? PF_FLAG_HARDIRQ : 0;
	c->wk_flags_used |= irq;
	c->nwk++;
	c->last_ts = wk->h.ts;
	s->st.compact_wakings++;
}

/* ---- other task events, plain ---- */

static void on_newtask(struct tl_pf_sched *s, const struct tl_newtask *n)
{
	uint64_t at;

	if (!cpu_of(s, n->h.cpu))
		return;
	at = plain_begin(s, n->h.cpu, n->h.ts, n->h.tid, PF_FE_TASK_NEWTASK);
	pb_int32(s->w, 1, (int32_t)n->tid);
	tl_pb_string_n(s->w, 2, n->comm, TL_COMM_LEN);
	pb_varint(s->w, 3, n->clone_flags);
	plain_end(s, at);
}

static void tl_model_on_rename(struct tl_pf_sched *s, const struct tl_rename *r)
{
	uint64_t at;

	if (!cpu_of(s, r->h.cpu))
		return;
	at = plain_begin(s, r->h.cpu, r->h.ts, r->h.tid, PF_FE_TASK_RENAME);
	pb_int32(s->w, 1, (int32_t)r->tid);
	tl_pb_string_n(s->w, 2, r->oldcomm, TL_COMM_LEN);
	tl_pb_string_n(s->w, 3, r->newcomm, TL_COMM_LEN);
	plain_end(s, at);
}

static void tl_model_on_exec(struct tl_pf_sched *s, const struct tl_exec *x)
{
	uint64_t at;

	if (!cpu_of(s, x->h.cpu))
		return;
	at = plain_begin(s, x->h.cpu, x->h.ts, x->h.tid, PF_FE_PROCESS_EXEC);
	tl_pb_string_n(s->w, 1, x->filename, TL_PATH_LEN);
	pb_int32(s->w, 2, (int32_t)x->h.tid);
	pb_int32(s->w, 3, (int32_t)(x->old_tid ? x->old_tid : x->h.tid));
	plain_end(s, at);
}

static void on_loss(struct tl_pf_sched *s, const struct tl_loss *l)
{
	struct cpu_batch *c = cpu_of(s, l->h.cpu);

	if (!c || !l->lost_new)
		return;
	flush_cpu(s, l->h.cpu);
	c->lost = true;
}

void tl_pf_sched_record(struct tl_pf_sched *s, const struct tl_hdr *rec)
{
	if (s->nexiting && rec->cpu < TL_MAX_CPUS)
		frees_due(s, rec->cpu, rec->ts);
	switch (rec->type) {
	case TL_SWITCH: on_switch(s, (const void *)rec); break;
	case TL_WAKING:
	case TL_WAKEUP_NEW: on_waking(s, (const void *)rec); break;
	case TL_NEWTASK: on_newtask(s, (const void *)rec); break;
	case TL_RENAME: tl_model_on_rename(s, (const void *)rec); break;
	case TL_EXEC: tl_model_on_exec(s, (const void *)rec); break;
	case TL_EXIT: on_task_exit(s, (const void *)rec); break;
	case TL_LOSS: on_loss(s, (const void *)rec); break;
	default: break;
	}
}

void tl_pf_sched_finish(struct tl_pf_sched *s)
{
	/* Threads that exited without a final switch-out end at the latest
	 * event of their CPU. */
	while (s->nexiting) {
		struct exiting *e = &s->exiting[0];
		struct cpu_batch *c = s->cpus[e->cpu];

		if (!e->switched_out)
			e->due = c->last_ts;
		write_free(s, e, e->due > c->last_ts ? e->due : c->last_ts);
		drop_exiting(s, e);
	}
	for (uint32_t cpu = 0; cpu < TL_MAX_CPUS; cpu++)
		flush_cpu(s, (uint16_t)cpu);
}

void tl_pf_sched_stats(const struct tl_pf_sched *s, struct tl_pf_sched_stats *st)
{
	*st = s->st;
}

void tl_pf_sched_free(struct tl_pf_sched *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < TL_MAX_CPUS; i++)
		free_cpu(s->cpus[i]);
	free(s->cpus);
	free(s);
}
