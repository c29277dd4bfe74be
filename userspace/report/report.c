/* report.c - the terminal report of a finished model: header, process
 * tree, per-process thread table and parallelism beside concurrency, the
 * block-character timelines, and what loss may have hidden. Fits the width
 * it is given (80 columns by default).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include "report.h"
#include "analysis/analysis.h"

struct rctx {
	FILE *f;
	const struct tl_model *m;
	const struct tl_load_result *lr;
	const struct tl_report_opts *o;
	unsigned width;
	uint64_t t0, t1;               /* span shown */
	const struct tl_process *root; /* --pid, or NULL for all */
	struct tl_report_waits *waits; /* names, deadlocks (report_waits.c) */
	struct tl_report_procs procs;  /* which get a section (report_procs.c) */
};
#define TOP_WAITS 3 /* objects listed per thread */

#define DUR(ns) tl_fmt_dur((ns), (char[16]){ 0 }, 16)
/* what a traced program named, safe for the terminal */
#define SAFE(s) tl_fmt_safe((s), (char[512]){ 0 }, 512)

/* Seconds since the start of the recording. */
static double rel0(const struct rctx *c, uint64_t ts)
{
	return tl_report_rel(c->m, ts);
}

static bool shown(const struct rctx *c, const struct tl_process *p)
{
	return tl_report_under(p, c->root);
}

/* Prints "  label  value", the value cut to the width. */
static void field(const struct rctx *c, const char *label, const char *value)
{
	int room = (int)c->width - 12;

	fprintf(c->f, "  %-9s %.*s\n", label, room > 0 ? room : 0, value);
}

static void header_time(const struct rctx *c, const struct tl_rec_info *in)
{
	char when[64] = "", line[160];

	if (in && in->real_ns) {
		int64_t off = (int64_t)(c->t0 - in->boot_ns);
		time_t s = (time_t)((int64_t)in->real_ns + off) / 1000000000;
		struct tm tm;
		if (gmtime_r(&s, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC, ", &tm);
	}
	snprintf(line, sizeof(line), "%sduration %.3f s", when,
		 (double)(tl_model_stats(c->m)->end - c->t0) / 1e9);
	field(c, "recorded", line);
}

static void unknown_by_cause(const struct rctx *c, uint64_t *ns)
{
	for (size_t i = 0; i < tl_model_nthreads(c->m); i++) {
		const struct tl_thread *t = tl_model_thread(c->m, i);
		if (!shown(c, t->proc))
			continue;
		for (size_t k = 0; k < t->niv; k++) {
			struct tl_interval iv = tl_thread_iv(t, k);
			if (iv.state == TL_ST_UNKNOWN && iv.cause < 4)
				ns[iv.cause] += iv.end - iv.start;
		}
	}
}

/* Lost events are not the only way a report can be incomplete: time a
 * thread spent Unknown and events that contradicted each other are said
 * up front too, so the header never reads as complete when it is not. */
static void header_unknown(const struct rctx *c)
{
	const struct tl_model_stats *st = tl_model_stats(c->m);
	uint64_t unk[4] = { 0 };
	char line[160];

	unknown_by_cause(c, unk);
	uint64_t total = unk[0] + unk[1] + unk[2] + unk[3];
	if (!total && !st->inconsistencies)
		return;
	int n = snprintf(line, sizeof(line), "%s of thread time", DUR(total));
	if (st->inconsistencies)
		snprintf(line + n, sizeof(line) - (size_t)n, ", %llu inconsistenc%s",
			 (unsigned long long)st->inconsistencies,
			 st->inconsistencies == 1 ? "y" : "ies");
	strncat(line, " (see Loss)", sizeof(line) - strlen(line) - 1);
	field(c, "unknown", line);
}

static void item(const struct rctx *c, int *col, int start, int indent, const char *sep,
		 const char *text)
{
	tl_fmt_item(c->f, c->width, col, start, indent, sep, text);
}

size_t tl_report_time_totals(const struct tl_model *m, const struct tl_process *root,
			     uint64_t *st, uint64_t *why)
{
	size_t nt = 0;

	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);
		if (!tl_report_under(t->proc, root))
			continue;
		nt++;
		for (int k = 0; k < TL_ST_COUNT; k++)
			st[k] += tl_sum_ns(&t->sum, (enum tl_state)k);
		for (int r = 1; r < TL_WHY_COUNT; r++)
			why[r] += tl_sum_blocked_ns(&t->sum, r);
	}
	return nt;
}

