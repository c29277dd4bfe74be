/* report_stacks.c - off-CPU stacks (record -g) in the report: per thread,
 * the stacks it blocked in the longest, with the reason; and `report
 * --stacks`, every blocked interval's time by stack in the folded format
 * of flamegraph.pl ("proc;thread;outermost;...;innermost ns"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report.h"
#include "analysis/stacksym.h"

#define TOP_STACKS 3
#define MAX_USER_SHOWN 12
#define MAX_KERN_SHOWN 6

/* Time one thread spent blocked in one stack. */
struct agg {
	uint32_t stack;
	uint32_t count;
	uint64_t ns;
	const struct tl_block *block; /* of its longest interval */
	uint64_t longest, longest_ts;
};

static bool under(const struct tl_process *p, uint32_t pid)
{
	for (int d = 0; p && d < 4096; d++, p = p->parent)
		if (!pid || p->pid == pid)
			return true;
	return false;
}

static int agg_cmp(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

static int agg_by_id(const void *a, const void *b)
{
	const struct agg *x = a, *y = b;

	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

/* Blocked time of t by stack, longest first; returns how many stacks.
 * One entry per blocked interval with a stack, sorted by id and merged:
 * a thread may block a million times in a thousand stacks. */
static size_t aggregate(const struct tl_thread *t, struct agg **out)
{
	struct agg *a = malloc((t->niv ? t->niv : 1) * sizeof(*a));
	size_t n = 0, k = 0;

	*out = a;
	if (!a)
		return 0;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		uint32_t id = tl_thread_iv_stack(t, iv);

		if (id)
			a[n++] = (struct agg){ .stack = id, .count = 1,
					       .ns = iv->end - iv->start,
					       .block = iv->block,
					       .longest = iv->end - iv->start,
					       .longest_ts = iv->start };
	}
	qsort(a, n, sizeof(*a), agg_by_id);
	for (size_t i = 0; i < n; i++) {
		if (k && a[k - 1].stack == a[i].stack) {
			struct agg *g = &a[k - 1];

			g->count++;
			g->ns += a[i].ns;
			if (a[i].longest >= g->longest) {
				g->longest = a[i].longest;
				g->longest_ts = a[i].longest_ts;
				g->block = a[i].block;
			}
		} else {
			a[k++] = a[i];
		}
	}
	qsort(a, k, sizeof(*a), agg_cmp);
	return k;
}

static void frame_line(FILE *out, const struct tl_frame *f, unsigned width)
{
	char where[160] = "", name[sizeof(f->func) + 12];
	int room = (int)width - 8;

	if (f->file[0] && f->line)
		snprintf(where, sizeof(where), "  %s:%d", f->file, f->line);
	else if (f->file[0])
		snprintf(where, sizeof(where), "  %s", f->file);
	if (f->module[0])
		snprintf(where + strlen(where), sizeof(where) - strlen(where),
			 "  (%s)", f->module);
	snprintf(name, sizeof(name), "%s%s", f->func, f->inlined ? " (inlined)" : "");
	fprintf(out, "        %.*s%.*s\n", room, name,
		room - (int)strlen(name) > 0 ? room - (int)strlen(name) : 0, where);
}

/* The kernel part in one line, what the thread waits in first. */
static void kernel_line(FILE *out, const struct tl_named_stack *ns, unsigned width)
{
	char buf[512] = "";
	size_t shown = 0;

	for (size_t i = 0; i < ns->nkern && shown < MAX_KERN_SHOWN; i++) {
		const struct tl_frame *f = &ns->f[i];

		if (tl_frame_is_plumbing(f))
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			 shown++ ? " < " : "", f->func);
	}
	if (shown)
		fprintf(out, "        [kernel] %.*s\n", (int)width > 20 ? (int)width - 17 : 3, buf);
}

/* "on mutex mutexA (futex)", "in pipe (read)": the reason, and for a futex
 * the object by name when the maps and the binary tell it. */
static void reason(struct tl_stacksym *sym, const struct tl_thread *t,
		   const struct agg *g, char *buf, size_t len)
{
	const struct tl_block *b = g->block;
	const char *sc = b && b->sys_nr >= 0 ? tl_syscall_name(b->sys_nr) : NULL;
	const struct tl_obj_name *o = b && b->why == TL_WHY_FUTEX ?
		tl_sym_futex(tl_stacksym_symbolizer(sym), t->proc, g->longest_ts, b) : NULL;

	if (o && o->kind != TL_OBJ_UNKNOWN)
		snprintf(buf, len, "on %s %s (%s)", tl_lock_kind_name(o->lock), o->name,
			 sc ? sc : "futex");
	else
		snprintf(buf, len, "in %s%s%s%s", b ? tl_reason_name(b->why) : "?",
			 sc ? " (" : "", sc ? sc : "", sc ? ")" : "");
}

