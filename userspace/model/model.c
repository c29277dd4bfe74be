/* model.c - the model's entry points: records in (one at a time, in
 * timestamp order), dispatch by type, and the scheduler events (switch,
 * waking, migrate), syscalls, signals and USDT marks. Processes and threads
 * are in model_proc.c, the interval machinery in model_state.c. No I/O.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

/* ---- life cycle ---- */

struct tl_model *tl_model_new(const struct tl_model_opts *o)
{
	struct tl_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (o)
		m->o = *o;
	/* keyed by TID or PID: tens of thousands each in a busy recording */
	m->tid_map.dense = m->pid_map.dense = m->comm_map.dense = true;
	return m;
}

static void thr_free(struct thr *t)
{
	tl_thr_iv_free(t);
	if (t->lv) {
		tl_vec_free(&t->lv->names);
		tl_vec_free(&t->lv->marks);
		tl_vec_free(&t->lv->sys);
		tl_vec_free(&t->lv->offcpu);
		free(t->lv);
	} else {
		free((void *)t->pub.offcpu);
	}
}

static void proc_free(struct proc *p)
{
	tl_proc_maps_free(p);
	if (p->lv) {
		tl_vec_free(&p->lv->names);
		tl_vec_free(&p->lv->execs);
		tl_vec_free(&p->lv->threads);
		free(p->lv);
	} else {
		free((void *)p->pub.names);
	}
	struct tl_stepvec *svs[] = { p->ser ? p->ser->steps : NULL,
				     p->ser ? p->ser->tree_steps : NULL };
	for (size_t i = 0; i < 2; i++) {
		if (svs[i])
			tl_sv_free(svs[i]);
		free(svs[i]);
	}
	free(p->cmdline);
}

void tl_model_free(struct tl_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->thrs.n; i++)
		thr_free(((struct thr **)m->thrs.p)[i]);
	for (size_t i = 0; i < m->procs.n; i++)
		proc_free(((struct proc **)m->procs.p)[i]);
	tl_hmap_free(&m->tid_map);
	tl_hmap_free(&m->pid_map);
	tl_hmap_free(&m->comm_map);
	tl_block_store_free(&m->blocks);
	tl_sv_free(&m->all_steps);
	tl_model_stacks_free(m);
	tl_vec_free(&m->peers);
	tl_vec_free(&m->comms);
	free(m->iv_read);
	tl_arena_free(&m->arena);
	struct tl_vec *vs[] = { &m->thrs, &m->procs, &m->wakeups, &m->wk_ck, &m->forks, &m->exits,
			     &m->signals, &m->losses, &m->marks };
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		tl_vec_free(vs[i]);
	free(m);
}

/* ---- scheduler events ---- */

#define DEAD_STATES (0x10 | 0x20 | 0x80) /* EXIT_DEAD, EXIT_ZOMBIE, TASK_DEAD */

static void reap_on_wake(struct tl_model *m, struct thr *waker, struct thr *t,
			 uint64_t ts);

static int cpu_of(const struct tl_hdr *h)
{
	return h->cpu < TL_CPU_SLOTS ? h->cpu : -1;
}