/* The four reasons with the most time, longest first (0: none). */
static void top_reasons(const uint64_t *why, int top[4])
{
	for (int r = 1; r < TL_WHY_COUNT; r++)
		for (int k = 0; k < 4; k++)
			if (why[r] > why[top[k]]) {
				memmove(&top[k + 1], &top[k], sizeof(top[0]) * (size_t)(3 - k));
				top[k] = r;
				break;
			}
}

/* Where the shown threads' time went, before any detail: the first lines
 * say whether they ran, waited for a CPU or were blocked, and on what. */
static void header_time_split(const struct rctx *c)
{
	const struct tl_rec_info *in = c->lr ? &c->lr->info : NULL;
	uint64_t st[TL_ST_COUNT] = { 0 }, why[TL_WHY_COUNT] = { 0 };
	size_t nt = tl_report_time_totals(c->m, c->root, st, why);
	char line[256], cpus[32] = "";
	int n = 0, col, top[4] = { 0 };

	if (!nt)
		return;
	if (c->t1 > c->t0) /* how many CPUs they kept busy, on average */
		n = snprintf(cpus, sizeof(cpus), " (%.2f", (double)st[TL_ST_RUNNING] /
			     (double)(c->t1 - c->t0));
	if (n)
		snprintf(cpus + n, sizeof(cpus) - (size_t)n, in && in->ncpus ? " of %u CPUs)" :
			 " CPUs)", in ? in->ncpus : 0);
	col = fprintf(c->f, "  %-9s ", "threads");
	snprintf(line, sizeof(line), "%zu: ran %s%s,", nt, DUR(st[TL_ST_RUNNING]), cpus);
	item(c, &col, 12, 12, " ", line);
	snprintf(line, sizeof(line), "ready %s,", DUR(st[TL_ST_RUNNABLE]));
	item(c, &col, 12, 12, " ", line);
	snprintf(line, sizeof(line), "blocked %s", DUR(st[TL_ST_SLEEPING] + st[TL_ST_UNINT]));
	item(c, &col, 12, 12, " ", line);
	fputc('\n', c->f);
	top_reasons(why, top);
	col = 0;
	for (int k = 0; k < 4 && top[k]; k++) {
		if (!col)
			col = fprintf(c->f, "  %-9s ", "blocked");
		snprintf(line, sizeof(line), "%s %s", tl_reason_name(top[k]), DUR(why[top[k]]));
		item(c, &col, 12, 12, ", ", line);
	}
	if (col)
		fputc('\n', c->f);
}

static void header(const struct rctx *c)
{
	const struct tl_model_stats *st = tl_model_stats(c->m);
	const struct tl_rec_info *in = c->lr ? &c->lr->info : NULL;
	char line[256];

	fprintf(c->f, "threadline report%s%s\n", c->o->path ? ": " : "",
		c->o->path ? c->o->path : "");
	if (in) {
		field(c, "command", SAFE(in->cmdline));
		field(c, "target", SAFE(in->target));
		snprintf(line, sizeof(line), "%s, kernel %s %s, %u CPUs", SAFE(in->host),
			 SAFE(in->kernel), SAFE(in->machine), in->ncpus);
		field(c, "host", line);
	}
	header_time(c, in);
	if (st->lost_total)
		snprintf(line, sizeof(line), "%llu records, %llu events LOST (see Loss)",
			 (unsigned long long)st->records, (unsigned long long)st->lost_total);
	else
		snprintf(line, sizeof(line), "%llu records, none lost",
			 (unsigned long long)st->records);
	field(c, "events", line);
	header_unknown(c);
	header_time_split(c);
	if (c->lr && c->lr->status == TL_READ_TRUNCATED)
		fprintf(c->f, "  warning: recording cut short at byte %llu, showing the "
			"%llu records before\n  it (%.*s)\n", (unsigned long long)c->lr->offset,
			(unsigned long long)c->lr->records, (int)c->width - 6, c->lr->msg);
	else if (c->lr && !c->lr->has_trailer)
		fprintf(c->f, "  warning: recording has no trailer; it may be incomplete\n");
}

