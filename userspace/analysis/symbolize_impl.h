/* symbolize_impl.h - private to symbolize.c and sym_dwarf.c. */
#ifndef TL_SYMBOLIZE_IMPL_H
#define TL_SYMBOLIZE_IMPL_H

#include <elfutils/libdwfl.h>
#include "symbolize.h"
#include "util/vec.h"

/* Every global or static variable of one module with a fixed address, by
 * address (DWARF addresses, before the module's bias). */
struct tl_var {
	Dwarf_Addr addr;
	Dwarf_Word size;
	Dwarf_Die die;
};
struct tl_var_index {
	struct tl_vec v;   /* struct tl_var, by address once built */
	bool built;
};

/* Names the variable of the index covering DWARF address a as a path
 * (`shards[3].lock`) into name (len bytes), and the primitive kind when
 * the path ends at a pthread or semaphore type (*inner: the offset of a
 * inside that object, e.g. a condvar's second futex word). False when no
 * variable covers a. Builds the index on first use. */
bool tl_dwarf_name(Dwfl_Module *mod, struct tl_var_index *ix, Dwarf_Addr a,
		   char *name, size_t len, enum tl_lock_kind *kind, Dwarf_Word *inner);
void tl_var_index_free(struct tl_var_index *ix);

/* The module mapping code address pc of p at ts, and its file's path;
 * NULL when no recorded maps cover pc or the file on disk differs from the
 * recorded one (build id). For stacksym.c. */
Dwfl_Module *tl_sym_module(struct tl_symbolizer *s, const struct tl_process *p,
			   uint64_t ts, uint64_t pc, const char **path);

#endif
