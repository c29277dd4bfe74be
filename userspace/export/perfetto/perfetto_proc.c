/* perfetto_proc.c - ProcessTree packets for the Perfetto export.
 *
 * Every task of a traced process gets a Thread entry bound to its process
 * (tgid), and every traced process a Process entry, so threads sit under
 * their process in the UI. Tasks of other processes, seen only as the other
 * side of a switch or as wakers, get no entry: the importer keeps them as
 * threads of no process, named from the switches, listed after the traced
 * processes. A process is traced as the model says (docs/model.md, "Who is
 * traced"): announced by the start snapshot, a TL_PROC_INFO or a clone by a
 * traced task, or the current task of a record only traced tasks emit.
 *
 * A Process entry without a command line is dropped by the importer, so a
 * process whose command line is not (yet) known goes out with its comm and
 * cmdline_is_comm set; a later TL_PROC_INFO sends the real one. Entries are
 * queued and written in batches; an entry tied to a moment (an exec, a
 * rename) starts a new batch so the packet's timestamp is that moment.
 *
 * A task created during the trace gets no entry at its creation: the
 * task_newtask event starts its thread (and, for a fork, its process, with
 * the creator's process as parent) in the importer. An entry at the same
 * instant could be parsed before that event, and the importer would then
 * start a second thread (or process) for the same task.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hmap.h"
#include "util/vec.h"

#define BATCH_MAX 256
#define SEEN_SLOTS 256   /* a power of two */

struct task {
	uint32_t tid, tgid;
	char comm[TL_COMM_LEN];
	bool queued, written;
};

struct proc {
	uint32_t pid, ppid, uid;
	bool has_uid, name_from_leader, queued, written;
	bool traced;
	uint64_t start_ns;
	char comm[TL_COMM_LEN];
	char *exe;         /* the path of its last exec, or NULL */
	char *cmdline;     /* NUL-separated arguments, or NULL */
	size_t cmdline_len;
};

struct tl_pf_proc {
	struct pb_writer *w;
	bool all_traced;   /* recorded with --all: every task is traced */
	uint32_t recorder; /* but the recorder's (never traced), 0 unknown */
	uint32_t last_traced; /* the tgid last found traced (a cache) */
	struct tl_vec tasks;           /* struct task */
	struct tl_vec procs;           /* struct proc */
	struct tl_hmap task_idx, proc_idx;   /* TID/PID -> index in tasks/procs */
	uint32_t *pend_tasks; size_t npend_tasks;
	uint32_t *pend_procs; size_t npend_procs;
	uint64_t pend_ts;
	size_t written_procs, written_threads;
	bool oom;
	/* TIDs known to be in tasks, by their low bits: every switch and
	 * waking names tasks, nearly always known ones, and this answers
	 * without a hash look-up */
	uint32_t seen[SEEN_SLOTS];
};

static struct task *task_at(const struct tl_pf_proc *p, size_t i)
{
	return &TL_VEC_AT(&p->tasks, struct task, i);
}

static struct proc *proc_at(const struct tl_pf_proc *p, size_t i)
{
	return &TL_VEC_AT(&p->procs, struct proc, i);
}

struct tl_pf_proc *tl_pf_proc_new(struct pb_writer *w, bool all_traced,
				  uint32_t recorder_pid)
{
	struct tl_pf_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->w = w;
	p->task_idx.dense = p->proc_idx.dense = true;   /* TIDs, PIDs */
	p->all_traced = all_traced;
	p->recorder = recorder_pid;
	p->pend_tasks = malloc(BATCH_MAX * sizeof(*p->pend_tasks));
	p->pend_procs = malloc(BATCH_MAX * sizeof(*p->pend_procs));
	if (!p->pend_tasks || !p->pend_procs) {
		tl_pf_proc_free(p);
		return NULL;
	}
	return p;
}

static struct proc *get_proc(struct tl_pf_proc *p, uint32_t pid)
{
	const uint64_t *i = tl_hmap_find(&p->proc_idx, pid);
	struct proc *pr;

	if (i)
		return proc_at(p, *i);
	if (tl_hmap_put(&p->proc_idx, pid, p->procs.n) ||
	    !(pr = tl_vec_push(&p->procs, sizeof(*pr)))) {
		tl_hmap_del(&p->proc_idx, pid);
		p->oom = true;
		return NULL;
	}
	pr->pid = pid;
	return pr;
}

static struct task *get_task(struct tl_pf_proc *p, uint32_t tid, bool *is_new)
{
	const uint64_t *i = tl_hmap_find(&p->task_idx, tid);
	struct task *t;

	*is_new = !i;
	if (i)
		return task_at(p, *i);
	if (tl_hmap_put(&p->task_idx, tid, p->tasks.n) ||
	    !(t = tl_vec_push(&p->tasks, sizeof(*t)))) {
		tl_hmap_del(&p->task_idx, tid);
		p->oom = true;
		return NULL;
	}
	t->tid = tid;
	return t;
}

