/* perfetto_slices.c - a thread's blocking slices, made one at a time from
 * its intervals: what the thread writer draws (perfetto_track.c) and what
 * the flows are found between (perfetto_flows.c), each making them again
 * as it walks rather than keeping them.
 *
 * A slice spans the syscall when its enter/exit were recorded (the futex,
 * socket and multiplexing groups), else the blocked interval itself; later
 * intervals of one syscall add to its slice.
 */
#include "perfetto_impl.h"

#include "model/model.h"

static bool is_blocked(const struct tl_interval *iv)
{
	return iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;
}

/* The recorded syscall of t that contains iv, moving *k forward. */
static const struct tl_syscall *syscall_of(const struct tl_thread *t, size_t *k,
					   const struct tl_interval *iv)
{
	while (*k < t->nsys && t->sys[*k].end < iv->start &&
	       !(t->sys[*k].flags & TL_SC_NO_EXIT))
		(*k)++;
	if (*k < t->nsys && t->sys[*k].start <= iv->start &&
	    (t->sys[*k].end >= iv->end || t->sys[*k].flags & TL_SC_NO_EXIT) &&
	    !(t->sys[*k].flags & TL_SC_NO_ENTER))
		return &t->sys[*k];
	return NULL;
}

uint64_t tl_pf_slice_begin(uint64_t start, uint64_t end, uint64_t last)
{
	uint64_t begin = start > last ? start : last + 1;

	return begin < end ? begin : 0;
}

void tl_pf_slices_begin(struct tl_pf_slice_it *it, const struct tl_thread *t,
			bool stacks)
{
	*it = (struct tl_pf_slice_it){ .t = t, .stacks = stacks, .sorted = true };
}

/* A new slice of blocked interval iv (in syscall sc, or none). */
static struct tl_pf_bslice make(const struct tl_pf_slice_it *it,
				const struct tl_interval *iv,
				const struct tl_syscall *sc, uint32_t sci)
{
	struct tl_pf_bslice b = {
		.sc = sci | (iv->state == TL_ST_UNINT ? PF_BS_UNINT : 0),
		.blk = iv->block->id, .blocked_ns = iv->end - iv->start,
		.waker = iv->waker,
		.stack = it->stacks ? tl_thread_iv_stack(it->t, iv) : 0 };

	b.start = sc ? sc->start : iv->start;
	b.end = sc && !(sc->flags & TL_SC_NO_EXIT) ? sc->end : iv->end;
	if (b.end < iv->end)
		b.end = iv->end;
	return b;
}

/* Takes the slice begun by b: its predecessor (if any) is complete. */
static bool hand_over(struct tl_pf_slice_it *it, struct tl_pf_bslice *b,
		      struct tl_pf_bslice *out)
{
	bool had = it->have;

	if (had && b->end < it->last.end)
		it->sorted = false;
	if (tl_pf_slice_begin(b->start, b->end, it->wend)) {
		b->sc |= PF_BS_WRITTEN;
		it->wend = b->end;
	}
	*out = it->last;
	it->last = *b;
	it->have = true;
	return had;
}

bool tl_pf_slices_next(struct tl_pf_slice_it *it, struct tl_pf_bslice *out)
{
	const struct tl_thread *t = it->t;

	while (it->i < t->niv) {
		struct tl_interval iv = tl_thread_iv(t, it->i++);
		const struct tl_syscall *sc;

		if (!is_blocked(&iv))
			continue;
		sc = syscall_of(t, &it->k, &iv);
		if (!sc && iv.block->sys_nr < 0)
			continue; /* not in a syscall: the state track shows it */
		uint32_t sci = sc ? (uint32_t)(sc - t->sys) + 1 : 0;
		if (sc && it->have && (it->last.sc & PF_BS_SC) == sci) {
			it->last.blocked_ns += iv.end - iv.start;
			it->last.waker = iv.waker;
			continue;
		}
		struct tl_pf_bslice b = make(it, &iv, sc, sci);
		if (hand_over(it, &b, out))
			return true;
	}
	if (!it->have)
		return false;
	*out = it->last;
	it->have = false;
	return true;
}
