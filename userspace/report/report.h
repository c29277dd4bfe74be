/* report.h - the report of a finished model: a terminal text report that
 * fits the given width (header, process tree, per-thread totals, per-process
 * parallelism beside concurrency, block-character timelines, loss), and the
 * same content as JSON for scripts. Writes to a FILE; reads nothing.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/model.h"
#include "load/load.h"
#include "analysis/symbolize.h"
#include "analysis/waitfor.h"
#include "analysis/waits.h"

struct tl_report_opts {
	unsigned width;        /* columns (0 = 80; at least 60 is used) */
	bool color;            /* ANSI colours in the timeline */
	bool timeline;         /* draw the per-thread timelines */
	uint32_t pid;          /* only this process and its descendants; 0 = all */
	const char *path;      /* the recording's file name, shown in the header */
	bool deadlocks_only;   /* --deadlocks: only the deadlocks */
	uint64_t deadlock_ns;  /* a cycle lasting this long is a deadlock (0:
				* TL_DEADLOCK_THRESHOLD_NS) */
	bool all_threads;      /* --threads all: no grouping of worker-N */
	unsigned top;          /* --top N: thread rows per process (0: all) */
	bool syscalls;         /* --syscalls: every thread and row of the
				* "Syscalls blocked in" section */
	unsigned procs;        /* --procs N: sections for at most N processes,
				* the busiest (0: TL_REPORT_PROCS) */
	bool all_procs;        /* --procs all: a section for every process and
				* no grouping in the process tree */
};
#define TL_REPORT_PROCS 10

/* Text report. lr (may be NULL) gives the header fields and truncation.
 * Returns 0, or -ENOENT when opts->pid names no process, -EIO on a write
 * error. */
int tl_report_text(FILE *out, const struct tl_model *m, const struct tl_load_result *lr,
		   const struct tl_report_opts *o);
/* The same content as one JSON object (schema in docs/model.md). Times are
 * ns; *_ns instants are relative to recording.start_ns. */
int tl_report_json(FILE *out, const struct tl_model *m, const struct tl_load_result *lr,
		   const struct tl_report_opts *o);

/* `report --critical-path`: where the time of thread tid (its latest
 * generation) went over [t0, t1] (0: its whole life), as totals and as a
 * chain (critical_path_text.c). -ENOENT: no such thread; -EINVAL: it did
 * not live in the window; -EIO on a write error. */
int tl_report_critical_path(FILE *out, const struct tl_model *m, uint32_t tid,
			    uint64_t t0, uint64_t t1);

/* ---- off-CPU stacks, record -g (report_stacks.c) ---- */
/* The report's section: per thread its longest-blocking stacks, with the
 * reason and the frames. Prints nothing for a recording without stacks. */
int tl_report_stacks_section(FILE *out, const struct tl_model *m,
			     const struct tl_report_opts *o);
/* `report --stacks`: blocked time per thread and stack in flamegraph.pl's
 * folded format, one "proc;thread;outermost;...;innermost NS" line each
 * (kernel frames end in "_[k]"). pid: only it and its descendants (0 all). */
int tl_report_folded(FILE *out, const struct tl_model *m, uint32_t pid);

/* ---- timeline (timeline_draw.c) ---- */
#define TL_CELL_ABSENT (-1) /* the thread did not exist during the cell */
/* State of t in each of cols equal cells of [t0, t1): the state it spent the
 * most time in within the cell, or TL_CELL_ABSENT. */
void tl_timeline_cells(const struct tl_thread *t, uint64_t t0, uint64_t t1,
		       unsigned cols, int8_t *cells);
/* One glyph per state: running "█", runnable "▒", sleeping "░",
 * uninterruptible "▓", unknown "?"; absent " ". */
const char *tl_timeline_glyph(int cell);
/* Draws cells into buf as UTF-8 (with ANSI colours when color), NUL
 * terminated; returns the bytes written (truncated to fit len). */
size_t tl_timeline_draw(const int8_t *cells, unsigned cols, bool color, char *buf,
			size_t len);
