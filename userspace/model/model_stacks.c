/* model_stacks.c - off-CPU stacks (record -g): the interned stacks of the
 * recording by id (TL_STACK), which stack each thread blocked with and when
 * (TL_STACK, TL_STACK_REF), and the kernel symbols they need (TL_KSYM). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

/* A stack taken this soon after its switch-out belongs to that block even
 * when a wakeup from another CPU came in between (the stack program runs
 * right after the switch program, on the same CPU). */
#define STACK_SLACK_NS 20000

struct ksym_ent {
	uint64_t addr;
	char *name;
};

static int define_stack(struct tl_model *m, const struct tl_stack *s)
{
	size_t n = (size_t)s->nkern + s->nuser;
	struct tl_stack_def *d;
	uint64_t *ips;

	/* ids are given in order from 1: one out of order is a damaged file,
	 * and must not make the table grow to it */
	if (s->h.size < sizeof(*s) + 8 * n || s->id > m->stacks.n + 1) {
		m->st.malformed++;
		return -EINVAL;
	}
	while (m->stacks.n < s->id)
		if (!model_push(m, &m->stacks, sizeof(*d)))
			return -ENOMEM;
	d = (struct tl_stack_def *)m->stacks.p + (s->id - 1);
	if (d->id)
		return 0; /* defined once; a second definition changes nothing */
	ips = malloc(n ? n * sizeof(*ips) : 1);
	if (!ips) {
		m->oom = true;
		return -ENOMEM;
	}
	memcpy(ips, s + 1, n * sizeof(*ips));
	*d = (struct tl_stack_def){ .id = s->id, .pid = s->h.tgid, .ts = s->h.ts,
				    .nkern = s->nkern, .nuser = s->nuser,
				    .flags = s->flags, .ips = ips };
	return 0;
}

int tl_model_on_stack(struct tl_model *m, const struct tl_hdr *h)
{
	uint32_t id = h->type == TL_STACK ? ((const struct tl_stack *)h)->id
					  : ((const struct tl_stack_ref *)h)->id;
	struct tl_offcpu *o;
	struct thr *t;
	int e;

	if (!id)
		return 0;
	if (h->type == TL_STACK && (e = define_stack(m, (const void *)h)))
		return e;
	t = tl_thr_find_current(m, h->tid);
	if (!t)
		return 0;
	/* a thread blocks in its exit too, after it ended */
	if (t->lv) {
		o = model_push(m, &t->lv->offcpu, sizeof(*o));
	} else {
		size_t n = t->pub.noffcpu;

		o = model_pub_push(m, (const void **)&t->pub.offcpu, &n, sizeof(*o));
		t->pub.noffcpu = (uint32_t)n;
	}
	if (!o)
		return -ENOMEM;
	*o = (struct tl_offcpu){ .ts = h->ts, .stack = id };
	return 0;
}

int tl_model_on_ksym(struct tl_model *m, const struct tl_ksym *k)
{
	size_t len = k->h.size - sizeof(*k);
	struct ksym_ent *e = model_push(m, &m->ksyms, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->addr = k->addr;
	e->name = strndup((const char *)(k + 1), len);
	if (!e->name) {
		m->oom = true;
		return -ENOMEM;
	}
	return 0;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym_ent *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

void tl_model_stacks_finish(struct tl_model *m)
{
	if (m->ksyms.n)
		qsort(m->ksyms.p, m->ksyms.n, sizeof(struct ksym_ent), ksym_cmp);
}

void tl_model_stacks_free(struct tl_model *m)
{
	struct tl_stack_def *d = m->stacks.p;
	struct ksym_ent *k = m->ksyms.p;

	for (size_t i = 0; i < m->stacks.n; i++)
		free((uint64_t *)d[i].ips);
	for (size_t i = 0; i < m->ksyms.n; i++)
		free(k[i].name);
	tl_vec_free(&m->stacks);
	tl_vec_free(&m->ksyms);
}

/* ---- queries ---- */

uint32_t tl_thread_iv_stack(const struct tl_thread *t, const struct tl_interval *iv)
{
	size_t lo = 0, hi = t->noffcpu;

	if (iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT)
		return 0;
	while (lo < hi) { /* first taken at or after the block began */
		size_t mid = lo + (hi - lo) / 2;

		if (t->offcpu[mid].ts < iv->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->noffcpu)
		return 0;
	if (t->offcpu[lo].ts < iv->end || t->offcpu[lo].ts - iv->start < STACK_SLACK_NS)
		return t->offcpu[lo].stack;
	return 0;
}

const struct tl_stack_def *tl_model_stack(const struct tl_model *m, uint32_t id)
{
	const struct tl_stack_def *d;

	if (!id || id > m->stacks.n)
		return NULL;
	d = (const struct tl_stack_def *)m->stacks.p + (id - 1);
	return d->id ? d : NULL;
}

size_t tl_model_nstacks(const struct tl_model *m)
{
	return m->stacks.n;
}

const char *tl_model_ksym(const struct tl_model *m, uint64_t addr, uint64_t *off)
{
	const struct ksym_ent *k = m->ksyms.p;
	size_t lo = 0, hi = m->ksyms.n;

	while (lo < hi) { /* first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (k[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	*off = addr - k[lo - 1].addr;
	return k[lo - 1].name;
}
