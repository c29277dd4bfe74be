/* perfetto_usdt.c - USDT marks (probes/threadline_usdt.h) as Perfetto
 * tracks: task begin/end and section enter/exit pairs become slices, marks
 * become instants on the thread's track, queue put/get depths a counter per
 * queue, coroutine switches a slice per run on a track per coroutine.
 *
 * Pairs are matched per thread (a task by its id, a section by its
 * address). Spans that overlap without nesting cannot share a track, so
 * each thread's spans are dealt onto lanes (tracks) where they follow one
 * another; usually one lane is enough. A queue's depth comes from every
 * thread that uses it, so its points are gathered and written in time
 * order at the end: each then costs a short delta on the queue's track.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/model.h"
#include "util/vec.h"

#define MAX_OPEN 64
#define MAX_LANES 16

struct span {
	uint64_t start, end, id;
	const char *name;
};

struct spans {
	struct tl_vec v;                   /* struct span, closed */
	struct span open[MAX_OPEN]; unsigned nopen;
};

/* A track keyed by (process, kind, key): queues and coroutines. */
struct keyed {
	const struct tl_process *p;
	uint32_t kind;
	uint64_t key, uuid, last;
};

/* A queue depth, kept until every thread's are known. */
struct qpoint {
	uint64_t uuid, ts, order;
	int64_t value;
};

struct usdt {
	struct tl_pf_te *te;
	struct tl_pf_track_stats *st;
	struct tl_vec tracks;              /* struct keyed */
	struct tl_vec points;              /* struct qpoint */
	bool oom;
};

static struct keyed *keyed_track(struct usdt *u, const struct tl_process *p,
				 uint32_t kind, uint64_t key, bool *fresh)
{
	struct keyed *k = u->tracks.p;

	*fresh = false;
	for (size_t i = u->tracks.n; i-- > 0;)
		if (k[i].p == p && k[i].kind == kind && k[i].key == key)
			return &k[i];
	k = tl_vec_push_uninit(&u->tracks, sizeof(*k));
	if (!k) {
		u->oom = true;
		return NULL;
	}
	*k = (struct keyed){ p, kind, key, tl_pf_te_uuid(u->te), 0 };
	*fresh = true;
	return k;
}

static uint64_t parent_of(const struct tl_thread *t)
{
	return t->proc ? tl_pf_proc_uuid(t->proc->pid, t->proc->gen) : 0;
}

/* ---- spans: tasks and sections ---- */

static void span_open(struct spans *s, const struct tl_mark *mk)
{
	if (s->nopen < MAX_OPEN)
		s->open[s->nopen++] = (struct span){ mk->ts, 0, mk->args[0],
						     mk->str[0] ? mk->str : NULL };
}

static bool span_push(struct spans *s, const struct span *sp)
{
	struct span *e = tl_vec_push_uninit(&s->v, sizeof(*e));

	if (e)
		*e = *sp;
	return e != NULL;
}

/* Closes the latest open span with this id; an unmatched close is dropped. */
static bool span_close(struct spans *s, uint64_t id, uint64_t ts)
{
	for (unsigned i = s->nopen; i-- > 0;) {
		struct span sp = s->open[i];

		if (sp.id != id)
			continue;
		memmove(&s->open[i], &s->open[i + 1], (s->nopen - i - 1) * sizeof(sp));
		s->nopen--;
		sp.end = ts;
		return span_push(s, &sp);
	}
	return true;
}

