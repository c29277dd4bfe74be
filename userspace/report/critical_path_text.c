/* critical_path_text.c - `report --critical-path TID`: where the time of
 * one thread went, as totals along its critical path and as the chain of
 * pieces (thread, state, reason, object, duration), latest last. */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/critical_path.h"

#define CP_TOTALS 12
#define CP_ROWS 40   /* chain rows shown: the latest ones */

static double rel(const struct tl_model *m, uint64_t ts)
{
	return (double)(ts - tl_model_stats(m)->start) / 1e9;
}

static const char *who(const struct tl_model *m, const struct tl_thread *t, uint32_t tid,
		       char *buf, size_t len)
{
	const char *name = t ? tl_thread_name(t) : tl_model_task_name(m, tid);

	snprintf(buf, len, "%s %" PRIu32, name && *name ? name : "?", t ? t->tid : tid);
	return buf;
}

static const char *state_label(uint8_t st, int why, char *buf, size_t len)
{
	if (why >= 0)
		snprintf(buf, len, "blocked: %s", tl_reason_name((enum tl_reason)why));
	else
		snprintf(buf, len, "%s", st == TL_ST_UNKNOWN ? "unknown" : tl_state_name(st));
	return buf;
}

static void print_totals(FILE *out, const struct tl_cp *cp)
{
	struct tl_cp_total t[CP_TOTALS];
	size_t n = tl_cp_totals(cp, t, CP_TOTALS);
	uint64_t span = cp->t1 - cp->t0;
	char a[64], b[48], d[16];

	fprintf(out, "\n  Where the time went\n    %-28s %-18s %6s %8s\n", "THREAD", "STATE",
		"SHARE", "TIME");
	for (size_t i = 0; i < n && i < CP_TOTALS; i++) {
		if (t[i].thread)
			snprintf(a, sizeof(a), "%s %" PRIu32, tl_thread_name(t[i].thread),
				 t[i].thread->tid);
		else
			snprintf(a, sizeof(a), "(not traced)");
		fprintf(out, "    %-28.28s %-18s %5.1f%% %8s\n", a,
			state_label(t[i].state, t[i].why, b, sizeof(b)),
			100.0 * (double)t[i].ns / (double)span, tl_fmt_dur(t[i].ns, d, sizeof(d)));
	}
	if (n > CP_TOTALS)
		fprintf(out, "    ... %zu more\n", n - CP_TOTALS);
}

/* What a piece was about: the object waited on and who ended the wait,
 * or who held the CPU. */
static void detail(const struct tl_model *m, const struct tl_cp_seg *s, char *buf,
		   size_t len)
{
	char w[48];
	uint32_t other = tl_cp_holder(m, s);
	int n = 0;

	buf[0] = 0;
	if (s->block && s->block->why != TL_WHY_NONE) {
		n = snprintf(buf, len, "%s", tl_syscall_label(s->block->sys_nr));
		if (s->block->has_obj && n < (int)len)
			n += snprintf(buf + n, len - (size_t)n, " 0x%" PRIx64, s->block->obj);
		if (n < (int)len)
			n += snprintf(buf + n, len - (size_t)n, "%s%s",
				      s->irq ? ", ended by interrupt" : other ? ", woken by " : "",
				      !s->irq && other ? who(m, tl_model_find_thread(m, other,
				      s->end), other, w, sizeof(w)) : "");
	} else if (s->state == TL_ST_RUNNABLE) {
		snprintf(buf, len, "cpu %d%s%s", s->cpu, other ? " held by " : "",
			 other ? who(m, tl_model_find_thread(m, other, s->start), other, w,
				     sizeof(w)) : "");
	} else if (s->state == TL_ST_RUNNING) {
		snprintf(buf, len, "cpu %d", s->cpu);
	}
}

static void print_row(FILE *out, const struct tl_model *m, const struct tl_cp_seg *s)
{
	char name[48], st[32], d[16], det[128];
	int indent = 2 * (s->depth < 12 ? s->depth : 12);

	detail(m, s, det, sizeof(det));
	if (s->thread)
		who(m, s->thread, 0, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "(not traced yet)");
	fprintf(out, "    %9.6fs %8s  %*s%-*.*s %-16s %s%s\n", rel(m, s->start),
		tl_fmt_dur(s->end - s->start, d, sizeof(d)), indent, "", 26 - indent,
		26 - indent, name,
		state_label(s->state, s->block && s->block->why != TL_WHY_NONE ?
			    (int)s->block->why : -1, st, sizeof(st)),
		det, s->followed ? "  <- meanwhile:" : "");
}

static void print_chain(FILE *out, const struct tl_model *m, const struct tl_cp *cp)
{
	size_t first = cp->n > CP_ROWS ? cp->n - CP_ROWS : 0;

	fprintf(out, "\n  The chain");
	if (first)
		fprintf(out, " (the latest %d of %zu pieces; --from/--to to zoom)", CP_ROWS,
			cp->n);
	fprintf(out, "\n    %10s %8s  %-26s %-16s %s\n", "START", "DUR", "THREAD", "STATE",
		"ON WHAT / WHO");
	for (size_t i = first; i < cp->n; i++)
		print_row(out, m, &cp->seg[i]);
	if (cp->truncated)
		fprintf(out, "    (the path was cut at %d pieces: the earliest part is "
			"missing)\n", TL_CP_MAX_SEGS);
}

int tl_report_critical_path(FILE *out, const struct tl_model *m, uint32_t tid,
			    uint64_t t0, uint64_t t1)
{
	const struct tl_thread *t = tl_model_find_thread(m, tid, 0);
	struct tl_cp cp;
	char d[16];
	int e;

	if (!t)
		return -ENOENT;
	e = tl_critical_path(m, t, t0, t1, &cp);
	if (e)
		return e;
	fprintf(out, "Critical path of %s (TID %" PRIu32 ") from %.6fs to %.6fs (%s)\n",
		tl_thread_name(t), tid, rel(m, cp.t0), rel(m, cp.t1),
		tl_fmt_dur(cp.t1 - cp.t0, d, sizeof(d)));
	fprintf(out, "  A wait another traced thread ended is followed into that "
		"thread (indented).\n");
	print_totals(out, &cp);
	print_chain(out, m, &cp);
	tl_cp_free(&cp);
	return ferror(out) ? -EIO : 0;
}
