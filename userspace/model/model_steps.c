/* model_steps.c - how parallelism series are stored: 8 bytes a step
 * instead of the 16 of struct tl_step, which is what readers get back
 * (tl_series_step). A busy recording has about one step per record in its
 * processes' series and as many again in their trees'.
 *
 * Steps come in groups of 64: a group keeps the time of its first step,
 * each step its time after that (32 bits) and its three counts (10, 11
 * and 11 bits). A step that does not fit (4.3 s after its group's first,
 * or counts beyond those) is kept whole in a side array, and its entry
 * says where.
 */
#include <stdlib.h>
#include "model_impl.h"

#define SV_GROUP 64
#define SV_ESC UINT32_MAX

struct stc {
	uint32_t off;     /* ts - the group's first ts; SV_ESC: escaped */
	uint32_t n;       /* running | runnable << 10 | unknown << 21;
			   * escaped: index in x */
};
_Static_assert(sizeof(struct stc) == 8, "a stored step is 8 bytes");

/* The time of group g's first step: the first group's is kept in the
 * series itself (most series are short), the others' in base. */
static uint64_t base_of(const struct tl_stepvec *sv, size_t g)
{
	return g ? ((const uint64_t *)sv->base.p)[g - 1] : sv->base0;
}

struct tl_step tl_sv_get(const struct tl_stepvec *sv, size_t i)
{
	const struct stc *c = &((const struct stc *)sv->e.p)[i];

	if (c->off == SV_ESC)
		return ((const struct tl_step *)sv->x.p)[c->n];
	return (struct tl_step){ .ts = base_of(sv, i / SV_GROUP) + c->off,
				 .running = c->n & 0x3ff,
				 .runnable = (c->n >> 10) & 0x7ff,
				 .unknown = c->n >> 21 };
}

int tl_sv_push(struct tl_model *m, struct tl_stepvec *sv, const struct tl_step *s)
{
	size_t n = sv->e.n;

	if (n == 0) {
		sv->base0 = s->ts;
	} else if (n % SV_GROUP == 0) {
		uint64_t *b = model_push_uninit(m, &sv->base, sizeof(*b));
		if (!b)
			return -1;
		*b = s->ts;
	}
	/* grown by a quarter: series are many and most stop short */
	if (n == sv->e.cap && tl_vec_reserve_lean(&sv->e, sizeof(struct stc), n + 1)) {
		if (n && n % SV_GROUP == 0)
			sv->base.n--;
		m->oom = true;
		return -1;
	}
	struct stc *c = &((struct stc *)sv->e.p)[sv->e.n++];
	sv->tail[0] = sv->tail[1];
	sv->tail[1] = *s;
	uint64_t base = base_of(sv, n / SV_GROUP);
	if (s->ts >= base && s->ts - base < SV_ESC && s->running < 1024 &&
	    s->runnable < 2048 && s->unknown < 2048) {
		*c = (struct stc){ (uint32_t)(s->ts - base),
				   s->running | (uint32_t)s->runnable << 10 |
				   (uint32_t)s->unknown << 21 };
		return 0;
	}
	struct tl_step *x = model_push_uninit(m, &sv->x, sizeof(*x));
	if (!x)
		return -1;
	*x = *s;
	*c = (struct stc){ SV_ESC, (uint32_t)(sv->x.n - 1) };
	return 0;
}

void tl_sv_pop(struct tl_stepvec *sv)
{
	const struct stc *c = &((const struct stc *)sv->e.p)[sv->e.n - 1];

	if (c->off == SV_ESC && c->n + 1 == sv->x.n)
		sv->x.n--;
	if (--sv->e.n % SV_GROUP == 0 && sv->e.n)
		sv->base.n--;
	sv->tail[1] = sv->tail[0];
	if (sv->e.n >= 2)
		sv->tail[0] = tl_sv_get(sv, sv->e.n - 2);
}

int tl_sv_set_last(struct tl_model *m, struct tl_stepvec *sv, const struct tl_step *s)
{
	struct stc *c = &((struct stc *)sv->e.p)[sv->e.n - 1];

	if (c->off != SV_ESC && s->running < 1024 && s->runnable < 2048 &&
	    s->unknown < 2048) {
		c->n = s->running | (uint32_t)s->runnable << 10 | (uint32_t)s->unknown << 21;
		sv->tail[1] = *s;
		return 0;
	}
	tl_sv_pop(sv);
	return tl_sv_push(m, sv, s);
}

void tl_sv_clear(struct tl_stepvec *sv)
{
	sv->e.n = sv->base.n = sv->x.n = 0;
}

static unsigned level(unsigned v)
{
	return v < TL_SERIES_LEVELS - 1 ? v : TL_SERIES_LEVELS - 1;
}

void tl_series_sum_add(struct tl_series_sum *o, const struct tl_step *s, uint64_t d)
{
	unsigned conc = s->running + s->runnable;

	o->par_ns[level(s->running)] += d;
	o->conc_ns[level(conc)] += d;
	if (s->unknown)
		o->unknown_ns += d;
	else
		o->known_ns += d;
	if (d && s->running > o->max_par)
		o->max_par = s->running;
	if (d && conc > o->max_conc)
		o->max_conc = conc;
	o->par_sum += (double)s->running * (double)d;
	o->conc_sum += (double)conc * (double)d;
}

int tl_sv_fold(struct tl_model *m, struct tl_stepvec *sv, size_t keep, uint64_t end)
{
	size_t n = sv->e.n;
	struct tl_step kept[2];

	if (n <= keep || keep > 2)
		return 0;
	if (!sv->sum) {
		sv->sum = calloc(1, sizeof(*sv->sum));
		if (!sv->sum) {
			m->oom = true;
			return -1;
		}
		sv->sum->start = tl_sv_get(sv, 0).ts;
	}
	struct tl_step cur = tl_sv_get(sv, 0);
	for (size_t i = 0; i + keep < n; i++) {
		struct tl_step next = i + 1 < n ? tl_sv_get(sv, i + 1) : cur;
		uint64_t b = i + 1 < n ? next.ts : end;
		if (b > cur.ts)
			tl_series_sum_add(sv->sum, &cur, b - cur.ts);
		cur = next;
	}
	for (size_t k = 0; k < keep; k++)
		kept[k] = tl_sv_get(sv, n - keep + k);
	tl_sv_clear(sv);
	if (sv->e.cap > TL_SV_FOLD_ROOM) {   /* the room of what was dropped */
		tl_vec_free(&sv->e);
		tl_vec_free(&sv->base);
		tl_vec_free(&sv->x);
	}
	for (size_t k = 0; k < keep; k++)
		if (tl_sv_push(m, sv, &kept[k]))
			return -1;
	return 0;
}

void tl_sv_trim(struct tl_stepvec *sv)
{
	tl_vec_shrink(&sv->e, sizeof(struct stc));
	tl_vec_shrink(&sv->base, sizeof(uint64_t));
	tl_vec_shrink(&sv->x, sizeof(struct tl_step));
}

void tl_sv_free(struct tl_stepvec *sv)
{
	free(sv->sum);
	tl_vec_free(&sv->e);
	tl_vec_free(&sv->base);
	tl_vec_free(&sv->x);
}

struct tl_step tl_series_step(const struct tl_series *s, size_t i)
{
	return tl_sv_get(s->sv, i);
}
