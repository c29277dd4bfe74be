/* stacksym.c - off-CPU stacks named (stacksym.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stacksym.h"

struct tl_stacksym {
	const struct tl_model *m;
	struct tl_named_stack **named; /* by id - 1, made when first asked */
	size_t n;
};

struct tl_stacksym *tl_stacksym_new(const struct tl_model *m)
{
	struct tl_stacksym *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->m = m;
	s->n = tl_model_nstacks(m);
	s->named = calloc(s->n ? s->n : 1, sizeof(*s->named));
	if (!s->named) {
		free(s);
		return NULL;
	}
	return s;
}

void tl_stacksym_free(struct tl_stacksym *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (s->named[i]) {
			free((struct tl_frame *)s->named[i]->f);
			free(s->named[i]);
		}
	free(s->named);
	free(s);
}

static void name_kernel(const struct tl_stacksym *s, uint64_t a, struct tl_frame *f)
{
	uint64_t off;
	const char *nm = tl_model_ksym(s->m, a, &off);

	if (nm) {
		snprintf(f->func, sizeof(f->func), "%s", nm);
		f->named = true;
	}
}

/* A user frame from the process's recorded memory maps. Without them
 * (a recording without TL_PROC_MAPS) the address is all there is. */
static void name_user(struct tl_stacksym *s, const struct tl_stack_def *d,
		      size_t i, struct tl_frame *f)
{
	(void)s; (void)d; (void)i; (void)f;
}

static struct tl_named_stack *name_stack(struct tl_stacksym *s,
					 const struct tl_stack_def *d)
{
	size_t n = (size_t)d->nkern + d->nuser;
	struct tl_named_stack *ns = calloc(1, sizeof(*ns));
	struct tl_frame *f = calloc(n ? n : 1, sizeof(*f));

	if (!ns || !f) {
		free(ns);
		free(f);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		f[i].addr = d->ips[i];
		f[i].kernel = i < d->nkern;
		snprintf(f[i].func, sizeof(f[i].func), "0x%" PRIx64, d->ips[i]);
		if (f[i].kernel)
			name_kernel(s, d->ips[i], &f[i]);
		else
			name_user(s, d, i - d->nkern, &f[i]);
	}
	*ns = (struct tl_named_stack){ .id = d->id, .nkern = d->nkern,
				       .nuser = d->nuser, .f = f,
				       .user_cut = d->flags & TL_STACK_F_USER_CUT };
	return ns;
}

const struct tl_named_stack *tl_stacksym_get(struct tl_stacksym *s, uint32_t id)
{
	const struct tl_stack_def *d = tl_model_stack(s->m, id);

	if (!d || id > s->n)
		return NULL;
	if (!s->named[id - 1])
		s->named[id - 1] = name_stack(s, d);
	return s->named[id - 1];
}

bool tl_frame_is_plumbing(const struct tl_frame *f)
{
	static const char *const names[] = {
		"__schedule", "schedule", "do_syscall_64",
		"entry_SYSCALL_64_after_hwframe", "entry_SYSCALL_64",
		"schedule_hrtimeout_range_clock", "schedule_hrtimeout_range",
	};

	if (!f->kernel)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(f->func, names[i]))
			return true;
	return false;
}