/* prev leaves the CPU: its new state is what prev_state says. */
static void switch_out(struct tl_model *m, struct thr *t, const struct tl_switch *s)
{
	int cpu = cpu_of(&s->h);
	uint32_t ps = (uint32_t)s->prev_state & 0xff;

	if (t->lv->cur.state != TL_ST_RUNNING || t->lv->cur.cpu != cpu)
		tl_thr_missed_switch_in(m, t, cpu);
	if ((ps & DEAD_STATES) && !s->preempt) { /* dead: its exit was not seen */
		tl_thr_end(m, t, s->h.ts);
		return;
	}
	struct tl_interval n;
	if (ps == 0 || s->preempt) { /* a preempted task stays runnable */
		t->pub.sum.ivcsw++;
		n = tl_iv_make(TL_ST_RUNNABLE, TL_RUN_PREEMPTED, cpu);
		n.preempted_by = s->next_tid;
		n.prio = prio_of(s->prev_prio);
	} else if (t->lv->pend_wake && s->h.ts - t->lv->pend_ts <= TL_PENDING_WAKE_NS) {
		/* woken while still switching out: it never really slept */
		t->pub.sum.vcsw++;
		n = tl_iv_make(TL_ST_RUNNABLE, TL_RUN_WOKEN, cpu);
		n.waker = t->lv->pend_waker;
		n.waker_irq = t->lv->pend_irq;
		tl_wake_set_effective(m, t->lv->pend_edge);
		t->pub.sum.wakeups_received++;
		t->pub.sum.wakeups_irq += t->lv->pend_irq;
		struct thr *waker = t->lv->pend_irq ? NULL : tl_thr_find_current(m, t->lv->pend_waker);
		if (waker)
			waker->pub.sum.wakeups_given++;
	} else {
		bool unint = (ps & 1) == 0 && (ps & 2);
		t->pub.sum.vcsw++;
		n = tl_iv_make(unint ? TL_ST_UNINT : TL_ST_SLEEPING, 0, -1);
		n.block = tl_block_of(m, &s->why, ps, unint, s->lock_owner);
	}
	t->lv->pend_wake = false;
	tl_thr_set(m, t, s->h.ts, &n);
}

static int on_switch(struct tl_model *m, const struct tl_switch *s)
{
	int cpu = cpu_of(&s->h);

	tl_model_comm_note(m, s->h.tid, s->prev_comm);
	tl_model_comm_note(m, s->next_tid, s->next_comm);
	tl_model_cpu_vacate(m, cpu, s->h.tid);
	struct thr *prev = s->h.tid ? tl_thr_find_current(m, s->h.tid) : NULL;
	if (prev && prev->exiting) {
		/* after its exit a thread may still be preempted or block
		 * (and come back); only a dead state is its last switch-out */
		if (s->prev_state & DEAD_STATES)
			prev->exiting = false;
		prev = NULL;
	} else if (s->h.tid) {
		prev = tl_thr_get(m, s->h.tid, s->h.tgid, s->h.ts);
	}
	/* both comms were noted above; a switch to itself notes prev's again */
	bool noted = s->h.tid != s->next_tid;
	if (prev) {
		if (noted)
			tl_thr_name_noted(m, prev, s->h.ts, s->prev_comm);
		else
			tl_thr_name(m, prev, s->h.ts, s->prev_comm);
		switch_out(m, prev, s);
	}
	if (cpu >= 0) {
		m->cpu_curr[cpu] = s->next_tid;
		m->cpu_switch_ts[cpu] = s->h.ts;
	}
	struct thr *next = s->next_tid ?
		tl_thr_get(m, s->next_tid, s->next_tgid, s->h.ts) : NULL;
	if (next) {
		if (noted)
			tl_thr_name_noted(m, next, s->h.ts, s->next_comm);
		else
			tl_thr_name(m, next, s->h.ts, s->next_comm);
		if (next->lv->cur.state == TL_ST_SLEEPING || next->lv->cur.state == TL_ST_UNINT ||
		    (next->lv->cur.state == TL_ST_RUNNING && next->lv->cur.cpu != cpu))
			tl_thr_inconsistent(m, next); /* its waking was missed */
		tl_thr_running(m, next, s->h.ts, cpu, s->next_prio);
	}
	return m->oom ? -ENOMEM : 0;
}

/* The task that woke: none from an interrupt, whose current task was
 * only interrupted. */
static uint32_t waker_of(const struct tl_waking *w)
{
	return w->h.flags & TL_HDR_F_IRQ ? 0 : w->h.tid;
}

static void wake_thread(struct tl_model *m, struct thr *t, const struct tl_waking *w,
			struct tl_wakeup_ev *e, size_t edge)
{
	bool irq = w->h.flags & TL_HDR_F_IRQ;

