/* report_waits.c - the report's answers to "blocked on what, held by
 * whom": deadlocks first, then per thread its top waits by named object,
 * and per process its locks table. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/locksites.h"
#include "analysis/stacksym.h"

#define DUR(ns) tl_fmt_dur((ns), (char[16]){ 0 }, 16)
/* names come from the traced program: never raw to the terminal */
#define SAFE(s) tl_fmt_safe((s), (char[TL_OBJ_NAME_LEN]){ 0 }, TL_OBJ_NAME_LEN)
#define SLACK_NS 10000000ull /* "at the end": within 10 ms of it */

int tl_report_waits_init(struct tl_report_waits *w, const struct tl_model *m,
			 uint64_t threshold_ns)
{
	memset(w, 0, sizeof(*w));
	w->m = m;
	/* with stacks, one set of libdwfl sessions names stacks and locks */
	if (tl_model_nstacks(m)) {
		w->stk = tl_stacksym_new(m);
		w->sym = w->stk ? tl_stacksym_symbolizer(w->stk) : NULL;
	} else {
		w->sym = tl_symbolizer_new(m);
	}
	if (!w->sym)
		return -ENOMEM;
	return tl_model_deadlocks(m, threshold_ns ? threshold_ns : TL_DEADLOCK_THRESHOLD_NS,
				  &w->dl, &w->ndl);
}

void tl_report_waits_fini(struct tl_report_waits *w)
{
	if (w->stk)
		tl_stacksym_free(w->stk); /* and the symbolizer it owns */
	else
		tl_symbolizer_free(w->sym);
	free(w->dl);
	memset(w, 0, sizeof(*w));
}

bool tl_report_deadlock_shown(const struct tl_deadlock *d, const struct tl_process *root)
{
	if (!root)
		return true;
	for (size_t i = 0; i < d->n; i++)
		if (d->e[i].waiter_t && tl_report_under(d->e[i].waiter_t->proc, root))
			return true;
	return false;
}

const char *tl_report_edge_obj(struct tl_report_waits *w, const struct tl_wait_edge *e,
			       enum tl_lock_kind *kind)
{
	static char buf[TL_OBJ_NAME_LEN + 32];
	const struct tl_obj_name *o;

	*kind = TL_LK_OTHER;
	if (e->kind == TL_EDGE_CHILD) {
		snprintf(buf, sizeof(buf), "child process %u", e->target);
		return buf;
	}
	if (e->kind == TL_EDGE_JOIN)
		*kind = TL_LK_JOIN;
	o = e->block ? tl_sym_futex(w->sym, e->waiter_t->proc, e->start, e->block) : NULL;
	if (!o)
		return "?";
	if (e->kind == TL_EDGE_LOCK)
		*kind = o->lock == TL_LK_OTHER ? TL_LK_MUTEX : o->lock;
	return o->name;
}

static const char *who(const struct tl_thread *t, uint32_t tid, char *buf, size_t len)
{
	snprintf(buf, len, "%s (%u)", t ? SAFE(tl_thread_name(t)) : "?", tid);
	return buf;
}

static double rel(const struct tl_report_waits *w, uint64_t ts)
{
	uint64_t s = tl_model_stats(w->m)->start;

	return ts > s ? (double)(ts - s) / 1e9 : 0.0;
}

/* text in lines of at most width, broken at spaces: the first indented
 * by two, the rest by four; a word longer than a line goes on in pieces. */
static void wrap(FILE *f, const char *text, unsigned width)
{
	size_t room = width > 12 ? width - 4 : 8, n;
	char word[TL_OBJ_NAME_LEN];
	int col = fprintf(f, "  ");

	for (; *text; text += n) {
		if (*text == ' ') {
			n = 1;
			continue;
		}
		n = strcspn(text, " ");
		if (n >= sizeof(word) || n > room) /* cut between characters */
			for (n = room < sizeof(word) - 1 ? room : sizeof(word) - 1;
			     n > 1 && ((unsigned char)text[n] & 0xc0) == 0x80; n--)
				;
		snprintf(word, sizeof(word), "%.*s", (int)n, text);
		tl_fmt_item(f, width, &col, 2, 4, " ", word);
	}
	fputc('\n', f);
}