/* ---- queueing ---- */

static void queue_at(struct tl_pf_proc *p, uint64_t ts)
{
	if (!p->npend_tasks && !p->npend_procs)
		p->pend_ts = ts;
}

static void queue_task(struct tl_pf_proc *p, struct task *t, uint64_t ts)
{
	if (t->queued)
		return;
	if (p->npend_tasks == BATCH_MAX)
		tl_pf_proc_flush(p);
	queue_at(p, ts);
	t->queued = true;
	p->pend_tasks[p->npend_tasks++] = (uint32_t)(t - task_at(p, 0));
}

static void queue_proc(struct tl_pf_proc *p, struct proc *pr, uint64_t ts)
{
	if (pr->queued)
		return;
	if (p->npend_procs == BATCH_MAX)
		tl_pf_proc_flush(p);
	queue_at(p, ts);
	pr->queued = true;
	p->pend_procs[p->npend_procs++] = (uint32_t)(pr - proc_at(p, 0));
}

/* A moment-bound entry opens its own batch (see the file comment). */
static void new_moment(struct tl_pf_proc *p)
{
	tl_pf_proc_flush(p);
}

static void set_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, TL_COMM_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/* The process of a task; named after the task until its leader is seen. */
static void see_proc_of(struct tl_pf_proc *p, uint32_t tid, uint32_t tgid,
			const char *comm, uint64_t ts)
{
	struct proc *pr = get_proc(p, tgid);
	bool leader = tid == tgid;

	if (!pr)
		return;
	if (!pr->comm[0] || (leader && !pr->name_from_leader)) {
		set_comm(pr->comm, comm);
		pr->name_from_leader = leader;
		if (!pr->cmdline || !pr->written)
			queue_proc(p, pr, ts);
	}
}

static bool is_traced(struct tl_pf_proc *p, uint32_t tgid)
{
	const uint64_t *i;

	if (p->all_traced)
		return !p->recorder || tgid != p->recorder;
	i = tl_hmap_find(&p->proc_idx, tgid);
	return i && proc_at(p, *i)->traced;
}

/* A task seen in an event; new ones of traced processes are queued with
 * their process. */
static void see_task(struct tl_pf_proc *p, uint32_t tid, uint32_t tgid,
		     const char *comm, uint64_t ts)
{
	bool is_new;
	struct task *t;

	if (!tid)
		return; /* the idle task of each CPU is not a thread */
	if (p->seen[tid & (SEEN_SLOTS - 1)] == tid)
		return;
	t = get_task(p, tid, &is_new);
	if (t)
		p->seen[tid & (SEEN_SLOTS - 1)] = tid;
	if (!t || !is_new)
		return;
	t->tgid = tgid ? tgid : tid;
	set_comm(t->comm, comm);
	if (!is_traced(p, t->tgid))
		return;
	queue_task(p, t, ts);
	see_proc_of(p, tid, t->tgid, comm, ts);
}

/* Process tgid is traced from ts on: it and the tasks of it seen so far
 * (as switch partners, before anything said it was traced) get entries. */
static void mark_traced(struct tl_pf_proc *p, uint32_t tgid, uint64_t ts)
{
	struct proc *pr;

	if (!tgid || tgid == p->last_traced)
		return;
	pr = get_proc(p, tgid);
	if (!pr)
		return;
	p->last_traced = tgid;
	if (pr->traced)
		return;
	pr->traced = true;
	if (p->all_traced)
		return;   /* every task seen was queued already */
	for (size_t i = 0; i < p->tasks.n; i++) {
		struct task *t = task_at(p, i);

		if (t->tgid == tgid && !t->written) {
			queue_task(p, t, ts);
			see_proc_of(p, t->tid, tgid, t->comm, ts);
		}
	}
}

/* A task whose name or process changed at ts. */
static void renew_task(struct tl_pf_proc *p, uint32_t tid, uint32_t tgid,
		       const char *comm, uint64_t ts)
{
	bool is_new;
	struct task *t = get_task(p, tid, &is_new);

	if (!t)
		return;
	t->tgid = tgid ? tgid : tid;
	set_comm(t->comm, comm);
	queue_task(p, t, ts);
}

/* Learns the new task without queueing it (see the file comment): later
 * entries for it (exec, rename, command line) are right, and the written
 * flags say the importer knows it. */
