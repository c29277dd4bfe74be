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
 * Likewise a waking, or any record naming the current task, whose task is
 * not the believed one gets a bridge switch to it; wakings go out compact. Plain events are
 * written in their own bundle
 * after the CPU's pending compact batch, keeping each CPU in time order.
 *
 * A thread's end (sched_process_free) is written just after its last
 * switch-out (the one after its exit), so the importer neither ends it
 * early nor makes a new thread of that final switch. A process leader's
 * end also ends its process in the importer (any later event of one of
 * its threads would start a new thread outside any process), so, as in
 * the kernel, it waits until the other threads of its group (those of the
 * start snapshot and those cloned since) have ended. The exit records'
 * group_dead cannot say when that is: threads killed together leave in any
 * order, and the last to leave the thread group may not be the last to
 * switch out.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "recording/syscalls.h"
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
/* The model's window for a waking that beats its wakee's switch-out
 * (TL_PENDING_WAKE_NS, docs/model.md "Unknown, loss and missed events") */
#define PENDING_WAKE_NS 200000ull
#define PRIO_UNKNOWN 120  /* a bridge's waker: the record has no prio, say nice 0 */

struct exiting {
	uint32_t tid, tgid;
	bool leader, switched_out;
	bool held;           /* a leader whose threads still run */
	uint16_t cpu;        /* where it switched out */
	uint64_t due;        /* free at or after this ts */
	char comm[TL_COMM_LEN];
};

/* A waking of the task running on a CPU (while it was switching out). */
struct pending {
	uint32_t wakee, waker;
	int32_t prio, target_cpu;
	bool irq;
	uint64_t ts;
	char comm[TL_COMM_LEN];
};