static void edge_line(FILE *f, struct tl_report_waits *w, const struct tl_wait_edge *e,
		      unsigned width, const char *prefix)
{
	char a[64], b[64], line[512], since[32];
	enum tl_lock_kind k;
	const char *obj = SAFE(tl_report_edge_obj(w, e, &k));
	const struct tl_thread *t = e->waiter_t;

	if (t && (t->flags & TL_THR_SNAPSHOT) && e->start <= t->start)
		snprintf(since, sizeof(since), "before the start");
	else
		snprintf(since, sizeof(since), "%.3fs", rel(w, e->start));
	who(e->waiter_t, e->waiter, a, sizeof(a));
	who(e->target_t, e->target, b, sizeof(b));
	if (e->kind == TL_EDGE_LOCK && e->waiter == e->target)
		snprintf(line, sizeof(line), "%s%s waits for %s (%s), which it holds itself",
			 prefix, a, obj, tl_lock_kind_name(k));
	else if (e->kind == TL_EDGE_LOCK)
		snprintf(line, sizeof(line), "%s%s waits for %s (%s) held by %s", prefix, a,
			 obj, tl_lock_kind_name(k), b);
	else if (e->kind == TL_EDGE_JOIN)
		snprintf(line, sizeof(line), "%s%s joins %s (waits for it to end)", prefix, a, b);
	else
		snprintf(line, sizeof(line), "%s%s waits for its child %s to exit", prefix, a, b);
	if (strlen(line) + 9 + strlen(since) <= width) {
		fprintf(f, "  %s, since %s\n", line, since);
		return;
	}
	/* too long for one line: wrapped at spaces, the time on a line of its own */
	wrap(f, line, width);
	fprintf(f, "    since %s\n", since);
}

/* Whether every wait of the cycle was already going on when tracing
 * started (the start snapshot showed it): its true start is unknown. */
static bool from_start(const struct tl_deadlock *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct tl_thread *t = d->e[i].waiter_t;

		if (!t || !(t->flags & TL_THR_SNAPSHOT) || d->e[i].start > t->start)
			return false;
	}
	return true;
}

static void deadlock_text(FILE *f, struct tl_report_waits *w, const struct tl_deadlock *d,
			  unsigned width)
{
	const struct tl_process *p = d->e[0].waiter_t ? d->e[0].waiter_t->proc : NULL;
	uint64_t end = tl_model_stats(w->m)->end;

	fprintf(f, "DEADLOCK: %zu thread%s of %s (%u) %s\n", d->n, d->n == 1 ? "" : "s",
		p ? SAFE(tl_proc_label(p)) : "?", p ? p->pid : 0,
		d->n == 1 ? "waits for itself" : "wait for each other");
	if (from_start(d))
		fprintf(f, "  since before the recording started");
	else
		fprintf(f, "  since %.3fs", rel(w, d->since));
	if (d->unresolved && d->until + SLACK_NS >= end)
		fprintf(f, ", still at the end of the recording\n");
	else if (d->unresolved)
		fprintf(f, ", until %s ended at %.3fs\n", d->n == 1 ? "it" : "they",
			rel(w, d->until));
	else
		fprintf(f, ", for %s (until %.3fs)\n", DUR(d->until - d->since),
			rel(w, d->until));
	for (size_t i = 0; i < d->n; i++)
		edge_line(f, w, &d->e[i], width, "");
	for (size_t i = 0; i < d->nbehind; i++)
		edge_line(f, w, &d->behind[i], width, "stuck behind it: ");
}

