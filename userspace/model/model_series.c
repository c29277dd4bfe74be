/* tl_model_build_series.c - the parallelism/concurrency step series: how many threads
 * are Running, Runnable and Unknown over time, per process, per process tree
 * and over the whole trace.
 *
 * Each thread's intervals are already in time order, so its state changes
 * are too: the series are built by one k-way merge of the threads' change
 * streams (a heap keyed by the next change of each thread begun, see
 * below), and every change is
 * added at once to the series that count its thread: the whole trace's, its
 * process's, and the tree series of its process and each ancestor. No
 * change list is materialized or sorted. Changes at one instant may come in
 * any order: push_step() keeps only the last value of an instant, so the
 * series is the same as if all changes at that instant were summed first.
 *
 * A series that would count exactly the same threads over the same range
 * as another (the tree of a process without children, the whole trace of
 * a one-process recording) shares the other's steps instead of being
 * built again.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include "model_impl.h"

/* A process counts in the tree series of this many generations above it
 * (a parent cycle cannot happen; this keeps a broken input bounded). */
#define TREE_DEPTH_MAX 4097

/* One series being built: its running sums and its time range. A series
 * with same_as set is not built: it gets that one's steps. */
struct acc {
	struct tl_stepvec *steps;
	struct tl_series *out;
	int run, rdy, unk;
	uint64_t start, end;
	const struct acc *same_as;
	bool off;                /* not wanted (tl_model_opts): left empty */
};

/* A thread's stream of changes: at each interval boundary, the state it
 * leaves and the state it enters, combined when they meet at one time. */
/* A thread's stream of changes: at each interval boundary, the state it
 * leaves and the state it enters, combined when they meet at one time.
 * Of the intervals it reads states and times only: one cursor per thread
 * is held at once, and a recording of many short processes has tens of
 * thousands of threads. */
struct cursor {
	const struct thr *t;
	struct tl_ivskim pos;    /* interval b, once b - 1 was read */
	uint64_t ts;             /* time of the current change */
	uint32_t n, b;           /* intervals; next boundary (0..n) */
	uint32_t proc;           /* index of the thread's process */
	uint8_t out_state;       /* interval b - 1's */
	int8_t run, rdy, unk;    /* the change */
};

/* A cursor before t's first change: false when t has more intervals than
 * it can count (more than the records of any recording that fits). */
static bool cursor_init(struct cursor *c, const struct tl_thread *t, uint32_t proc)
{
	*c = (struct cursor){ .t = (const struct thr *)t, .n = (uint32_t)t->niv,
			      .proc = proc };
	return t->niv <= UINT32_MAX;
}

static bool counted(uint8_t state)
{
	return state == TL_ST_RUNNING || state == TL_ST_RUNNABLE || state == TL_ST_UNKNOWN;
}

static void add_st(struct cursor *c, uint8_t state, int8_t sign)
{
	c->run += sign * (state == TL_ST_RUNNING);
	c->rdy += sign * (state == TL_ST_RUNNABLE);
	c->unk += sign * (state == TL_ST_UNKNOWN);
}

/* Moves to the thread's next change; false when there is none. The
 * intervals tile the thread's life: where one ends the next starts. */
static bool cursor_next(struct cursor *c)
{
	while (c->b <= c->n) {
		bool out = c->b, in = c->b < c->n, any = false;
		uint8_t in_state = in ? tl_thr_iv_skim(c->t, c->b, &c->pos) : 0;

		c->ts = in ? c->pos.prev : tl_thr_iv_end(c->t);
		c->run = c->rdy = c->unk = 0;
		if (out && counted(c->out_state)) {
			add_st(c, c->out_state, -1);
			any = true;
		}
		if (in && counted(in_state)) {
			add_st(c, in_state, 1);
			any = true;
		}
		c->b++;
		if (in)
			c->out_state = in_state;
		if (any)
			return true;
	}
	return false;
}