struct cpu_batch {
	uint32_t cur;        /* task the importer believes runs here */
	struct pending pend; /* wakee 0: none */
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
	struct tl_pf_blocked *blocked;
	bool seq_started;    /* the ftrace sequence's first packet is written */
	struct tl_hmap groups;   /* tgid -> its threads other than the leader
				  * not yet ended */
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
	s->blocked = tl_pf_blocked_new();
	if (!s->cpus || !s->blocked) {
		tl_pf_sched_free(s);
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

/* The ftrace sequence is cleared by its first packet: the blocked-reason
 * names are interned on it. A bundle with blocked reasons uses them. */
static void bundle_begin(struct tl_pf_sched *s, struct cpu_batch *c, uint16_t cpu,
			 bool reasons)
{
	uint32_t flags = (s->seq_started ? 0 : PF_SEQ_CLEARED) |
			 (reasons ? PF_SEQ_NEEDS : 0);

	tl_pf_packet_begin(s->w, 0, PF_SEQ_FTRACE, flags);
	s->seq_started = true;
	if (reasons)
		tl_pf_blocked_interned(s->blocked, s->w);
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
	bool reasons = tl_pf_blocked_pending(s->blocked, cpu);

	if (!c || (!c->nsw && !c->nwk && !reasons))
		return;
	bundle_begin(s, c, cpu, reasons);
	if (c->nsw || c->nwk)
		write_compact(s->w, c);
	if (reasons)
		tl_pf_blocked_events(s->blocked, s->w, cpu);
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

static uint64_t plain_begin(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
			    uint32_t pid, uint32_t field)
{
	uint64_t start;

	flush_cpu(s, cpu);
	start = pb_total(s->w);
	bundle_begin(s, s->cpus[cpu], cpu, false);
	tl_pb_begin(s->w, PF_FB_EVENT);
	pb_varint(s->w, PF_FE_TS, ts);
	pb_varint(s->w, PF_FE_PID, pid);
	tl_pb_begin(s->w, field);
	s->st.plain_events++;
	if (ts > s->cpus[cpu]->last_ts)
		s->cpus[cpu]->last_ts = ts;
	return start;
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

/* Counts one more thread in process tgid (not its leader). */
static void group_add(struct tl_pf_sched *s, uint32_t tgid)
{
	uint64_t *n = tl_hmap_find(&s->groups, tgid);

	if (n)
		(*n)++;
	else if (tl_hmap_put(&s->groups, tgid, 1))
		s->w->err = s->w->err ? s->w->err : -ENOMEM;
}

/* Threads of process tgid other than its leader still to end. */
static uint32_t group_threads(struct tl_pf_sched *s, uint32_t tgid)
{
	const uint64_t *n = tl_hmap_find(&s->groups, tgid);

	return n ? (uint32_t)*n : 0;
}

/* A thread other than the leader has ended (its free is being written on
 * cpu, before a record at now): when it was the last one, a leader that
 * waits for it may end - not before its own final switch-out, and not
 * before now on this CPU, whose events are written in time order (the
 * thread's free may be written long after its instant). Returns whether
 * a leader was released. */
static bool release_leader(struct tl_pf_sched *s, const struct exiting *last,
			   uint16_t cpu, uint64_t now)
{
	uint64_t *n = last->leader ? NULL : tl_hmap_find(&s->groups, last->tgid);
	struct exiting *l;

	if (!n || !*n || --*n)
		return false;
	tl_hmap_del(&s->groups, last->tgid);
	l = find_exiting(s, last->tgid);
	if (!l || !l->held)
		return false;
	l->held = false;
	if (!l->switched_out)
		return false;   /* its final switch-out makes it due */
	if (now == UINT64_MAX)
		now = last->due;
	l->cpu = cpu;
	l->due = l->due > now ? l->due : now;
	return true;
}

/* Frees due on cpu before an event at ts is written there. */
static void frees_due(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts)
{
	for (unsigned i = 0; i < s->nexiting;) {
		struct exiting *e = &s->exiting[i];

		if (e->switched_out && !e->held && e->cpu == cpu && ts >= e->due) {
			struct exiting last = *e;

			write_free(s, e, e->due);
			drop_exiting(s, e);
			i = release_leader(s, &last, cpu, ts) ? 0 : i;
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
	e->tgid = x->h.tgid;
	e->leader = x->h.tid == x->h.tgid;
	e->held = e->leader && group_threads(s, x->h.tgid) > 0;
	e->cpu = x->h.cpu;
	memcpy(e->comm, x->comm, TL_COMM_LEN);
}

/* ---- switches and wakings ---- */

static bool replay_pending(struct tl_pf_sched *s, uint16_t cpu,
			   const struct tl_switch *sw, int64_t state);

/* Who of sw's tasks is blocked now, for the importer's thread_state
 * (perfetto_blocked.c): prev when it left blocked in a known syscall (and
 * no replayed waking made it Runnable), io_wait for an uninterruptible
 * wait on a file or block device; next runs, so it is not. */
static void note_blocked(struct tl_pf_sched *s, const struct tl_switch *sw,
			 int64_t state, bool replayed)
{
	bool io = (state & 2) && (sw->why.fd_kind == TL_FD_FILE ||
				  sw->why.fd_kind == TL_FD_BLK);

	tl_pf_blocked_forget(s->blocked, sw->next_tid);
	if (replayed || sw->preempt || !(state & 3) || (state & 0x30) ||
	    (sw->prev_state & 0x80) || sw->why.sys_nr < 0) {
		tl_pf_blocked_forget(s->blocked, sw->h.tid);
		return;
	}
	if (tl_pf_blocked_block(s->blocked, sw->h.tid, sw->h.ts,
				tl_syscall_name(sw->why.sys_nr), io) && !s->w->err)
		s->w->err = -ENOMEM;
}

/* Whether c's pending waking is for sw's prev leaving blocked within the
 * model's window: then it is written again right after sw. */
static bool pending_due(const struct cpu_batch *c, const struct tl_switch *sw,
			int64_t state)
{
	const struct pending *p = &c->pend;

	return p->wakee && p->wakee == sw->h.tid && !sw->preempt &&
	       (state & 0x7f) && !(state & 0x30) && !(sw->prev_state & 0x80) &&
	       sw->h.ts - p->ts <= PENDING_WAKE_NS;
}

static void on_switch(struct tl_pf_sched *s, const struct tl_switch *sw)
{
	uint16_t cpu = sw->h.cpu;
	struct cpu_batch *c = cpu_of(s, cpu);
	struct exiting *e = s->nexiting ? find_exiting(s, sw->h.tid) : NULL;
	int64_t state;

	if (!c)
		return;
	state = tl_pf_prev_state(sw->prev_state, sw->preempt, e && e->leader);
	if (c->primed && c->cur != sw->h.tid)
		bridge(s, c, sw);
	/* A replayed plain waking must follow its switch at the same instant:
	 * the importer queues a CPU's plain events, compact switches and
	 * compact wakings apart and takes ties between the queues in no
	 * order of ours, so the switch goes out plain too. */
	if (!c->primed || (pending_due(c, sw, state) && !c->pend.irq)) {
		plain_switch(s, cpu, sw->h.ts, sw->h.tid, sw->prev_comm,
			     sw->prev_prio, state, sw);
	} else {
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
	note_blocked(s, sw, state, c->pend.wakee && replay_pending(s, cpu, sw, state));
	if (e && sw->prev_state & 0x80) {
		e->switched_out = true;
		e->cpu = cpu;
		e->due = sw->h.ts + 1;
	}
}

/* A record fired with h.tid current on its CPU, which the importer must
 * believe too, as the model does (docs/model.md: Running is entered by any
 * record where the thread is the current task): a compact waking's waker
 * is the CPU's current task, only the compact form carries common_flags
 * (the importer's irq_context), and a thread whose switch-in was missed
 * runs from its first record, not from its next switch. So when the
 * importer believes another task runs there (or nothing yet: the CPU's
 * first event), a bridge switch from it to h.tid is written 1 ns before.
 * A waker then has a Running row the waking can point to, even when its
 * own switches were not recorded (an untraced waker, -p). */
static void bridge_to_current(struct tl_pf_sched *s, struct cpu_batch *c,
			      const struct tl_hdr *h)
{
	struct tl_switch to_cur = { .h = *h };
	uint64_t ts = h->ts > c->last_ts ? h->ts - 1 : h->ts;
	uint32_t prev = c->primed && c->cur != NO_TASK ? c->cur : 0;

	to_cur.next_tid = h->tid;
	to_cur.next_prio = PRIO_UNKNOWN;
	plain_switch(s, h->cpu, ts, prev, c->primed ? c->cur_comm : "",
		     c->primed ? c->cur_prio : PRIO_UNKNOWN, 0, &to_cur);
	s->st.bridges++;
}

/* Records whose h.tid is the current task of h.cpu (the ones the model
 * observes as such; switches and wakings aside). */
static bool names_current(uint16_t type)
{
	switch (type) {
	case TL_MIGRATE: case TL_SYS_ENTER: case TL_SYS_EXIT: case TL_WAIT:
	case TL_SIGNAL_GEN: case TL_SIGNAL_DELIVER: case TL_USDT: case TL_FORK:
	case TL_NEWTASK: case TL_EXEC: case TL_EXIT: case TL_RENAME:
		return true;
	default:
		return false;
	}
}

static void observe_current(struct tl_pf_sched *s, const struct tl_hdr *h)
{
	struct cpu_batch *c = h->tid ? cpu_of(s, h->cpu) : NULL;

	if (!c)
		return;
	if (c->pend.wakee == h->tid && h->ts > c->pend.ts)
		c->pend.wakee = 0;   /* it ran on: the model drops the waking */
	if (!c->primed || c->cur != h->tid)
		bridge_to_current(s, c, h);
}

static void compact_waking(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
			   uint32_t wakee, int32_t target_cpu, int32_t prio,
			   const char *comm, bool irq)
{
	struct cpu_batch *c = s->cpus[cpu];

	if (c->nwk == s->batch || c->ncomm + 1 >= s->batch)
		flush_cpu(s, cpu);
	c->wk_ts[c->nwk] = ts;
	c->wk_pid[c->nwk] = (int32_t)wakee;
	c->wk_cpu[c->nwk] = target_cpu;
	c->wk_prio[c->nwk] = prio;
	c->wk_comm[c->nwk] = intern(s, c, comm);
	c->wk_flags[c->nwk] = irq ? PF_FLAG_HARDIRQ : 0;
	c->wk_flags_used |= irq;
	c->nwk++;
	c->last_ts = ts;
	s->st.compact_wakings++;
}

/* A waking of a task the importer believes Running on some CPU is lost on
 * it (a spurious wakeup), while the kernel had it on its way to sleep: the
 * model counts it Runnable, woken, from its switch-out if that comes
 * within PENDING_WAKE_NS. Remembered here, replayed by replay_pending. */
static void note_pending(struct tl_pf_sched *s, const struct tl_waking *wk)
{
	for (uint32_t cpu = 0; cpu < s->ncpus; cpu++) {
		struct cpu_batch *c = s->cpus[cpu];

		if (!c || !c->primed || c->cur != wk->tid || cpu == wk->h.cpu)
			continue;
		c->pend = (struct pending){ .wakee = wk->tid, .waker = wk->h.tid,
					    .prio = wk->prio, .target_cpu = wk->target_cpu,
					    .irq = wk->h.flags & TL_HDR_F_IRQ,
					    .ts = wk->h.ts };
		memcpy(c->pend.comm, wk->comm, TL_COMM_LEN);
		return;
	}
}

static void plain_waking(struct tl_pf_sched *s, uint16_t cpu, uint64_t ts,
			 const struct pending *p)
{
	uint64_t at = plain_begin(s, cpu, ts, p->waker, PF_FE_SCHED_WAKING);

	tl_pb_string_n(s->w, PF_WK_COMM, p->comm, TL_COMM_LEN);
	pb_int32(s->w, PF_WK_PID, (int32_t)p->wakee);
	pb_int32(s->w, PF_WK_PRIO, p->prio);
	pb_int32(s->w, PF_WK_SUCCESS, 1);
	pb_int32(s->w, PF_WK_TARGET_CPU, p->target_cpu);
	plain_end(s, at);
}

/* The wakee of a pending waking has just switched out blocked: the waking
 * is written again right after that switch, so the importer starts the
 * Runnable row the model has. A plain sched_waking, at the switch's
 * instant after a plain switch (one queue, file order), names the real
 * waker. One from an interrupt must be compact to say so (irq_context);
 * compact wakings are queued apart from switches, so it goes 1 ns after
 * the switch, and names the task now on the CPU. */
static bool replay_pending(struct tl_pf_sched *s, uint16_t cpu,
			   const struct tl_switch *sw, int64_t state)
{
	struct cpu_batch *c = s->cpus[cpu];
	struct pending p = c->pend;

	if (!pending_due(c, sw, state)) {
		c->pend.wakee = 0;
		return false;
	}
	c->pend.wakee = 0;
	if (p.irq)
		compact_waking(s, cpu, sw->h.ts + 1, p.wakee, p.target_cpu, p.prio,
			       p.comm, true);
	else
		plain_waking(s, cpu, sw->h.ts, &p);
	s->st.replayed_wakings++;
	return true;
}

static void on_waking(struct tl_pf_sched *s, const struct tl_waking *wk)
{
	uint16_t cpu = wk->h.cpu;
	struct cpu_batch *c = cpu_of(s, cpu);
	bool irq = wk->h.flags & TL_HDR_F_IRQ;

	if (!c)
		return;
	s->st.wakings++;
	if (!c->primed || c->cur != wk->h.tid)
		bridge_to_current(s, c, &wk->h);
	compact_waking(s, cpu, wk->h.ts, wk->tid, wk->target_cpu, wk->prio,
		       wk->comm, irq);
	if (wk->tid != wk->h.tid)
		note_pending(s, wk);
	if (tl_pf_blocked_wake(s->blocked, cpu, wk->tid, wk->h.ts) && !s->w->err)
		s->w->err = -ENOMEM;
}

/* ---- other task events, plain ---- */

static void on_newtask(struct tl_pf_sched *s, const struct tl_newtask *n)
{
	uint64_t at;

	if (n->clone_flags & PF_CLONE_THREAD)
		group_add(s, n->h.tgid);
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
	if (names_current(rec->type))
		observe_current(s, rec);
	switch (rec->type) {
	case TL_SWITCH: on_switch(s, (const void *)rec); break;
	case TL_WAKING:
	case TL_WAKEUP_NEW: on_waking(s, (const void *)rec); break;
	case TL_NEWTASK: on_newtask(s, (const void *)rec); break;
	case TL_TASK_SNAP:
		if (rec->tid != rec->tgid)
			group_add(s, rec->tgid);
		break;
	case TL_RENAME: tl_model_on_rename(s, (const void *)rec); break;
	case TL_EXEC: tl_model_on_exec(s, (const void *)rec); break;
	case TL_EXIT: on_task_exit(s, (const void *)rec); break;
	case TL_LOSS: on_loss(s, (const void *)rec); break;
	default: break;
	}
}

/* The first thread still to end, threads before their leaders. */
static struct exiting *next_to_end(struct tl_pf_sched *s)
{
	for (unsigned i = 0; i < s->nexiting; i++)
		if (!s->exiting[i].leader)
			return &s->exiting[i];
	return &s->exiting[0];
}

/* The latest event written on any CPU. */
static uint64_t last_ts_all(const struct tl_pf_sched *s)
{
	uint64_t ts = 0;

	for (uint32_t cpu = 0; cpu < TL_MAX_CPUS; cpu++)
		if (s->cpus[cpu] && s->cpus[cpu]->last_ts > ts)
			ts = s->cpus[cpu]->last_ts;
	return ts;
}

void tl_pf_sched_finish(struct tl_pf_sched *s)
{
	/* Threads that exited without a final switch-out end at the latest
	 * event of their CPU; leaders, after every thread (theirs may have
	 * ended on other CPUs), at the latest event of all. */
	while (s->nexiting) {
		struct exiting *e = next_to_end(s);
		struct cpu_batch *c = s->cpus[e->cpu];
		uint64_t at = e->leader ? last_ts_all(s) : c->last_ts;

		if (!e->switched_out)
			e->due = at;
		write_free(s, e, e->due > at ? e->due : at);
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
	tl_hmap_free(&s->groups);
	tl_pf_blocked_free(s->blocked);
	free(s);
}
