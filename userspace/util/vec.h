/* vec.h - the one growable array of the project. Untyped: every call
 * names the element size, and the owner casts p to its element type.
 * Growth doubles, so a push is amortised O(1); the check for room is
 * inline so hot loops pay one compare. Failure to grow is returned to the
 * caller (NULL or -ENOMEM) and leaves the array as it was.
 */
#ifndef TL_UTIL_VEC_H
#define TL_UTIL_VEC_H

#include <stddef.h>
#include <string.h>

struct tl_vec {
	void *p;          /* n elements in use of cap allocated */
	size_t n, cap;
};

/* Room for at least want elements: 0, or -ENOMEM (the array unchanged). */
int tl_vec_reserve(struct tl_vec *v, size_t elsz, size_t want);
/* The same, growing by a quarter instead of doubling: for the arrays that
 * are most of a program's memory, where unused room counts. */
int tl_vec_reserve_lean(struct tl_vec *v, size_t elsz, size_t want);
/* Makes the array at least n long, the new elements zeroed, for arrays
 * indexed by an id: 0, or -ENOMEM (the array unchanged). */
int tl_vec_extend(struct tl_vec *v, size_t elsz, size_t n);
/* Gives back the room beyond the n elements in use, for an array that
 * stopped growing (an empty one is freed); when the allocator cannot, the
 * array stays as it was. */
void tl_vec_shrink(struct tl_vec *v, size_t elsz);
void tl_vec_free(struct tl_vec *v);

/* Appends an element for the caller to fill whole; NULL when out of memory. */
static inline void *tl_vec_push_uninit(struct tl_vec *v, size_t elsz)
{
	if (__builtin_expect(v->n == v->cap, 0) && tl_vec_reserve(v, elsz, v->n + 1))
		return NULL;
	return (char *)v->p + v->n++ * elsz;
}

/* Appends a zeroed element; NULL when out of memory. */
static inline void *tl_vec_push(struct tl_vec *v, size_t elsz)
{
	void *e = tl_vec_push_uninit(v, elsz);

	if (e)
		memset(e, 0, elsz);
	return e;
}

/* Element i as a typed lvalue. */
#define TL_VEC_AT(v, type, i) (((type *)(v)->p)[i])

#endif