static void thread_extra(const struct rctx *c, const struct tl_thread *t)
{
	const struct tl_thread_sum *s = &t->sum;
	char it[64];
	int col = 0;

	for (int r = 1; r < TL_WHY_COUNT; r++) {
		if (!tl_sum_blocked_ns(s, r))
			continue;
		if (!col)
			col = fprintf(c->f, "%11sblocked: ", "");
		snprintf(it, sizeof(it), "%s %s", tl_reason_name(r), DUR(tl_sum_blocked_ns(s, r)));
		item(c, &col, 20, 13, ", ", it);
	}
	if (col)
		fputc('\n', c->f);
	/* an interrupt's wakeup names no task: the one it interrupted did
	 * not wake anyone */
	const char *names[] = { "forks", "clones", "futex waits", "socket sends/recvs",
				"migrations", "signals", "woken by interrupt/timer" };
	uint32_t vals[] = { s->forks, s->clones, s->futex_waits, s->socket_ops,
			    s->migrations, s->signals_received, s->wakeups_irq };
	col = 0;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		if (!vals[i])
			continue;
		if (!col)
			col = fprintf(c->f, "%11s", "");
		snprintf(it, sizeof(it), "%s %u", names[i], vals[i]);
		item(c, &col, 11, 13, "  ", it);
	}
	if (col)
		fputc('\n', c->f);
}

static void thread_row(const struct rctx *c, const struct tl_thread *t)
{
	const struct tl_thread_sum *s = &t->sum;
	char sw[24], wk[24];

	snprintf(sw, sizeof(sw), "%u/%u", s->vcsw, s->ivcsw);
	snprintf(wk, sizeof(wk), "%u/%u", s->wakeups_given, s->wakeups_received);
	fprintf(c->f, "  %-7u %-15.15s %7s %7s %7s %7s %9s %9s\n", t->tid,
		SAFE(tl_thread_name(t)), DUR(tl_sum_ns(s, TL_ST_RUNNING)),
		DUR(tl_sum_ns(s, TL_ST_RUNNABLE)),
		DUR(tl_sum_ns(s, TL_ST_SLEEPING) + tl_sum_ns(s, TL_ST_UNINT)),
		DUR(tl_sum_ns(s, TL_ST_UNKNOWN)), sw, wk);
	thread_extra(c, t);
	tl_report_thread_waits_text(c->f, c->waits, t, c->width, TOP_WAITS);
}

static void par_table(const struct rctx *c, const struct tl_par_stats *s)
{
	unsigned top = s->max_conc > s->max_par ? s->max_conc : s->max_par;

	fprintf(c->f, "  %-31s %s\n", "parallelism (Running)",
		"concurrency (Running+Runnable)");
	fprintf(c->f, "    mean %5.2f  max %-14u   mean %5.2f  max %u\n", s->mean_par,
		s->max_par, s->mean_conc, s->max_conc);
	fprintf(c->f, "    %5s %9s %7s %17s %7s\n", "level", "time", "share", "time", "share");
	for (unsigned k = 0; k <= top && k < TL_PAR_LEVELS; k++)
		fprintf(c->f, "    %4u%s %9s %6.1f%% %17s %6.1f%%\n", k,
			k == TL_PAR_LEVELS - 1 ? "+" : " ", DUR(s->par_ns[k]),
			100.0 * tl_par_share(s, k), DUR(s->conc_ns[k]),
			100.0 * tl_conc_share(s, k));
	if (s->unknown_ns)
		fprintf(c->f, "    (%s of it with a thread in an unknown state)\n",
			DUR(s->unknown_ns));
}

