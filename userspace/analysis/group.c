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

size_t tl_group_threads(const struct tl_thread *const *threads, size_t n,
			struct tl_thread_group *out)
{
	struct keyed *k = n ? calloc(n, sizeof(*k)) : NULL;
	size_t ng = 0;

	if (!k)
		return 0;
	for (size_t i = 0; i < n; i++) {
		tl_name_pattern(tl_thread_name(threads[i]), k[i].pattern);
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), by_pattern);
	for (size_t i = 0; i < n; i++) {
		if (!i || strcmp(k[i].pattern, k[i - 1].pattern)) {
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
