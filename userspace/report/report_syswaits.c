/* report_syswaits.c - the report's "Syscalls blocked in": per thread, the
 * syscalls it blocked in with their object (fd kind and the socket's far
 * end, the lock's name), count, total, longest and who ended the waits.
 * By default only the threads blocked longest and their top rows, so the
 * section stays short; `report --syscalls` shows every thread and row. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/group.h"
#include "analysis/syswaits.h"

#define DUR(ns) tl_fmt_dur((ns), (char[16]){ 0 }, 16)
#define SAFE(s) tl_fmt_safe((s), (char[TL_OBJ_NAME_LEN]){ 0 }, TL_OBJ_NAME_LEN)
#define TOP_THREADS 5 /* threads shown by default */
#define TOP_ROWS 3    /* rows per thread shown by default */
#define GROUP_MIN 3   /* this many threads named alike: the first stands for all */

/* A thread's totals; its rows are made only if it is shown (naming the
 * futexes of thousands of threads to print five would load the DWARF of
 * every program on a whole-system recording). */
struct thr_waits {
	const struct tl_thread *t;
	uint64_t total_ns;
	uint32_t count;
	char pattern[TL_PATTERN_LEN];
	bool stood_for;       /* shown through its group's first member */
};

static int by_total(const void *a, const void *b)
{
	const struct thr_waits *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return x->t->tid < y->t->tid ? -1 : x->t->tid > y->t->tid;
}

/* Every shown thread that blocked in a syscall, blocked longest first. */
static int gather(struct tl_report_waits *rw, const struct tl_process *root,
		  struct thr_waits **out, size_t *nout)
{
	size_t nt = tl_model_nthreads(rw->m), n = 0;
	struct thr_waits *v = calloc(nt ? nt : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nt; i++) {
		const struct tl_thread *t = tl_model_thread(rw->m, i);
		struct thr_waits *x = &v[n];

		if (!tl_report_under(t->proc, root) ||
		    (rw->procs && !tl_report_procs_detailed(rw->procs, t->proc)))
			continue;
		x->total_ns = tl_thread_syswait_ns(t, &x->count);
		if (!x->count)
			continue;
		x->t = t;
		tl_name_pattern(tl_thread_name(t), x->pattern);
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_total);
	*out = v;
	*nout = n;
	return 0;
}

/* "NAME (TID)", and " of PROC (PID)" when it is a thread other than the
 * main one of a process other than self's. */
static const char *who(const struct tl_model *m, const struct tl_thread *self,
		       uint32_t tid, uint32_t pid, char *buf, size_t len)
{
	const struct tl_thread *t = tl_model_find_thread(m, tid, 0);
	const char *name = t ? tl_thread_name(t) : tl_model_task_name(m, tid);
	int n = snprintf(buf, len, "%s (%u)", SAFE(name[0] ? name : "?"), tid);
	const struct tl_process *p = pid && pid != tid && pid != self->proc->pid ?
				     tl_model_find_proc(m, pid, 0) : NULL;

	if (p && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " of %s (%u)", SAFE(tl_proc_name(p)),
			 pid);
	return buf;
}

static void row(FILE *f, const struct tl_model *m, const struct tl_thread *t,
		const struct tl_syswait *w, unsigned width)
{
	char obj[256], by[160];
	int room = (int)width - 48;

	fprintf(f, "    %-15.15s %6u %8s %8s  %.*s\n", tl_syscall_label(w->sys_nr),
		w->count, DUR(w->total_ns), DUR(w->longest_ns), room > 8 ? room : 8,
		SAFE(tl_syswait_obj(w, obj, sizeof(obj))));
	if (!w->top_waker && !w->irq_wakes)
		return;
	int n = snprintf(obj, sizeof(obj), "%6swoken by", "");
	if (w->top_waker)
		n += snprintf(obj + n, sizeof(obj) - (size_t)n, " %s %u of %u%s",
			      who(m, t, w->top_waker, w->top_waker_pid, by, sizeof(by)),
			      w->top_waker_n, w->count, w->wakers > 1 ? " (and others)" : "");
	if (w->irq_wakes && n < (int)sizeof(obj))
		snprintf(obj + n, sizeof(obj) - (size_t)n, "%s interrupt/timer %u",
			 w->top_waker ? "," : "", w->irq_wakes);
	fprintf(f, "%.*s\n", (int)width, obj);
}

