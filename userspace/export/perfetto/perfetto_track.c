/* perfetto_track.c - threadline's own knowledge as Perfetto TrackEvents:
 * process and thread tracks, a slice for every blocking syscall on the
 * thread's track (with what it waited on), flows along wakeup chains,
 * per-process parallelism and concurrency counters, a lost-events counter
 * and the recording's metadata. USDT marks are in perfetto_usdt.c.
 *
 * A blocking slice spans the syscall when its enter/exit were recorded
 * (the futex, socket and multiplexing groups), else the blocked interval
 * itself, named after the syscall the thread was blocked in.
 */
#include "perfetto_impl.h"
#include "analysis/symbolize.h"
#include "analysis/stacksym.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/model.h"
#include "recording/syscalls.h"
#include "util/vec.h"

/* One blocking slice as it is written (struct wslice), as it is made
 * (struct bslice: 40 bytes, one thread's at a time) and as it is kept
 * until every thread's are known, for the flows (its end and length: 12
 * bytes, there being up to one per record). A thread's slices are made
 * twice: once to keep those, again when they are written. */
struct wslice {
	uint64_t start, end;
	const struct tl_syscall *sc;     /* NULL: from the interval alone */
	const struct tl_block *blk;      /* of its first blocked interval */
	uint64_t blocked_ns;
	uint32_t waker;
	uint32_t stack;                  /* record -g: its first interval's */
	uint8_t state;                   /* TL_ST_SLEEPING or TL_ST_UNINT */
};

#define BS_SC 0x3fffffffu                /* sc: 1 + index in t->sys, 0 none */
#define BS_UNINT 0x40000000u             /* state TL_ST_UNINT */
#define BS_WRITTEN 0x80000000u           /* something is left of it on the
					  * track after the previous one */
struct bslice {
	uint64_t start, end;
	uint64_t blocked_ns;
	uint32_t blk;                    /* tl_block.id (tl_model_block) */
	uint32_t sc;                     /* BS_* */
	uint32_t waker;
	uint32_t stack;
};

/* A kept slice: its end (with SK_WRITTEN: something of it is written) and
 * its length in 32 bits, or SK_LONG and its start in a side list. */
#define SK_WRITTEN (1ull << 63)
#define SK_LONG UINT32_MAX
struct sk_long { uint64_t i, start; };   /* by slice index */

/* The slice of thread t as the writers read it. */
static struct wslice widen(const struct tl_model *m, const struct tl_thread *t,
			   const struct bslice *b)
{
	uint32_t sc = b->sc & BS_SC;

	return (struct wslice){ .start = b->start, .end = b->end,
		.sc = sc ? &t->sys[sc - 1] : NULL, .blk = tl_model_block(m, b->blk),
		.blocked_ns = b->blocked_ns, .waker = b->waker, .stack = b->stack,
		.state = b->sc & BS_UNINT ? TL_ST_UNINT : TL_ST_SLEEPING };
}

/* A flow between two slices (indexes); its id is its index + 1. */
struct flow { uint32_t src, dst; };

/* Where a thread's searches stand. Wakeups come in time order, so each
 * search of a thread starts where its previous one ended (when its slices
 * end in order, which they do unless syscalls were lost). */
struct tcur {
	size_t at;          /* first slice ending at or after the last ts */
	size_t after;       /* first slice ending after it */
	bool sorted;        /* slice ends never decrease: cursors may be used */
};

struct slices {
	struct tl_vec ends;              /* uint64_t: end | SK_WRITTEN */
	struct tl_vec lens;              /* uint32_t: end - start, or SK_LONG */
	struct tl_vec longs;             /* struct sk_long, by index */
	size_t *first;                   /* per thread: index of its first */
	struct tcur *cur;                /* per thread */
	struct tl_vec flows;             /* struct flow */
};

static size_t nkept(const struct slices *s)
{
	return s->ends.n;
}

static uint64_t sk_end(const struct slices *s, size_t i)
{
	return TL_VEC_AT(&s->ends, uint64_t, i) & ~SK_WRITTEN;
}

