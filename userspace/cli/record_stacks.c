/* record_stacks.c - `record -g` (record_stacks.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include "record_stacks.h"

struct tl_rec_stacks {
	struct tl_rec_stacks_io io;
	struct tl_stacks *st;
	uint32_t child;          /* the launched command, 0 none */
	uint64_t release_ns;
	bool child_execd;
};

struct tl_rec_stacks *tl_rec_stacks_new(const struct tl_rec_stacks_io *io)
{
	struct tl_rec_stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->io = *io;
	s->st = tl_stacks_new();
	if (!s->st) {
		free(s);
		return NULL;
	}
	return s;
}

void tl_rec_stacks_free(struct tl_rec_stacks *s)
{
	if (!s)
		return;
	tl_stacks_free(s->st);
	free(s);
}

void tl_rec_stacks_launched(struct tl_rec_stacks *s, pid_t pid, uint64_t release_ns)
{
	s->child = (uint32_t)pid;
	s->release_ns = release_ns;
}

/* A stack is named later from the maps: read them again when one of its
 * user frames lies outside what was read of them so far. Now, while the
 * stack is fresh: 100 ms later its process may be gone. */
static void maps_for_stack(struct tl_rec_stacks *s, const struct tl_stack *u)
{
	const uint64_t *ips = (const uint64_t *)(u + 1);

	for (unsigned i = 0; s->io.maps && i < u->nuser; i++)
		if (tl_maps_need(s->io.maps, u->h.tgid, ips[u->nkern + i], u->h.ts)) {
			tl_maps_capture(s->io.maps, (pid_t)u->h.tgid, u->h.ts, u->h.cpu,
					s->io.inject, s->io.ctx);
			return;
		}
}

/* As a raw stack is drained: unwound at once (the process is alive), so
 * only its frames go through the reorder window. */
const struct tl_hdr *tl_rec_stacks_drained(void *ctx, const struct tl_hdr *h)
{
	struct tl_rec_stacks *s = ctx;
	const struct tl_stack *u;

	/* the launched command held before its exec runs threadline's code */
	if (s->child && h->tgid == s->child && h->ts < s->release_ns)
		return NULL;
	u = tl_stacks_unwind(s->st, (const struct tl_stack_raw *)h);
	/* a repeat's frames were checked against the maps the first time */
	if (u && !(((const struct tl_stack_raw *)h)->flags & TL_RAW_F_AGAIN))
		maps_for_stack(s, u);
	return u ? &u->h : NULL;
}

/* The start-of-trace stack snapshot: unwound (and its maps read) now,
 * like a drained stack. */
int tl_rec_stacks_snapshot(void *ctx, const struct tl_hdr *h)
{
	struct tl_rec_stacks *s = ctx;
	const struct tl_hdr *u = tl_rec_stacks_drained(s, h);

	return u ? s->io.inject(s->io.ctx, u) : 0;
}

/* New code (exec), a new process that may reuse a PID (fork), or a process
 * gone (what was kept to unwind it is freed). */
static void follow(struct tl_rec_stacks *s, const struct tl_hdr *h)
{
	const struct tl_fork *f = (const struct tl_fork *)h;
	const struct tl_exit *x = (const struct tl_exit *)h;

	if (h->type == TL_EXEC) {
		tl_stacks_forget(s->st, h->tgid);
		if (h->tgid == s->child)
			s->child_execd = true;
	} else if (h->type == TL_FORK && f->child_tgid != h->tgid) {
		tl_stacks_forget(s->st, f->child_tgid);
	} else if (h->type == TL_EXIT && x->group_dead) {
		tl_stacks_gone(s->st, h->tgid);
	}
}

int tl_rec_stacks_record(struct tl_rec_stacks *s, const struct tl_hdr *h)
{
	int e;

	if (h->type != TL_STACK_RAW && h->type != TL_STACK_UNWOUND) {
		follow(s, h);
		return 0;
	}
	/* the launched command waiting for its start is threadline's own code,
	 * and it has exec'd by now: nothing of it is left to unwind against */
	if (s->child && !s->child_execd && h->tgid == s->child)
		return 1;
	if (h->type == TL_STACK_RAW)
		e = tl_stacks_on_raw(s->st, (const struct tl_stack_raw *)h,
				     s->io.append, s->io.ctx);
	else
		e = tl_stacks_intern(s->st, (const struct tl_stack *)h,
				     s->io.append, s->io.ctx);
	return e ? e : 1;
}

void tl_rec_stacks_summary(const struct tl_rec_stacks *s, FILE *f, uint64_t lost)
{
	struct tl_stacks_stats ss;

	tl_stacks_stats(s->st, &ss);
	fprintf(f, "threadline: %" PRIu64 " stacks (%" PRIu64 " distinct, %" PRIu64
		" repeats sent without a copy, %" PRIu64
		" did not fit in the buffers, %" PRIu64 " user stacks cut short)\n",
		ss.raw, ss.stacks, ss.again, lost + ss.again_lost, ss.user_cut);
	if (!ss.ksyms)
		fprintf(f, "threadline: warning: kernel addresses are hidden "
			"(/proc/kallsyms): kernel frames stay unnamed\n");
}