static void on_newtask(struct tl_pf_proc *p, const struct tl_newtask *n)
{
	bool thread = n->clone_flags & PF_CLONE_THREAD, is_new;
	uint32_t tgid = thread ? n->h.tgid : n->tid;
	const uint64_t *parent = thread ? NULL : tl_hmap_find(&p->proc_idx, n->h.tgid);
	const char *pexe = parent ? proc_at(p, *parent)->exe : NULL;
	char *exe = pexe ? strdup(pexe) : NULL; /* a child runs its parent's program */
	struct proc *pr;
	struct task *t;

	if (pexe && !exe) {
		p->oom = true;
		return;
	}
	pr = get_proc(p, tgid);
	if (!pr || thread)
		free(exe);
	if (!pr)
		return;
	if (!thread) {
		free(pr->exe);
		pr->exe = exe;
		free(pr->cmdline);   /* a reused PID: forget the old program */
		pr->cmdline = NULL;
		pr->cmdline_len = 0;
		pr->ppid = n->h.tgid;
		pr->start_ns = n->h.ts;
		set_comm(pr->comm, n->comm);
		pr->name_from_leader = true;
		pr->written = true;
	}
	pr->traced = true;
	t = get_task(p, n->tid, &is_new);
	if (!t)
		return;
	t->tgid = tgid;
	set_comm(t->comm, n->comm);
	t->written = true;
	p->seen[n->tid & (SEEN_SLOTS - 1)] = n->tid;
}

static void tl_model_on_proc_info(struct tl_pf_proc *p, const struct tl_proc_info *pi)
{
	size_t n = pi->h.size - sizeof(*pi);
	const char *args = (const char *)(pi + 1);
	struct proc *pr;

	while (n && args[n - 1] == 0)
		n--;
	new_moment(p);
	pr = get_proc(p, pi->h.tgid);
	if (!pr)
		return;
	pr->traced = true;
	free(pr->cmdline);
	pr->cmdline = NULL;
	pr->cmdline_len = 0;
	if (n) {
		pr->cmdline = malloc(n + 1);
		if (!pr->cmdline) {
			p->oom = true;
			return;
		}
		memcpy(pr->cmdline, args, n);
		pr->cmdline[n] = 0;
		pr->cmdline_len = n;
	}
	if (pi->ppid)
		pr->ppid = pi->ppid;
	pr->uid = pi->uid;
	pr->has_uid = true;
	queue_proc(p, pr, pi->h.ts);
}

static void on_snapshot(struct tl_pf_proc *p, const struct tl_task_snap *s)
{
	struct proc *pr;

	mark_traced(p, s->h.tgid, s->h.ts);
	see_task(p, s->h.tid, s->h.tgid, s->comm, s->h.ts);
	if (s->h.tid != s->h.tgid)
		return;
	pr = get_proc(p, s->h.tgid);
	if (!pr)
		return;
	pr->traced = true;
	pr->ppid = s->ppid;
	pr->start_ns = s->start_ns;
	set_comm(pr->comm, s->comm);
	pr->name_from_leader = true;
	queue_proc(p, pr, s->h.ts);
}

static void tl_model_on_exec(struct tl_pf_proc *p, const struct tl_exec *e)
{
	struct proc *pr;
	size_t max = sizeof(e->filename) < TL_PATH_LEN ? sizeof(e->filename) : TL_PATH_LEN - 1;
	char *exe;

	new_moment(p);
	renew_task(p, e->h.tid, e->h.tgid, e->comm, e->h.ts);
	pr = get_proc(p, e->h.tgid);
	if (!pr)
		return;
	set_comm(pr->comm, e->comm);
	exe = strndup(e->filename, max);
	if (!exe) {
		p->oom = true;
		return;
	}
	free(pr->exe);
	pr->exe = exe;
	pr->name_from_leader = true;
	queue_proc(p, pr, e->h.ts);
}

static void tl_model_on_rename(struct tl_pf_proc *p, const struct tl_rename *r)
{
	struct proc *pr;

	new_moment(p);
	renew_task(p, r->tid, r->tgid, r->newcomm, r->h.ts);
	if (r->tid != r->tgid)
		return;
	pr = get_proc(p, r->tgid);
	if (pr && !pr->cmdline) {
		set_comm(pr->comm, r->newcomm);
		queue_proc(p, pr, r->h.ts);
	}
}

/* Records that only a traced task emits as the current task (the model's
 * rule, model.c). */
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