/* The legend line for the glyphs. */
const char *tl_timeline_legend(void);

/* The span the timelines cover: from the first start to the last end of
 * the processes shown (root and its descendants, or all when root is NULL),
 * never empty. */
void tl_report_span(const struct tl_model *m, const struct tl_process *root,
		    uint64_t *t0, uint64_t *t1);

/* ---- waits, locks and deadlocks (report_waits.c) ---- */
/* What the text and JSON reports share: one symbolizer (names are looked
 * up once) and the deadlocks of the model. */
struct tl_stacksym;
struct tl_lock_sites;
struct tl_report_procs;
struct tl_report_waits {
	const struct tl_model *m;
	struct tl_symbolizer *sym;
	struct tl_stacksym *stk;    /* record -g's stacks named, or NULL */
	struct tl_deadlock *dl;
	size_t ndl;
	/* the processes the text report details (report_procs.c), or NULL
	 * for all: "Syscalls blocked in" looks at their threads only */
	const struct tl_report_procs *procs;
};
int tl_report_waits_init(struct tl_report_waits *w, const struct tl_model *m,
			 uint64_t threshold_ns);
void tl_report_waits_fini(struct tl_report_waits *w);
/* "worker (c4_deadlock.c:44)": where stack `stack` says the program was
 * (analysis/stacksym.h, tl_stack_call_site), made safe to print; w->stk
 * must be set. */
const char *tl_report_site_text(struct tl_report_waits *w, uint32_t stack, char *buf,
				size_t len);
/* Where the locks s[0..n) of p were waited for and held (record -g):
 * malloc'd, NULL without stacks or memory (joins get no sites). */
struct tl_lock_sites *tl_report_lock_sites(struct tl_report_waits *w,
					   const struct tl_process *p,
					   const struct tl_wait_stat *s, size_t n);
/* Whether s, an object of p's locks table, tells of an idle thread rather
 * than of contention: one thread alone, for half p's traced life or more,
 * on an object no program symbol names and nobody owns (its own condvar
 * or park word, as each service thread of a JVM or a pool has). */
bool tl_report_idle_wait(const struct tl_wait_stat *s, const struct tl_process *p);
/* Whether deadlock d involves a thread of root or its descendants (root
 * NULL: always). */
bool tl_report_deadlock_shown(const struct tl_deadlock *d, const struct tl_process *root);
/* The object an edge waits on: the lock's name, "child process N",
 * "NAME (TID)" of a joined thread; kind gets its primitive kind. */
const char *tl_report_edge_obj(struct tl_report_waits *w, const struct tl_wait_edge *e,
			       enum tl_lock_kind *kind);
/* "DEADLOCK ..." blocks, first in the report; with say_none a line saying
 * there is none. */
void tl_report_deadlocks_text(FILE *f, struct tl_report_waits *w,
			      const struct tl_process *root, unsigned width, bool say_none);
/* A thread's top futex waits by object (at most top lines). */
void tl_report_thread_waits_text(FILE *f, struct tl_report_waits *w,
				 const struct tl_thread *t, unsigned width, unsigned top);
/* The top futex waits by object of a group of p's threads, t[0..nt),
 * with the objects where one of them idled alone summed up in a line. */
void tl_report_group_waits_text(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
				const struct tl_thread *const *t, size_t nt, unsigned width,
				unsigned top);
/* A process's locks table. */
void tl_report_locks_text(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
			  unsigned width);

/* ---- syscall waits (report_syswaits.c) ---- */
/* "Syscalls blocked in": per thread of root's tree (NULL: all) the
 * syscalls it blocked in, by object, with counts, times and wakers; the
 * threads blocked longest and their top rows (grouped: three or more
 * threads of a process named alike shown by the one blocked longest), or
 * with all every thread and row. Returns 0 or -ENOMEM. */
int tl_report_syswaits_text(FILE *f, struct tl_report_waits *w, const struct tl_process *root,
			    unsigned width, bool all, bool grouped);