/* ---- the tournament of cursors, by next change time ----
 * A loser tree: leaf i holds cursor i's next change time, each inner node
 * the loser of the match played there, node 0 the overall winner. After
 * the winner moves on, only the matches on its leaf's path are replayed:
 * always log2(k) comparisons, resolved without branches, where a binary
 * heap's sift stops at a depth the branch predictor cannot guess. */
#define DONE UINT64_MAX

struct tnode {
	uint64_t key;
	uint32_t leaf;
};

/* node[1..k-1] hold the losers with their keys, so replaying a path loads
 * nodes whose addresses do not depend on one another; only the compare
 * chain is serial. node[0] is the winner. */
struct tourney {
	struct tnode *node;
	size_t k;               /* leaves: a power of two */
};

/* The winner of the subtree under node i; leaves are i >= k, keyed from
 * keys[]. */
static struct tnode t_build(struct tourney *t, const uint64_t *keys, size_t i)
{
	if (i >= t->k)
		return (struct tnode){ keys[i - t->k], (uint32_t)(i - t->k) };
	struct tnode a = t_build(t, keys, 2 * i), b = t_build(t, keys, 2 * i + 1);
	bool a_wins = a.key <= b.key;

	t->node[i] = a_wins ? b : a;
	return a_wins ? a : b;
}

/* The last winner's leaf has a new key: replays its path. The swap is
 * done with masks: as a branch it would be mispredicted half the time. */
static void t_replay(struct tourney *t, uint64_t key)
{
	uint64_t wk = key;
	uint32_t wl = t->node[0].leaf;

	for (size_t i = (t->k + wl) / 2; i; i /= 2) {
		struct tnode l = t->node[i];
		uint64_t m = -(uint64_t)(l.key < wk);
		uint32_t m32 = (uint32_t)m;

		t->node[i].key = (wk & m) | (l.key & ~m);
		t->node[i].leaf = (wl & m32) | (l.leaf & ~m32);
		wk = (l.key & m) | (wk & ~m);
		wl = (l.leaf & m32) | (wl & ~m32);
	}
	t->node[0] = (struct tnode){ wk, wl };
}

/* ---- the threads' cursors while the series are built ----
 * Only the threads alive at the merge's time hold a cursor, in a binary
 * heap by next change time; the others wait in a list by their first
 * change. A recording of many short processes has few alive at once. */
struct start {
	uint64_t ts;
	uint32_t i;              /* index in tl_model.thrs */
};

static int by_start(const void *a, const void *b)
{
	const struct start *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

struct hent {
	uint64_t key;
	uint32_t slot;           /* its cursor */
};

static int h_push(struct tl_vec *h, struct hent e)
{
	struct hent *v;
	size_t i;

	if (!tl_vec_push_uninit(h, sizeof(e)))
		return -ENOMEM;
	v = h->p;
	for (i = h->n - 1; i && v[(i - 1) / 2].key > e.key; i = (i - 1) / 2)
		v[i] = v[(i - 1) / 2];
	v[i] = e;
	return 0;
}

/* The root's key grew (or the root was replaced): sifts it down. */
static void h_down(struct tl_vec *h)
{
	struct hent *v = h->p, e;
	size_t i = 0, n = h->n;

	if (!n)
		return;
	e = v[0];
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && v[c + 1].key < v[c].key)
			c++;
		if (v[c].key >= e.key)
			break;
		v[i] = v[c];
		i = c;
	}
	v[i] = e;
}

/* ---- series ---- */

static bool same_counts(const struct tl_step *a, const struct tl_step *b)
{
	return a->running == b->running && a->runnable == b->runnable &&
	       a->unknown == b->unknown;
}

