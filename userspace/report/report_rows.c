/* report_rows.c - the rows of a process's thread table: many threads whose
 * names differ only in numbers (`worker-1` .. `worker-16`) become one row
 * with their summed times, the member that waited longest and the group's
 * top waits (analysis/group.h), unless --threads all; more than SORT_ROWS
 * rows are put busiest first (ran, waited for a CPU, in D state or for a held
 * lock: a JVM's idle service threads sink below the pool that works);
 * --top N keeps the N rows that waited longest (blocked + runnable), in
 * table order. */
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/group.h"

#define DUR(ns) tl_fmt_dur((ns), (char[16]){ 0 }, 16)
#define SAFE(s) tl_fmt_safe((s), (char[64]){ 0 }, 64)
#define GROUP_MIN 3 /* this many threads with one name pattern: one row */
#define SORT_ROWS 8 /* more rows than this: busiest first; else in the
		     * order the threads appeared */

struct row {
	const struct tl_thread *t;        /* a thread, or */
	const struct tl_thread_group *g;  /* a group of them */
	uint64_t wait_ns;
	uint64_t busy_ns;
	size_t idx;   /* its place in the order the threads appeared */
	bool shown;
};

struct members {
	const struct tl_thread **t; /* the threads of each group, one after another */
	size_t *off;                /* group k's: t[off[k] .. off[k] + g[k].n) */
	size_t *fill;               /* how many of group k's are in so far */
};

/* A group's row: summed times, the member that waited longest, and the
 * group's top waits by object over its members mem[0..g->n) (mem NULL, no
 * memory for the list: that member's top wait). */
static void group_row(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
		      const struct tl_thread_group *g, const struct tl_thread *const *mem,
		      unsigned width)
{
	char n[16];

	snprintf(n, sizeof(n), "x%zu", g->n);
	fprintf(f, "  %-7s %-15.15s %7s %7s %7s %7s\n", n, SAFE(g->pattern),
		DUR(g->ns[TL_ST_RUNNING]),
		DUR(g->ns[TL_ST_RUNNABLE]), DUR(g->ns[TL_ST_SLEEPING] + g->ns[TL_ST_UNINT]),
		DUR(g->ns[TL_ST_UNKNOWN]));
	fprintf(f, "%11s%zu threads; waited longest: %s (%u), %s\n", "", g->n,
		SAFE(tl_thread_name(g->worst)), g->worst->tid,
		DUR(tl_thread_wait_ns(g->worst)));
	if (mem)
		tl_report_group_waits_text(f, w, p, mem, g->n, width, 2);
	else
		tl_report_thread_waits_text(f, w, g->worst, width, 1);
}

static const struct tl_thread_group *group_of(const struct tl_thread *t,
					      const struct tl_thread_group *g, size_t ng)
{
	char pat[TL_PATTERN_LEN];

	tl_name_pattern(tl_thread_name(t), pat);
	for (size_t k = 0; k < ng; k++)
		if (!strcmp(g[k].pattern, pat))
			return g[k].n >= GROUP_MIN ? &g[k] : NULL;
	return NULL;
}

/* Room for the members of every group, which make_rows puts in; m->t
 * NULL when there is no memory for them. */
static void members_init(const struct tl_process *p, const struct tl_thread_group *g,
			 size_t ng, struct members *m)
{
	m->t = ng ? calloc(p->nthreads, sizeof(*m->t)) : NULL;
	m->off = ng ? calloc(ng + 1, sizeof(*m->off)) : NULL;
	m->fill = ng ? calloc(ng, sizeof(*m->fill)) : NULL;
	if (!m->t || !m->off || !m->fill) {
		free(m->t);
		free(m->off);
		free(m->fill);
		*m = (struct members){ 0 };
		return;
	}
	for (size_t k = 0; k < ng; k++)
		m->off[k + 1] = m->off[k] + g[k].n;
}

static void members_free(struct members *m)
{
	free(m->t);
	free(m->off);
	free(m->fill);
}