/* ---- the process tree and sections at scale (report_procs.c) ---- */
/* Seconds from the recording's start to ts (0 before it). */
double tl_report_rel(const struct tl_model *m, uint64_t ts);
/* Whether p is root or one of its descendants (root NULL: always). */
bool tl_report_under(const struct tl_process *p, const struct tl_process *root);
/* "exit 3", "killed SIGKILL+core" or "-" (still running). */
void tl_report_exit_text(const struct tl_process *p, char *buf, size_t len);

/* Time t waited for a lock someone held (a futex wait whose owner the
 * kernel side read): contention, unlike an idle pool's condition wait. */
uint64_t tl_report_lock_wait_ns(const struct tl_thread *t);

/* Time t ran, waited for a CPU, in D state or for a held lock: what makes
 * anything slow, where an idle service thread's wait does not. */
uint64_t tl_report_busy_ns(const struct tl_thread *t);
/* "Processes": the tree of root (NULL: every process), with group three
 * or more alike leaf siblings as one "xN" row. */
void tl_report_proc_tree(FILE *f, const struct tl_model *m, const struct tl_process *root,
			 bool group);
/* Which processes of root's tree get a section: all when there are at
 * most max (0: no limit), else the max busiest (running, runnable, futex
 * and D-state time of their threads); the rest are summed. */
struct tl_report_procs {
	bool all;
	const struct tl_process **detail; size_t ndetail;  /* by address */
	size_t nhidden, hidden_threads;
	uint64_t hidden_run, hidden_ready;
};
int tl_report_procs_pick(struct tl_report_procs *rp, const struct tl_model *m,
			 const struct tl_process *root, unsigned max);
bool tl_report_procs_detailed(const struct tl_report_procs *rp, const struct tl_process *p);
/* The line after the sections that says what was left out, if anything. */
void tl_report_procs_rest(FILE *f, const struct tl_report_procs *rp);
void tl_report_procs_fini(struct tl_report_procs *rp);

/* ---- thread rows (report_rows.c) ---- */
typedef void tl_thread_row_fn(void *ctx, const struct tl_thread *t);
/* The rows of p's thread table: row(ctx, t) for each thread shown alone,
 * one summary row per group of GROUP_MIN or more threads whose names
 * differ only in numbers (unless o->all_threads), at most o->top rows. */
void tl_report_thread_rows(FILE *f, struct tl_report_waits *w, const struct tl_process *p,
			   const struct tl_report_opts *o, unsigned width,
			   tl_thread_row_fn *row, void *ctx);

/* The time of every thread under root (NULL: all) in each state, st[]
 * (TL_ST_COUNT), and blocked for each reason, why[] (TL_WHY_COUNT), added
 * to; returns how many threads. */
size_t tl_report_time_totals(const struct tl_model *m, const struct tl_process *root,
			     uint64_t *st, uint64_t *why);

/* ---- formatting helpers shared by the report files ---- */
/* A duration in at most 7 characters: "0", "850ns", "12us", "3.40ms",
 * "12.5ms", "120ms", "2.35s", "1234s". */
const char *tl_fmt_dur(uint64_t ns, char *buf, size_t len);
/* s with control characters made harmless for a terminal: tab, newline
 * and CR as a space, other C0/C1 controls and DEL as "\xHH"; cut to len
 * (NUL included). Returns buf. */
const char *tl_fmt_safe(const char *s, char *buf, size_t len);
/* s in at most width bytes for a fixed-width column: when longer, its
 * head and its last word (an address, a number: what tells rows apart)
 * joined by "..", cut on UTF-8 character boundaries. Returns buf. */
const char *tl_fmt_fit(const char *s, size_t width, char *buf, size_t len);
/* Prints text at column *col of a line of at most width, after sep unless
 * it is the line's first item (*col == start); when it would pass the
 * width, on a new line indented by indent instead (a "," sep stays
 * behind). Moves *col on. */
void tl_fmt_item(FILE *f, unsigned width, int *col, int start, int indent, const char *sep,
		 const char *text);

#endif