static void push_step(struct tl_model *m, struct tl_stepvec *s, uint64_t ts, int run,
		      int rdy, int unk)
{
	struct tl_step st = { ts, run, rdy, unk };
	size_t n = s->e.n;

	if (n && s->tail[1].ts == ts) {
		/* the last step changes: dropped when it now repeats the one
		 * before, else replaced */
		if (n > 1 && same_counts(&s->tail[0], &st))
			tl_sv_pop(s);
		else
			tl_sv_set_last(m, s, &st);
		return;
	}
	if (n && same_counts(&s->tail[1], &st))
		return;
	tl_sv_push(m, s, &st);
}

/* series_totals_only: a series with as many steps (8 bytes each) as its
 * totals take bytes is added up as it goes: one of thousands of short
 * processes costs no more either way */
#define FOLD_AT (sizeof(struct tl_series_sum) / 8)

static void acc_init(struct tl_model *m, struct acc *a, struct tl_stepvec *steps,
		     struct tl_series *out, uint64_t start, uint64_t end)
{
	*a = (struct acc){ .steps = steps, .out = out, .start = start, .end = end };
	push_step(m, steps, start, 0, 0, 0);
}

/* A process's series, where it goes and its steps made by proc_series
 * once it is known whether they are built at all. */
static void acc_set(struct acc *a, uint64_t start, uint64_t end)
{
	*a = (struct acc){ .start = start, .end = end };
}

/* Makes the steps of a process's series that is built (in *slot), with
 * its start step: 0, or -ENOMEM. */
static int acc_start(struct tl_model *m, struct acc *a, struct tl_stepvec **slot)
{
	if (a->same_as)
		return 0;
	if (a->off) {
		a->steps = &m->no_steps;
		return 0;
	}
	*slot = calloc(1, sizeof(**slot));
	if (!*slot)
		return -ENOMEM;
	a->steps = *slot;
	push_step(m, a->steps, a->start, 0, 0, 0);
	return 0;
}

static void share(struct acc *a, const struct acc *src)
{
	a->same_as = src;
	if (a->steps)
		tl_sv_clear(a->steps);   /* drop the start step acc_init put there */
}

/* A series no one will ask for: no steps at all. */
static void leave_out(struct acc *a)
{
	if (a->same_as)
		return; /* shared: costs nothing */
	a->off = true;
	if (a->steps)
		tl_sv_clear(a->steps);
}

static inline void acc_add(struct tl_model *m, struct acc *a, const struct cursor *c)
{
	if (a->same_as || a->off)
		return;
	a->run += c->run;
	a->rdy += c->rdy;
	a->unk += c->unk;
	if (c->ts >= a->start && c->ts < a->end) {
		push_step(m, a->steps, c->ts, a->run, a->rdy, a->unk);
		/* only the last step can still change, or go and leave the
		 * one before it last: the others are final. Once folded, a
		 * series is folded again every few steps (in the room it keeps). */
		if (m->o.series_totals_only &&
		    a->steps->e.n >= (a->steps->sum ? TL_SV_FOLD_ROOM : FOLD_AT))
			tl_sv_fold(m, a->steps, 2, 0);
	}
}

static void acc_publish(struct tl_model *m, struct acc *a)
{
	const struct acc *src = a->same_as ? a->same_as : a;

	if (!a->out)
		return;   /* a process's, both of whose series are left out */
	if (!a->same_as && a->steps->sum)
		tl_sv_fold(m, a->steps, 0, a->end);
	if (!a->same_as)
		tl_sv_trim(a->steps);
	a->out->sv = src->steps;
	a->out->nsteps = src->steps->e.n;
	a->out->sum = src->steps->sum;
	a->out->end = a->end;
}

/* Everything the merge needs: per process its own and tree accumulators
 * and the processes whose tree series count it (itself, then ancestors). */
