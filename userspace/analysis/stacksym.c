/* stacksym.c - off-CPU stacks named (stacksym.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stacksym.h"
#include "symbolize_impl.h"

struct tl_stacksym {
	const struct tl_model *m;
	struct tl_symbolizer *sym;     /* h4's: the maps, as libdwfl sessions */
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
	s->sym = tl_symbolizer_new(m);
	if (!s->named || !s->sym) {
		tl_symbolizer_free(s->sym);
		free(s->named);
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
	tl_symbolizer_free(s->sym);
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

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* A user frame from the process's memory maps recorded at that time and
 * the files they name. Without them (no TL_PROC_MAPS, a binary rebuilt
 * since) the address is all there is. */
static void name_user(struct tl_stacksym *s, const struct tl_stack_def *d,
		      size_t i, struct tl_frame *f)
{
	const struct tl_process *p = tl_model_find_proc(s->m, d->pid, d->ts);
	/* a return address may be one past its call, the last byte of the
	 * function (a call to a noreturn function): look just before it */
	uint64_t a = f->addr - (i > 0);
	const char *path = NULL, *nm, *src;
	Dwfl_Module *mod = p ? tl_sym_module(s->sym, p, d->ts, a, &path) : NULL;
	Dwfl_Line *line;
	GElf_Off off;
	GElf_Sym sym;
	int ln = 0;

	if (!mod)
		return;
	snprintf(f->module, sizeof(f->module), "%s", base_name(path));
	nm = dwfl_module_addrinfo(mod, a, &off, &sym, NULL, NULL, NULL);
	if (nm) {
		/* "pthread_mutex_lock@@GLIBC_2.2.5": the version says nothing here */
		snprintf(f->func, sizeof(f->func), "%.*s", (int)strcspn(nm, "@"), nm);
		f->named = true;
	}
	line = dwfl_module_getsrc(mod, a);
	src = line ? dwfl_lineinfo(line, NULL, &ln, NULL, NULL, NULL) : NULL;
	if (src) {
		snprintf(f->file, sizeof(f->file), "%s", base_name(src));
		f->line = ln;
	}
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

struct tl_symbolizer *tl_stacksym_symbolizer(struct tl_stacksym *s)
{
	return s->sym;
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