/* One row per thread, or per group at its first member. Busy times only
 * where the rows will be sorted by them (a thread's scan of its intervals
 * for held-lock waits is not free); a group's is its members' (at[]: the
 * row of each group, when there is room for it; else only its first
 * member's). Each group's members go into mem. */
static size_t make_rows(const struct tl_process *p, const struct tl_thread_group *g,
			size_t ng, struct row *r, struct members *mem)
{
	bool rank = p->nthreads > SORT_ROWS; /* rows <= threads */
	size_t nr = 0, *at = rank && ng ? calloc(ng, sizeof(*at)) : NULL;

	for (size_t i = 0; i < p->nthreads; i++) {
		const struct tl_thread *t = p->threads[i];
		const struct tl_thread_group *gr = g ? group_of(t, g, ng) : NULL;

		if (gr && mem->t)
			mem->t[mem->off[gr - g] + mem->fill[gr - g]++] = t;
		if (gr && gr->first != i) {
			if (at)
				r[at[gr - g]].busy_ns += tl_report_busy_ns(t);
			continue;
		}
		if (gr && at)
			at[gr - g] = nr;
		r[nr] = (struct row){ .t = gr ? NULL : t, .g = gr, .shown = true, .idx = nr,
				      .busy_ns = rank ? tl_report_busy_ns(t) : 0,
				      .wait_ns = gr ? gr->ns[TL_ST_RUNNABLE] + gr->ns[TL_ST_SLEEPING] +
							      gr->ns[TL_ST_UNINT]
						    : tl_thread_wait_ns(t) };
		nr++;
	}
	free(at);
	return nr;
}

static int by_busy_desc(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->busy_ns != y->busy_ns)
		return x->busy_ns < y->busy_ns ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int by_wait_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

/* Keeps the top rows by waiting time; returns how many were hidden. */
static size_t keep_top(struct row *r, size_t nr, unsigned top)
{
	uint64_t *w, cut;
	size_t kept = 0;

	if (!top || nr <= top || !(w = malloc(nr * sizeof(*w))))
		return 0;
	for (size_t i = 0; i < nr; i++)
		w[i] = r[i].wait_ns;
	qsort(w, nr, sizeof(*w), by_wait_desc);
	cut = w[top - 1];
	free(w);
	for (size_t i = 0; i < nr; i++) {
		r[i].shown = r[i].wait_ns > cut || (r[i].wait_ns == cut && kept < top);
		kept += r[i].shown;
	}
	return nr - kept;
}

void tl_report_thread_rows(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
			   const struct tl_report_opts *o, unsigned width,
			   tl_thread_row_fn *row, void *ctx)
{
	bool group = !o->all_threads && p->nthreads >= GROUP_MIN;
	struct tl_thread_group *g = group ? calloc(p->nthreads, sizeof(*g)) : NULL;
	struct row *r = calloc(p->nthreads ? p->nthreads : 1, sizeof(*r));
	size_t ng = g ? tl_group_threads((const struct tl_thread *const *)p->threads,
					       p->nthreads, g) : 0, nr, hidden;
	struct members mem = { 0 };

	if (!r) { /* no memory for rows: every thread, as they come */
		for (size_t i = 0; i < p->nthreads; i++)
			row(ctx, p->threads[i]);
		free(g);
		return;
	}
	members_init(p, g, ng, &mem);
	nr = make_rows(p, g, ng, r, &mem);
	if (nr > SORT_ROWS)
		qsort(r, nr, sizeof(*r), by_busy_desc);
	hidden = keep_top(r, nr, o->top);
	for (size_t i = 0; i < nr; i++) {
		if (!r[i].shown)
			continue;
		if (r[i].g)
			group_row(f, w, p, r[i].g,
				  mem.t ? (const struct tl_thread *const *)mem.t +
						  mem.off[r[i].g - g] : NULL,
				  width);
		else
			row(ctx, r[i].t);
	}
	members_free(&mem);
	if (hidden)
		fprintf(f, "  (%zu more row%s, of threads that waited less: --top 0 shows "
			"all)\n", hidden, hidden == 1 ? "" : "s");
	free(r);
	free(g);
}
