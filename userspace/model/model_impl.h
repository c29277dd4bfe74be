/* model_impl.h - the model's private state, shared by its own files only
 * (model.c, model_state.c, model_proc.c, model_query.c, tl_model_close_open.c,
 * tl_model_build_series.c, model_block.c, and the compact stores:
 * model_iv.c, model_wake.c, model_steps.c).
 * Every other module uses the public userspace/model.h.
 */
#ifndef TL_MODEL_IMPL_H
#define TL_MODEL_IMPL_H

#include "model.h"
#include "util/arena.h"
#include "util/hmap.h"
#include "util/vec.h"

#define TL_CPU_SLOTS TL_MAX_CPUS
/* A waking seen while its wakee was still on a CPU counts for the
 * switch-out that follows within this window (see docs/model.md). */
#define TL_PENDING_WAKE_NS 200000ull

/* A step series, stored compactly (model_steps.c): entries, the time of
 * the first and of every 64th after, the steps kept whole. */
struct tl_stepvec {
	struct tl_vec e, base, x;
	uint64_t base0;
	struct tl_series_sum *sum;   /* series_totals_only: steps added up */
	struct tl_step tail[2];      /* the last two (tail[1] the last), as
				      * the series builder reads them */
};

/* A place in the wakeup edges' stream (model_wake.c): before edge i, at
 * byte off, the previous edge at ts prev. */
struct tl_ivpos {
	size_t i, off;
	uint64_t prev;
};

/* A place in a thread's interval stream (model_iv.c): before interval i,
 * at byte off; what the intervals before it in its group leave for the
 * next to repeat: the previous one's start, the last waker and the last
 * Running or Runnable one's CPU and prio (as the last word of a struct
 * tl_interval holds them), the last block's id. All whole words: a place
 * is copied in and out of its thread at every read, and a word loaded
 * from two smaller stores waits for both to reach the cache. */
struct tl_ivat {
	size_t i, off;
	uint64_t prev;
	uint64_t wk, cp, blk;
};

/* What a thread needs only while it is alive: allocated with it, and
 * freed when it ends (most threads of a busy recording are short ones
 * that ended long before the end), once its arrays are published in its
 * struct tl_thread and its intervals in one block (thr_iv_seal). */
struct thr_live {
	struct tl_vec names, marks, sys, offcpu;
	/* closed intervals, compact (model_iv.c): a byte stream, a
	 * checkpoint per 32, the place after the last one */
	struct tl_vec ivb, ivck;
	struct tl_ivat ivend;
	struct tl_interval cur;      /* the open interval (cur.end unused) */
	/* time per state and reason so far, as tl_thread_sum counts it:
	 * only those not 0 are kept once it ends (tl_thr_retire) */
	uint64_t ns[TL_SUM_TOTALS];
	uint64_t awake_since;        /* start of its Running/Runnable stretch */
	/* a waking that came while it was Running (see TL_PENDING_WAKE_NS) */
	bool pend_wake;
	bool pend_irq;
	uint32_t pend_waker;
	uint64_t pend_ts;
	size_t pend_edge;
	/* a syscall entered and not yet exited; whether it blocked */
	bool in_sys, sys_blocked;
	struct tl_syscall cur_sys;
	/* fork edge index + 1 of its creation (counted when not kept), to
	 * merge TL_NEWTASK/TL_FORK */
	size_t fork_edge;
};

/* Where the last read of a thread's intervals started and stopped
 * (model_iv.c): kept for a few threads at a time, by thread index, as
 * most are read once, in order, or a few side by side. */
#define IV_READ_SLOTS 1024
struct iv_read {
	const struct thr *t;
	struct tl_ivat at, prev;
};

/* A place in a thread's intervals for a walk that reads only their
 * states and starts (tl_thr_iv_skim): where the next one is in the byte
 * stream, the last one's start; zeroed: before the first. */
struct tl_ivskim {
	size_t off;
	uint64_t prev;
};

struct thr {
	struct tl_thread pub;        /* first: &thr->pub casts back */
	struct thr *prev_gen;        /* older thread with the same TID */
	const struct tl_model *m;    /* its model (decoding intervals) */
	struct thr_live *lv;         /* NULL once it ended */
	/* its intervals' checkpoints and byte stream (model_iv.c): the live
	 * part's arrays, or once it ended one block holding both; their
	 * number is pub.niv */
	const void *ivcks, *ivbytes;
	struct tl_name name1;        /* pub.names when it had one name: most
				      * threads have one, which in an array of
				      * its own costs twice its 24 bytes */
	uint32_t idx;                /* position in tl_model.thrs */
	uint32_t socket_blocks;      /* blocked intervals in socket syscalls */
	uint32_t sock_count_ops;     /* sends + receives of its TL_SOCK_COUNTs */
	bool ended;
	bool exiting;                /* exit seen, final switch-out not yet: it
				      * still runs (wakes its joiner, parent) */
};

