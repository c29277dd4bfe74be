/* report_procs.c - the text report at any scale: the process tree, where
 * three or more sibling processes with no children of their own and names
 * alike (a shell's thousand `true`s) make one row, and a tree longer than
 * TREE_ROWS rows shows its deepest levels as counts (an interpreter's
 * launcher shims fork dozens of short shells before the program itself
 * starts) and then stops at TREE_ROWS rows, kthreadd's kernel threads a
 * count on its row; and which processes get
 * a section of their own when more are shown than a reader can take in:
 * those whose threads ran, waited for a CPU, for a lock someone held or
 * for the disk longest. An idle daemon sleeping in poll, or an idle pool
 * waiting on its condition variable, is not why anything was slow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/group.h"

#define GROUP_MIN 3
#define TREE_ROWS 12   /* rows of the tree at most, unless --procs all */
#define TREE_DEPTH 4096 /* the model's tree has no cycles; the bound keeps
			 * the stack small whatever a file says */

#define DUR(ns) tl_fmt_dur((ns), (char[16]){ 0 }, 16)
#define SAFE(s) tl_fmt_safe((s), (char[512]){ 0 }, 512)

double tl_report_rel(const struct tl_model *m, uint64_t ts)
{
	uint64_t s = tl_model_stats(m)->start;

	return ts > s ? (double)(ts - s) / 1e9 : 0.0;
}

void tl_report_exit_text(const struct tl_process *p, char *buf, size_t len)
{
	int sig = tl_proc_exit_signal(p);

	if (!(p->flags & TL_PROC_EXITED))
		snprintf(buf, len, "-");
	else if (sig)
		snprintf(buf, len, "killed SIG%s%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?",
			 (p->exit_status & 0x80) ? "+core" : "");
	else
		snprintf(buf, len, "exit %d", tl_proc_exit_code(p));
}

/* ---- the tree ---- */

struct tree {
	FILE *f;
	const struct tl_model *m;
	bool group;
	bool dry;          /* count the rows, print nothing */
	int fold;          /* a process this deep shows its descendants as a count */
	size_t rows, cap;  /* rows so far; rows printed at most */
	size_t left_out;   /* processes of the rows past the cap */
	const struct tl_process *root; /* the tree asked for, or NULL: all */
};

/* p's descendants, however deep (bounded as the walk that prints them). */
static size_t descendants(const struct tl_process *p, int depth)
{
	size_t n = 0;

	for (size_t i = 0; depth < TREE_DEPTH && i < p->nchildren; i++)
		n += 1 + descendants(p->children[i], depth + 1);
	return n;
}

static void pid_cell(char *buf, size_t len, int depth, const char *what)
{
	int ind = depth > 4 ? 4 : depth; /* deeper levels align with the 4th */

	snprintf(buf, len, "%*s%s%s", ind > 1 ? (ind - 1) * 2 : 0, "",
		 depth ? "\xe2\x94\x94 " : "", what);
}

/* One row, standing for `procs` processes: printed unless dry or past the
 * cap, where its processes are only counted. The tree glyph is 3 bytes
 * for 1 column: the cell is padded by bytes + 2. */
static void row(struct tree *t, int depth, const char *pid, const char *name,
		uint64_t start, uint64_t end, const char *ex, size_t nthreads, size_t procs)
{
	char cell[48];

	if (++t->rows > t->cap || t->dry) {
		t->left_out += t->dry ? 0 : procs;
		return;
	}
	pid_cell(cell, sizeof(cell), depth, pid);
	fprintf(t->f, "  %-*s %-15.15s %8.3fs %8.3fs  %-15s %3zu\n", depth ? 17 : 15, cell,
		SAFE(name), tl_report_rel(t->m, start), tl_report_rel(t->m, end), ex, nthreads);
}

static void subtree(struct tree *t, const struct tl_process *p, int depth);

static void group_row(struct tree *t, const struct tl_proc_group *g, int depth)
{
	char n[24], ex[32] = "various";

	snprintf(n, sizeof(n), "x%zu", g->n);
	if (g->same_exit)
		tl_report_exit_text(g->sample, ex, sizeof(ex));
	row(t, depth, n, g->pattern, g->start, g->end, ex, g->nthreads, g->n);
}

/* The leaves of kids[0..n) that fall in a group of GROUP_MIN or more get
 * their group's row where its first member would be; the rest a row (and
 * subtree) each. */