static bool sk_written(const struct slices *s, size_t i)
{
	return TL_VEC_AT(&s->ends, uint64_t, i) & SK_WRITTEN;
}

static uint64_t sk_start(const struct slices *s, size_t i)
{
	uint32_t len = TL_VEC_AT(&s->lens, uint32_t, i);
	size_t lo = 0, hi = s->longs.n;

	if (len != SK_LONG)
		return sk_end(s, i) - len;
	while (lo + 1 < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (TL_VEC_AT(&s->longs, struct sk_long, mid).i <= i)
			lo = mid;
		else
			hi = mid;
	}
	return TL_VEC_AT(&s->longs, struct sk_long, lo).start;
}

static bool keep(struct slices *s, const struct bslice *b)
{
	uint64_t *e = tl_vec_push_uninit(&s->ends, sizeof(*e));
	uint32_t *l = tl_vec_push_uninit(&s->lens, sizeof(*l));
	uint64_t len = b->end - b->start;

	if (!e || !l)
		return false;
	*e = b->end | (b->sc & BS_WRITTEN ? SK_WRITTEN : 0);
	*l = len < SK_LONG ? (uint32_t)len : SK_LONG;
	if (len >= SK_LONG) {
		struct sk_long *x = tl_vec_push_uninit(&s->longs, sizeof(*x));
		if (!x)
			return false;
		*x = (struct sk_long){ s->ends.n - 1, b->start };
	}
	return true;
}

static struct flow *flow_at(const struct slices *s, size_t i)
{
	return &TL_VEC_AT(&s->flows, struct flow, i);
}

static bool is_blocked(const struct tl_interval *iv)
{
	return iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;
}

/* The recorded syscall of t that contains iv, moving *k forward. */
static const struct tl_syscall *syscall_of(const struct tl_thread *t, size_t *k,
					   const struct tl_interval *iv)
{
	while (*k < t->nsys && t->sys[*k].end < iv->start &&
	       !(t->sys[*k].flags & TL_SC_NO_EXIT))
		(*k)++;
	if (*k < t->nsys && t->sys[*k].start <= iv->start &&
	    (t->sys[*k].end >= iv->end || t->sys[*k].flags & TL_SC_NO_EXIT) &&
	    !(t->sys[*k].flags & TL_SC_NO_ENTER))
		return &t->sys[*k];
	return NULL;
}

/* The slice's begin on its track, given the previous slice's end there:
 * slices of one thread never overlap. 0 when nothing is left of it. */
static uint64_t slice_begin(uint64_t start, uint64_t end, uint64_t last)
{
	uint64_t begin = start > last ? start : last + 1;

	return begin < end ? begin : 0;
}

/* Hands thread t's slices to fn in order, each marked written or not, and
 * says in *sorted whether their ends never decrease (so the flow search
 * may use forward cursors). A slice is handed out once the next begins:
 * till then later intervals of its syscall add to it. */
typedef bool (*slice_fn)(void *arg, const struct bslice *b);

static bool thread_slices(const struct tl_thread *t, bool *sorted, slice_fn fn,
			  void *arg)
{
	size_t k = 0;
	struct bslice last = { 0 };
	bool have = false;
	uint64_t wend = 0;   /* end of the last slice written */

	*sorted = true;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		const struct tl_syscall *sc;
		struct bslice b;

		if (!is_blocked(iv))
			continue;
		sc = syscall_of(t, &k, iv);
		if (!sc && iv->block->sys_nr < 0)
			continue; /* not in a syscall: the state track shows it */
		uint32_t sci = sc ? (uint32_t)(sc - t->sys) + 1 : 0;
		if (sc && have && (last.sc & BS_SC) == sci) {
			last.blocked_ns += iv->end - iv->start;
			last.waker = iv->waker;
			continue;
		}
		b = (struct bslice){ .sc = sci | (iv->state == TL_ST_UNINT ? BS_UNINT : 0),
			.blk = iv->block->id,
			.blocked_ns = iv->end - iv->start, .waker = iv->waker,
			.stack = tl_thread_iv_stack(t, iv) };
		b.start = sc ? sc->start : iv->start;
		b.end = sc && !(sc->flags & TL_SC_NO_EXIT) ? sc->end : iv->end;
		if (b.end < iv->end)
			b.end = iv->end;
		if (have && b.end < last.end)
			*sorted = false;
		if (slice_begin(b.start, b.end, wend)) {
			b.sc |= BS_WRITTEN;
			wend = b.end;
		}
		if (have && !fn(arg, &last))
			return false;
		last = b;
		have = true;
	}
	return !have || fn(arg, &last);
}