/* The arrays a process grows while it lives: published in its struct
 * tl_process, of their exact size, when it ends (or at finish). */
struct proc_live {
	struct tl_vec names, execs, threads;
	struct tl_vec maps;          /* struct tl_maps_snap, each owning its maps */
};

/* A process's series (tl_proc_series, tl_proc_tree_series), made by
 * tl_model_build_series unless both are left out (tl_model_opts): the
 * exports of a recording of many short processes keep none. */
struct proc_series {
	struct tl_stepvec *steps, *tree_steps; /* of one that is built: one
						* left out or shared has none */
	struct tl_series own, tree;
};

struct proc {
	struct tl_process pub;       /* first */
	struct proc *prev_gen;
	struct proc_live *lv;        /* NULL once published (tl_proc_retire) */
	char *cmdline;
	struct proc_series *ser;     /* NULL: no series (empty ones) */
	uint32_t idx;                /* position in tl_model.procs (model_series.c) */
	bool ended;
	bool reap_exact;             /* reaped_ts from a traced wait4 result */
};

/* Distinct blocking reasons (model_block.c): block id i (tl_block.id,
 * from 1) is chunks[(i - 1) / BLOCK_CHUNK]->b[(i - 1) % BLOCK_CHUNK]. */
#define BLOCK_CHUNK 1024
struct block_chunk {
	size_t n;
	struct tl_block b[BLOCK_CHUNK];
};
#define BLOCK_RECENT 64
struct block_key {                 /* all a block is made from */
	struct tl_blocked why;
	uint32_t raw_state, unint;
	uint32_t holder, pad;
};
struct block_store {
	uint32_t *slots;               /* block ids by hash (0: empty), open
					* addressing, at most half full */
	size_t cap;                    /* 0 or a power of two */
	struct tl_vec chunks;          /* struct block_chunk *, oldest first;
					* blocks never move */
	size_t nblocks;
	/* blocks lately made, by a hash of what they were made from */
	struct { struct block_key k; const struct tl_block *b; } recent[BLOCK_RECENT];
};

struct comm_ent {
	char comm[TL_COMM_LEN];
};

struct tl_model {
	struct tl_model_opts o;
	struct tl_model_stats st;
	bool finished, have_ts, oom;
	uint64_t last_ts;
	uint64_t iv_base;               /* first record's ts: wakeups' origin */
	struct tl_vec thrs;             /* struct thr *, creation order */
	struct tl_vec procs;            /* struct proc *, first-seen order */
	struct tl_hmap tid_map;         /* TID -> latest struct thr */
	struct tl_hmap pid_map;         /* PID -> latest struct proc */
	struct tl_hmap comm_map;        /* TID -> index + 1 in comms (any task) */
	struct tl_vec comms;            /* struct comm_ent: one malloc each cost
					 * twice their 16 bytes */
	/* wakeup edges (model_wake.c): a byte stream, a checkpoint per 32,
	 * how many are kept, the last one's ts, where the last read stopped */
	struct tl_vec wakeups, wk_ck;
	size_t wk_n;
	uint64_t wk_last;
	struct tl_ivpos wk_cache;
	struct iv_read *iv_read;        /* IV_READ_SLOTS, made at the first read */
	size_t nwakeups;                /* kept or not (no_wakeup_edges) */
	struct tl_vec forks, exits, signals, losses, marks;
	size_t nforks, nexits, nsignals; /* kept or not (no_task_edges) */
	uint32_t cpu_curr[TL_CPU_SLOTS];   /* TID believed on each CPU, 0 none */
	uint64_t cpu_switch_ts[TL_CPU_SLOTS]; /* last switch reported there */
	uint64_t loss_prev_ts[TL_CPU_SLOTS];
	struct tl_stepvec all_steps;
	struct tl_stepvec no_steps;     /* the steps of every series left out */
	struct tl_series all_series;
	struct block_store blocks;
	struct tl_vec stacks;        /* struct tl_stack_def, index id - 1 */
	struct tl_vec ksyms;         /* struct ksym_ent, by address at finish */
	struct tl_vec peers;         /* struct tl_peer; by (pid, fd, ts) at finish */
	/* struct thr, struct proc, sealed interval blocks, exec file names
	 * and the arrays published when a thread or process ends (those that
	 * never grow again): tens of thousands of small objects that live as
	 * long as the model */
	struct tl_arena arena;
};

/* A kernel prio as an interval keeps it. */
static inline uint8_t prio_of(int32_t prio)
{
	return prio >= 0 && prio < TL_PRIO_UNKNOWN ? (uint8_t)prio : TL_PRIO_UNKNOWN;
}

