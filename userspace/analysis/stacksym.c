/* stacksym.c - off-CPU stacks named (stacksym.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdw.h>
#include <dwarf.h>
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

#define MAX_INLINE 8 /* inlined calls shown per address, at most */

/* The name of a DWARF function (through its abstract origin). */
static const char *die_name(Dwarf_Die *d)
{
	Dwarf_Attribute a;

	return dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &a));
}

/* The call site of an inlined call: file and line in its caller. */
static void call_site(Dwarf_Die *cu, Dwarf_Die *inl, struct tl_frame *f)
{
	Dwarf_Attribute a;
	Dwarf_Files *files;
	Dwarf_Word line = 0, file = 0;
	const char *src;
	size_t n;

	f->file[0] = '\0';
	f->line = 0;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &line) == 0)
		f->line = (int)line;
	if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &file) == 0 &&
	    dwarf_getsrcfiles(cu, &files, &n) == 0 && file < n &&
	    (src = dwarf_filesrc(files, file, NULL, NULL)))
		snprintf(f->file, sizeof(f->file), "%s", base_name(src));
}

/* Adds, before frame *f (which keeps the function the address is in), one
 * frame per call inlined at a, innermost first: each gets the source
 * position, and passes its call site on to the frame after it. Returns how
 * many frames now stand for a (1 + inlined calls). */
static size_t expand_inlines(Dwfl_Module *mod, uint64_t a, struct tl_frame *f)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, a, &bias), *sc = NULL;
	int n = cu ? dwarf_getscopes(cu, a - bias, &sc) : 0;
	size_t k = 0;
	struct tl_frame outer = *f;

	for (int i = 0; i < n && k < MAX_INLINE; i++) {
		const char *nm;

		if (dwarf_tag(&sc[i]) != DW_TAG_inlined_subroutine)
			continue;
		nm = die_name(&sc[i]);
		f[k] = outer;
		snprintf(f[k].func, sizeof(f[k].func), "%s", nm ? nm : "?");
		f[k].inlined = true;
		call_site(cu, &sc[i], &outer); /* where the caller called it */
		k++;
	}
	free(sc);
	f[k] = outer;
	return k + 1;
}

/* The frames of user address number i of d, from the process's memory maps
 * recorded at that time and the files they name: the function, and before
 * it any calls inlined into it at that point. Without maps (no
 * TL_PROC_MAPS, a binary rebuilt since) the address is all there is.
 * Returns how many frames it filled from f on. */
static size_t name_user(struct tl_stacksym *s, const struct tl_stack_def *d,
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
		return 1;
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
	return expand_inlines(mod, a, f);
}

static struct tl_named_stack *name_stack(struct tl_stacksym *s,
					 const struct tl_stack_def *d)
{
	size_t cap = (size_t)d->nkern + (size_t)d->nuser * (MAX_INLINE + 1), k;
	struct tl_named_stack *ns = calloc(1, sizeof(*ns));
	struct tl_frame *f = calloc(cap ? cap : 1, sizeof(*f));

	if (!ns || !f) {
		free(ns);
		free(f);
		return NULL;
	}
	k = 0;
	for (size_t i = 0; i < (size_t)d->nkern + d->nuser; i++) {
		f[k].addr = d->ips[i];
		f[k].kernel = i < d->nkern;
		snprintf(f[k].func, sizeof(f[k].func), "0x%" PRIx64, d->ips[i]);
		if (f[k].kernel) {
			name_kernel(s, d->ips[i], &f[k]);
			k++;
		} else {
			k += name_user(s, d, i - d->nkern, &f[k]);
		}
	}
	*ns = (struct tl_named_stack){ .id = d->id, .nkern = d->nkern,
				       .nuser = k - d->nkern, .f = f,
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

const struct tl_frame *tl_stack_call_site(const struct tl_named_stack *ns)
{
	const struct tl_frame *u = ns ? ns->f + ns->nkern : NULL;

	if (!ns || !ns->nuser)
		return NULL;
	for (size_t i = 1; i < ns->nuser; i++)
		if (!u[i].inlined && strcmp(u[i].module, u[0].module))
			return &u[i];
	return &u[0];
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
