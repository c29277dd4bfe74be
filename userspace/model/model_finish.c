/* tl_model_close_open.c - the end of the stream: close every open interval at the
 * end time, link parents and children, complete each thread's totals (time
 * per state and reason is added up as intervals close, in model_state.c);
 * then the parallelism/concurrency series (tl_model_build_series.c).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

static void close_thread(struct tl_model *m, struct thr *t, uint64_t end)
{
	if (!t->ended) {
		tl_thr_end(m, t, end);
		t->pub.end = end;
	}
	if (t->lv)
		return; /* out of memory: tl_thr_retire could not finish */
	if (!t->pub.nnames) {
		struct comm_ent *c = model_comm(m, t->pub.tid);
		t->name1 = (struct tl_name){ .ts = t->pub.start };
		if (c)
			memcpy(t->name1.name, c->comm, TL_COMM_LEN);
		t->pub.names = &t->name1;
		t->pub.nnames = 1;
	}
}

/* Time per state and reason was added up as intervals closed
 * (model_state.c). Socket operations are the sends and receives counted
 * in the kernel (group "net"); in recordings without them, the socket
 * syscalls entered, or else the blocks in socket syscalls. */
static void sum_thread(struct thr *t, bool have_sock, bool have_sys)
{
	if (have_sock)
		t->pub.sum.socket_ops = t->sock_count_ops;
	else if (!have_sys)
		t->pub.sum.socket_ops = t->socket_blocks;
}

static struct proc *proc_alive_at(struct tl_model *m, uint32_t pid, uint64_t ts)
{
	for (struct proc *p = tl_hmap_get_ptr(&m->pid_map, pid); p; p = p->prev_gen)
		if (p->pub.start <= ts && (p->pub.end >= ts || !p->ended))
			return p;
	return NULL;
}

/* The first process seen with pid if it was already there when tracing
 * started. A process that was also there may have been seen first, by an
 * event that came before the start snapshot reached its parent: both
 * existed then, whatever their first sights say. */
static struct proc *proc_from_start(struct tl_model *m, uint32_t pid)
{
	struct proc *p = tl_hmap_get_ptr(&m->pid_map, pid);

	while (p && p->prev_gen)
		p = p->prev_gen;
	return p && !(p->pub.flags & TL_PROC_FORKED) ? p : NULL;
}

/* Whether p is a or one of its ancestors. The links made so far form a
 * tree, so the walk ends. */
static bool under(const struct tl_process *a, const struct tl_process *p)
{
	for (; a; a = a->parent)
		if (a == p)
			return true;
	return false;
}

static void link_proc(struct tl_model *m, struct proc *p, uint64_t end)
{
	if (!p->ended)
		p->pub.end = end;
	if (!p->pub.parent && p->pub.ppid) {
		/* a crafted file can name a descendant as the parent: that
		 * link is refused, so every walk up or down the tree ends */
		struct proc *pp = proc_alive_at(m, p->pub.ppid, p->pub.start);
		if (!pp && !(p->pub.flags & TL_PROC_FORKED))
			pp = proc_from_start(m, p->pub.ppid);
		if (pp && !under(&pp->pub, &p->pub))
			p->pub.parent = &pp->pub;
	}
	if (!p->pub.nnames) {
		/* no leader seen: the PID's last known comm, else any thread's */
		struct comm_ent *ce = model_comm(m, p->pub.pid);
		const char *n = ce ? ce->comm : "";
		for (size_t i = 0; !n[0] && i < p->pub.nthreads; i++)
			if (p->pub.threads[i]->nnames)
				n = p->pub.threads[i]->names[0].name;
		struct tl_name *nm = model_pub_push(m, (const void **)&p->pub.names,
						    &p->pub.nnames, sizeof(*nm));
		if (nm) {
			nm->ts = p->pub.start;
			snprintf(nm->name, sizeof(nm->name), "%s", n);
		}
	}
}

/* Every process's children, in the order of m->procs (first seen), in
 * arrays of their exact size: counted, then filled. */
static void link_children(struct tl_model *m)
{
	struct proc **ps = m->procs.p;

	for (size_t i = 0; i < m->procs.n; i++)
		if (ps[i]->pub.parent)
			ps[i]->pub.parent->nchildren++;
	for (size_t i = 0; i < m->procs.n; i++) {
		struct tl_process *p = &ps[i]->pub;
		if (!p->nchildren)
			continue;
		p->children = tl_arena_alloc(&m->arena, p->nchildren * sizeof(*p->children),
					     alignof(struct tl_process *));
		m->oom |= !p->children;
		p->nchildren = 0;
	}
	for (size_t i = 0; i < m->procs.n; i++) {
		struct tl_process *pp = ps[i]->pub.parent;
		if (pp && pp->children)
			((struct tl_process **)pp->children)[pp->nchildren++] = &ps[i]->pub;
	}
}

int tl_model_close_open(struct tl_model *m, uint64_t end)
{
	struct thr **ts = m->thrs.p;
	struct proc **ps = m->procs.p;
	bool have_sys = m->st.per_type[TL_SYS_ENTER] > 0;
	bool have_sock = m->st.per_type[TL_SOCK_COUNT] > 0;

	for (size_t i = 0; i < m->thrs.n; i++) {
		close_thread(m, ts[i], end);
		sum_thread(ts[i], have_sock, have_sys);
	}
	for (size_t i = 0; i < m->procs.n; i++)
		tl_proc_retire(m, ps[i]);
	for (size_t i = 0; i < m->procs.n; i++) {
		link_proc(m, ps[i], end);
		ps[i]->pub.cmdline = ps[i]->cmdline ? ps[i]->cmdline : "";
	}
	link_children(m);
	if (m->oom)
		return -ENOMEM;
	return tl_model_build_series(m, end);
}

/* ---- invariants ---- */

static int check_thread(const struct tl_thread *t, char *err, size_t len)
{
	uint64_t at = t->start;

	if (t->end < t->start || (t->end > t->start && !t->niv)) {
		snprintf(err, len, "thread %u: bad life [%llu, %llu]", t->tid,
			 (unsigned long long)t->start, (unsigned long long)t->end);
		return -1;
	}
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &v;
		if (iv->start != at || iv->end <= iv->start || iv->state >= TL_ST_COUNT) {
			snprintf(err, len, "thread %u: interval %zu [%llu, %llu] "
				 "does not follow %llu", t->tid, i,
				 (unsigned long long)iv->start,
				 (unsigned long long)iv->end, (unsigned long long)at);
			return -1;
		}
		at = iv->end;
	}
	if (at != t->end) {
		snprintf(err, len, "thread %u: intervals end at %llu, life at %llu",
			 t->tid, (unsigned long long)at, (unsigned long long)t->end);
		return -1;
	}
	return 0;
}

int tl_model_check(const struct tl_model *m, char *err, size_t len)
{
	struct thr *const *ts = m->thrs.p;

	if (!m->finished) {
		snprintf(err, len, "model not finished");
		return -1;
	}
	for (size_t i = 0; i < m->thrs.n; i++)
		if (check_thread(&ts[i]->pub, err, len))
			return -1;
	uint64_t prev = 0;
	for (size_t i = 0; i < m->wk_n; i++) {
		uint64_t at = tl_model_wakeup(m, i).ts;
		if (at < prev) {
			snprintf(err, len, "wakeup %zu out of order", i);
			return -1;
		}
		prev = at;
	}
	return 0;
}