void tl_report_deadlocks_text(FILE *f, struct tl_report_waits *w,
			      const struct tl_process *root, unsigned width, bool say_none)
{
	size_t shown = 0;

	for (size_t i = 0; i < w->ndl; i++) {
		if (!tl_report_deadlock_shown(&w->dl[i], root))
			continue;
		fputc('\n', f);
		deadlock_text(f, w, &w->dl[i], width);
		shown++;
	}
	if (!shown && say_none)
		fprintf(f, "\nNo deadlocks: no cycle of threads waiting for each other "
			"(locks with a known owner, children, joins).\n");
}

static const char *task_name(const struct tl_model *m, uint32_t tid)
{
	const struct tl_thread *t = tl_model_find_thread(m, tid, 0);
	const char *n = t ? tl_thread_name(t) : tl_model_task_name(m, tid);

	return n && n[0] ? n : "?";
}

/* Threads are looked up by their latest use of the TID: the holder of a
 * lock may have ended before the waiter did. */
static void holder_text(const struct tl_wait_stat *s, const struct tl_model *m,
			char *buf, size_t len)
{
	buf[0] = '\0';
	if (s->top_holder)
		snprintf(buf, len, ", held by %s", SAFE(task_name(m, s->top_holder)));
	else if (s->top_waker)
		snprintf(buf, len, ", woken by %s", SAFE(task_name(m, s->top_waker)));
	if (buf[0] && (s->top_holder ? s->holders : 1) > 1)
		snprintf(buf + strlen(buf), len - strlen(buf), " most");
}

static int by_total_desc(const void *a, const void *b)
{
	const struct tl_wait_stat *x = a, *y = b;

	return x->total_ns > y->total_ns ? -1 : x->total_ns < y->total_ns;
}

/* Joins name one thread each: a thread that joins a hundred threads gets
 * one entry for all of them, named in *joined. Returns the new count. */
static size_t fold_joins(struct tl_wait_stat *s, size_t n, struct tl_obj_name *joined)
{
	struct tl_wait_stat j = { .kind = TL_LK_JOIN, .obj = joined };
	size_t threads = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		threads += s[i].kind == TL_LK_JOIN;
	if (threads < 2)
		return n;
	for (size_t i = 0; i < n; i++) {
		if (s[i].kind != TL_LK_JOIN) {
			s[k++] = s[i];
			continue;
		}
		j.count += s[i].count;
		j.total_ns += s[i].total_ns;
		j.longest_ns = s[i].longest_ns > j.longest_ns ? s[i].longest_ns : j.longest_ns;
		j.waiters = s[i].waiters > j.waiters ? s[i].waiters : j.waiters;
	}
	memset(joined, 0, sizeof(*joined));
	joined->lock = TL_LK_JOIN;
	snprintf(joined->name, sizeof(joined->name), "the end of %zu threads", threads);
	s[k++] = j;
	qsort(s, k, sizeof(*s), by_total_desc);
	return k;
}

/* An object's name in what a line of width leaves beside used bytes of
 * other text (at least NAME_MIN): the numbers after it stay on the line,
 * and what follows them is cut first. */
#define NAME_MIN 24
static const char *fit_name(const struct tl_obj_name *o, unsigned width, size_t used,
			    char *buf)
{
	size_t room = width > used + NAME_MIN ? width - used : NAME_MIN;

	return tl_fmt_fit(o ? SAFE(o->name) : "?", room, buf, TL_OBJ_NAME_LEN);
}

/* The lines of s[0..n), at most top, then how many more. */
static void waits_lines(FILE *f, struct tl_report_waits *w, const struct tl_wait_stat *s,
			size_t n, unsigned width, unsigned top)
{
	char by[64], rest[160], nm[TL_OBJ_NAME_LEN], line[512];

	for (size_t i = 0; i < n && i < top; i++) {
		holder_text(&s[i], w->m, by, sizeof(by));
		snprintf(rest, sizeof(rest), " (%s) %ux %s, longest %s",
			 tl_lock_kind_name(s[i].kind), s[i].count, DUR(s[i].total_ns),
			 DUR(s[i].longest_ns));
		snprintf(line, sizeof(line), "%11s%s %s%s%s", "", i ? "      " : "waits:",
			 fit_name(s[i].obj, width, 18 + strlen(rest), nm), rest, by);
		fprintf(f, "%.*s\n", (int)width, line);
	}
	if (n > top)
		fprintf(f, "%17s(%zu more objects)\n", "", n - top);
}