	switch (t->lv->cur.state) {
	case TL_ST_RUNNING:
		t->lv->pend_wake = true;
		t->lv->pend_ts = w->h.ts;
		t->lv->pend_waker = waker_of(w);
		t->lv->pend_irq = irq;
		t->lv->pend_edge = edge;
		return;
	case TL_ST_RUNNABLE:
		if (t->lv->cur.cause == TL_RUN_NEW && t->lv->cur.cpu < 0)
			t->lv->cur.cpu = w->target_cpu;
		e->effective = w->h.type == TL_WAKEUP_NEW;
		return;
	default:
		break;
	}
	t->lv->cur.waker = waker_of(w);
	t->lv->cur.waker_irq = irq;
	struct tl_interval n = tl_iv_make(TL_ST_RUNNABLE, TL_RUN_WOKEN, w->target_cpu);
	n.waker = waker_of(w);
	n.waker_irq = irq;
	n.prio = prio_of(w->prio);
	tl_thr_set(m, t, w->h.ts, &n);
	e->effective = true;
	t->pub.sum.wakeups_received++;
	t->pub.sum.wakeups_irq += irq;
}

static int on_waking(struct tl_model *m, const struct tl_waking *w)
{
	bool irq = w->h.flags & TL_HDR_F_IRQ;

	tl_model_comm_note(m, w->tid, w->comm);
	tl_model_observe_current(m, &w->h);
	struct thr *t = w->tid ? tl_thr_get(m, w->tid, w->tgid, w->h.ts) : NULL;
	struct thr *waker = (!irq && w->h.tid) ? tl_thr_find_current(m, w->h.tid) : NULL;
	if (!t && !waker)
		return m->oom ? -ENOMEM : 0;
	struct tl_wakeup_ev ev, *e = &ev;
	*e = (struct tl_wakeup_ev){ .ts = w->h.ts, .waker = waker_of(w),
		.wakee = w->tid, .target_cpu = w->target_cpu, .irq = irq,
		.new_task = w->h.type == TL_WAKEUP_NEW,
		.waker_idx = waker ? waker->idx : TL_NO_THREAD,
		.wakee_idx = t ? t->idx : TL_NO_THREAD,
		.waker_awake_since = waker ? tl_thr_awake_since(waker) : 0 };
	if (t)
		wake_thread(m, t, w, e, tl_wake_next_ref(m));
	if (tl_wake_push(m, e))
		return -ENOMEM;
	if (waker && e->effective)
		waker->pub.sum.wakeups_given++;
	if (waker && t && e->effective)
		reap_on_wake(m, waker, t, w->h.ts);
	return m->oom ? -ENOMEM : 0;
}

static int on_migrate(struct tl_model *m, const struct tl_migrate *mg)
{
	tl_model_observe_current(m, &mg->h);
	struct thr *t = tl_thr_find(m, mg->tid);
	if (!t)
		return 0;
	t->pub.sum.migrations++;
	if (t->lv->cur.state == TL_ST_RUNNABLE)
		t->lv->cur.cpu = (int16_t)mg->dest_cpu;
	return 0;
}

/* ---- syscalls, signals, marks ---- */

static void sys_close(struct tl_model *m, struct thr *t)
{
	t->lv->in_sys = false;
	if (m->o.blocking_syscalls_only && !t->lv->sys_blocked &&
	    !(t->lv->cur_sys.flags & TL_SC_NO_ENTER))
		return;
	struct tl_syscall *sc = model_push_uninit(m, &t->lv->sys, sizeof(*sc));

	if (sc)
		*sc = t->lv->cur_sys;
}

static int on_sys_enter(struct tl_model *m, const struct tl_sys_enter *e)
{
	tl_model_observe_current(m, &e->h);
	struct thr *t = tl_thr_find(m, e->h.tid);
	if (!t)
		return m->oom ? -ENOMEM : 0;
	if (t->lv->in_sys) {
		t->lv->cur_sys.end = e->h.ts;
		sys_close(m, t);
	}
	t->pub.sum.syscalls++;
	if (tl_syscall_is_socket(e->nr))
		t->pub.sum.socket_ops++;
	t->lv->cur_sys = (struct tl_syscall){ .start = e->h.ts, .end = e->h.ts,
		.tid = e->h.tid, .nr = e->nr, .fd_kind = e->fd_kind,
		.flags = TL_SC_NO_EXIT };
	memcpy(t->lv->cur_sys.args, e->args, sizeof(t->lv->cur_sys.args));
	t->lv->in_sys = true;
	t->lv->sys_blocked = false;
	return m->oom ? -ENOMEM : 0;
}

