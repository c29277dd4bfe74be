/* sym_dwarf.c - the variable that holds an address, from DWARF: an index of
 * every global and static variable of a module (a single DW_OP_addr
 * location), then a walk down the variable's type to the member or array
 * element covering the address (`shards[3].lock`). The walk stops at a
 * pthread or semaphore type, which also tells the primitive's kind. */
#include <dwarf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize_impl.h"

#define MAX_DEPTH 8   /* nesting of functions and blocks searched */
#define MAX_STEPS 32  /* members and elements walked into */

static void add_var(struct tl_var_index *ix, Dwarf_Die *die)
{
	Dwarf_Attribute a, ta;
	Dwarf_Die type;
	Dwarf_Op *ops;
	size_t nops;
	Dwarf_Word size = 1;
	struct tl_var *v;

	if (!dwarf_attr(die, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &nops) ||
	    nops != 1 || ops[0].atom != DW_OP_addr)
		return; /* no fixed address: a local, TLS or optimised away */
	if (dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &ta), &type) &&
	    (dwarf_aggregate_size(&type, &size) || !size))
		size = 1;
	v = tl_vec_push_uninit(&ix->v, sizeof(*v));
	if (v) /* out of memory: this variable goes unnamed */
		*v = (struct tl_var){ .addr = ops[0].number, .size = size, .die = *die };
}

/* Variables at file scope, and static ones inside functions and blocks. */
static void index_die(struct tl_var_index *ix, Dwarf_Die *parent, int depth)
{
	Dwarf_Die c;

	if (dwarf_child(parent, &c))
		return;
	do {
		int tag = dwarf_tag(&c);

		if (tag == DW_TAG_variable)
			add_var(ix, &c);
		else if ((tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block ||
			  tag == DW_TAG_namespace) && depth < MAX_DEPTH)
			index_die(ix, &c, depth + 1);
	} while (dwarf_siblingof(&c, &c) == 0);
}

static int by_addr(const void *a, const void *b)
{
	const struct tl_var *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void build(Dwfl_Module *mod, struct tl_var_index *ix)
{
	Dwarf_Die *cu = NULL;
	Dwarf_Addr bias;

	ix->built = true;
	while ((cu = dwfl_module_nextcu(mod, cu, &bias)))
		index_die(ix, cu, 0);
	if (ix->v.n)
		qsort(ix->v.p, ix->v.n, sizeof(struct tl_var), by_addr);
}

void tl_var_index_free(struct tl_var_index *ix)
{
	tl_vec_free(&ix->v);
	ix->built = false;
}

/* The last variable starting at or below a, if it covers a. */
static const struct tl_var *find_var(const struct tl_var_index *ix, Dwarf_Addr a)
{
	const struct tl_var *v = ix->v.p;
	size_t lo = 0, hi = ix->v.n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].addr <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || a >= v[lo - 1].addr + v[lo - 1].size)
		return NULL;
	return &v[lo - 1];
}

static const struct {
	const char *type;
	enum tl_lock_kind kind;
} lock_types[] = {
	{ "pthread_mutex_t", TL_LK_MUTEX }, { "pthread_cond_t", TL_LK_CONDVAR },
	{ "sem_t", TL_LK_SEMAPHORE }, { "pthread_rwlock_t", TL_LK_RWLOCK },
	{ "pthread_barrier_t", TL_LK_BARRIER }, { "mtx_t", TL_LK_MUTEX },
	{ "cnd_t", TL_LK_CONDVAR },
};

/* Whether t, through its typedefs, is one of the primitives above. */
static bool lock_type(Dwarf_Die *t, enum tl_lock_kind *kind)
{
	Dwarf_Attribute ta;
	Dwarf_Die cur = *t;

	for (int i = 0; i < MAX_STEPS; i++) {
		int tag = dwarf_tag(&cur);
		const char *nm = dwarf_diename(&cur);

		if (tag == DW_TAG_typedef && nm)
			for (size_t k = 0; k < sizeof(lock_types) / sizeof(lock_types[0]); k++)
				if (!strcmp(nm, lock_types[k].type)) {
					*kind = lock_types[k].kind;
					return true;
				}
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type &&
		    tag != DW_TAG_volatile_type && tag != DW_TAG_atomic_type)
			return false;
		if (!dwarf_formref_die(dwarf_attr_integrate(&cur, DW_AT_type, &ta), &cur))
			return false;
	}
	return false;
}