struct build {
	struct acc all;
	struct acc *own, *tree;       /* per process index */
	struct tl_vec anc;            /* uint32_t ancestor lists, concatenated */
	size_t *anc_at;               /* per process: its list is anc[at[i]..at[i+1]) */
	struct start *starts;         /* threads with changes, by their first */
	size_t nstarts, next;         /* and the next not begun */
	struct tl_vec cur;            /* struct cursor: of threads begun */
	struct tl_vec free;           /* uint32_t: cursors free for reuse */
	struct tl_vec heap;           /* struct hent: begun, by next change */
};

static struct proc *proc_at(struct tl_model *m, size_t i)
{
	return ((struct proc **)m->procs.p)[i];
}

/* Lists, for every process, itself and its ancestors (each ancestor's tree
 * series counts it), and raises each tree's end to it. */
static int build_ancestors(struct tl_model *m, struct build *b)
{
	size_t np = m->procs.n;

	b->anc_at = malloc((np + 1) * sizeof(*b->anc_at));
	if (!b->anc_at || tl_vec_reserve(&b->anc, sizeof(uint32_t), np + 16))
		return -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		const struct tl_process *q = &proc_at(m, i)->pub, *a = q;

		b->anc_at[i] = b->anc.n;
		for (int depth = 0; a && depth <= TREE_DEPTH_MAX; depth++) {
			const struct proc *ap = (const struct proc *)a;
			uint32_t *e = tl_vec_push_uninit(&b->anc, sizeof(*e));
			if (!e)
				return -ENOMEM;
			*e = (uint32_t)ap->idx;
			if (q->end > b->tree[ap->idx].end)
				b->tree[ap->idx].end = q->end;
			a = a->parent;
		}
	}
	b->anc_at[np] = b->anc.n;
	return 0;
}

/* Which series count exactly the threads of another over its range. */
static void share_same(struct tl_model *m, struct build *b)
{
	size_t np = m->procs.n;
	bool *has_child = calloc(np ? np : 1, sizeof(*has_child));

	if (!has_child)
		return; /* only a saving: build them all */
	for (size_t i = 0; i < np; i++) {
		const struct tl_process *parent = proc_at(m, i)->pub.parent;
		if (parent)
			has_child[((const struct proc *)parent)->idx] = true;
	}
	/* a process's own series is not built when it is streamed */
	for (size_t i = 0; i < np && !m->o.proc_series_streamed; i++)
		if (!has_child[i] && b->tree[i].end == b->own[i].end)
			share(&b->tree[i], &b->own[i]);
	if (np == 1 && b->all.start == b->own[0].start && b->all.end == b->own[0].end &&
	    !m->o.proc_series_streamed)
		share(&b->all, &b->own[0]);
	free(has_child);
}

/* Where p's own and tree series go, unless both are left out (then
 * there is nowhere: they are empty), and their steps: 0 or -ENOMEM. */
static int proc_series(struct tl_model *m, struct proc *p, struct acc *own,
		       struct acc *tree)
{
	if (own->off && tree->off)
		return 0;
	p->ser = tl_arena_alloc(&m->arena, sizeof(*p->ser), alignof(struct proc_series));
	if (!p->ser)
		return -ENOMEM;
	own->out = &p->ser->own;
	tree->out = &p->ser->tree;
	if (acc_start(m, own, &p->ser->steps) || acc_start(m, tree, &p->ser->tree_steps))
		return -ENOMEM;
	return 0;
}

static int build_accs(struct tl_model *m, struct build *b, uint64_t end)
{
	size_t np = m->procs.n;

	b->own = calloc(np ? np : 1, sizeof(*b->own));
	b->tree = calloc(np ? np : 1, sizeof(*b->tree));
	if (!b->own || !b->tree)
		return -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		proc_at(m, i)->idx = (uint32_t)i;
		b->tree[i].end = proc_at(m, i)->pub.end;
	}
	if (build_ancestors(m, b))
		return -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		struct proc *p = proc_at(m, i);
		acc_set(&b->own[i], p->pub.start, p->pub.end);
		acc_set(&b->tree[i], p->pub.start, b->tree[i].end);
	}
	acc_init(m, &b->all, &m->all_steps, &m->all_series, m->st.start, end);
	share_same(m, b);
	if (m->o.no_trace_series)
		leave_out(&b->all);
	for (size_t i = 0; i < np && m->o.no_tree_series; i++)
		leave_out(&b->tree[i]);
	for (size_t i = 0; i < np && m->o.proc_series_streamed; i++)
		leave_out(&b->own[i]);
	for (size_t i = 0; i < np; i++)
		if (proc_series(m, proc_at(m, i), &b->own[i], &b->tree[i]))
			return -ENOMEM;
	return 0;
}

