/* locksites.c - where locks were waited for and held (locksites.h). */
#include <errno.h>
#include <stdlib.h>
#include "locksites.h"
#include "waitfor.h"

static void add(struct tl_lock_site *s, size_t *n, uint64_t *other,
		uint32_t stack, uint64_t ns)
{
	size_t i;

	if (!stack || !ns) {
		*other += ns;
		return;
	}
	for (i = 0; i < *n && s[i].stack != stack; i++)
		;
	if (i == *n) {
		if (*n == TL_LOCK_SITES) {
			*other += ns;
			return;
		}
		s[(*n)++] = (struct tl_lock_site){ .stack = stack };
	}
	s[i].ns += ns;
}

static int longest_first(const void *a, const void *b)
{
	const struct tl_lock_site *x = a, *y = b;

	return x->ns > y->ns ? -1 : x->ns < y->ns;
}

static bool blocked(const struct tl_interval *iv)
{
	return iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;
}

/* What holder h did during [t0, t1): its blocked stretches by stack, its
 * Running and Runnable time. */
static void holder_during(const struct tl_thread *h, uint64_t t0, uint64_t t1,
			  struct tl_lock_sites *r)
{
	for (size_t i = tl_thread_iv_find(h, t0); i < h->niv; i++) {
		struct tl_interval iv = tl_thread_iv(h, i);
		uint64_t a = iv.start > t0 ? iv.start : t0;
		uint64_t b = iv.end < t1 ? iv.end : t1;

		if (iv.start >= t1)
			break;
		if (b <= a)
			continue;
		if (blocked(&iv))
			add(r->held, &r->nheld, &r->held_other_ns,
			    tl_thread_iv_stack(h, &iv), b - a);
		else if (iv.state == TL_ST_RUNNING || iv.state == TL_ST_RUNNABLE)
			r->held_cpu_ns += b - a;
		else
			r->held_other_ns += b - a;
	}
}

struct key {
	uint64_t addr;
	struct tl_lock_sites *row;
};

static int by_addr(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct tl_lock_sites *row_of(const struct key *keys, size_t n, uint64_t addr)
{
	struct key k = { .addr = addr }, *hit;

	hit = n ? bsearch(&k, keys, n, sizeof(k), by_addr) : NULL;
	return hit ? hit->row : NULL;
}

static void thread_sites(struct tl_symbolizer *sym, const struct tl_thread *t,
			 const struct key *keys, size_t n)
{
	const struct tl_model *m = tl_symbolizer_model(sym);

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);
		const struct tl_block *b = iv.block;
		const struct tl_obj_name *o;
		const struct tl_thread *h;
		struct tl_lock_sites *r;

		if (!blocked(&iv) || b->why != TL_WHY_FUTEX || !b->has_obj)
			continue;
		o = tl_sym_futex(sym, t->proc, iv.start, b);
		r = row_of(keys, n, o ? o->base : b->obj);
		if (!r)
			continue;
		add(r->wait, &r->nwait, &r->wait_other_ns, tl_thread_iv_stack(t, &iv),
		    iv.end - iv.start);
		h = tl_block_holder(m, t, &iv);
		if (h && h != t)
			holder_during(h, iv.start, iv.end, r);
	}
}

int tl_lock_sites(struct tl_symbolizer *sym, const struct tl_process *p,
		  struct tl_lock_sites *rows, size_t n)
{
	struct key *keys = malloc((n ? n : 1) * sizeof(*keys));

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t addr = rows[i].addr;

		rows[i] = (struct tl_lock_sites){ .addr = addr };
		keys[i] = (struct key){ .addr = addr, .row = &rows[i] };
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), by_addr);
	for (size_t k = 0; k < p->nthreads; k++)
		thread_sites(sym, p->threads[k], keys, n);
	free(keys);
	for (size_t i = 0; i < n; i++) {
		qsort(rows[i].wait, rows[i].nwait, sizeof(rows[i].wait[0]), longest_first);
		qsort(rows[i].held, rows[i].nheld, sizeof(rows[i].held[0]), longest_first);
	}
	return 0;
}