static void proc_parallelism(const struct rctx *c, const struct tl_process *p)
{
	struct tl_par_stats s;

	if (tl_proc_par_stats(p, 0, 0, &s))
		return;
	if (p->nthreads > 1)
		par_table(c, &s);
	else /* one thread: the level table would repeat its own line */
		fprintf(c->f, "  parallelism mean %.2f max %u, concurrency mean %.2f max %u\n",
			s.mean_par, s.max_par, s.mean_conc, s.max_conc);
	if (!p->nchildren || tl_tree_par_stats(p, 0, 0, &s))
		return;
	fprintf(c->f, "  with its %zu child process%s: parallelism mean %.2f max %u,\n"
		"  concurrency mean %.2f max %u\n", p->nchildren,
		p->nchildren > 1 ? "es" : "", s.mean_par, s.max_par, s.mean_conc, s.max_conc);
}

/* Zombie time, orphaning, exec: what happened to the process as a whole. */
static void proc_life(const struct rctx *c, const struct tl_process *p)
{
	const struct tl_process *pp = p->parent;

	if (p->flags & TL_PROC_REAPED)
		fprintf(c->f, "  zombie for %s: exited at %.3fs, reaped at %.3fs\n",
			DUR(p->reaped_ts - p->end), rel0(c, p->end), rel0(c, p->reaped_ts));
	if (pp && (pp->flags & TL_PROC_EXITED) && pp->end < p->end)
		fprintf(c->f, "  orphaned at %.3fs when its parent %u exited\n",
			rel0(c, pp->end), pp->pid);
	for (size_t i = 0; i < p->nexecs; i++)
		fprintf(c->f, "  exec at %.3fs: %.*s\n", rel0(c, p->execs[i].ts),
			(int)c->width - 22, SAFE(p->execs[i].filename));
}

static void row_cb(void *ctx, const struct tl_thread *t)
{
	thread_row(ctx, t);
}

static void proc_section(const struct rctx *c, const struct tl_process *p)
{
	char ex[32];

	tl_report_exit_text(p, ex, sizeof(ex));
	fprintf(c->f, "\nProcess %u %s", p->pid, SAFE(tl_proc_label(p)));
	if (p->cmdline[0])
		fprintf(c->f, "  (%.*s)", (int)c->width - 30, SAFE(p->cmdline));
	fprintf(c->f, "\n  %.3fs .. %.3fs (%s), %s, parent %u, %zu thread%s\n",
		rel0(c, p->start), rel0(c, p->end), DUR(p->end - p->start), ex, p->ppid,
		p->nthreads, p->nthreads == 1 ? "" : "s");
	proc_life(c, p);
	fprintf(c->f, "  %-7s %-15s %7s %7s %7s %7s %9s %9s\n", "TID", "NAME", "RUN",
		"READY", "BLOCKED", "UNKNOWN", "CSW v/i", "WAKE g/r");
	tl_report_thread_rows(c->f, c->waits, p, c->o, c->width, row_cb, (void *)c);
	tl_report_locks_text(c->f, c->waits, p, c->width);
	proc_parallelism(c, p);
}

static void timelines(const struct rctx *c)
{
	unsigned cols = c->width > 40 ? c->width - 25 : 15;
	int8_t cells[512];
	char bar[512 * 8 + 64];

	if (cols > sizeof(cells))
		cols = sizeof(cells);
	fprintf(c->f, "\nTimeline %.3fs .. %.3fs, one column = %s%s\n  %s\n",
		rel0(c, c->t0), rel0(c, c->t1), DUR((c->t1 - c->t0) / cols),
		c->procs.all ? "" : ", the processes detailed above",
		tl_timeline_legend());
	for (size_t i = 0; i < tl_model_nthreads(c->m); i++) {
		const struct tl_thread *t = tl_model_thread(c->m, i);
		if (!shown(c, t->proc) || !tl_report_procs_detailed(&c->procs, t->proc))
			continue;
		tl_timeline_cells(t, c->t0, c->t1, cols, cells);
		tl_timeline_draw(cells, cols, c->o->color, bar, sizeof(bar));
		fprintf(c->f, "  %-7u %-12.12s|%s|\n", t->tid, SAFE(tl_thread_name(t)), bar);
	}
}

