/* locksites.h - where a process's locks were waited for and where they
 * were held, from the off-CPU stacks of record -g: per lock, the stacks
 * its waiters blocked in (by time), and what the holder named at each wait
 * did meanwhile: blocked in a stack of its own (by time, overlapping the
 * wait), or on a CPU (Running or Runnable). Locks are the objects of
 * tl_proc_waits (waits.h): keyed by the named object's base address. */
#ifndef TL_LOCKSITES_H
#define TL_LOCKSITES_H

#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "symbolize.h"

#define TL_LOCK_SITES 8 /* stacks kept per side; the rest is summed */

struct tl_lock_site {
	uint32_t stack;        /* tl_model_stack() id */
	uint64_t ns;
};

struct tl_lock_sites {
	uint64_t addr;         /* in: the object (tl_wait_stat.addr) */
	struct tl_lock_site wait[TL_LOCK_SITES]; /* by time, longest first */
	size_t nwait;
	uint64_t wait_other_ns;   /* in stacks beyond wait[], or none taken */
	struct tl_lock_site held[TL_LOCK_SITES]; /* holder blocked there */
	size_t nheld;
	uint64_t held_other_ns;   /* holder blocked elsewhere, or without a stack */
	uint64_t held_cpu_ns;     /* holder Running or Runnable */
};

/* Fills rows[0..n) (each with its addr set; 0 or an addr no wait has is
 * left empty) in one pass over p's threads. 0 or -ENOMEM. */
int tl_lock_sites(struct tl_symbolizer *sym, const struct tl_process *p,
		  struct tl_lock_sites *rows, size_t n);

#endif