static bool keep_fn(void *arg, const struct bslice *b)
{
	return keep(arg, b);
}

/* Keeps the keys of thread t's slices. */
static bool collect_thread(struct slices *s, const struct tl_thread *t,
			   struct tcur *c)
{
	c->at = c->after = nkept(s);
	return thread_slices(t, &c->sorted, keep_fn, s);
}

/* ---- flows: waker's last blocking slice -> the slice it ended ---- */

/* First slice of thread ti with end >= ts (after: end > ts). */
static size_t first_ending(struct slices *s, size_t ti, uint64_t ts, bool after)
{
	size_t lo = s->first[ti], hi = s->first[ti + 1];
	struct tcur *c = &s->cur[ti];

	if (c->sorted) {
		size_t *k = after ? &c->after : &c->at;

		while (*k < hi && (sk_end(s, *k) < ts ||
				   (after && sk_end(s, *k) == ts)))
			(*k)++;
		return *k;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sk_end(s, mid) < ts || (after && sk_end(s, mid) == ts))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the slice of thread ti containing ts, or -1. */
static long slice_at(struct slices *s, size_t ti, uint64_t ts)
{
	size_t lo = first_ending(s, ti, ts, false);

	if (lo < s->first[ti + 1] && sk_start(s, lo) <= ts && ts <= sk_end(s, lo))
		return (long)lo;
	return -1;
}

/* The waker's last blocking slice before ts, if it ended after the waker
 * last became Running or Runnable: it has not blocked since, so that slice
 * is the one whose end led to this wakeup. */
static long waker_slice(struct slices *s, size_t ti, uint64_t ts, uint64_t since)
{
	size_t lo = first_ending(s, ti, ts, true);

	if (lo == s->first[ti])
		return -1;
	return sk_end(s, lo - 1) >= since ? (long)lo - 1 : -1;
}

static bool add_flow(struct slices *s, size_t src, size_t dst)
{
	struct flow *f = tl_vec_push_uninit(&s->flows, sizeof(*f));

	if (f)
		*f = (struct flow){ (uint32_t)src, (uint32_t)dst };
	return f != NULL;
}

static bool flow_for(struct slices *s, const struct tl_wakeup_ev *w)
{
	long src, dst;

	if (w->waker_idx == TL_NO_THREAD || w->wakee_idx == TL_NO_THREAD ||
	    w->waker_idx == w->wakee_idx)
		return true;
	dst = slice_at(s, w->wakee_idx, w->ts);
	src = waker_slice(s, w->waker_idx, w->ts, w->waker_awake_since);
	if (dst < 0 || src < 0 || sk_end(s, (size_t)src) > sk_end(s, (size_t)dst) ||
	    !sk_written(s, (size_t)src) || !sk_written(s, (size_t)dst))
		return true;   /* only flows between slices that are written */
	return add_flow(s, (size_t)src, (size_t)dst);
}

static bool collect_flows(struct slices *s, const struct tl_model *m)
{
	bool ok = true;

	for (size_t i = 0; ok && i < tl_model_nwakeups(m); i++) {
		struct tl_wakeup_ev e = tl_model_wakeup(m, i);
		const struct tl_wakeup_ev *w = &e;

		if (w->effective && !w->irq && w->waker && !w->new_task)
			ok = flow_for(s, w);
	}
	return ok;
}

static bool collect_all(struct slices *s, const struct tl_model *m)
{
	size_t n = tl_model_nthreads(m);

	s->first = malloc((n + 1) * sizeof(*s->first));
	s->cur = calloc(n + 1, sizeof(*s->cur));
	if (!s->first || !s->cur)
		return false;
	for (size_t i = 0; i < n; i++) {
		s->first[i] = nkept(s);
		if (!collect_thread(s, tl_model_thread(m, i), &s->cur[i]))
			return false;
	}
	s->first[n] = nkept(s);
	return collect_flows(s, m);
}

static void free_slices(struct slices *s)
{
	tl_vec_free(&s->ends);
	tl_vec_free(&s->lens);
	tl_vec_free(&s->longs);
	free(s->first);
	free(s->cur);
	tl_vec_free(&s->flows);
}

/* ---- emitting the blocking slices ---- */

static const char *futex_name(enum tl_futex_kind k)
{
	switch (k) {
	case TL_FUTEX_WAIT:
	case TL_FUTEX_WAIT_BITSET: return "futex_wait";
	case TL_FUTEX_LOCK_PI: return "futex_lock_pi";
	case TL_FUTEX_WAITV: return "futex_waitv";
	default: return "futex";
	}
}

static bool moves_bytes(int32_t nr)
{
	static const int32_t nrs[] = { 0, 1, 17, 18, 19, 20, 44, 45, 46, 47 };

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nr == nrs[i])
			return true;
	return false;
}