/* Child process c was reaped at ts by thread t. Exact when it comes from a
 * traced wait4 result; else inferred (docs/model.md, "Reaping"). */
static void reap(struct tl_model *m, struct proc *c, struct thr *t, uint64_t ts,
		 bool exact)
{
	if (!c->ended || (c->pub.flags & TL_PROC_REAPED && (c->reap_exact || !exact)))
		return;
	c->pub.reaped_ts = ts;
	c->pub.flags |= TL_PROC_REAPED;
	c->reap_exact = exact;
	for (size_t i = m->exits.n; i-- > 0;) {
		struct tl_exit_ev *x = &((struct tl_exit_ev *)m->exits.p)[i];
		if (x->pid == c->pub.pid && x->group_dead) {
			x->reaped_ts = ts;
			x->reaper_tid = t->pub.tid;
			break;
		}
	}
}

/* A wait (sched_process_wait) finds an exited child already waiting to be
 * reaped: wait4 returns it at once. */
static int on_wait(struct tl_model *m, const struct tl_wait *w)
{
	tl_model_observe_current(m, &w->h);
	struct thr *t = tl_thr_find(m, w->h.tid);
	struct proc *best = NULL;
	struct proc **ps = m->procs.p;

	for (size_t i = 0; t && i < m->procs.n; i++) {
		struct proc *c = ps[i];
		if (!c->ended || (c->pub.flags & TL_PROC_REAPED) ||
		    c->pub.ppid != w->h.tgid || (w->pid > 0 && (uint32_t)w->pid != c->pub.pid))
			continue;
		if (!best || c->pub.end < best->pub.end)
			best = c;
	}
	if (best)
		reap(m, best, t, w->h.ts, false);
	return m->oom ? -ENOMEM : 0;
}

/* An exiting child wakes its parent blocked in wait4/waitid: reaped now. */
static void reap_on_wake(struct tl_model *m, struct thr *waker, struct thr *t,
			 uint64_t ts)
{
	struct proc *c = (struct proc *)waker->pub.proc;
	size_t n = tl_thr_niv(t);

	if (!waker->exiting || !c->ended || c->pub.ppid != t->pub.proc->pid || !n)
		return;
	struct tl_interval last = tl_thread_iv(&t->pub, n - 1);
	const struct tl_interval *iv = &last;
	if (iv->end != ts || iv->block->why != TL_WHY_CHILD)
		return;
	if (iv->block->has_obj && (int64_t)iv->block->obj > 0 && iv->block->obj != c->pub.pid)
		return;
	reap(m, c, t, ts, false);
}

static int on_sys_exit(struct tl_model *m, const struct tl_sys_exit *e)
{
	tl_model_observe_current(m, &e->h);
	struct thr *t = tl_thr_find(m, e->h.tid);
	if (!t)
		return m->oom ? -ENOMEM : 0;
	if (!t->lv->in_sys || t->lv->cur_sys.nr != e->nr) {
		m->st.unmatched_sys_exit++;
		if (t->lv->in_sys) {
			t->lv->cur_sys.end = e->h.ts;
			sys_close(m, t);
		}
		t->lv->cur_sys = (struct tl_syscall){ .start = e->h.ts, .tid = e->h.tid,
			.nr = e->nr, .flags = TL_SC_NO_ENTER };
	}
	t->lv->cur_sys.end = e->h.ts;
	t->lv->cur_sys.ret = e->ret;
	t->lv->cur_sys.flags &= ~TL_SC_NO_EXIT;
	sys_close(m, t);
	struct proc *c = e->nr == TL_NR_WAIT4 && e->ret > 0 ?
		tl_hmap_get_ptr(&m->pid_map, (uint32_t)e->ret) : NULL;
	if (c)
		reap(m, c, t, e->h.ts, true);
	return m->oom ? -ENOMEM : 0;
}