static void siblings(struct tree *t, struct tl_process *const *kids, size_t n,
		     int depth)
{
	size_t room = n ? n : 1, nl = 0, li = 0;
	const struct tl_process **leaves = t->group ? calloc(room, sizeof(*leaves)) : NULL;
	struct tl_proc_group *g = leaves ? calloc(room, sizeof(*g)) : NULL;
	size_t *of = g ? calloc(room, sizeof(*of)) : NULL;

	for (size_t i = 0; of && i < n; i++)
		if (!kids[i]->nchildren)
			leaves[nl++] = kids[i];
	if (of && !tl_group_procs(leaves, nl, g, of))
		nl = 0;   /* out of memory: every leaf a row of its own */
	for (size_t i = 0; i < n; i++) {
		bool leaf = li < nl && leaves[li] == kids[i];
		const struct tl_proc_group *k = leaf ? &g[of[li]] : NULL;

		if (!k || k->n < GROUP_MIN)
			subtree(t, kids[i], depth);
		else if (k->first == li)
			group_row(t, k, depth);
		li += leaf;
	}
	free(of);
	free(g);
	free(leaves);
}

/* The kernel's thread parent, in a grouped tree that does not start at
 * it: its hundred kernel threads would fill the rows before the first
 * program of a whole-system recording, so they are a count. */
static bool kernel_threads(const struct tree *t, const struct tl_process *p)
{
	return t->group && p != t->root && p->pid == 2 && p->nchildren &&
	       !strcmp(tl_proc_label(p), "kthreadd");
}

/* p's row, then its children's; at the fold depth (and for kthreadd)
 * "PID +N" stands for p and its N descendants. */
static void subtree(struct tree *t, const struct tl_process *p, int depth)
{
	size_t below = depth >= t->fold || kernel_threads(t, p) ? descendants(p, depth) : 0;
	char pid[32], ex[32];

	snprintf(pid, sizeof(pid), below ? "%u +%zu" : "%u", p->pid, below);
	tl_report_exit_text(p, ex, sizeof(ex));
	row(t, depth, pid, tl_proc_label(p), p->start, p->end, ex, p->nthreads, 1 + below);
	if (!below && depth < TREE_DEPTH)
		siblings(t, p->children, p->nchildren, depth + 1);
}

/* Walks the tree from root (or from every process without a parent). */
static void walk(struct tree *t, const struct tl_process *root)
{
	size_t n = tl_model_nprocs(t->m), nr = 0;
	struct tl_process **roots;

	if (root) {
		subtree(t, root, 0);
		return;
	}
	roots = calloc(n ? n : 1, sizeof(*roots));
	for (size_t i = 0; roots && i < n; i++)
		if (!tl_model_proc(t->m, i)->parent)
			roots[nr++] = (struct tl_process *)tl_model_proc(t->m, i);
	if (roots) {
		siblings(t, roots, nr, 0);
	} else { /* out of memory: one row each, ungrouped */
		t->group = false;
		for (size_t i = 0; i < n; i++)
			if (!tl_model_proc(t->m, i)->parent)
				subtree(t, tl_model_proc(t->m, i), 0);
	}
	free(roots);
}

static size_t rows_at(struct tree *t, const struct tl_process *root, int fold)
{
	t->rows = 0;
	t->fold = fold;
	walk(t, root);
	return t->rows;
}

/* The deepest fold whose tree fits TREE_ROWS rows; 1 (the roots and their
 * children) when none does. Rows only grow with the fold, by one at least
 * per level that still has processes, so few walks are made. */
static int fit_fold(struct tree *t, const struct tl_process *root)
{
	int d = 1;

	t->dry = true;
	if (rows_at(t, root, TREE_DEPTH) <= TREE_ROWS)
		d = TREE_DEPTH;
	else
		while (d < TREE_DEPTH && rows_at(t, root, d + 1) <= TREE_ROWS)
			d++;
	t->dry = false;
	t->rows = 0;
	return d;
}

void tl_report_proc_tree(FILE *f, const struct tl_model *m, const struct tl_process *root,
			 bool group)
{
	struct tree t = { .f = f, .m = m, .group = group, .fold = TREE_DEPTH,
			  .cap = SIZE_MAX, .root = root };

	fprintf(f, "\nProcesses\n  %-15s %-15s %9s %9s  %-15s %3s\n", "PID", "NAME",
		"START", "END", "EXIT", "THR");
	if (group) {
		t.fold = fit_fold(&t, root);
		t.cap = TREE_ROWS;
	}
	walk(&t, root);
	if (t.left_out)
		fprintf(f, "  (%zu more process%s in the tree; --procs all lists every one)\n",
			t.left_out, t.left_out == 1 ? "" : "es");
}