/* Lists the threads that change at all by their first change. */
static int build_starts(struct tl_model *m, struct build *b)
{
	size_t nt = m->thrs.n;
	struct thr **ts = m->thrs.p;

	b->starts = malloc((nt ? nt : 1) * sizeof(*b->starts));
	if (!b->starts)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		struct cursor c;

		if (!cursor_init(&c, &ts[i]->pub, 0))
			return -EOVERFLOW;
		if (cursor_next(&c))
			b->starts[b->nstarts++] = (struct start){ c.ts, (uint32_t)i };
	}
	qsort(b->starts, b->nstarts, sizeof(*b->starts), by_start);
	return 0;
}

/* Begins the cursor of the next thread in starts: 0 or -ENOMEM. */
static int begin_next(struct tl_model *m, struct build *b)
{
	struct thr *t = ((struct thr **)m->thrs.p)[b->starts[b->next++].i];
	uint32_t slot;

	if (b->free.n) {
		slot = TL_VEC_AT(&b->free, uint32_t, --b->free.n);
	} else {
		if (!tl_vec_push_uninit(&b->cur, sizeof(struct cursor)))
			return -ENOMEM;
		slot = (uint32_t)(b->cur.n - 1);
	}
	struct cursor *c = &TL_VEC_AT(&b->cur, struct cursor, slot);
	cursor_init(c, &t->pub, (uint32_t)((const struct proc *)t->pub.proc)->idx);
	cursor_next(c);   /* it has one: it is in starts */
	return h_push(&b->heap, (struct hent){ c->ts, slot });
}

/* The changes of all threads in time order, each thread's cursor held
 * only from its first change to its last. */
static int merge(struct tl_model *m, struct build *b)
{
	for (;;) {
		struct hent *top = b->heap.p;

		while (b->next < b->nstarts &&
		       (!b->heap.n || b->starts[b->next].ts <= top->key)) {
			if (begin_next(m, b))
				return -ENOMEM;
			top = b->heap.p;
		}
		if (!b->heap.n)
			return 0;
		struct cursor *c = &TL_VEC_AT(&b->cur, struct cursor, top->slot);

		acc_add(m, &b->all, c);
		acc_add(m, &b->own[c->proc], c);
		for (size_t k = b->anc_at[c->proc]; k < b->anc_at[c->proc + 1]; k++)
			acc_add(m, &b->tree[TL_VEC_AT(&b->anc, uint32_t, k)], c);
		if (cursor_next(c)) {
			top->key = c->ts;
		} else {
			uint32_t *f = tl_vec_push_uninit(&b->free, sizeof(*f));
			if (!f)
				return -ENOMEM;
			*f = top->slot;
			*top = TL_VEC_AT(&b->heap, struct hent, --b->heap.n);
		}
		h_down(&b->heap);
	}
}

/* Whether any series is to be built (not left out, not shared). */
static bool any_built(const struct tl_model *m, const struct build *b)
{
	if (!b->all.off && !b->all.same_as)
		return true;
	for (size_t i = 0; i < m->procs.n; i++)
		if ((!b->own[i].off && !b->own[i].same_as) ||
		    (!b->tree[i].off && !b->tree[i].same_as))
			return true;
	return false;
}