static const char *slice_name(const struct wslice *b)
{
	int32_t nr = b->sc ? b->sc->nr : b->blk->sys_nr;

	if (nr == TL_NR_FUTEX)
		return futex_name(b->sc ? tl_futex_kind(b->sc->args[1]) : b->blk->futex);
	if (nr < 0)
		return b->state == TL_ST_UNINT ? "blocked (D)" : "blocked";
	return tl_syscall_label(nr);
}

static unsigned add(struct tl_pf_arg *a, unsigned n, uint8_t name, uint8_t kind,
		    uint64_t u, const char *str)
{
	a[n] = (struct tl_pf_arg){ .name = name, .kind = kind, .u = u, .s = str };
	return n + 1;
}

/* A futex wait's object by name (analysis/symbolize.h), its kind, and the
 * lock's owner when the thread blocked. */
static unsigned lock_args(struct tl_symbolizer *sym, const struct tl_thread *t,
			  const struct wslice *b, struct tl_pf_arg *a, unsigned n)
{
	const struct tl_obj_name *o = sym && b->blk->why == TL_WHY_FUTEX ?
		tl_sym_futex(sym, t->proc, b->start, b->blk) : NULL;

	if (!o || n + 2 > PF_MAX_ARGS) /* a futex slice has at most 5 before */
		return n;
	n = add(a, n, PF_A_LOCK, PF_ARG_STR, 0, o->name);
	n = add(a, n, PF_A_LOCK_KIND, PF_ARG_STR, 0, tl_lock_kind_name(o->lock));
	if (b->blk->holder && n < PF_MAX_ARGS && /* an owner that is a thread */
	    tl_model_find_thread(tl_symbolizer_model(sym), b->blk->holder, b->start))
		n = add(a, n, PF_A_HELD_BY, PF_ARG_UINT, b->blk->holder, NULL);
	return n;
}

/* ---- stacks (record -g) as a debug annotation ---- */

/* Each stack's text, made once: the same stack is then the same interned
 * string on a track. */
struct stack_txt {
	struct tl_stacksym *ss;
	char **txt;            /* by id - 1 */
	size_t n;
};

static void frame_text(char *buf, size_t len, const struct tl_frame *f)
{
	size_t at = strlen(buf);

	if (at + 1 >= len)
		return;
	if (f->file[0] && f->line)
		snprintf(buf + at, len - at, "%s%s %s:%d", at ? "\n" : "", f->func,
			 f->file, f->line);
	else
		snprintf(buf + at, len - at, "%s%s%s", at ? "\n" : "",
			 f->kernel ? "[k] " : "", f->func);
}

/* User frames innermost first, one a line, then the kernel's that say
 * what the thread waits in. */