void tl_report_thread_waits_text(FILE *f, struct tl_report_waits *w,
				 const struct tl_thread *t, unsigned width, unsigned top)
{
	struct tl_obj_name joined;
	struct tl_wait_stat *s;
	size_t n;

	if (tl_thread_waits(w->sym, t, &s, &n) || !n)
		return;
	n = fold_joins(s, n, &joined);
	waits_lines(f, w, s, n, width, top);
	free(s);
}

#define LOCK_ROWS 10 /* objects listed per process */

/* At scale idle waits (report.h) would fill the table and push the
 * contended locks off it. */
bool tl_report_idle_wait(const struct tl_wait_stat *s, const struct tl_process *p)
{
	uint64_t span = p->end > p->start ? p->end - p->start : 0;
	enum tl_obj_kind ok = s->obj ? s->obj->kind : TL_OBJ_UNKNOWN;
	bool unnamed = ok == TL_OBJ_UNKNOWN || ok == TL_OBJ_HEAP || ok == TL_OBJ_STACK ||
		       ok == TL_OBJ_ANON || ok == TL_OBJ_FILE;
	bool owned = s->kind == TL_LK_MUTEX || s->kind == TL_LK_RWLOCK ||
		     s->kind == TL_LK_JOIN || s->holders;

	return span && unnamed && !owned && s->waiters == 1 && s->total_ns * 2 >= span;
}

/* Takes the idle waits out of s (kept in order), counting them in *nidle
 * and their time in *idle_ns. Returns the new count. */
static size_t drop_idle(struct tl_wait_stat *s, size_t n, const struct tl_process *p,
			size_t *nidle, uint64_t *idle_ns)
{
	size_t k = 0;

	*nidle = 0;
	*idle_ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (!tl_report_idle_wait(&s[i], p)) {
			s[k++] = s[i];
			continue;
		}
		(*nidle)++;
		*idle_ns += s[i].total_ns;
	}
	return k;
}

static void lock_row(FILE *f, int nw, const char *nm, const char *kind, uint32_t count,
		     uint64_t total, uint64_t longest, uint32_t waiters, uint32_t holders)
{
	char h[16], fit[TL_OBJ_NAME_LEN];

	snprintf(h, sizeof(h), "%u", holders);
	fprintf(f, "  %-*s %-9.9s %5u %7s %7s %4u %4s\n", nw,
		tl_fmt_fit(nm, (size_t)nw, fit, sizeof(fit)), kind, count,
		DUR(total), DUR(longest), waiters, holders ? h : "-");
}

const char *tl_report_site_text(struct tl_report_waits *w, uint32_t stack, char *buf,
			     size_t len)
{
	const struct tl_frame *fr = tl_stack_call_site(tl_stacksym_get(w->stk, stack));
	char raw[320];

	if (!fr)
		snprintf(raw, sizeof(raw), "?");
	else if (fr->file[0] && fr->line)
		snprintf(raw, sizeof(raw), "%s (%s:%d)", fr->func, fr->file, fr->line);
	else
		snprintf(raw, sizeof(raw), "%s (%s)", fr->func, fr->module[0] ? fr->module : "?");
	return tl_fmt_safe(raw, buf, len);
}

/* Under a lock's row (record -g): where its waiters blocked, and what its
 * holder did while they waited (blocked where, or on a CPU: then it held
 * the lock in code no stack shows). */