/* Appends a zeroed element to v (NULL, and the model marked out of
 * memory, on failure); _uninit leaves it for the caller to fill whole. */
static inline void *model_push(struct tl_model *m, struct tl_vec *v, size_t elsz)
{
	void *e = tl_vec_push(v, elsz);

	if (!e)
		m->oom = true;
	return e;
}

static inline void *model_push_uninit(struct tl_model *m, struct tl_vec *v, size_t elsz)
{
	void *e = tl_vec_push_uninit(v, elsz);

	if (!e)
		m->oom = true;
	return e;
}

/* Appends a fork, exit or signal edge to v, counting it in *n, kept or
 * not: NULL when it is not kept (no_task_edges), or out of memory (then
 * the model is marked so); the caller fills it whole. */
static inline void *model_edge_push(struct tl_model *m, struct tl_vec *v, size_t *n,
				    size_t elsz)
{
	(*n)++;
	return m->o.no_task_edges ? NULL : model_push_uninit(m, v, elsz);
}

/* Appends a zeroed element to an array already published (of its exact
 * size, as a struct tl_thread or tl_process holds it): NULL, the model
 * out of memory, on failure. For the few that grow after that. */
static inline void *model_pub_push(struct tl_model *m, const void **arr, size_t *n,
				   size_t elsz)
{
	struct tl_vec v = { (void *)*arr, *n, *n };
	void *e = model_push(m, &v, elsz);

	*arr = v.p;
	*n = v.n;
	return e;
}

/* The comm last noted for a TID (tl_model_comm_note), NULL if none:
 * valid until the next note of a TID not seen before. */
static inline struct comm_ent *model_comm(const struct tl_model *m, uint32_t tid)
{
	const uint64_t *v = tl_hmap_find(&m->comm_map, tid);

	return v ? &TL_VEC_AT(&m->comms, struct comm_ent, *v - 1) : NULL;
}

/* The TID and PID maps never hold 0 (the idle task): putting it is a
 * successful no-op, so a lookup of 0 always misses. */
static inline int model_map_put(struct tl_hmap *h, uint32_t key, void *val)
{
	return key ? tl_hmap_put_ptr(h, key, val) : 0;
}

/* model_state.c: the open interval of a thread */
void tl_thr_set(struct tl_model *m, struct thr *t, uint64_t ts,
	     const struct tl_interval *next);
void tl_thr_unknown_from(struct tl_model *m, struct thr *t, uint64_t from,
		      uint8_t cause);
void tl_thr_inconsistent(struct tl_model *m, struct thr *t);
/* t is current on cpu, but its switch-in there was never reported. */
void tl_thr_missed_switch_in(struct tl_model *m, struct thr *t, int cpu);
void tl_thr_end(struct tl_model *m, struct thr *t, uint64_t ts);
void tl_thr_running(struct tl_model *m, struct thr *t, uint64_t ts, int cpu, int32_t prio);
void tl_model_observe_current(struct tl_model *m, const struct tl_hdr *h);
/* Since when t has been Running or Runnable (else its state's start). */
uint64_t tl_thr_awake_since(const struct thr *t);
void tl_model_cpu_vacate(struct tl_model *m, int cpu, uint32_t except_tid);
void tl_model_on_loss(struct tl_model *m, const struct tl_loss *l);
struct tl_interval tl_iv_make(uint8_t state, uint8_t cause, int cpu);

/* model_iv.c: the closed intervals of a thread (0, or -1 and the model
 * out of memory); iv->end is not kept (the next one's start) */
int tl_thr_iv_push(struct tl_model *m, struct thr *t, const struct tl_interval *iv);
size_t tl_thr_niv(const struct thr *t);
/* Moves the intervals of a thread that ended into one block of the
 * exact size (0, or -1 and the model out of memory). */
int tl_thr_iv_seal(struct tl_model *m, struct thr *t);
void tl_thr_iv_free(struct thr *t);
/* Interval i (< niv) of x, at c: its state returned, its start in
 * c->prev; c moves past it. The intervals tile the thread's life: each
 * ends where the next starts, the last at tl_thr_iv_end(). */
uint8_t tl_thr_iv_skim(const struct thr *x, size_t i, struct tl_ivskim *c);
uint64_t tl_thr_iv_end(const struct thr *x);

/* model_wake.c: wakeup edges, stored compactly (0, or -1 and the model
 * out of memory); an edge found effective later is marked so by the
 * reference tl_wake_next_ref gave just before it was pushed */
int tl_wake_push(struct tl_model *m, const struct tl_wakeup_ev *e);
size_t tl_wake_next_ref(const struct tl_model *m);
void tl_wake_set_effective(struct tl_model *m, size_t ref);