/* The edge of a TL_SIGNAL_GEN or TL_SIGNAL_DELIVER record. */
static struct tl_signal_ev signal_ev(const struct tl_hdr *h)
{
	struct tl_signal_ev e = { .ts = h->ts, .sender = h->tid, .sender_pid = h->tgid };

	if (h->type == TL_SIGNAL_GEN) {
		const struct tl_signal_gen *g = (const void *)h;
		e.target = g->tid;
		e.target_pid = g->tgid;
		e.sig = g->sig;
		e.code = g->code;
		e.result = g->result;
		return e;
	}
	const struct tl_signal_deliver *d = (const void *)h;
	e.target = h->tid;
	e.target_pid = h->tgid;
	e.sig = d->sig;
	e.code = d->code;
	e.delivered = true;
	e.handler = d->handler;
	return e;
}

static int on_signal(struct tl_model *m, const struct tl_hdr *h)
{
	tl_model_observe_current(m, h);
	struct tl_signal_ev *e = model_edge_push(m, &m->signals, &m->nsignals, sizeof(*e));
	if (e)
		*e = signal_ev(h);
	if (m->oom)
		return -ENOMEM;
	struct thr *t = h->type == TL_SIGNAL_DELIVER ? tl_thr_find(m, h->tid) : NULL;
	if (t)
		t->pub.sum.signals_received++;
	return 0;
}

static int on_usdt(struct tl_model *m, const struct tl_usdt *u)
{
	tl_model_observe_current(m, &u->h);
	struct thr *t = tl_thr_find(m, u->h.tid);
	if (!t)
		return m->oom ? -ENOMEM : 0;
	struct tl_mark mk = { .ts = u->h.ts, .tid = u->h.tid, .kind = u->kind,
			      .args = { u->args[0], u->args[1] } };
	memcpy(mk.str, u->str, sizeof(mk.str));
	mk.str[sizeof(mk.str) - 1] = '\0';
	struct tl_mark *a = model_push(m, &t->lv->marks, sizeof(*a));
	struct tl_mark *b = model_push(m, &m->marks, sizeof(*b));
	if (!a || !b)
		return -ENOMEM;
	*a = mk;
	*b = mk;
	return 0;
}

/* Counted in the kernel; the latest thread of that TID, ended or not (the
 * count of an exiting thread comes just before its exit). */
static int on_sock_count(struct tl_model *m, const struct tl_sock_count *c)
{
	struct thr *t = tl_hmap_get_ptr(&m->tid_map, c->h.tid);

	if (t)
		t->sock_count_ops += (uint32_t)(c->sends + c->recvs);
	return 0;
}

/* ---- dispatch ---- */

/* Records that only a traced task emits, as the current task: their
 * process is traced even when nothing announced it yet. */
static bool from_traced(uint16_t type)
{
	switch (type) {
	case TL_SYS_ENTER: case TL_SYS_EXIT: case TL_USDT: case TL_EXEC:
	case TL_EXIT: case TL_WAIT: case TL_SIGNAL_DELIVER: case TL_FORK:
	case TL_NEWTASK:
		return true;
	default:
		return false;
	}
}