/* ---- which processes get a section ---- */

uint64_t tl_report_lock_wait_ns(const struct tl_thread *t)
{
	uint64_t ns = 0;

	if (!tl_sum_blocked_ns(&t->sum, TL_WHY_FUTEX))
		return 0;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);

		if (iv.block->why == TL_WHY_FUTEX && iv.block->holder)
			ns += iv.end - iv.start;
	}
	return ns;
}

uint64_t tl_report_busy_ns(const struct tl_thread *t)
{
	const struct tl_thread_sum *s = &t->sum;

	return tl_sum_ns(s, TL_ST_RUNNING) + tl_sum_ns(s, TL_ST_RUNNABLE) +
	       tl_sum_ns(s, TL_ST_UNINT) + tl_report_lock_wait_ns(t);
}

/* Time its threads ran, waited for a CPU, for a held lock or in D state. */
static uint64_t busy_ns(const struct tl_process *p)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		ns += tl_report_busy_ns(p->threads[i]);
	return ns;
}

struct ranked {
	const struct tl_process *p;
	uint64_t ns;
	size_t idx;
};

static int by_busy(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? 1 : -1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

static int by_addr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const struct tl_process *const *)a;
	uintptr_t y = (uintptr_t)*(const struct tl_process *const *)b;

	return (x > y) - (x < y);
}

/* The model's tree has no cycles; the bound keeps a walk short whatever a
 * file says. */
bool tl_report_under(const struct tl_process *p, const struct tl_process *root)
{
	for (int d = 0; p && d < 4096; d++, p = p->parent)
		if (!root || p == root)
			return true;
	return false;
}

int tl_report_procs_pick(struct tl_report_procs *rp, const struct tl_model *m,
			 const struct tl_process *root, unsigned max)
{
	size_t n = tl_model_nprocs(m), nr = 0;
	struct ranked *r = calloc(n ? n : 1, sizeof(*r));

	memset(rp, 0, sizeof(*rp));
	rp->all = true;
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct tl_process *p = tl_model_proc(m, i);

		if (tl_report_under(p, root))
			r[nr++] = (struct ranked){ p, 0, i };
	}
	if (!max || nr <= max) {
		free(r);
		return 0;
	}
	for (size_t i = 0; i < nr; i++)   /* ranked only when some are left out */
		r[i].ns = busy_ns(r[i].p);
	qsort(r, nr, sizeof(*r), by_busy);
	rp->detail = calloc(max, sizeof(*rp->detail));
	if (!rp->detail) {
		free(r);
		return -ENOMEM;
	}
	rp->all = false;
	for (size_t i = 0; i < nr; i++) {
		if (i < max) {
			rp->detail[rp->ndetail++] = r[i].p;
			continue;
		}
		rp->nhidden++;
		rp->hidden_threads += r[i].p->nthreads;
		for (size_t k = 0; k < r[i].p->nthreads; k++) {
			const struct tl_thread_sum *s = &r[i].p->threads[k]->sum;

			rp->hidden_run += tl_sum_ns(s, TL_ST_RUNNING);
			rp->hidden_ready += tl_sum_ns(s, TL_ST_RUNNABLE);
		}
	}
	qsort(rp->detail, rp->ndetail, sizeof(*rp->detail), by_addr);
	free(r);
	return 0;
}

bool tl_report_procs_detailed(const struct tl_report_procs *rp, const struct tl_process *p)
{
	return rp->all || bsearch(&p, rp->detail, rp->ndetail, sizeof(*rp->detail), by_addr);
}

void tl_report_procs_rest(FILE *f, const struct tl_report_procs *rp)
{
	if (rp->all || !rp->nhidden)
		return;
	fprintf(f, "\n(%zu more process%s, %zu thread%s, not detailed: %s running and %s\n"
		"waiting for a CPU in all; --procs=all details every one)\n", rp->nhidden,
		rp->nhidden == 1 ? "" : "es", rp->hidden_threads,
		rp->hidden_threads == 1 ? "" : "s", DUR(rp->hidden_run), DUR(rp->hidden_ready));
}

void tl_report_procs_fini(struct tl_report_procs *rp)
{
	free(rp->detail);
	memset(rp, 0, sizeof(*rp));
}