/* Builds every series; threads' intervals and processes' ends and parent
 * links must be final. */
int tl_model_build_series(struct tl_model *m, uint64_t end)
{
	struct build b = { 0 };
	int err = build_accs(m, &b, end);
	bool any = !err && any_built(m, &b);

	if (any)
		err = build_starts(m, &b);
	if (!err && any)
		err = merge(m, &b); /* else no interval need be read */
	if (!err) {
		for (size_t i = 0; i < m->procs.n; i++) {
			acc_publish(m, &b.own[i]);
			acc_publish(m, &b.tree[i]);
		}
		acc_publish(m, &b.all);
	}
	free(b.own);
	free(b.tree);
	tl_vec_free(&b.anc);
	free(b.anc_at);
	free(b.starts);
	tl_vec_free(&b.cur);
	tl_vec_free(&b.free);
	tl_vec_free(&b.heap);
	if (err)
		m->oom = true;
	return m->oom ? -ENOMEM : 0;
}

/* ---- one process's own series, streamed (tl_proc_series_each) ----
 * The same steps as push_step() would keep, handed out as soon as they are
 * final: only the last step can still change or go, and once it went the
 * one before it cannot (a change at its time is past), so two are held. */
struct stream {
	struct tl_step w[2];     /* the newest steps not handed out, oldest first */
	unsigned nw;
	size_t n;                /* steps in the series so far */
	tl_step_fn fn;
	void *arg;
};

static void stream_push(struct stream *s, uint64_t ts, int run, int rdy, int unk)
{
	struct tl_step st = { ts, run, rdy, unk };

	if (s->n && s->w[s->nw - 1].ts == ts) {
		if (s->n > 1 && s->nw == 2 && same_counts(&s->w[0], &st)) {
			s->nw--;
			s->n--;
		} else {
			s->w[s->nw - 1] = st;
		}
		return;
	}
	if (s->n && same_counts(&s->w[s->nw - 1], &st))
		return;
	if (s->nw == 2) {
		s->fn(s->arg, &s->w[0]);
		s->w[0] = s->w[1];
		s->nw = 1;
	}
	s->w[s->nw++] = st;
	s->n++;
}

int tl_proc_series_each(const struct tl_process *pub, tl_step_fn fn, void *arg)
{
	struct tl_thread *const *th = pub->threads;
	size_t nt = pub->nthreads, k = 1;
	struct stream s = { .fn = fn, .arg = arg };
	struct tourney t;
	struct cursor *cur;
	uint64_t *keys;
	int run = 0, rdy = 0, unk = 0;

	while (k < nt)
		k *= 2;
	t.k = k;
	cur = calloc(nt ? nt : 1, sizeof(*cur));
	t.node = malloc(k * sizeof(*t.node));
	keys = malloc(k * sizeof(*keys));
	if (!cur || !t.node || !keys) {
		free(cur);
		free(t.node);
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < k; i++) {
		keys[i] = DONE;
		if (i >= nt)
			continue;
		if (!cursor_init(&cur[i], th[i], 0)) {
			free(cur);
			free(t.node);
			free(keys);
			return -EOVERFLOW;
		}
		if (cursor_next(&cur[i]))
			keys[i] = cur[i].ts;
	}
	t.node[0] = t_build(&t, keys, 1);
	free(keys);
	stream_push(&s, pub->start, 0, 0, 0);
	while (t.node[0].key != DONE) {
		struct cursor *c = &cur[t.node[0].leaf];

		run += c->run;
		rdy += c->rdy;
		unk += c->unk;
		if (c->ts >= pub->start && c->ts < pub->end)
			stream_push(&s, c->ts, run, rdy, unk);
		t_replay(&t, cursor_next(c) ? c->ts : DONE);
	}
	for (unsigned i = 0; i < s.nw; i++)
		fn(arg, &s.w[i]);
	free(cur);
	free(t.node);
	return 0;
}