static bool span_close_all(struct spans *s, uint64_t ts)
{
	while (s->nopen)
		if (!span_close(s, s->open[s->nopen - 1].id, ts))
			return false;
	return true;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void emit_spans(struct usdt *u, const struct tl_thread *t, struct spans *s,
		       const char *what)
{
	uint64_t lane_uuid[MAX_LANES], lane_last[MAX_LANES];
	unsigned nlanes = 0, k;
	char name[96];

	if (s->v.n > 1) /* never qsort(NULL, 0): undefined */
		qsort(s->v.p, s->v.n, sizeof(struct span), span_cmp);
	for (size_t i = 0; i < s->v.n; i++) {
		const struct span *sp = &TL_VEC_AT(&s->v, struct span, i);

		for (k = 0; k < nlanes && lane_last[k] >= sp->start; k++)
			;
		if (k == nlanes) {
			if (nlanes == MAX_LANES)
				continue;
			lane_uuid[k] = tl_pf_te_uuid(u->te);
			lane_last[k] = 0;
			snprintf(name, sizeof(name), "%s %u %s%s%.0u", tl_thread_name(t),
				 t->tid, what, k ? " #" : "", k ? k + 1 : 0);
			tl_pf_te_named_track(u->te, lane_uuid[k], parent_of(t), name,
					     NULL, false);
			nlanes++;
		}
		snprintf(name, sizeof(name), "%s", sp->name ? sp->name : what);
		if (tl_pf_te_slice(u->te, &lane_last[k], lane_uuid[k], sp->start,
				   sp->end, name, NULL, 0))
			u->st->usdt_slices++;
	}
}

/* ---- marks, queues, coroutines ---- */

static void emit_mark(struct usdt *u, const struct tl_thread *t,
		      const struct tl_mark *mk)
{
	struct tl_pf_arg a = { .name = PF_A_VALUE, .kind = PF_ARG_INT,
			       .u = mk->args[0] };
	struct tl_pf_ev ev = { .ts = mk->ts, .type = PF_INSTANT,
			       .track = tl_pf_thread_uuid(t->tid, t->gen),
			       .name = mk->str[0] ? mk->str : "mark",
			       .args = &a, .nargs = 1 };

	tl_pf_te_event(u->te, &ev);
	u->st->usdt_instants++;
}

static void push_point(struct usdt *u, uint64_t uuid, uint64_t ts, int64_t value)
{
	struct qpoint *q = tl_vec_push_uninit(&u->points, sizeof(*q));

	if (!q) {
		u->oom = true;
		return;
	}
	*q = (struct qpoint){ uuid, ts, u->points.n - 1, value };
}

static void emit_queue(struct usdt *u, const struct tl_thread *t,
		       const struct tl_mark *mk)
{
	bool fresh;
	struct keyed *k = keyed_track(u, t->proc, TL_USDT_QUEUE_PUT, mk->args[0], &fresh);
	char name[64];

	if (!k)
		return;
	if (fresh) {
		if (mk->str[0])
			snprintf(name, sizeof(name), "queue %s", mk->str);
		else
			snprintf(name, sizeof(name), "queue %#llx",
				 (unsigned long long)mk->args[0]);
		tl_pf_te_named_track(u->te, k->uuid, parent_of(t), name,
				     "items in the queue after each put/get", true);
	}
	push_point(u, k->uuid, mk->ts, (int64_t)mk->args[1]);
}

/* By queue, then time; points at one instant keep the order they were
 * found in (thread by thread), as the importer's sort would keep them. */
static int point_cmp(const void *a, const void *b)
{
	const struct qpoint *x = a, *y = b;

	if (x->uuid != y->uuid)
		return x->uuid < y->uuid ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void emit_points(struct usdt *u)
{
	const struct qpoint *q = u->points.p;

	if (u->points.n > 1) /* never qsort(NULL, 0): undefined */
		qsort(u->points.p, u->points.n, sizeof(*q), point_cmp);
	for (size_t i = 0; i < u->points.n; i++) {
		struct tl_pf_ev ev = { .ts = q[i].ts, .type = PF_COUNTER,
				       .track = q[i].uuid, .value = q[i].value };

		tl_pf_te_event(u->te, &ev);
		u->st->counter_points++;
	}
}

struct coro_run {
	bool on;
	uint64_t id, since;
	char name[TL_USDT_STR_LEN];
};

static void coro_end(struct usdt *u, const struct tl_thread *t,
		     struct coro_run *r, uint64_t ts)
{
	bool fresh;
	struct keyed *k;
	char name[64];

	if (!r->on)
		return;
	r->on = false;
	k = keyed_track(u, t->proc, TL_USDT_CORO_SWITCH, r->id, &fresh);
	if (!k)
		return;
	if (fresh) {
		snprintf(name, sizeof(name), "coroutine %s",
			 r->name[0] ? r->name : "?");
		tl_pf_te_named_track(u->te, k->uuid, parent_of(t), name, NULL, false);
	}
	snprintf(name, sizeof(name), "%s", r->name[0] ? r->name : "coroutine");
	if (tl_pf_te_slice(u->te, &k->last, k->uuid, r->since, ts, name, NULL, 0))
		u->st->usdt_slices++;
}

static void coro_switch(struct usdt *u, const struct tl_thread *t,
			struct coro_run *r, const struct tl_mark *mk)
{
	coro_end(u, t, r, mk->ts);
	r->on = true;
	r->id = mk->args[1];
	r->since = mk->ts;
	memcpy(r->name, mk->str, sizeof(r->name));
	r->name[sizeof(r->name) - 1] = 0;
}

static bool thread_marks(struct usdt *u, const struct tl_thread *t)
{
	struct spans tasks = { 0 }, sections = { 0 };
	struct coro_run run = { 0 };
	bool ok = true;

	for (size_t i = 0; ok && i < t->nmarks; i++) {
		const struct tl_mark *mk = &t->marks[i];

		switch (mk->kind) {
		case TL_USDT_TASK_BEGIN: span_open(&tasks, mk); break;
		case TL_USDT_TASK_END: ok = span_close(&tasks, mk->args[0], mk->ts); break;
		case TL_USDT_SECTION_ENTER: span_open(&sections, mk); break;
		case TL_USDT_SECTION_EXIT:
			ok = span_close(&sections, mk->args[0], mk->ts);
			break;
		case TL_USDT_MARK: emit_mark(u, t, mk); break;
		case TL_USDT_QUEUE_PUT:
		case TL_USDT_QUEUE_GET: emit_queue(u, t, mk); break;
		case TL_USDT_CORO_SWITCH: coro_switch(u, t, &run, mk); break;
		default: break;
		}
	}
	coro_end(u, t, &run, t->end);
	ok = ok && span_close_all(&tasks, t->end) && span_close_all(&sections, t->end);
	if (ok) {
		emit_spans(u, t, &tasks, "tasks");
		emit_spans(u, t, &sections, "sections");
	}
	tl_vec_free(&tasks.v);
	tl_vec_free(&sections.v);
	return ok;
}

int tl_pf_write_usdt(struct tl_pf_te *te, const struct tl_model *m,
		     struct tl_pf_track_stats *st)
{
	struct usdt u = { .te = te, .st = st };
	bool ok = true;

	for (size_t i = 0; ok && i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		if (t->nmarks)
			ok = thread_marks(&u, t);
	}
	if (ok && !u.oom)
		emit_points(&u);
	tl_vec_free(&u.points);
	tl_vec_free(&u.tracks);
	return ok && !u.oom ? 0 : -ENOMEM;
}