void tl_pf_proc_record(struct tl_pf_proc *p, const struct tl_hdr *rec)
{
	if (from_traced(rec->type)) {
		mark_traced(p, rec->tgid, rec->ts);
		see_task(p, rec->tid, rec->tgid, "", rec->ts);
	}
	switch (rec->type) {
	case TL_SWITCH: {
		const struct tl_switch *s = (const void *)rec;

		see_task(p, rec->tid, rec->tgid, s->prev_comm, rec->ts);
		see_task(p, s->next_tid, s->next_tgid, s->next_comm, rec->ts);
		break;
	}
	case TL_WAKING:
	case TL_WAKEUP_NEW: {
		const struct tl_waking *wk = (const void *)rec;

		see_task(p, wk->tid, wk->tgid, wk->comm, rec->ts);
		break;
	}
	case TL_NEWTASK: on_newtask(p, (const void *)rec); break;
	case TL_PROC_INFO: tl_model_on_proc_info(p, (const void *)rec); break;
	case TL_TASK_SNAP: on_snapshot(p, (const void *)rec); break;
	case TL_EXEC: tl_model_on_exec(p, (const void *)rec); break;
	case TL_RENAME: tl_model_on_rename(p, (const void *)rec); break;
	default: break;
	}
}

/* ---- writing ---- */

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b && b[1] ? b + 1 : path;
}

/* Whether argv0 names the program label names (a comm is cut to 15). */
static bool same_program(const char *argv0, const char *label, bool is_comm)
{
	const char *a = base_name(argv0), *l = base_name(label);

	return is_comm ? !strncmp(a, l, TL_COMM_LEN - 1) : !strcmp(a, l);
}

/* The importer names a process after its first argument, but a program
 * may have rewritten its arguments into a title by the time they were
 * read (postgres backends: "postgres: user db UPDATE waiting"). Then the
 * executable (its path at exec, else its comm) goes first and names it,
 * and the title follows, still in the command line. */
static void write_cmdline(struct pb_writer *w, const struct proc *pr)
{
	const char *s = pr->cmdline, *end = pr->cmdline + pr->cmdline_len;
	bool has_exe = pr->exe && pr->exe[0];
	const char *label = has_exe ? pr->exe : pr->comm;

	if (label[0] && !same_program(s, label, !has_exe))
		tl_pb_string(w, PF_PROC_CMDLINE, label);

	while (s < end) {
		size_t n = strnlen(s, (size_t)(end - s));

		tl_pb_bytes(w, PF_PROC_CMDLINE, s, n);
		s += n + 1;
	}
}

static void write_proc(struct pb_writer *w, const struct proc *pr)
{
	tl_pb_begin(w, PF_PT_PROCESSES);
	pb_int32(w, PF_PROC_PID, (int32_t)pr->pid);
	if (pr->ppid)
		pb_int32(w, PF_PROC_PPID, (int32_t)pr->ppid);
	if (pr->cmdline) {
		write_cmdline(w, pr);
	} else {
		tl_pb_string(w, PF_PROC_CMDLINE, pr->comm[0] ? pr->comm : "<unknown>");
		pb_bool(w, PF_PROC_CMDLINE_IS_COMM, true);
	}
	if (pr->has_uid && pr->uid != (uint32_t)-1)
		pb_int32(w, PF_PROC_UID, (int32_t)pr->uid);
	if (pr->start_ns)
		pb_varint(w, PF_PROC_START, pr->start_ns);
	tl_pb_end(w);
}

static void write_thread(struct pb_writer *w, const struct task *t)
{
	tl_pb_begin(w, PF_PT_THREADS);
	pb_int32(w, PF_THR_TID, (int32_t)t->tid);
	if (t->comm[0])
		tl_pb_string(w, PF_THR_NAME, t->comm);
	pb_int32(w, PF_THR_TGID, (int32_t)t->tgid);
	tl_pb_end(w);
}

void tl_pf_proc_flush(struct tl_pf_proc *p)
{
	if (p->oom && !p->w->err)
		p->w->err = -ENOMEM;
	if (!p->npend_tasks && !p->npend_procs)
		return;
	tl_pf_packet_begin(p->w, p->pend_ts, PF_SEQ_META, 0);
	tl_pb_begin(p->w, PF_TP_PROCESS_TREE);
	for (size_t i = 0; i < p->npend_procs; i++) {
		struct proc *pr = proc_at(p, p->pend_procs[i]);

		write_proc(p->w, pr);
		pr->queued = false;
		if (!pr->written)
			p->written_procs++;
		pr->written = true;
	}
	for (size_t i = 0; i < p->npend_tasks; i++) {
		struct task *t = task_at(p, p->pend_tasks[i]);

		write_thread(p->w, t);
		t->queued = false;
		if (!t->written)
			p->written_threads++;
		t->written = true;
	}
	tl_pb_end(p->w);
	tl_pf_packet_end(p->w);
	p->npend_tasks = p->npend_procs = 0;
}

void tl_pf_proc_free(struct tl_pf_proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->procs.n; i++) {
		free(proc_at(p, i)->cmdline);
		free(proc_at(p, i)->exe);
	}
	tl_vec_free(&p->procs);
	tl_vec_free(&p->tasks);
	tl_hmap_free(&p->task_idx);
	tl_hmap_free(&p->proc_idx);
	free(p->pend_tasks);
	free(p->pend_procs);
	free(p);
}
