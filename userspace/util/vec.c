/* vec.c - growing the one growable array (vec.h). */
#include "vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VEC_MIN_CAP 8

static int grow_to(struct tl_vec *v, size_t elsz, size_t cap)
{
	void *p;

	if (elsz && cap > SIZE_MAX / elsz)
		return -ENOMEM;
	p = realloc(v->p, cap * elsz);
	if (!p)
		return -ENOMEM;
	v->p = p;
	v->cap = cap;
	return 0;
}

int tl_vec_reserve(struct tl_vec *v, size_t elsz, size_t want)
{
	size_t cap = v->cap ? v->cap : VEC_MIN_CAP;

	if (want <= v->cap)
		return 0;
	while (cap < want && cap <= SIZE_MAX / 2)
		cap *= 2;
	return grow_to(v, elsz, cap < want ? want : cap);
}

int tl_vec_reserve_lean(struct tl_vec *v, size_t elsz, size_t want)
{
	size_t cap = v->cap + v->cap / 4 + VEC_MIN_CAP;

	if (want <= v->cap)
		return 0;
	return grow_to(v, elsz, cap < want ? want : cap);
}

int tl_vec_extend(struct tl_vec *v, size_t elsz, size_t n)
{
	if (n <= v->n)
		return 0;
	if (tl_vec_reserve(v, elsz, n))
		return -ENOMEM;
	memset((char *)v->p + v->n * elsz, 0, (n - v->n) * elsz);
	v->n = n;
	return 0;
}

void tl_vec_shrink(struct tl_vec *v, size_t elsz)
{
	void *p;

	if (v->cap == v->n)
		return;
	if (!v->n) {
		tl_vec_free(v);
		return;
	}
	p = realloc(v->p, v->n * elsz);
	if (!p)
		return;
	v->p = p;
	v->cap = v->n;
}

void tl_vec_free(struct tl_vec *v)
{
	free(v->p);
	v->p = NULL;
	v->n = v->cap = 0;
}
