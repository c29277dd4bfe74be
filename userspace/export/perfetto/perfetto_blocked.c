/* perfetto_blocked.c - why a thread blocked, for Perfetto's thread_state.
 *
 * Perfetto's importer fills thread_state.blocked_function and io_wait of a
 * thread's latest blocked row from a sched_blocked_reason ftrace event,
 * whose `caller` is an iid into the sequence's interned kernel_symbols. A
 * kernel recorder writes the kernel function the task sleeps in; we write
 * what threadline knows at the switch-out: the syscall it blocked in
 * (futex, read, accept4, ...), and io_wait for an uninterruptible wait on a
 * file or block device. As the kernel's own event, it is written when the
 * wait ends, at the waking (any time before the thread blocks again marks
 * the same row), and only for waits of at least TL_PF_BLOCKED_MIN_NS: an
 * event costs ~22 bytes, three times a compact switch, and the short waits
 * of a busy program would triple the scheduling part of a trace. Events
 * are written with their CPU's compact batch; the names are interned on the
 * ftrace sequence the first time a bundle uses them. */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hmap.h"
#include "util/vec.h"

#define MAX_NAMES 512    /* distinct names (syscalls): beyond, none is written */

struct reason {
	uint64_t ts;
	uint32_t pid, iid;
	bool io_wait;
};

struct pending_cpu {
	struct tl_vec r;     /* struct reason */
};

/* A thread blocked since ts. A slot not in use (its thread not blocked)
 * keeps in iid the index + 1 of the next such slot, 0 for none. */
struct blocked_at {
	uint64_t ts;
	uint32_t iid;
	bool io_wait;
};

struct tl_pf_blocked {
	const char *names[MAX_NAMES];   /* iid - 1 -> name (static strings) */
	uint32_t nnames, nwritten;      /* interned so far / written so far */
	struct pending_cpu cpus[TL_MAX_CPUS];
	/* the threads blocked now: a busy recording has tens of thousands of
	 * threads, but few of them blocked at a time, and a thread not in the
	 * table is one not blocked */
	struct tl_vec at;               /* struct blocked_at */
	struct tl_hmap at_idx;          /* TID -> index in at */
	uint32_t free1;                 /* index + 1 of a slot not in use, 0 none */
};

struct tl_pf_blocked *tl_pf_blocked_new(void)
{
	return calloc(1, sizeof(struct tl_pf_blocked));
}

void tl_pf_blocked_free(struct tl_pf_blocked *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < TL_MAX_CPUS; i++)
		tl_vec_free(&b->cpus[i].r);
	tl_vec_free(&b->at);
	tl_hmap_free(&b->at_idx);
	free(b);
}

static uint32_t iid_of(struct tl_pf_blocked *b, const char *name)
{
	for (uint32_t i = 0; i < b->nnames; i++)
		if (b->names[i] == name || !strcmp(b->names[i], name))
			return i + 1;
	if (b->nnames == MAX_NAMES)
		return 0;
	b->names[b->nnames++] = name;
	return b->nnames;
}