static int dispatch(struct tl_model *m, const struct tl_hdr *h)
{
	if (from_traced(h->type) && h->tgid && !tl_proc_get(m, h->tgid, h->ts))
		return -ENOMEM;
	switch (h->type) {
	case TL_SWITCH: return on_switch(m, (const void *)h);
	case TL_WAKING:
	case TL_WAKEUP_NEW: return on_waking(m, (const void *)h);
	case TL_MIGRATE: return on_migrate(m, (const void *)h);
	case TL_FORK: {
		const struct tl_fork *f = (const void *)h;
		return tl_model_on_create(m, h, f->child_tid, f->child_tgid, 0, false, f->child_comm);
	}
	case TL_NEWTASK: {
		const struct tl_newtask *n = (const void *)h;
		return tl_model_on_create(m, h, n->tid, n->tgid, n->clone_flags, true, n->comm);
	}
	case TL_EXEC: return tl_model_on_exec(m, (const void *)h);
	case TL_EXIT: return tl_model_on_exit(m, (const void *)h);
	case TL_RENAME: return tl_model_on_rename(m, (const void *)h);
	case TL_SYS_ENTER: return on_sys_enter(m, (const void *)h);
	case TL_SYS_EXIT: return on_sys_exit(m, (const void *)h);
	case TL_SIGNAL_GEN:
	case TL_SIGNAL_DELIVER: return on_signal(m, h);
	case TL_USDT: return on_usdt(m, (const void *)h);
	case TL_TASK_SNAP: return tl_model_on_task_snap(m, (const void *)h);
	case TL_PROC_INFO: return tl_model_on_proc_info(m, (const void *)h);
	case TL_PROC_MAPS: return tl_model_on_proc_maps(m, (const void *)h);
	case TL_LOSS: tl_model_on_loss(m, (const void *)h); return m->oom ? -ENOMEM : 0;
	case TL_WAIT: return on_wait(m, (const void *)h);
	case TL_STACK:
	case TL_STACK_REF: return tl_model_on_stack(m, h);
	case TL_KSYM: return tl_model_on_ksym(m, (const void *)h);
	case TL_SOCK_PEER: return tl_model_on_sock_peer(m, (const void *)h);
	case TL_SOCK_COUNT: return on_sock_count(m, (const void *)h);
	default: return 0; /* TL_TRAILER: only its time matters */
	}
}

/* A creation the kernel never makes: by or of task 0 (the idle task
 * forks nothing once the system runs), or of the creator itself. A crafted
 * file with one would give task 0 a process, or a task two lives. */
static bool impossible(const struct tl_hdr *h)
{
	uint32_t tid, pid;

	if (h->type == TL_FORK) {
		tid = ((const struct tl_fork *)h)->child_tid;
		pid = ((const struct tl_fork *)h)->child_tgid;
	} else if (h->type == TL_NEWTASK) {
		tid = ((const struct tl_newtask *)h)->tid;
		pid = ((const struct tl_newtask *)h)->tgid;
	} else {
		return false;
	}
	return !h->tid || !h->tgid || !tid || !pid || tid == h->tid;
}

int tl_model_feed(struct tl_model *m, const struct tl_hdr *h)
{
	size_t min = tl_record_min_size(h->type);

	if (m->finished || m->oom)
		return m->oom ? -ENOMEM : -EALREADY;
	if (!min || h->size < min || impossible(h)) {
		m->st.malformed++;
		return -EINVAL;
	}
	if (m->have_ts && h->ts < m->last_ts) {
		m->st.out_of_order++;
		return -ERANGE;
	}
	if (!m->have_ts)
		m->st.start = m->iv_base = h->ts;
	m->have_ts = true;
	m->last_ts = h->ts;
	m->st.records++;
	m->st.per_type[h->type]++;
	if (h->type != TL_TASK_SNAP && h->cpu + 1u > m->st.ncpus && h->cpu < TL_CPU_SLOTS)
		m->st.ncpus = h->cpu + 1u;
	return dispatch(m, h);
}

int tl_model_finish(struct tl_model *m, uint64_t end_ts)
{
	if (m->finished)
		return -EALREADY;
	if (m->oom)
		return -ENOMEM;
	uint64_t end = end_ts > m->last_ts ? end_ts : m->last_ts;
	if (!m->have_ts)
		m->st.start = end;
	m->st.end = end;
	m->finished = true;
	tl_model_stacks_finish(m);
	tl_model_peers_finish(m);
	return tl_model_close_open(m, end);
}

const struct tl_model_stats *tl_model_stats(const struct tl_model *m)
{
	return &m->st;
}