/* model_steps.c: push fails (-1) only when out of memory */
struct tl_step tl_sv_get(const struct tl_stepvec *sv, size_t i);
int tl_sv_push(struct tl_model *m, struct tl_stepvec *sv, const struct tl_step *s);
void tl_sv_pop(struct tl_stepvec *sv);
/* Replaces the last step's counts (its ts stays). */
int tl_sv_set_last(struct tl_model *m, struct tl_stepvec *sv, const struct tl_step *s);
void tl_sv_clear(struct tl_stepvec *sv);
void tl_sv_free(struct tl_stepvec *sv);
/* Adds every step but the last `keep` to sv->sum (allocated on first use)
 * and drops them, with their room beyond TL_SV_FOLD_ROOM steps; the last
 * one lasts until end when keep is 0. */
int tl_sv_fold(struct tl_model *m, struct tl_stepvec *sv, size_t keep, uint64_t end);
#define TL_SV_FOLD_ROOM 18   /* a size entries grow to (vec.c's lean growth) */
/* Gives back the spare room of a series that stopped growing. */
void tl_sv_trim(struct tl_stepvec *sv);

/* model_block.c: the block of a blocked interval, stored once per distinct
 * value (tl_block_none, marking the model out of memory, if it cannot be) */
extern const struct tl_block tl_block_none;
const struct tl_block *tl_block_of(struct tl_model *m, const struct tl_blocked *why,
				uint32_t raw_state, bool unint, uint32_t holder);
void tl_block_store_free(struct block_store *bs);

/* model_proc.c: processes and threads */
struct proc *tl_proc_find(struct tl_model *m, uint32_t pid);  /* alive only */
struct proc *tl_proc_get(struct tl_model *m, uint32_t pid, uint64_t ts);
struct proc *tl_proc_new(struct tl_model *m, uint32_t pid, uint64_t ts);
struct thr *tl_thr_find(struct tl_model *m, uint32_t tid);    /* alive only */
/* Alive, or exited and still on its CPU before its final switch-out. */
struct thr *tl_thr_find_current(struct tl_model *m, uint32_t tid);
/* The alive thread, created on demand when its process is traced. */
struct thr *tl_thr_get(struct tl_model *m, uint32_t tid, uint32_t pid, uint64_t ts);
struct thr *tl_thr_new(struct tl_model *m, struct proc *p, uint32_t tid, uint64_t ts,
		    const char *comm);
void tl_thr_name(struct tl_model *m, struct thr *t, uint64_t ts, const char *comm);
/* tl_thr_name() when tl_model_comm_note(t's TID, comm) was just done */
void tl_thr_name_noted(struct tl_model *m, struct thr *t, uint64_t ts, const char *comm);
void tl_proc_set_name(struct tl_model *m, struct proc *p, uint64_t ts, const char *comm);
void tl_model_comm_note(struct tl_model *m, uint32_t tid, const char *comm);
void tl_proc_end(struct tl_model *m, struct proc *p, uint64_t ts);
/* A thread that ended: its arrays published in t->pub, of their exact
 * size, its intervals sealed (tl_thr_iv_seal), its live part freed. */
void tl_thr_retire(struct tl_model *m, struct thr *t);
/* A process that ended, or every one at finish: its arrays published in
 * p->pub, of their exact size, its live part freed. */
void tl_proc_retire(struct tl_model *m, struct proc *p);
int tl_model_on_task_snap(struct tl_model *m, const struct tl_task_snap *s);
int tl_model_on_proc_info(struct tl_model *m, const struct tl_proc_info *pi);
/* model_maps.c */
int tl_model_on_proc_maps(struct tl_model *m, const struct tl_proc_maps *pm);
void tl_proc_maps_free(struct proc *p);
int tl_model_on_create(struct tl_model *m, const struct tl_hdr *h, uint32_t tid,
	      uint32_t pid, uint64_t flags, bool flags_known, const char *comm);
int tl_model_on_exec(struct tl_model *m, const struct tl_exec *e);
int tl_model_on_exit(struct tl_model *m, const struct tl_exit *e);
int tl_model_on_rename(struct tl_model *m, const struct tl_rename *r);

/* model_stacks.c: off-CPU stacks and the kernel symbols they need */
int tl_model_on_stack(struct tl_model *m, const struct tl_hdr *h);
int tl_model_on_ksym(struct tl_model *m, const struct tl_ksym *k);
void tl_model_stacks_finish(struct tl_model *m);
void tl_model_stacks_free(struct tl_model *m);

/* model_peers.c: the far ends of sockets (TL_SOCK_PEER) */
int tl_model_on_sock_peer(struct tl_model *m, const struct tl_sock_peer *r);
void tl_model_peers_finish(struct tl_model *m);

/* tl_model_close_open.c */
int tl_model_close_open(struct tl_model *m, uint64_t end);
/* tl_model_build_series.c: every step series, once intervals and processes are final */
int tl_model_build_series(struct tl_model *m, uint64_t end);

#endif