static void stack_entry(FILE *out, struct tl_stacksym *sym, const struct tl_thread *t,
			const struct agg *g, unsigned width)
{
	const struct tl_named_stack *ns = tl_stacksym_get(sym, g->stack);
	char dur[16], why[TL_OBJ_NAME_LEN + 64];

	reason(sym, t, g, why, sizeof(why));
	fprintf(out, "    %7s  %u× blocked %.*s\n", tl_fmt_dur(g->ns, dur, sizeof(dur)),
		g->count, (int)width > 30 ? (int)width - 24 : 6, why);
	if (!ns)
		return;
	for (size_t i = 0; i < ns->nuser && i < MAX_USER_SHOWN; i++)
		frame_line(out, &ns->f[ns->nkern + i], width);
	if (ns->nuser > MAX_USER_SHOWN)
		fprintf(out, "        ... %zu more\n", ns->nuser - MAX_USER_SHOWN);
	else if (ns->user_cut)
		fprintf(out, "        ... (the copied stack ends here)\n");
	kernel_line(out, ns, width);
}

static bool any_stack(const struct tl_model *m)
{
	return tl_model_nstacks(m) > 0;
}

/* How many blocks of the threads shown have a stack, of how many: the
 * rest were not taken (a ring over half full), or came before the process
 * was traced, or from a task without user space. */
static void coverage(FILE *out, const struct tl_model *m, uint32_t pid)
{
	size_t blocks = 0, with = 0;

	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);

		if (!under(t->proc, pid))
			continue;
		for (size_t k = 0; k < t->niv; k++) {
			struct tl_interval iv_v = tl_thread_iv(t, k);
			const struct tl_interval *iv = &iv_v;

			if (iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT)
				continue;
			blocks++;
			with += tl_thread_iv_stack(t, iv) != 0;
		}
	}
	if (with < blocks)
		fprintf(out, "  %zu of %zu blocks have a stack (the others were not "
			"taken: the buffers were full, or the program had not started)\n", with, blocks);
}

int tl_report_stacks_section(FILE *out, const struct tl_model *m,
			     const struct tl_report_opts *o)
{
	struct tl_stacksym *sym;
	unsigned width = o->width ? o->width : 80;

	if (!any_stack(m))
		return 0;
	sym = tl_stacksym_new(m);
	if (!sym)
		return -ENOMEM;
	fprintf(out, "\nOff-CPU stacks (record -g): where each thread blocked longest\n");
	coverage(out, m, o->pid);
	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);
		struct agg *a = NULL;
		size_t n = under(t->proc, o->pid) ? aggregate(t, &a) : 0;

		if (!n) {
			free(a);
			continue;
		}
		fprintf(out, "  %s (tid %u, %s)\n", tl_thread_name(t), t->tid,
			tl_proc_name(t->proc));
		for (size_t k = 0; k < n && k < TOP_STACKS; k++)
			stack_entry(out, sym, t, &a[k], width);
		if (n > TOP_STACKS)
			fprintf(out, "    ... %zu more stacks\n", n - TOP_STACKS);
		free(a);
	}
	tl_stacksym_free(sym);
	return ferror(out) ? -EIO : 0;
}

/* ---- folded ---- */

/* A name as one folded frame: ';' separates frames, and the count follows
 * the last space, so neither may be misread. */
static void folded_name(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(*s == ';' ? ':' : *s == '\n' ? ' ' : *s, out);
}

static void folded_line(FILE *out, const struct tl_thread *t,
			const struct tl_named_stack *ns, uint64_t ns_total)
{
	folded_name(out, tl_proc_name(t->proc));
	fputc(';', out);
	folded_name(out, tl_thread_name(t));
	for (size_t i = ns->nuser; i-- > 0;) {
		fputc(';', out);
		folded_name(out, ns->f[ns->nkern + i].func);
	}
	for (size_t i = ns->nkern; i-- > 0;) {
		fputc(';', out);
		folded_name(out, ns->f[i].func);
		fputs("_[k]", out); /* flamegraph.pl colours these as kernel */
	}
	fprintf(out, " %llu\n", (unsigned long long)ns_total);
}

int tl_report_folded(FILE *out, const struct tl_model *m, uint32_t pid)
{
	struct tl_stacksym *sym = tl_stacksym_new(m);

	if (!sym)
		return -ENOMEM;
	for (size_t i = 0; i < tl_model_nthreads(m); i++) {
		const struct tl_thread *t = tl_model_thread(m, i);
		struct agg *a = NULL;
		size_t n = under(t->proc, pid) ? aggregate(t, &a) : 0;

		if (!n) {
			free(a);
			continue;
		}
		for (size_t k = 0; k < n; k++) {
			const struct tl_named_stack *ns = tl_stacksym_get(sym, a[k].stack);

			if (ns)
				folded_line(out, t, ns, a[k].ns);
		}
		free(a);
	}
	tl_stacksym_free(sym);
	return ferror(out) ? -EIO : 0;
}