static Dwarf_Word die_size(Dwarf_Die *t)
{
	Dwarf_Word s = 0;

	return dwarf_aggregate_size(t, &s) ? 0 : s;
}

/* The member of struct/union st covering *off: appends ".name" and moves
 * *type and *off into it. */
static bool into_member(Dwarf_Die *st, Dwarf_Word *off, Dwarf_Die *type, char *p, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Die m, mt;
	Dwarf_Word mo, ms;

	if (dwarf_child(st, &m))
		return false;
	do {
		if (dwarf_tag(&m) != DW_TAG_member ||
		    !dwarf_formref_die(dwarf_attr_integrate(&m, DW_AT_type, &a), &mt))
			continue;
		mo = 0;
		if (dwarf_attr(&m, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &mo))
			continue;
		ms = die_size(&mt);
		if (*off < mo || *off >= mo + (ms ? ms : 1))
			continue;
		snprintf(p + strlen(p), len - strlen(p), ".%s",
			 dwarf_diename(&m) ? dwarf_diename(&m) : "?");
		*off -= mo;
		*type = mt;
		return true;
	} while (dwarf_siblingof(&m, &m) == 0);
	return false;
}

/* The element of array arr covering *off (first dimension; the others
 * come as the next steps): appends "[i]". */
static bool into_element(Dwarf_Die *arr, Dwarf_Word *off, Dwarf_Die *type, char *p, size_t len)
{
	Dwarf_Attribute a;
	Dwarf_Die et;
	Dwarf_Word total = die_size(arr), esize, count = 0, stride;
	Dwarf_Die sub;

	if (!dwarf_formref_die(dwarf_attr_integrate(arr, DW_AT_type, &a), &et) ||
	    !(esize = die_size(&et)) || !total || dwarf_child(arr, &sub))
		return false;
	if (dwarf_attr(&sub, DW_AT_count, &a) && !dwarf_formudata(&a, &count))
		;
	else if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && !dwarf_formudata(&a, &count))
		count++;
	stride = count ? total / count : esize;
	if (!stride)
		return false;
	snprintf(p + strlen(p), len - strlen(p), "[%llu]", (unsigned long long)(*off / stride));
	*off %= stride;
	*type = et; /* a multi-dimensional array continues with its element */
	return stride == esize || *off < esize;
}

static bool walk_type(Dwarf_Die type, Dwarf_Word off, char *name, size_t len,
		      enum tl_lock_kind *kind, Dwarf_Word *inner)
{
	for (int i = 0; i < MAX_STEPS; i++) {
		Dwarf_Die peeled;
		int tag;

		if (lock_type(&type, kind)) {
			*inner = off; /* a word inside the lock: the lock is the object */
			return true;
		}
		if (dwarf_peel_type(&type, &peeled))
			break;
		tag = dwarf_tag(&peeled);
		if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
		    tag == DW_TAG_class_type) {
			if (!into_member(&peeled, &off, &type, name, len))
				break;
		} else if (tag == DW_TAG_array_type) {
			if (!into_element(&peeled, &off, &type, name, len))
				break;
		} else {
			break;
		}
	}
	if (off)
		snprintf(name + strlen(name), len - strlen(name), "+0x%llx",
			 (unsigned long long)off);
	return true;
}

bool tl_dwarf_name(Dwfl_Module *mod, struct tl_var_index *ix, Dwarf_Addr a,
		   char *name, size_t len, enum tl_lock_kind *kind, Dwarf_Word *inner)
{
	const struct tl_var *v;
	Dwarf_Attribute ta;
	Dwarf_Die die, type;
	const char *nm;

	if (!ix->built)
		build(mod, ix);
	v = find_var(ix, a);
	if (!v)
		return false;
	die = v->die;
	nm = dwarf_diename(&die);
	snprintf(name, len, "%s", nm ? nm : "?");
	if (!dwarf_formref_die(dwarf_attr_integrate(&die, DW_AT_type, &ta), &type))
		return true;
	*inner = 0;
	return walk_type(type, a - v->addr, name, len, kind, inner);
}
