/* group.c - threads (and processes) grouped by the pattern of their names
 * (group.h): patterns are computed once, sorted to bring each group
 * together, and the groups numbered in the order their first member came. */
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
	return tl_sum_ns(&t->sum, TL_ST_RUNNABLE) + tl_sum_ns(&t->sum, TL_ST_SLEEPING) +
	       tl_sum_ns(&t->sum, TL_ST_UNINT);
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

static void join(struct tl_thread_group *g, const struct tl_thread *t)
{
	g->n++;
	for (int s = 0; s < TL_ST_COUNT; s++)
		g->ns[s] += tl_sum_ns(&t->sum, s);
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

/* Groups the n items by the pattern of their names, numbered in the
 * order of their first members: of[i] gets item i's group. Returns the
 * number of groups, 0 when out of memory. */
static size_t pattern_groups(const char *(*name)(const void *item),
			     const void *const *items, size_t n, size_t *of)
{
	struct keyed *k = sorted_patterns(name, items, n);
	size_t *renum = k ? calloc(n, sizeof(*renum)) : NULL, nk = 0, ng = 0;

	if (!renum) {
		free(k);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {   /* numbered in pattern order */
		nk += new_group(k, i);
		of[k[i].idx] = nk - 1;
	}
	free(k);
	for (size_t i = 0; i < n; i++) {   /* renumbered by first member */
		if (!renum[of[i]])
			renum[of[i]] = ++ng;
		of[i] = renum[of[i]] - 1;
	}
	free(renum);
	return ng;
}

static const char *thread_name(const void *t)
{
	return tl_thread_name(t);
}

size_t tl_group_threads(const struct tl_thread *const *threads, size_t n,
			struct tl_thread_group *out)
{
	size_t *of = n ? calloc(n, sizeof(*of)) : NULL;
	size_t ng = of ? pattern_groups(thread_name, (const void *const *)threads, n, of) : 0;

	memset(out, 0, ng * sizeof(*out));
	for (size_t i = 0; ng && i < n; i++) {
		struct tl_thread_group *g = &out[of[i]];

		if (!g->n) {
			tl_name_pattern(tl_thread_name(threads[i]), g->pattern);
			g->first = i;
		}
		join(g, threads[i]);
	}
	free(of);
	return ng;
}

static const char *proc_label(const void *p)
{
	return tl_proc_label(p);
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
	size_t *of = group_of ? group_of : n ? calloc(n, sizeof(*of)) : NULL;
	size_t ng = of ? pattern_groups(proc_label, (const void *const *)procs, n, of) : 0;

	memset(out, 0, ng * sizeof(*out));
	for (size_t i = 0; ng && i < n; i++) {
		struct tl_proc_group *g = &out[of[i]];

		if (!g->n) {
			tl_name_pattern(tl_proc_label(procs[i]), g->pattern);
			g->first = i;
		}
		join_proc(g, procs[i]);
	}
	if (of != group_of)
		free(of);
	return ng;
}
