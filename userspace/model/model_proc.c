/* model_proc.c - processes and threads of the model: creation (snapshot,
 * fork/clone, first sight), names over time, exec, exit, PID/TID reuse
 * (a new generation each time an id comes back after its owner ended).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

#define CLONE_THREAD_FLAG 0x10000ull
#define DEAD_STATES (0x10 | 0x20 | 0x80) /* EXIT_DEAD, EXIT_ZOMBIE, TASK_DEAD */

static uint64_t later(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

struct proc *tl_proc_find(struct tl_model *m, uint32_t pid)
{
	struct proc *p = tl_hmap_get_ptr(&m->pid_map, pid);

	return p && !p->ended ? p : NULL;
}

struct proc *tl_proc_new(struct tl_model *m, uint32_t pid, uint64_t ts)
{
	struct proc *prev = tl_hmap_get_ptr(&m->pid_map, pid);
	struct proc *p = tl_arena_alloc(&m->arena, sizeof(*p), alignof(struct proc));
	struct proc_live *lv = calloc(1, sizeof(*lv));
	struct proc **slot = model_push(m, &m->procs, sizeof(*slot));

	if (!p || !lv || !slot || model_map_put(&m->pid_map, pid, p)) {
		free(lv);
		if (slot)
			m->procs.n--;
		m->oom = true;
		return NULL;
	}
	p->lv = lv;
	*slot = p;
	p->prev_gen = prev;
	p->pub.gen = prev ? prev->pub.gen + 1 : 0;
	p->pub.pid = pid;
	p->pub.uid = (uint32_t)-1;
	p->pub.start = p->pub.born_ns = ts;
	return p;
}

/* The alive process, or a new one first seen now: it existed since the
 * start of the trace, or since its PID's previous owner ended. */
struct proc *tl_proc_get(struct tl_model *m, uint32_t pid, uint64_t ts)
{
	struct proc *p = tl_proc_find(m, pid);

	if (p || !pid)
		return p;
	struct proc *prev = tl_hmap_get_ptr(&m->pid_map, pid);
	uint64_t start = later(m->st.start, prev ? prev->pub.end : 0);
	return tl_proc_new(m, pid, start < ts ? start : ts);
}

struct thr *tl_thr_find(struct tl_model *m, uint32_t tid)
{
	struct thr *t = tl_hmap_get_ptr(&m->tid_map, tid);

	return t && !t->ended ? t : NULL;
}

struct thr *tl_thr_find_current(struct tl_model *m, uint32_t tid)
{
	struct thr *t = tl_hmap_get_ptr(&m->tid_map, tid);

	return t && (!t->ended || t->exiting) ? t : NULL;
}

struct thr *tl_thr_new(struct tl_model *m, struct proc *p, uint32_t tid, uint64_t ts,
		    const char *comm)
{
	struct thr *prev = tl_hmap_get_ptr(&m->tid_map, tid);
	struct thr *t = tl_arena_alloc(&m->arena, sizeof(*t), alignof(struct thr));
	struct thr_live *lv = calloc(1, sizeof(*lv));
	struct thr **slot = model_push(m, &m->thrs, sizeof(*slot));
	/* a process that ended gets no thread: every caller finds it alive */
	struct tl_thread **pslot = p->lv ?
		model_push(m, &p->lv->threads, sizeof(*pslot)) : NULL;

	if (!t || !lv || !slot || !pslot || model_map_put(&m->tid_map, tid, t)) {
		free(lv);
		m->oom = true;
		return NULL;
	}
	t->lv = lv;
	*slot = t;
	*pslot = &t->pub;
	t->idx = (uint32_t)(m->thrs.n - 1);
	t->prev_gen = prev;
	t->m = m;
	t->pub.gen = prev ? prev->pub.gen + 1 : 0;
	t->pub.tid = tid;
	t->pub.proc = &p->pub;
	t->pub.start = t->pub.born_ns = ts;
	t->lv->cur = tl_iv_make(TL_ST_UNKNOWN, TL_UNK_BEFORE_FIRST, -1);
	t->lv->cur.start = ts;
	if (!comm || !comm[0]) {
		struct comm_ent *c = model_comm(m, tid);
		comm = c ? c->comm : NULL;
	}
	if (comm)
		tl_thr_name(m, t, ts, comm);
	return t;
}

struct thr *tl_thr_get(struct tl_model *m, uint32_t tid, uint32_t pid, uint64_t ts)
{
	struct thr *t = tl_thr_find(m, tid);

	if (t && pid && t->pub.proc->pid != pid) {
		/* the TID moved to another process: its old owner ended unseen */
		tl_thr_inconsistent(m, t);
		tl_thr_end(m, t, ts);
		t = NULL;
	}
	if (t || !tid)
		return t;
	struct thr *last = tl_hmap_get_ptr(&m->tid_map, tid);
	if (last && last->exiting)
		return NULL; /* an exited thread's last moments: not a new one */
	struct proc *p = tl_proc_find(m, pid);
	if (!p && m->o.all_tasks && pid != m->o.recorder_pid)
		p = tl_proc_get(m, pid, ts);
	if (!p)
		return NULL;
	struct thr *prev = tl_hmap_get_ptr(&m->tid_map, tid);
	uint64_t start = later(later(p->pub.start, m->st.start), prev ? prev->pub.end : 0);
	return tl_thr_new(m, p, tid, start < ts ? start : ts, NULL);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Non-zero iff w has a zero byte; its lowest set bit is in the first one. */
static inline uint64_t zero_byte(uint64_t w)
{
	return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
}

/* Mask of the bytes before the first zero byte that z = zero_byte() marks. */
static inline uint64_t bytes_before(uint64_t z)
{
	int k = __builtin_ctzll(z) / 8;

	return k ? ~0ull >> (64 - 8 * k) : 0;
}
#endif

/* Every comm the model meets is a TL_COMM_LEN array of a record (or a
 * copy the model made of one). It is kept as its first TL_COMM_LEN - 1
 * bytes up to the first NUL, zero-padded: what strncpy(dst, comm,
 * TL_COMM_LEN - 1) leaves in a zeroed array, found without a byte loop on
 * little-endian machines, as this runs several times per switch.
 * Returns whether comm has a NUL within TL_COMM_LEN bytes. */
static bool comm_norm(char out[TL_COMM_LEN], const char *comm)
{
	_Static_assert(TL_COMM_LEN == 16, "comm_norm handles 16-byte comms");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t lo, hi;
	bool nul = true;

	memcpy(&lo, comm, 8);
	memcpy(&hi, comm + 8, 8);
	if (zero_byte(lo)) {
		lo &= bytes_before(zero_byte(lo));
		hi = 0;
	} else if (zero_byte(hi)) {
		hi &= bytes_before(zero_byte(hi));
	} else {
		nul = false;
	}
	hi &= ~0ull >> 8;                          /* the last byte is always 0 */
	memcpy(out, &lo, 8);
	memcpy(out + 8, &hi, 8);
	return nul;
#else
	size_t n = strnlen(comm, TL_COMM_LEN);

	memset(out, 0, TL_COMM_LEN);
	memcpy(out, comm, n < TL_COMM_LEN - 1 ? n : TL_COMM_LEN - 1);
	return n < TL_COMM_LEN;
#endif
}

static void name_push(struct tl_model *m, struct tl_vec *names, uint64_t ts,
		      const char *comm)
{
	char norm[TL_COMM_LEN];

	if (!comm || !comm[0])
		return;
	const struct tl_name *prev = names->n ?
		(const struct tl_name *)names->p + names->n - 1 : NULL;
	/* stored names are normalized: equal raw bytes mean the same name */
	if (prev && !memcmp(prev->name, comm, TL_COMM_LEN))
		return;
	/* as strncmp(last name, comm, TL_COMM_LEN): a comm without a NUL
	 * never equals a stored (terminated) name */
	bool whole = comm_norm(norm, comm);
	const struct tl_name *last = names->n ?
		(const struct tl_name *)names->p + names->n - 1 : NULL;
	if (last && whole && !memcmp(last->name, norm, TL_COMM_LEN))
		return;
	struct tl_name *n = model_push(m, names, sizeof(*n));
	if (!n)
		return;
	n->ts = ts;
	memcpy(n->name, norm, TL_COMM_LEN);
}

void tl_proc_set_name(struct tl_model *m, struct proc *p, uint64_t ts, const char *comm)
{
	if (p->lv)
		name_push(m, &p->lv->names, ts, comm);
}

void tl_thr_name_noted(struct tl_model *m, struct thr *t, uint64_t ts, const char *comm)
{
	if (!t->lv)
		return;
	name_push(m, &t->lv->names, ts, comm);
	if (t->pub.tid == t->pub.proc->pid)
		tl_proc_set_name(m, (struct proc *)t->pub.proc, ts, comm);
}

void tl_thr_name(struct tl_model *m, struct thr *t, uint64_t ts, const char *comm)
{
	if (!t->lv)
		return;
	name_push(m, &t->lv->names, ts, comm);
	tl_model_comm_note(m, t->pub.tid, comm);
	if (t->pub.tid == t->pub.proc->pid)
		tl_proc_set_name(m, (struct proc *)t->pub.proc, ts, comm);
}

void tl_model_comm_note(struct tl_model *m, uint32_t tid, const char *comm)
{
	if (!tid || !comm || !comm[0])
		return;
	struct comm_ent *c = model_comm(m, tid);
	char copy[TL_COMM_LEN];
	if (!c) {
		/* comm may be another TID's, which the growth below moves */
		memcpy(copy, comm, TL_COMM_LEN);
		comm = copy;
		if (tl_vec_reserve_lean(&m->comms, sizeof(*c), m->comms.n + 1) ||
		    tl_hmap_put(&m->comm_map, tid, m->comms.n + 1)) {
			m->oom = true;
			return;
		}
		c = tl_vec_push(&m->comms, sizeof(*c)); /* room reserved */
	}
	if (c->comm != comm && memcmp(c->comm, comm, TL_COMM_LEN))
		comm_norm(c->comm, comm);
}

/* A finished array moved into the model's arena at its exact size (NULL
 * when empty); the vec is freed. Out of memory, it is published empty. */
static const void *arena_seal(struct tl_model *m, struct tl_vec *v, size_t elsz,
			      size_t align, size_t *n)
{
	void *p = v->n ? tl_arena_alloc(&m->arena, v->n * elsz, align) : NULL;

	if (v->n && !p)
		m->oom = true;
	if (p)
		memcpy(p, v->p, v->n * elsz);
	*n = p ? v->n : 0;
	tl_vec_free(v);
	return p;
}

/* A thread's totals of time, of those not 0 (struct tl_thread_sum). */
static void sum_seal(struct tl_model *m, struct thr *t)
{
	const uint64_t *ns = t->lv->ns;
	uint64_t *kept;
	size_t n = 0;

	_Static_assert(TL_SUM_TOTALS <= 16, "tl_thread_sum.kept has 16 bits");
	for (unsigned i = 0; i < TL_SUM_TOTALS; i++)
		n += ns[i] != 0;
	kept = n ? tl_arena_alloc(&m->arena, n * sizeof(*kept), alignof(uint64_t)) : NULL;
	if (n && !kept) {
		m->oom = true;
		return;
	}
	t->pub.sum.totals = kept;
	for (unsigned i = 0; i < TL_SUM_TOTALS; i++) {
		if (!ns[i])
			continue;
		t->pub.sum.kept |= (uint16_t)(1u << i);
		*kept++ = ns[i];
	}
}

void tl_thr_retire(struct tl_model *m, struct thr *t)
{
	struct thr_live *lv = t->lv;
	size_t n;

	if (!lv || tl_thr_iv_seal(m, t))
		return;
	/* offcpu may still grow (model_stacks.c): it stays on the heap */
	tl_vec_shrink(&lv->offcpu, sizeof(struct tl_offcpu));
	if (lv->names.n == 1) {
		t->name1 = *(const struct tl_name *)lv->names.p;
		tl_vec_free(&lv->names);
		t->pub.names = &t->name1;
		t->pub.nnames = 1;
	} else {
		t->pub.names = arena_seal(m, &lv->names, sizeof(struct tl_name),
				   alignof(struct tl_name), &n);
		t->pub.nnames = (uint32_t)n;
	}
	t->pub.marks = arena_seal(m, &lv->marks, sizeof(struct tl_mark),
				   alignof(struct tl_mark), &n);
	t->pub.nmarks = (uint32_t)n;
	t->pub.sys = arena_seal(m, &lv->sys, sizeof(struct tl_syscall),
				   alignof(struct tl_syscall), &n);
	t->pub.nsys = (uint32_t)n;
	t->pub.offcpu = lv->offcpu.p;
	t->pub.noffcpu = lv->offcpu.n;
	sum_seal(m, t);
	free(lv);
	t->lv = NULL;
}

void tl_proc_retire(struct tl_model *m, struct proc *p)
{
	struct proc_live *lv = p->lv;

	if (!lv)
		return;
	/* names may still grow (model_finish.c): they stay on the heap */
	tl_vec_shrink(&lv->names, sizeof(struct tl_name));
	tl_vec_shrink(&lv->maps, sizeof(struct tl_maps_snap));
	p->pub.names = lv->names.p;
	p->pub.nnames = lv->names.n;
	p->pub.execs = arena_seal(m, &lv->execs, sizeof(struct tl_exec_ev),
				   alignof(struct tl_exec_ev), &p->pub.nexecs);
	p->pub.threads = arena_seal(m, &lv->threads, sizeof(struct tl_thread *),
				    alignof(struct tl_thread *),
				    &p->pub.nthreads);
	p->pub.maps = lv->maps.p;
	p->pub.nmaps = lv->maps.n;
	free(lv);
	p->lv = NULL;
}

/* The process is gone: any thread of it still alive ended unseen. */
void tl_proc_end(struct tl_model *m, struct proc *p, uint64_t ts)
{
	struct tl_thread **th = p->lv ? p->lv->threads.p : NULL;

	for (size_t i = 0; th && i < p->lv->threads.n; i++) {
		struct thr *t = (struct thr *)th[i];
		if (t->ended)
			continue;
		tl_thr_inconsistent(m, t);
		tl_thr_end(m, t, ts);
	}
	p->ended = true;
	p->pub.end = ts;
	tl_proc_retire(m, p);
}

static void snap_state(struct tl_model *m, struct thr *t, const struct tl_task_snap *s)
{
	int cpu = s->h.cpu < TL_CPU_SLOTS ? s->h.cpu : -1;
	struct tl_interval n;

	if (s->on_cpu) {
		tl_thr_running(m, t, s->h.ts, cpu, -1);
		return;
	}
	if (s->state == 0) {
		n = tl_iv_make(TL_ST_RUNNABLE, TL_RUN_SNAPSHOT, cpu);
	} else {
		bool unint = !(s->state & 1) && (s->state & 2);
		n = tl_iv_make(unint ? TL_ST_UNINT : TL_ST_SLEEPING, 0, -1);
		n.block = tl_block_of(m, &s->why, s->state, unint, s->lock_owner);
	}
	tl_thr_set(m, t, s->h.ts, &n);
}

/* Whether a snapshot entry is of a thread whose exit is already in the
 * recording: the task iterator walks while tracing is on, and a task it
 * met while exiting (or as a zombie) was created before that exit, while
 * a new task that took the TID since was created after it. */
static bool snap_of_ended(struct tl_model *m, const struct tl_task_snap *s)
{
	const struct thr *last = tl_hmap_get_ptr(&m->tid_map, s->h.tid);

	return last && last->ended && s->start_ns && s->start_ns < last->pub.end;
}

int tl_model_on_task_snap(struct tl_model *m, const struct tl_task_snap *s)
{
	uint32_t tid = s->h.tid, pid = s->h.tgid;
	struct proc *p;

	if (snap_of_ended(m, s))
		return 0;
	p = tl_proc_find(m, pid);
	if (!p) {
		p = tl_proc_new(m, pid, s->h.ts);
		if (!p)
			return -ENOMEM;
		p->pub.born_ns = s->start_ns ? s->start_ns : s->h.ts;
	}
	p->pub.flags |= TL_PROC_SNAPSHOT;
	if (s->ppid)
		p->pub.ppid = s->ppid;
	if (tid == pid && s->start_ns)
		p->pub.born_ns = s->start_ns;
	tl_model_comm_note(m, tid, s->comm);
	if (s->state & DEAD_STATES)
		return 0; /* a zombie thread: nothing left to run */
	struct thr *t = tl_thr_find(m, tid);
	if (!t) {
		t = tl_thr_new(m, p, tid, s->h.ts, s->comm);
		if (!t)
			return -ENOMEM;
		t->pub.born_ns = s->start_ns ? s->start_ns : s->h.ts;
	}
	t->pub.flags |= TL_THR_SNAPSHOT;
	if (t->lv->cur.state == TL_ST_UNKNOWN) /* events already seen win */
		snap_state(m, t, s);
	return m->oom ? -ENOMEM : 0;
}

int tl_model_on_proc_info(struct tl_model *m, const struct tl_proc_info *pi)
{
	struct proc *p = tl_proc_get(m, pi->h.tgid, pi->h.ts);
	size_t len = pi->h.size - sizeof(*pi);

	if (!p)
		return -ENOMEM;
	if (pi->ppid)
		p->pub.ppid = pi->ppid;
	p->pub.uid = pi->uid;
	char *c = malloc(len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, (const char *)(pi + 1), len);
	c[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (c[i] == '\0' || c[i] == '\n')
			c[i] = ' ';
	while (len && c[len - 1] == ' ')
		c[--len] = '\0';
	free(p->cmdline);
	p->cmdline = c;
	return 0;
}

/* The second record of the same clone (TL_NEWTASK then TL_FORK). */
static bool same_creation(struct tl_model *m, struct thr *t, const struct tl_hdr *h,
			  uint64_t flags, bool flags_known)
{
	if (!t || t->ended || !(t->pub.flags & TL_THR_CREATED) || !t->lv->fork_edge ||
	    t->pub.creator_tid != h->tid || tl_thr_niv(t))
		return false;
	if (flags_known && !m->o.no_task_edges) {
		struct tl_fork_ev *e = (struct tl_fork_ev *)m->forks.p + t->lv->fork_edge - 1;
		e->clone_flags = flags;
		e->thread = flags & CLONE_THREAD_FLAG;
	}
	return true;
}

static struct proc *child_proc(struct tl_model *m, struct proc *pp, uint32_t pid,
			       bool is_thread, uint64_t ts, const char *comm)
{
	if (is_thread && pid == pp->pub.pid)
		return pp;
	struct proc *cp = tl_proc_find(m, pid);
	if (is_thread && cp)
		return cp;
	if (cp) /* the PID's previous owner ended unseen */
		tl_proc_end(m, cp, ts);
	cp = tl_proc_new(m, pid, ts);
	if (!cp)
		return NULL;
	cp->pub.flags |= TL_PROC_FORKED;
	cp->pub.ppid = pp->pub.pid;
	cp->pub.parent = &pp->pub;
	tl_proc_set_name(m, cp, ts, comm);
	return cp;
}

int tl_model_on_create(struct tl_model *m, const struct tl_hdr *h, uint32_t tid,
	      uint32_t pid, uint64_t flags, bool flags_known, const char *comm)
{
	struct proc *pp = tl_proc_get(m, h->tgid, h->ts);
	bool is_thread = flags_known ? (flags & CLONE_THREAD_FLAG) : pid == h->tgid;

	if (!pp)
		return -ENOMEM;
	tl_model_observe_current(m, h);
	struct thr *creator = tl_thr_find(m, h->tid);
	struct thr *old = tl_thr_find(m, tid);
	if (same_creation(m, old, h, flags, flags_known))
		return 0;
	if (old) {
		tl_thr_inconsistent(m, old);
		tl_thr_end(m, old, h->ts);
	}
	struct proc *cp = child_proc(m, pp, pid, is_thread, h->ts, comm);
	struct thr *t = cp ? tl_thr_new(m, cp, tid, h->ts, comm) : NULL;
	struct tl_fork_ev *e = t ? model_edge_push(m, &m->forks, &m->nforks, sizeof(*e)) : NULL;
	if (!t || m->oom)
		return -ENOMEM;
	if (e)
		*e = (struct tl_fork_ev){ .ts = h->ts, .parent_tid = h->tid,
			.parent_pid = h->tgid, .child_tid = tid, .child_pid = pid,
			.clone_flags = flags, .thread = is_thread };
	t->lv->fork_edge = m->nforks;
	t->pub.flags |= TL_THR_CREATED;
	t->pub.creator_tid = h->tid;
	struct tl_interval n = tl_iv_make(TL_ST_RUNNABLE, TL_RUN_NEW, -1);
	tl_thr_set(m, t, h->ts, &n);
	if (creator && is_thread)
		creator->pub.sum.clones++;
	else if (creator)
		creator->pub.sum.forks++;
	return m->oom ? -ENOMEM : 0;
}

static void exec_leader_change(struct tl_model *m, struct proc *p, const struct tl_exec *e)
{
	int cpu = e->h.cpu < TL_CPU_SLOTS ? e->h.cpu : -1;
	struct thr *old = tl_thr_find(m, e->old_tid);
	struct thr *leader = tl_thr_find(m, e->h.tid);

	if (old) {
		old->pub.flags |= TL_THR_EXECED;
		old->pub.exec_to = e->h.tid;
		tl_thr_end(m, old, e->h.ts);
	}
	if (leader) { /* the old leader's exit should have come first */
		tl_thr_inconsistent(m, leader);
		tl_thr_end(m, leader, e->h.ts);
	}
	struct thr *t = tl_thr_new(m, p, e->h.tid, e->h.ts, e->comm);
	if (t)
		tl_thr_running(m, t, e->h.ts, cpu, -1);
}

int tl_model_on_exec(struct tl_model *m, const struct tl_exec *e)
{
	struct proc *p = tl_proc_get(m, e->h.tgid, e->h.ts);

	if (!p)
		return -ENOMEM;
	if (e->old_tid && e->old_tid != e->h.tid)
		exec_leader_change(m, p, e);
	else
		tl_model_observe_current(m, &e->h);
	/* exec leaves only the thread that called it */
	struct tl_thread **th = p->lv ? p->lv->threads.p : NULL;
	for (size_t i = 0; th && i < p->lv->threads.n; i++) {
		struct thr *o = (struct thr *)th[i];
		if (!o->ended && o->pub.tid != e->h.tid) {
			tl_thr_inconsistent(m, o);
			tl_thr_end(m, o, e->h.ts);
		}
	}
	struct thr *t = tl_thr_find(m, e->h.tid);
	if (t)
		tl_thr_name(m, t, e->h.ts, e->comm);
	struct tl_exec_ev *x = p->lv ? model_push(m, &p->lv->execs, sizeof(*x)) : NULL;
	if (!x)
		return -ENOMEM;
	*x = (struct tl_exec_ev){ .ts = e->h.ts, .tid = e->h.tid,
				  .old_tid = e->old_tid != e->h.tid ? e->old_tid : 0 };
	memcpy(x->comm, e->comm, TL_COMM_LEN);
	x->comm[TL_COMM_LEN - 1] = '\0';
	size_t flen = strnlen(e->filename, TL_PATH_LEN - 1);
	char *fn = tl_arena_alloc(&m->arena, flen + 1, 1); /* zeroed: terminated */
	if (fn)
		memcpy(fn, e->filename, flen);
	x->filename = fn;
	if (!x->filename) {
		p->lv->execs.n--;
		m->oom = true;
		return -ENOMEM;
	}
	return m->oom ? -ENOMEM : 0;
}

int tl_model_on_exit(struct tl_model *m, const struct tl_exit *e)
{
	tl_model_observe_current(m, &e->h);
	struct thr *t = tl_thr_find(m, e->h.tid);
	struct tl_exit_ev *x = model_edge_push(m, &m->exits, &m->nexits, sizeof(*x));

	if (m->oom)
		return -ENOMEM;
	if (x)
		*x = (struct tl_exit_ev){ .ts = e->h.ts, .tid = e->h.tid, .pid = e->h.tgid,
					  .exit_code = e->exit_code,
					  .group_dead = e->group_dead };
	tl_model_comm_note(m, e->h.tid, e->comm);
	if (t) {
		t->pub.flags |= TL_THR_EXITED;
		t->pub.exit_code = e->exit_code;
		tl_thr_end(m, t, e->h.ts);
		t->exiting = true;
	}
	struct proc *p = e->group_dead ? tl_proc_find(m, e->h.tgid) : NULL;
	if (p) {
		p->pub.flags |= TL_PROC_EXITED;
		p->pub.exit_status = e->exit_code;
		tl_proc_end(m, p, e->h.ts);
	}
	return m->oom ? -ENOMEM : 0;
}

int tl_model_on_rename(struct tl_model *m, const struct tl_rename *r)
{
	tl_model_observe_current(m, &r->h);
	tl_model_comm_note(m, r->tid, r->newcomm);
	struct thr *t = tl_thr_find(m, r->tid);
	if (t)
		tl_thr_name(m, t, r->h.ts, r->newcomm);
	return m->oom ? -ENOMEM : 0;
}
