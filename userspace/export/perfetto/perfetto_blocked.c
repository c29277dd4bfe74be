/* perfetto_blocked.c - why a thread blocked, for Perfetto's thread_state.
 *
 * Perfetto's importer fills thread_state.blocked_function and io_wait of a
 * thread's latest blocked row from a sched_blocked_reason ftrace event,
 * whose `caller` is an iid into the sequence's interned kernel_symbols. A
 * kernel recorder writes the kernel function the task sleeps in; we write
 * what threadline knows at the switch-out: the syscall it blocked in
 * (futex, read, accept4, ...), and io_wait for an uninterruptible wait on a
 * file or block device. One event per blocking switch-out, 1 ns after it
 * (the importer queues a CPU's plain events apart from its compact
 * switches, so an event at the switch's own instant could come first),
 * written with the CPU's compact batch; the names are interned on the
 * ftrace sequence the first time a bundle uses them. */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
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

struct tl_pf_blocked {
	const char *names[MAX_NAMES];   /* iid - 1 -> name (static strings) */
	uint32_t nnames, nwritten;      /* interned so far / written so far */
	struct pending_cpu cpus[TL_MAX_CPUS];
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

int tl_pf_blocked_add(struct tl_pf_blocked *b, uint16_t cpu, uint64_t ts,
		      uint32_t pid, const char *name, bool io_wait)
{
	struct pending_cpu *p;
	struct reason *r;
	uint32_t iid;

	if (!b || cpu >= TL_MAX_CPUS || !name || !(iid = iid_of(b, name)))
		return 0;
	p = &b->cpus[cpu];
	r = tl_vec_push_uninit(&p->r, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct reason){ ts, pid, iid, io_wait };
	return 0;
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
		pb_varint(w, PF_BR_IO_WAIT, r->io_wait);
		tl_pb_end(w);
		tl_pb_end(w);
	}
	p->r.n = 0;
}
