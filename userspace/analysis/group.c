/* group.c - threads grouped by the pattern of their names (group.h):
 * patterns are computed once, sorted to bring each group together, and
 * the groups put back in the order their first member came. */
#include "group.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void tl_name_pattern(const char *name, char out[TL_PATTERN_LEN])
{
	size_t o = 0;

	for (const char *p = name; *p && o < TL_PATTERN_LEN - 1; p++) {
		if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)p[1]))
				p++;
			out[o++] = 'N';
		} else {
			out[o++] = *p;
		}
	}
	out[o] = 0;
}

uint64_t tl_thread_wait_ns(const struct tl_thread *t)
{
	return t->sum.ns[TL_ST_RUNNABLE] + t->sum.ns[TL_ST_SLEEPING] +
	       t->sum.ns[TL_ST_UNINT];
}

struct keyed {
	char pattern[TL_PATTERN_LEN];
	size_t idx;
};

static int by_pattern(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->pattern, y->pattern);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int by_first(const void *a, const void *b)
{
	const struct tl_thread_group *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

static void join(struct tl_thread_group *g, const struct tl_thread *t)
{
	g->n++;
	for (int s = 0; s < TL_ST_COUNT; s++)
		g->ns[s] += t->sum.ns[s];
	if (!g->worst || tl_thread_wait_ns(t) > tl_thread_wait_ns(g->worst))
		g->worst = t;
}

/* The n names' patterns, sorted so that each group's members are
 * together, in input order within it; NULL when out of memory. */
static struct keyed *sorted_patterns(const char *(*name)(const void *item),
				     const void *const *items, size_t n)
{
	struct keyed *k = n ? calloc(n, sizeof(*k)) : NULL;

	if (!k)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		tl_name_pattern(name(items[i]), k[i].pattern);
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), by_pattern);
	return k;
}

static bool new_group(const struct keyed *k, size_t i)
{
	return !i || strcmp(k[i].pattern, k[i - 1].pattern);
}

static const char *thread_name(const void *t)
{
	return tl_thread_name(t);
}

size_t tl_group_threads(const struct tl_thread *const *threads, size_t n,
			struct tl_thread_group *out)
{
	struct keyed *k = sorted_patterns(thread_name, (const void *const *)threads, n);
	size_t ng = 0;

	if (!k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (new_group(k, i)) {
			memset(&out[ng], 0, sizeof(out[ng]));
			memcpy(out[ng].pattern, k[i].pattern, TL_PATTERN_LEN);
			out[ng++].first = k[i].idx;
		}
		join(&out[ng - 1], threads[k[i].idx]);
	}
	free(k);
	qsort(out, ng, sizeof(*out), by_first);
	return ng;
}

static const char *proc_label(const void *p)
{
	return tl_proc_label(p);
}

static int by_first_proc(const void *a, const void *b)
{
	const struct tl_proc_group *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

static void join_proc(struct tl_proc_group *g, const struct tl_process *p)
{
	if (!g->n++) {
		g->sample = p;
		g->start = p->start;
		g->end = p->end;
		g->same_exit = true;
	}
	g->nthreads += p->nthreads;
	g->start = p->start < g->start ? p->start : g->start;
	g->end = p->end > g->end ? p->end : g->end;
	if ((p->flags & TL_PROC_EXITED) != (g->sample->flags & TL_PROC_EXITED) ||
	    p->exit_status != g->sample->exit_status)
		g->same_exit = false;
}

size_t tl_group_procs(const struct tl_process *const *procs, size_t n,
		      struct tl_proc_group *out, size_t *group_of)
{
	struct keyed *k = sorted_patterns(proc_label, (const void *const *)procs, n);
	size_t ng = 0;

	if (!k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (new_group(k, i)) {
			memset(&out[ng], 0, sizeof(out[ng]));
			memcpy(out[ng].pattern, k[i].pattern, TL_PATTERN_LEN);
			out[ng++].first = k[i].idx;
		}
		join_proc(&out[ng - 1], procs[k[i].idx]);
	}
	qsort(out, ng, sizeof(*out), by_first_proc);
	/* the groups are in order of first members now: walk the sorted
	 * members again, finding each group by its first member */
	for (size_t i = 0, g = 0; group_of && i < n; i++) {
		if (new_group(k, i)) {
			size_t lo = 0, hi = ng;

			while (hi - lo > 1) {
				size_t mid = lo + (hi - lo) / 2;

				if (out[mid].first <= k[i].idx)
					lo = mid;
				else
					hi = mid;
			}
			g = lo;
		}
		group_of[k[i].idx] = g;
	}
	free(k);
	return ng;
}
