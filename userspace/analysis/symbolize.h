/* symbolize.h - names the memory a thread waits on: a futex address becomes
 * the variable holding it (`stats_lock`, `pool.lock`, `shards[3].lock`,
 * from DWARF), a symbol and offset (`table+0x40`, from the symbol table),
 * CPython's GIL, or what memory it is (heap, the stack of a thread, shared
 * memory). Offline and without privileges: from the memory maps in the
 * recording (TL_PROC_MAPS) and the binaries and debug files on disk
 * (/usr/lib/debug/.build-id); debuginfod is never asked. A binary whose
 * build id differs from the recorded one is not used for names.
 *
 * Also tells the kind of primitive (mutex, condvar, ...) from the futex
 * operation and value and, when DWARF names the variable, its type. */
#ifndef TL_SYMBOLIZE_H
#define TL_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include "model/model.h"

enum tl_obj_kind {
	TL_OBJ_UNKNOWN = 0, /* no maps recorded, or outside every mapping */
	TL_OBJ_VAR,         /* a variable (DWARF): `mutexA`, `forks[2]` */
	TL_OBJ_SYMBOL,      /* symbol table only: `sym+0x10` */
	TL_OBJ_GIL,         /* CPython's global interpreter lock */
	TL_OBJ_HEAP,        /* [heap] */
	TL_OBJ_STACK,       /* a thread's stack (tid) */
	TL_OBJ_SHARED,      /* a shared mapping: shm file, SysV segment, ... */
	TL_OBJ_ANON,        /* private anonymous memory (other arenas, ...) */
	TL_OBJ_FILE,        /* inside a mapped file, no symbol covers it */
	TL_OBJ_MARKED,      /* named by the program's USDT marks: a section's
			     * address, or inside a queue's object */
};

enum tl_lock_kind {
	TL_LK_OTHER = 0,    /* some other futex use */
	TL_LK_MUTEX,
	TL_LK_CONDVAR,
	TL_LK_SEMAPHORE,
	TL_LK_RWLOCK,
	TL_LK_BARRIER,
	TL_LK_JOIN,         /* pthread_join: waits for thread `tid` to end */
	TL_LK_WAIT_OR_SIGNAL, /* a condvar or a semaphore; no type to tell */
	TL_LK_COUNT,
};

#define TL_OBJ_NAME_LEN 160

struct tl_obj_name {
	enum tl_obj_kind kind;
	enum tl_lock_kind lock;
	uint32_t tid;      /* TL_OBJ_STACK: whose stack; TL_LK_JOIN: joined thread */
	uint64_t addr;
	uint64_t base;     /* start of the object: a condvar's futex words or
			    * the GIL's parts share one; else addr */
	char name[TL_OBJ_NAME_LEN]; /* what the report shows */
};

struct tl_symbolizer;

/* A symbolizer over the model's processes (clears DEBUGINFOD_URLS so that
 * nothing is downloaded). NULL on allocation failure. */
struct tl_symbolizer *tl_symbolizer_new(const struct tl_model *m);
void tl_symbolizer_free(struct tl_symbolizer *s);
/* The model it names addresses of. */
const struct tl_model *tl_symbolizer_model(const struct tl_symbolizer *s);

/* Names address addr of process p as of time ts. Never NULL: the result
 * is cached by the symbolizer and lives as long as it does. */
const struct tl_obj_name *tl_sym_addr(struct tl_symbolizer *s,
				      const struct tl_process *p, uint64_t ts,
				      uint64_t addr);
/* Names the object of a futex block (b->why == TL_WHY_FUTEX) of a thread
 * of p at ts, with the primitive kind told from the operation and value
 * where the name's type does not tell it. NULL when b is not a futex wait
 * with an address. */
const struct tl_obj_name *tl_sym_futex(struct tl_symbolizer *s,
				       const struct tl_process *p, uint64_t ts,
				       const struct tl_block *b);

/* "mutex", "condvar", "cond/sem", ..., "futex". */
const char *tl_lock_kind_name(enum tl_lock_kind k);

#endif