static void loss_section(const struct rctx *c)
{
	const struct tl_model_stats *st = tl_model_stats(c->m);
	uint64_t unk[4] = { 0 };

	unknown_by_cause(c, unk);
	fprintf(c->f, "\nLoss\n");
	if (!st->lost_total && !st->inconsistencies && !st->out_of_order && !st->malformed)
		fprintf(c->f, "  none: every event was recorded and consistent.\n");
	if (st->lost_total)
		fprintf(c->f, "  %llu events lost between %.3fs and %.3fs; threads were in an\n"
			"  unknown state for %s in total (shown as ?): switch, wakeup and\n"
			"  fork counts may be low, blocked reasons in that time are hidden.\n",
			(unsigned long long)st->lost_total, rel0(c, st->first_loss_ts),
			rel0(c, st->last_loss_ts), DUR(unk[TL_UNK_LOSS]));
	if (st->inconsistencies)
		fprintf(c->f, "  %llu event%s contradicted what came before (an event was\n"
			"  missed without a loss count): %s of thread time is unknown.\n",
			(unsigned long long)st->inconsistencies,
			st->inconsistencies == 1 ? "" : "s", DUR(unk[TL_UNK_INCONSISTENT]));
	if (st->out_of_order || st->malformed)
		fprintf(c->f, "  %llu records out of time order and %llu malformed were "
			"ignored.\n", (unsigned long long)st->out_of_order,
			(unsigned long long)st->malformed);
	if (unk[TL_UNK_BEFORE_FIRST])
		fprintf(c->f, "  threads not in the start snapshot: %s unknown before their "
			"first event.\n", DUR(unk[TL_UNK_BEFORE_FIRST]));
}

/* The timeline covers the lives of the processes shown, not the idle
 * tail of the recording. */
static void span(struct rctx *c)
{
	tl_report_span(c->m, c->root, &c->t0, &c->t1);
}

int tl_report_text(FILE *out, const struct tl_model *m, const struct tl_load_result *lr,
		   const struct tl_report_opts *o)
{
	struct tl_report_waits w;
	struct rctx c = { .f = out, .m = m, .lr = lr, .o = o,
			  .width = o->width ? o->width : 80, .waits = &w };
	int e;

	if (c.width < 60)
		c.width = 60;
	if (o->pid && !(c.root = tl_model_find_proc(m, o->pid, 0)))
		return -ENOENT;
	if ((e = tl_report_waits_init(&w, m, o->deadlock_ns))) {
		tl_report_waits_fini(&w);
		return e;
	}
	span(&c);
	header(&c);
	tl_report_deadlocks_text(out, &w, c.root, c.width, o->deadlocks_only);
	if (o->deadlocks_only) {
		tl_report_waits_fini(&w);
		return ferror(out) ? -EIO : 0;
	}
	tl_report_proc_tree(out, m, c.root, !o->all_procs);
	if ((e = tl_report_procs_pick(&c.procs, m, c.root, o->all_procs ? 0 :
				      o->procs ? o->procs : TL_REPORT_PROCS)))
		goto out;
	for (size_t i = 0; i < tl_model_nprocs(m); i++)
		if (shown(&c, tl_model_proc(m, i)) &&
		    tl_report_procs_detailed(&c.procs, tl_model_proc(m, i)))
			proc_section(&c, tl_model_proc(m, i));
	tl_report_procs_rest(out, &c.procs);
	w.procs = &c.procs;
	if (tl_report_syswaits_text(out, &w, c.root, c.width, o->syscalls,
				    !o->all_threads) ||
	    tl_report_stacks_section(out, m, o) == -ENOMEM) {
		e = -ENOMEM;
		goto out;
	}
	if (o->timeline)
		timelines(&c);
	loss_section(&c);
out:
	tl_report_procs_fini(&c.procs);
	tl_report_waits_fini(&w);
	return e ? e : ferror(out) ? -EIO : 0;
}
