/* perfetto_track.c - threadline's own knowledge as Perfetto TrackEvents:
 * process and thread tracks, a slice for every blocking syscall on the
 * thread's track (with what it waited on), flows along wakeup chains,
 * per-process parallelism and concurrency counters, a lost-events counter
 * and the recording's metadata. USDT marks are in perfetto_usdt.c; the
 * slices are made in perfetto_slices.c and the flows found in
 * perfetto_flows.c. A blocking slice is named after the syscall the thread
 * was blocked in.
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

/* A blocking slice as the writers read it. */
struct wslice {
	uint64_t start, end;
	const struct tl_syscall *sc;     /* NULL: from the interval alone */
	const struct tl_block *blk;      /* of its first blocked interval */
	uint64_t blocked_ns;
	uint32_t waker;
	uint32_t stack;                  /* record -g: its first interval's */
	uint8_t state;                   /* TL_ST_SLEEPING or TL_ST_UNINT */
};

/* The slice of thread t as the writers read it. */
static struct wslice widen(const struct tl_model *m, const struct tl_thread *t,
			   const struct tl_pf_bslice *b)
{
	uint32_t sc = b->sc & PF_BS_SC;

	return (struct wslice){ .start = b->start, .end = b->end,
		.sc = sc ? &t->sys[sc - 1] : NULL, .blk = tl_model_block(m, b->blk),
		.blocked_ns = b->blocked_ns, .waker = b->waker, .stack = b->stack,
		.state = b->sc & PF_BS_UNINT ? TL_ST_UNINT : TL_ST_SLEEPING };
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

/* Writing one thread's slices, made again, with their flows. */
struct emit {
	struct tl_pf_te *te;
	const struct tl_model *m;
	const struct tl_thread *t;
	struct tl_symbolizer *sym;
	struct stack_txt *stx;
	struct tl_pf_flow_rd *fr;
	struct tl_pf_track_stats *st;
	const struct tl_pf_deadlocks *dl;
	uint64_t track, last;   /* the thread's track; the previous slice's end */
};

static void emit_slice(struct emit *x, const struct tl_pf_bslice *kept, uint32_t i)
{
	struct tl_pf_arg args[PF_MAX_ARGS];
	struct tl_pf_ev ev = { .track = x->track, .type = PF_SLICE_BEGIN };
	uint64_t begin = tl_pf_slice_begin(kept->start, kept->end, x->last);

	if (!begin)
		return;
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
	tl_pf_flows_at(x->fr, i, &ev);
	x->st->flows += ev.nflows;
	tl_pf_te_event(x->te, &ev);
	x->last = b->end;
	x->st->syscall_slices++;
}

static int emit_thread_slices(struct emit *x, struct tl_pf_flows *fl, size_t ti)
{
	struct tl_pf_flow_rd fr;
	struct tl_pf_slice_it it;
	struct tl_pf_bslice b;

	if (tl_pf_flows_open(fl, ti, &fr))
		return -ENOMEM;
	x->t = tl_model_thread(x->m, ti);
	x->track = tl_pf_thread_uuid(x->t->tid, x->t->gen);
	x->last = 0;
	x->fr = &fr;
	tl_pf_slices_begin(&it, x->t, true);
	for (uint32_t i = 0; tl_pf_slices_next(&it, &b); i++)
		emit_slice(x, &b, i);
	tl_pf_flows_close(&fr);
	/* thousands of short threads: the state of their sequences is not
	 * kept once nothing more comes on their tracks (marks and deadlock
	 * instants are written after the slices) */
	if (!x->t->nmarks && !tl_pf_deadlocks_waits(x->dl, x->t))
		tl_pf_te_track_done(x->te, x->track);
	return 0;
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
	if (tl_proc_series_each(p, series_step, &o))
		return -ENOMEM;
	/* thousands of short processes: their counters' state is not kept */
	tl_pf_te_track_done(te, o.par);
	tl_pf_te_track_done(te, o.con);
	return 0;
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

/* The flows are found first, while the model's wakeup edges are all
 * there is of them (they are freed as they are read). */
static int emit_slices(struct tl_pf_te *te, const struct tl_model *m,
		       const struct tl_pf_deadlocks *dl, struct tl_pf_track_stats *st)
{
	struct tl_pf_flows *fl = tl_pf_flows_find(m);
	struct stack_txt stx = { 0 };
	struct emit x = { .te = te, .m = m, .stx = &stx, .st = st, .dl = dl };
	int err = -ENOMEM;

	if (!fl)
		return -ENOMEM;
	/* the stacks' symbolizer names locks too: one set of libdwfl sessions */
	stx.ss = tl_stacksym_new(m);
	stx.n = tl_model_nstacks(m);
	x.sym = stx.ss ? tl_stacksym_symbolizer(stx.ss) : NULL;
	stx.txt = calloc(stx.n ? stx.n : 1, sizeof(*stx.txt));
	if (!stx.txt)
		goto cleanup;
	for (size_t i = 0; i < tl_model_nthreads(m); i++)
		if (emit_thread_slices(&x, fl, i))
			goto cleanup;
	err = 0;
cleanup:
	tl_pf_flows_free(fl);
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
	struct tl_pf_deadlocks dl;
	int err;

	memset(st, 0, sizeof(*st));
	if (!te)
		return -ENOMEM;
	emit_meta(te, m, info);
	err = emit_tracks(te, m, st);
	tl_pf_deadlocks_find(&dl, m);
	if (!err) {
		emit_losses(te, m, st);
		err = emit_slices(te, m, &dl, st);
	}
	if (!err)
		err = tl_pf_write_usdt(te, m, st);
	if (!err)
		err = tl_pf_write_deadlocks(te, &dl, m, st);
	if (!err)
		err = tl_pf_write_critical_path(te, m, cp_tid, st);
	tl_pf_deadlocks_free(&dl);
	tl_pf_te_free(te);
	return err ? err : pb_error(w);
}