static const char *stack_text(struct stack_txt *x, uint32_t id)
{
	const struct tl_named_stack *ns;
	char buf[2048] = "";

	if (!x->ss || !id || id > x->n)
		return NULL;
	if (x->txt[id - 1])
		return x->txt[id - 1];
	ns = tl_stacksym_get(x->ss, id);
	if (!ns)
		return NULL;
	for (size_t i = 0; i < ns->nuser; i++)
		frame_text(buf, sizeof(buf), &ns->f[ns->nkern + i]);
	for (size_t i = 0; i < ns->nkern; i++)
		if (!tl_frame_is_plumbing(&ns->f[i]))
			frame_text(buf, sizeof(buf), &ns->f[i]);
	x->txt[id - 1] = strdup(buf);
	return x->txt[id - 1];
}

static unsigned stack_arg(struct stack_txt *x, const struct wslice *b,
			  struct tl_pf_arg *a, unsigned n)
{
	const char *txt = b->stack && n < PF_MAX_ARGS ? stack_text(x, b->stack) : NULL;

	return txt ? add(a, n, PF_A_STACK, PF_ARG_STR, 0, txt) : n;
}

static unsigned slice_args(const struct wslice *b, struct tl_pf_arg *a)
{
	const struct tl_block *bl = b->blk;
	int32_t nr = b->sc ? b->sc->nr : bl->sys_nr;
	uint32_t kind = b->sc ? b->sc->fd_kind : bl->fd_kind;
	unsigned n = 0;

	n = add(a, n, PF_A_REASON, PF_ARG_STR, 0,
		tl_reason_name((enum tl_reason)bl->why));
	if (nr == TL_NR_FUTEX)
		n = add(a, n, PF_A_ADDRESS, PF_ARG_PTR,
			b->sc ? b->sc->args[0] : bl->args[0], NULL);
	else if (nr >= 0 && tl_syscall_takes_fd(nr))
		n = add(a, n, PF_A_FD, PF_ARG_INT, b->sc ? b->sc->args[0] : bl->args[0],
			NULL);
	if (kind != TL_FD_NONE)
		n = add(a, n, PF_A_FD_KIND, PF_ARG_STR, 0, tl_fd_kind_name(kind));
	if (b->sc && !(b->sc->flags & TL_SC_NO_EXIT)) {
		if (moves_bytes(nr) && b->sc->ret >= 0)
			n = add(a, n, PF_A_BYTES, PF_ARG_UINT, (uint64_t)b->sc->ret, NULL);
		n = add(a, n, PF_A_RESULT, PF_ARG_INT, (uint64_t)b->sc->ret, NULL);
	}
	n = add(a, n, PF_A_BLOCKED_NS, PF_ARG_UINT, b->blocked_ns, NULL);
	if (b->waker)
		n = add(a, n, PF_A_WOKEN_BY, PF_ARG_UINT, b->waker, NULL);
	return n;
}

#define MAX_SLICE_FLOWS 64   /* flow ids leaving (or ending at) one slice */

struct flow_cursor {
	const struct flow *f;
	uint32_t *by_src, *by_dst;       /* flow indexes in slice order */
	size_t n, isrc, idst;
	uint64_t out[MAX_SLICE_FLOWS], in[MAX_SLICE_FLOWS];
};

/* Keeps at most MAX_SLICE_FLOWS flows per slice each way, so every flow
 * that is terminated was also started. */
static bool cap_flows(struct slices *s)
{
	uint8_t *out = calloc(nkept(s) + 1, 1), *in = calloc(nkept(s) + 1, 1);
	size_t k = 0;

	if (!out || !in) {
		free(out);
		free(in);
		return false;
	}
	for (size_t i = 0; i < s->flows.n; i++) {
		const struct flow *f = flow_at(s, i);
		if (out[f->src] == MAX_SLICE_FLOWS || in[f->dst] == MAX_SLICE_FLOWS)
			continue;
		out[f->src]++;
		in[f->dst]++;
		*flow_at(s, k++) = *f;
	}
	s->flows.n = k;
	free(out);
	free(in);
	return true;
}

static uint32_t flow_end(const struct flow *f, bool by_dst)
{
	return by_dst ? f->dst : f->src;
}

/* The flows' indexes ordered by their source (or destination) slice,
 * keeping the order they were found in among one slice's: a counting sort,
 * as slice indexes are dense. */