/* rows: at most this many (0: all). */
static int thread_block(FILE *f, struct tl_report_waits *rw, const struct thr_waits *x,
			unsigned width, size_t rows)
{
	const struct tl_thread *t = x->t;
	struct tl_syswait *w;
	size_t n;

	if (tl_thread_syswaits(rw->m, rw->sym, t, &w, &n))
		return -ENOMEM;
	fprintf(f, "  %s (%u)", SAFE(tl_thread_name(t)), t->tid);
	if (t->tid != t->proc->pid)
		fprintf(f, " of %s (%u)", SAFE(tl_proc_name(t->proc)), t->proc->pid);
	fprintf(f, ": %s in %u blocking syscall%s\n", DUR(x->total_ns), x->count,
		x->count == 1 ? "" : "s");
	for (size_t k = 0; k < n && (!rows || k < rows); k++)
		row(f, rw->m, t, &w[k], width);
	if (rows && n > rows)
		fprintf(f, "    (%zu more)\n", n - rows);
	free(w);
	return 0;
}

/* Threads after v[i] of its process named alike (v is by time, so v[i],
 * the first, blocked longest): marked as stood for, counted, their time
 * summed. Fewer than GROUP_MIN - 1 others: none is marked. */
static size_t stand_for(struct thr_waits *v, size_t n, size_t i, uint64_t *ns)
{
	size_t k = 0;

	*ns = 0;
	for (size_t j = i + 1; j < n; j++)
		k += v[j].t->proc == v[i].t->proc && !strcmp(v[j].pattern, v[i].pattern);
	if (k + 1 < GROUP_MIN)
		return 0;
	for (size_t j = i + 1; j < n; j++)
		if (v[j].t->proc == v[i].t->proc && !strcmp(v[j].pattern, v[i].pattern)) {
			v[j].stood_for = true;
			*ns += v[j].total_ns;
		}
	return k;
}

/* The first screen: the TOP_THREADS threads blocked longest, TOP_ROWS
 * rows each, a group of threads named alike shown by its first member. */
static int top_threads(FILE *f, struct tl_report_waits *rw, struct thr_waits *v, size_t n,
		       unsigned width, bool grouped)
{
	size_t shown = 0, left = 0;
	uint64_t ns;

	for (size_t i = 0; i < n; i++) {
		if (v[i].stood_for)
			continue;
		if (shown == TOP_THREADS) {
			left++;
			continue;
		}
		shown++;
		if (thread_block(f, rw, &v[i], width, TOP_ROWS))
			return -ENOMEM;
		size_t k = grouped ? stand_for(v, n, i, &ns) : 0;
		if (k)
			fprintf(f, "    (and %zu more %s thread%s alike, %s in total)\n", k,
				SAFE(v[i].pattern), k == 1 ? "" : "s", DUR(ns));
	}
	if (left)
		fprintf(f, "  (%zu more thread%s: --syscalls shows every thread and row)\n",
			left, left == 1 ? "" : "s");
	return 0;
}

int tl_report_syswaits_text(FILE *f, struct tl_report_waits *rw, const struct tl_process *root,
			    unsigned width, bool all, bool grouped)
{
	struct thr_waits *v;
	size_t n;
	int e = gather(rw, root, &v, &n);

	if (e)
		return e;
	fprintf(f, "\nSyscalls blocked in%s%s\n", all ? "" :
		" (the threads blocked longest; --syscalls shows all)",
		rw->procs && !rw->procs->all ? "\n  of the processes detailed above" : "");
	if (!n)
		fprintf(f, "  none: no traced thread blocked in a syscall.\n");
	else
		fprintf(f, "    %-15s %6s %8s %8s  %s\n", "SYSCALL", "N", "TOTAL", "LONGEST",
			"OBJECT");
	if (all)
		for (size_t i = 0; i < n && !e; i++)
			e = thread_block(f, rw, &v[i], width, 0);
	else
		e = top_threads(f, rw, v, n, width, grouped);
	free(v);
	return e;
}