static void sites_text(FILE *f, struct tl_report_waits *w, const struct tl_lock_sites *r,
		       unsigned width)
{
	char a[320], line[512];
	size_t more = r->nwait > 1 ? r->nwait - 1 : 0;

	if (r->nwait) {
		snprintf(line, sizeof(line), "      waiters blocked at %s %s%s",
			 tl_report_site_text(w, r->wait[0].stack, a, sizeof(a)), DUR(r->wait[0].ns),
			 more ? " (and elsewhere)" : "");
		fprintf(f, "%.*s\n", (int)width, line);
	}
	if (!r->nheld && !r->held_cpu_ns)
		return;
	if (r->nheld)
		snprintf(line, sizeof(line), "      holder blocked at %s %s",
			 tl_report_site_text(w, r->held[0].stack, a, sizeof(a)), DUR(r->held[0].ns));
	else
		snprintf(line, sizeof(line), "      holder");
	if (r->held_cpu_ns)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s on a CPU %s",
			 r->nheld ? "," : "", DUR(r->held_cpu_ns));
	fprintf(f, "%.*s\n", (int)width, line);
}

/* The sites of the rows shown (NULL without stacks or memory). */
struct tl_lock_sites *tl_report_lock_sites(struct tl_report_waits *w,
					const struct tl_process *p,
					const struct tl_wait_stat *s, size_t n)
{
	struct tl_lock_sites *r;

	if (!w->stk || !n)
		return NULL;
	r = calloc(n, sizeof(*r));
	if (!r)
		return NULL;
	for (size_t i = 0; i < n; i++)
		r[i].addr = s[i].kind == TL_LK_JOIN ? 0 : s[i].addr;
	if (tl_lock_sites(w->sym, p, r, n)) {
		free(r);
		return NULL;
	}
	return r;
}

void tl_report_group_waits_text(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
				const struct tl_thread *const *t, size_t nt, unsigned width,
				unsigned top)
{
	struct tl_obj_name joined;
	struct tl_wait_stat *s;
	size_t n, nidle;
	uint64_t idle_ns;

	if (tl_threads_waits(w->sym, t, nt, &s, &n) || !n)
		return;
	n = fold_joins(s, n, &joined);
	n = drop_idle(s, n, p, &nidle, &idle_ns);
	waits_lines(f, w, s, n, width, top);
	if (nidle)
		fprintf(f, "%11s%s%zu object%s where one thread idled alone, %s in all%s\n", "",
			n ? "      (" : "waits: ", nidle, nidle == 1 ? "" : "s", DUR(idle_ns),
			n ? ")" : "");
	free(s);
}

void tl_report_locks_text(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
			  unsigned width)
{
	int nw = (int)width - 52;
	struct tl_obj_name joined;
	struct tl_lock_sites *sites;
	struct tl_wait_stat *s;
	size_t n, rows = 0, nidle;
	uint64_t idle_ns;

	if (tl_proc_waits(w->sym, p, &s, &n) || !n)
		return;
	n = fold_joins(s, n, &joined);
	n = drop_idle(s, n, p, &nidle, &idle_ns);
	sites = tl_report_lock_sites(w, p, s, n < LOCK_ROWS ? n : LOCK_ROWS);
	if (nw < 16)
		nw = 16;
	fprintf(f, "  %-*s %-9s %5s %7s %7s %4s %4s\n", nw, "WAITED ON", "KIND", "WAITS",
		"TOTAL", "LONGEST", "WTRS", "HLDR");
	for (size_t i = 0; i < n; i++) {
		if (++rows > LOCK_ROWS)
			continue;
		lock_row(f, nw, s[i].obj ? SAFE(s[i].obj->name) : "?",
			 tl_lock_kind_name(s[i].kind), s[i].count, s[i].total_ns,
			 s[i].longest_ns, s[i].waiters, s[i].holders);
		if (sites && sites[i].addr)
			sites_text(f, w, &sites[i], width);
	}
	if (rows > LOCK_ROWS)
		fprintf(f, "  (%zu more objects: report --json lists them all)\n", rows - LOCK_ROWS);
	if (nidle)
		fprintf(f, "  (%zu object%s where one thread idled alone, %s in all, not listed)\n",
			nidle, nidle == 1 ? "" : "s", DUR(idle_ns));
	free(sites);
	free(s);
}