static bool sort_flows(uint32_t *out, const struct flow *in, size_t n,
		       size_t nslices, bool by_dst)
{
	uint32_t *at = calloc(nslices + 1, sizeof(*at));

	if (!at)
		return false;
	for (size_t i = 0; i < n; i++)
		at[flow_end(&in[i], by_dst) + 1]++;
	for (size_t i = 1; i <= nslices; i++)
		at[i] += at[i - 1];
	for (size_t i = 0; i < n; i++)
		out[at[flow_end(&in[i], by_dst)]++] = (uint32_t)i;
	free(at);
	return true;
}

/* Ids (index + 1) of the flows leaving, and of those ending at, slice i. */
static void flows_of(struct flow_cursor *fc, size_t i, struct tl_pf_ev *end)
{
	end->nflows = end->nterm = 0;
	while (fc->isrc < fc->n && fc->f[fc->by_src[fc->isrc]].src < i)
		fc->isrc++;
	while (fc->isrc < fc->n && fc->f[fc->by_src[fc->isrc]].src == i) {
		if (end->nflows < MAX_SLICE_FLOWS)
			fc->out[end->nflows++] = fc->by_src[fc->isrc] + 1ull;
		fc->isrc++;
	}
	while (fc->idst < fc->n && fc->f[fc->by_dst[fc->idst]].dst < i)
		fc->idst++;
	while (fc->idst < fc->n && fc->f[fc->by_dst[fc->idst]].dst == i) {
		if (end->nterm < MAX_SLICE_FLOWS)
			fc->in[end->nterm++] = fc->by_dst[fc->idst] + 1ull;
		fc->idst++;
	}
	end->flows = fc->out;
	end->term_flows = fc->in;
}

/* Writing one thread's slices, made again in full: the same as their keys. */
struct emit {
	struct tl_pf_te *te;
	const struct tl_model *m;
	const struct tl_thread *t;
	struct tl_symbolizer *sym;
	struct stack_txt *stx;
	struct flow_cursor *fc;
	struct tl_pf_track_stats *st;
	uint64_t track, last;   /* the thread's track; the previous slice's end */
	size_t i;               /* the slice's index among all kept */
};