static int queue(struct tl_pf_blocked *b, uint16_t cpu, uint64_t ts,
		 uint32_t pid, uint32_t iid, bool io_wait)
{
	struct pending_cpu *p = &b->cpus[cpu];
	struct reason *r = tl_vec_push_uninit(&p->r, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = (struct reason){ ts, pid, iid, io_wait };
	return 0;
}

/* A slot for a thread not in the table yet: 0 or -ENOMEM. */
static int at_new(struct tl_pf_blocked *b, uint32_t tid, struct blocked_at **a)
{
	size_t i = b->free1 ? b->free1 - 1 : b->at.n;

	if (tl_hmap_put(&b->at_idx, tid, i))
		return -ENOMEM;
	if (b->free1) {
		*a = &TL_VEC_AT(&b->at, struct blocked_at, i);
		b->free1 = (*a)->iid;
		return 0;
	}
	*a = tl_vec_push(&b->at, sizeof(**a));
	if (!*a) {
		tl_hmap_del(&b->at_idx, tid);
		return -ENOMEM;
	}
	return 0;
}

/* tid is no longer blocked: its slot is free for another. */
static void at_drop(struct tl_pf_blocked *b, uint32_t tid, size_t i)
{
	TL_VEC_AT(&b->at, struct blocked_at, i).iid = b->free1;
	b->free1 = (uint32_t)i + 1;
	tl_hmap_del(&b->at_idx, tid);
}

int tl_pf_blocked_block(struct tl_pf_blocked *b, uint32_t tid, uint64_t ts,
			const char *name, bool io_wait)
{
	const uint64_t *i;
	struct blocked_at *a;
	uint32_t iid;

	if (!name || !(iid = iid_of(b, name)))
		return 0;
	i = tl_hmap_find(&b->at_idx, tid);
	if (i)
		a = &TL_VEC_AT(&b->at, struct blocked_at, *i);
	else if (at_new(b, tid, &a))
		return -ENOMEM;
	*a = (struct blocked_at){ ts ? ts : 1, iid, io_wait };
	return 0;
}

int tl_pf_blocked_wake(struct tl_pf_blocked *b, uint16_t cpu, uint32_t tid,
		       uint64_t ts)
{
	const uint64_t *i = tl_hmap_find(&b->at_idx, tid);
	struct blocked_at a;
	size_t at;

	if (!i || cpu >= TL_MAX_CPUS)
		return 0;
	at = (size_t)*i;
	a = TL_VEC_AT(&b->at, struct blocked_at, at);
	if (ts >= a.ts + TL_PF_BLOCKED_MIN_NS && queue(b, cpu, ts, tid, a.iid, a.io_wait))
		return -ENOMEM;
	at_drop(b, tid, at);
	return 0;
}

void tl_pf_blocked_forget(struct tl_pf_blocked *b, uint32_t tid)
{
	const uint64_t *i = tl_hmap_find(&b->at_idx, tid);

	if (i)
		at_drop(b, tid, (size_t)*i);
}

bool tl_pf_blocked_pending(const struct tl_pf_blocked *b, uint16_t cpu)
{
	return b && cpu < TL_MAX_CPUS && b->cpus[cpu].r.n;
}

bool tl_pf_blocked_interned(struct tl_pf_blocked *b, struct pb_writer *w)
{
	if (b->nwritten == b->nnames)
		return false;
	tl_pb_begin(w, PF_TP_INTERNED_DATA);
	for (; b->nwritten < b->nnames; b->nwritten++) {
		tl_pb_begin(w, PF_ID_KERNEL_SYMBOLS);
		pb_varint(w, PF_IID, b->nwritten + 1);
		tl_pb_string(w, PF_INAME, b->names[b->nwritten]);
		tl_pb_end(w);
	}
	tl_pb_end(w);
	return true;
}

void tl_pf_blocked_events(struct tl_pf_blocked *b, struct pb_writer *w,
			  uint16_t cpu)
{
	struct pending_cpu *p = &b->cpus[cpu];

	for (size_t i = 0; i < p->r.n; i++) {
		const struct reason *r = &TL_VEC_AT(&p->r, struct reason, i);

		tl_pb_begin(w, PF_FB_EVENT);
		pb_varint(w, PF_FE_TS, r->ts);
		pb_varint(w, PF_FE_PID, r->pid);
		tl_pb_begin(w, PF_FE_BLOCKED_REASON);
		pb_int32(w, PF_BR_PID, (int32_t)r->pid);
		pb_varint(w, PF_BR_CALLER, r->iid);
		if (r->io_wait)
			pb_varint(w, PF_BR_IO_WAIT, 1);
		tl_pb_end(w);
		tl_pb_end(w);
	}
	p->r.n = 0;
}