static bool emit_slice(void *arg, const struct bslice *kept)
{
	struct emit *x = arg;
	struct tl_pf_arg args[PF_MAX_ARGS];
	struct tl_pf_ev ev = { .track = x->track, .type = PF_SLICE_BEGIN };
	uint64_t begin = slice_begin(kept->start, kept->end, x->last);
	size_t i = x->i++;

	if (!begin)
		return true;
	struct wslice w = widen(x->m, x->t, kept);
	const struct wslice *b = &w;
	ev.ts = begin;
	ev.name = slice_name(b);
	ev.args = args;
	ev.nargs = stack_arg(x->stx, b, args,
			     lock_args(x->sym, x->t, b, args, slice_args(b, args)));
	tl_pf_te_event(x->te, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.ts = b->end;
	ev.track = x->track;
	ev.type = PF_SLICE_END;
	flows_of(x->fc, i, &ev);
	x->st->flows += ev.nflows;
	tl_pf_te_event(x->te, &ev);
	x->last = b->end;
	x->st->syscall_slices++;
	return true;
}

static bool emit_thread_slices(struct tl_pf_te *te, const struct slices *s,
			       const struct tl_model *m, size_t ti,
			       const struct tl_thread *t, struct tl_symbolizer *sym,
			       struct stack_txt *stx, struct flow_cursor *fc,
			       struct tl_pf_track_stats *st)
{
	struct emit x = { .te = te, .m = m, .t = t, .sym = sym, .stx = stx,
			  .fc = fc, .st = st, .track = tl_pf_thread_uuid(t->tid, t->gen),
			  .i = s->first[ti] };
	bool sorted;

	return thread_slices(t, &sorted, emit_slice, &x);
}

/* ---- counters ---- */

static void counter(struct tl_pf_te *te, uint64_t track, uint64_t ts, int64_t v,
		    struct tl_pf_track_stats *st)
{
	struct tl_pf_ev ev = { .ts = ts, .track = track, .type = PF_COUNTER,
			       .value = v };

	tl_pf_te_event(te, &ev);
	st->counter_points++;
}

/* Parallelism (Running) and concurrency (Running + Runnable) of a process,
 * a point wherever either changes. */
struct series_out {
	struct tl_pf_te *te;
	struct tl_pf_track_stats *st;
	uint64_t par, con, from;
	int64_t lp, lc;
};

static void series_step(void *arg, const struct tl_step *sp)
{
	struct series_out *o = arg;
	int64_t c = sp->running + sp->runnable;
	/* not before the process exists for the importer (the counter
	 * tracks hang under its process track) */
	uint64_t ts = sp->ts < o->from ? o->from : sp->ts;

	if (sp->running != o->lp)
		counter(o->te, o->par, ts, sp->running, o->st);
	if (c != o->lc)
		counter(o->te, o->con, ts, c, o->st);
	o->lp = sp->running;
	o->lc = c;
}

/* The series is streamed from the threads' intervals
 * (tl_model_opts.proc_series_streamed): it always has its start step. */
static int emit_series(struct tl_pf_te *te, const struct tl_process *p,
		       uint64_t parent, struct tl_pf_track_stats *st)
{
	struct series_out o = { .te = te, .st = st, .par = tl_pf_te_uuid(te),
				.con = tl_pf_te_uuid(te),
				.from = tl_pf_life_ts(p->start, p->end),
				.lp = -1, .lc = -1 };

	tl_pf_te_named_track(te, o.par, parent, "parallelism",
			     "threads of this process Running at once", true);
	tl_pf_te_named_track(te, o.con, parent, "concurrency",
			     "threads of this process Running or Runnable", true);
	return tl_proc_series_each(p, series_step, &o);
}

static void emit_losses(struct tl_pf_te *te, const struct tl_model *m,
			struct tl_pf_track_stats *st)
{
	const struct tl_model_stats *ms = tl_model_stats(m);
	uint64_t track = tl_pf_te_uuid(te), total = 0;

	tl_pf_te_named_track(te, track, 0, "lost events",
			     "events the kernel could not hand over (all CPUs, cumulative)",
			     true);
	counter(te, track, ms->start ? ms->start : 1, 0, st);
	for (size_t i = 0; i < tl_model_nlosses(m); i++) {
		const struct tl_loss_ev *l = tl_model_loss(m, i);

		total += l->lost_new;
		counter(te, track, l->ts, (int64_t)total, st);
	}
}

static void emit_meta(struct tl_pf_te *te, const struct tl_model *m,
		      const struct tl_rec_info *info)
{
	const struct tl_model_stats *ms = tl_model_stats(m);
	uint64_t track = tl_pf_te_uuid(te);
	char desc[1200];
	struct tl_pf_arg a[6];
	unsigned n = 0;
	struct tl_pf_ev ev = { .ts = ms->start ? ms->start : 1, .track = track,
			       .type = PF_INSTANT, .name = "threadline recording" };

	snprintf(desc, sizeof(desc), "threadline %s: %s", info->tool_version,
		 info->cmdline);
	tl_pf_te_named_track(te, track, 0, "threadline", desc, false);
	n = add(a, n, PF_A_COMMAND, PF_ARG_STR, 0, info->cmdline);
	n = add(a, n, PF_A_TARGET, PF_ARG_STR, 0, info->target);
	n = add(a, n, PF_A_VERSION, PF_ARG_STR, 0, info->tool_version);
	n = add(a, n, PF_A_HOST, PF_ARG_STR, 0, info->host);
	n = add(a, n, PF_A_KERNEL, PF_ARG_STR, 0, info->kernel);
	n = add(a, n, PF_A_LOST, PF_ARG_UINT, ms->lost_total, NULL);
	ev.args = a;
	ev.nargs = n;
	tl_pf_te_event(te, &ev);
}

/* ---- tracks ---- */

/* Process tracks rank the traced processes first in the UI's process list,
 * in the model's order (the start snapshot, then by creation), ahead of
 * the processes only named as someone's parent. */
static int emit_tracks(struct tl_pf_te *te, const struct tl_model *m,
		       struct tl_pf_track_stats *st)
{
	tl_pf_te_process_order(te);
	for (size_t i = 0; i < tl_model_nprocs(m); i++) {
		const struct tl_process *p = tl_model_proc(m, i);
		uint64_t uuid = tl_pf_proc_uuid(p->pid, p->gen);

		/* below 0, so the traced processes come before any other */
		tl_pf_te_process_track(te, uuid, p->pid, tl_proc_label(p),
				       tl_pf_life_ts(p->start, p->end),
				       INT32_MIN / 2 + (int32_t)i);
		st->process_tracks++;
		if (emit_series(te, p, uuid, st))
			return -ENOMEM;
	}
	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		tl_pf_te_thread_track(te, tl_pf_thread_uuid(t->tid, t->gen),
				      t->proc ? t->proc->pid : t->tid, t->tid,
				      tl_thread_name(t), tl_pf_life_ts(t->start, t->end));
		st->thread_tracks++;
	}
	return 0;
}

static int emit_slices(struct tl_pf_te *te, const struct tl_model *m,
		       struct tl_pf_track_stats *st)
{
	struct slices s = { 0 };
	struct flow_cursor fc = { 0 };
	/* the stacks' symbolizer names locks too: one set of libdwfl sessions */
	struct stack_txt stx = { .ss = tl_stacksym_new(m), .n = tl_model_nstacks(m) };
	struct tl_symbolizer *sym = stx.ss ? tl_stacksym_symbolizer(stx.ss) : NULL;
	size_t nslices;
	int err = -ENOMEM;

	stx.txt = calloc(stx.n ? stx.n : 1, sizeof(*stx.txt));
	if (!stx.txt)
		goto cleanup;

	if (!collect_all(&s, m) || !cap_flows(&s))
		goto cleanup;
	/* the keys were for finding the flows: the slices are made again */
	nslices = nkept(&s);
	tl_vec_free(&s.ends);
	tl_vec_free(&s.lens);
	tl_vec_free(&s.longs);
	fc.n = s.flows.n;
	fc.f = s.flows.p;
	fc.by_src = malloc((s.flows.n ? s.flows.n : 1) * sizeof(*fc.by_src));
	fc.by_dst = malloc((s.flows.n ? s.flows.n : 1) * sizeof(*fc.by_dst));
	if (!fc.by_src || !fc.by_dst ||
	    !sort_flows(fc.by_src, s.flows.p, s.flows.n, nslices, false) ||
	    !sort_flows(fc.by_dst, s.flows.p, s.flows.n, nslices, true))
		goto cleanup;
	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		if (!emit_thread_slices(te, &s, m, i, t, sym, &stx, &fc, st))
			goto cleanup;
	}
	err = 0;
cleanup:
	free(fc.by_src);
	free(fc.by_dst);
	free_slices(&s);
	for (size_t i = 0; stx.txt && i < stx.n; i++)
		free(stx.txt[i]);
	free(stx.txt);
	tl_stacksym_free(stx.ss); /* and sym with it */
	return err;
}

int tl_pf_write_tracks(struct pb_writer *w, const struct tl_model *m,
		       const struct tl_rec_info *info, uint32_t cp_tid,
		       struct tl_pf_track_stats *st)
{
	const struct tl_model_stats *ms = tl_model_stats(m);
	struct tl_pf_te *te = tl_pf_te_new(w, ms->start ? ms->start : info->boot_ns);
	int err;

	memset(st, 0, sizeof(*st));
	if (!te)
		return -ENOMEM;
	emit_meta(te, m, info);
	err = emit_tracks(te, m, st);
	if (!err) {
		emit_losses(te, m, st);
		err = emit_slices(te, m, st);
	}
	if (!err)
		err = tl_pf_write_usdt(te, m, st);
	if (!err)
		err = tl_pf_write_deadlocks(te, m, st);
	if (!err)
		err = tl_pf_write_critical_path(te, m, cp_tid, st);
	tl_pf_te_free(te);
	return err ? err : pb_error(w);
}
