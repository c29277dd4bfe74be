/* unwind.c - user stacks from a register set and a stack copy (unwind.h),
 * with libdwfl's unwinder: one Dwfl per process, its modules reported
 * from /proc/PID/maps, and a thread state whose registers and memory are
 * served from the copy instead of from the (by now running) thread. */
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "unwind.h"
#include "util/hmap.h"

/* a pc outside every module makes the modules be read again, at most
 * this often per process (a pc that is never mapped cannot cost a
 * /proc read per blocking) */
#define REREAD_NS 100000000ull
/* Unwinds kept per process (direct-mapped by registers), and the stack
 * words one may depend on */
#define CACHE_SLOTS 64
#define MAX_READS 256

/* What one unwind works from; the Dwfl's callbacks get it as their arg. */
struct req {
	uint32_t tid;
	const uint64_t *regs;
	const uint8_t *stack;
	size_t len;
	uint64_t *pcs;
	int n, max;
	bool refused;      /* the unwinder wanted bytes outside the copy */
	int nreads;        /* stack words it read, MAX_READS + 1: too many */
	uint64_t reads[MAX_READS][2]; /* address, value */
};

/* A finished unwind: its result is a function of the pc, of the registers
 * the CFI computes frames from (rsp, and rbp in frames that keep one:
 * x86_64 code has no other CFA rule at a call site or a syscall) and of
 * the stack words the unwinder read (the modules are fixed while the entry
 * lives), so a block with the same pc, sp and bp whose copy holds the same
 * words at those addresses has the same stack, without unwinding. A
 * thread blocking again and again in one place (a lock in a loop) hits,
 * whatever its loop counters hold in other registers. */
struct cached {
	bool used, cut;
	uint64_t key[3];   /* ip, sp, bp */
	int nreads, npcs;
	uint64_t (*reads)[2];
	uint64_t *pcs;
};

struct proc_ent {
	uint32_t tgid;
	uint64_t aspace;   /* the address space it was read in */
	Dwfl *dwfl;        /* NULL when the process could not be read */
	uint64_t read_ns;  /* when its modules were read */
	struct req req;    /* the Dwfl's arg: filled per unwind */
	struct cached cache[CACHE_SLOTS];
};

struct tl_unwinder {
	struct tl_hmap procs; /* tgid -> struct proc_ent * */
	/* what the last tl_unwind read (tl_unwind_reads) */
	const uint64_t (*last_reads)[2];
	int last_nreads;      /* -1: unknown or too many */
};

static char *debuginfo_path;

/* Unwinding needs only the CFI of the files themselves (.eh_frame, which
 * every x86_64 binary has): separate debug files are not looked for at
 * record time, where they would only slow the recorder down. */
static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = no_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* ---- the thread state, served from the copy ---- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct req *r = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = r;
	return (pid_t)r->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct req *r = arg;

	(void)dwfl;
	if ((uint32_t)tid != r->tid)
		return false;
	*thread_argp = r;
	return true;
}

/* Only the copied bytes are known: the thread has run on since. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct req *r = arg;
	uint64_t sp = r->regs[TL_UREG_SP];

	(void)dwfl;
	if (addr < sp || addr - sp > r->len || r->len - (addr - sp) < sizeof(*result)) {
		r->refused = true;
		return false;
	}
	memcpy(result, r->stack + (addr - sp), sizeof(*result));
	if (r->nreads < MAX_READS) {
		r->reads[r->nreads][0] = addr;
		r->reads[r->nreads][1] = *result;
	}
	if (r->nreads <= MAX_READS)
		r->nreads++;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct req *r = thread_arg;
	Dwarf_Word w[TL_UREGS];

	for (int i = 0; i < TL_UREGS; i++)
		w[i] = r->regs[i];
	return dwfl_thread_state_registers(thread, 0, TL_UREGS, w);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

/* ---- processes ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct tl_unwinder *tl_unwinder_new(void)
{
	return calloc(1, sizeof(struct tl_unwinder));
}

static void cache_clear(struct proc_ent *e)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(e->cache[i].reads);
		free(e->cache[i].pcs);
		e->cache[i] = (struct cached){ 0 };
	}
}

static void ent_drop_dwfl(struct proc_ent *e)
{
	if (e->dwfl)
		dwfl_end(e->dwfl);
	e->dwfl = NULL;
	cache_clear(e);
}

static void ent_free(struct proc_ent *e)
{
	ent_drop_dwfl(e);
	free(e);
}

void tl_unwinder_forget(struct tl_unwinder *u, uint32_t tgid)
{
	struct proc_ent *e = tl_hmap_get_ptr(&u->procs, tgid);

	if (!e)
		return;
	tl_hmap_del(&u->procs, tgid);
	ent_free(e);
}

void tl_unwinder_free(struct tl_unwinder *u)
{
	uint64_t tgid, e;

	if (!u)
		return;
	for (size_t it = 0; tl_hmap_next(&u->procs, &it, &tgid, &e);)
		ent_free((struct proc_ent *)(uintptr_t)e);
	tl_hmap_free(&u->procs);
	free(u);
}

/* (Re)reads the modules of e's process and attaches the thread state. */
static void ent_read(struct proc_ent *e)
{
	ent_drop_dwfl(e);
	e->read_ns = now_ns();
	e->dwfl = dwfl_begin(&proc_callbacks);
	if (!e->dwfl)
		return;
	dwfl_report_begin(e->dwfl);
	if (dwfl_linux_proc_report(e->dwfl, (pid_t)e->tgid) != 0 ||
	    dwfl_report_end(e->dwfl, NULL, NULL) != 0 ||
	    !dwfl_attach_state(e->dwfl, NULL, (pid_t)e->tgid, &thread_callbacks,
			       &e->req))
		ent_drop_dwfl(e);
}

static struct proc_ent *ent_get(struct tl_unwinder *u, uint32_t tgid,
				uint64_t aspace, uint64_t pc)
{
	struct proc_ent *e = tl_hmap_get_ptr(&u->procs, tgid);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || tl_hmap_put_ptr(&u->procs, tgid, e)) {
			free(e);
			return NULL;
		}
		e->tgid = tgid;
		e->aspace = aspace;
		ent_read(e);
	} else if (e->aspace != aspace) { /* exec'd, or another process */
		e->aspace = aspace;
		ent_read(e);
	} else if ((!e->dwfl || !dwfl_addrmodule(e->dwfl, pc)) &&
		   now_ns() - e->read_ns >= REREAD_NS) {
		ent_read(e);
	}
	return e;
}

static int on_frame(Dwfl_Frame *f, void *arg)
{
	struct req *r = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(f, &pc, &activation) || pc == 0)
		return DWARF_CB_ABORT;
	r->pcs[r->n++] = pc;
	return r->n < r->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static void regs_key(const uint64_t *regs, uint64_t key[3])
{
	key[0] = regs[TL_UREG_IP];
	key[1] = regs[TL_UREG_SP];
	key[2] = regs[TL_UREG_BP];
}

static unsigned regs_slot(const uint64_t *regs)
{
	uint64_t h = 0xcbf29ce484222325ull, key[3];

	regs_key(regs, key);
	for (int i = 0; i < 3; i++)
		h = (h ^ key[i]) * 0x100000001b3ull;
	return (unsigned)(h >> 32) % CACHE_SLOTS;
}

/* The cached unwind for these registers, if every word it read is the
 * same in this copy. */
static const struct cached *cache_hit(const struct proc_ent *e, const uint64_t *regs,
				      const uint8_t *stack, size_t len)
{
	const struct cached *c = &e->cache[regs_slot(regs)];
	uint64_t sp = regs[TL_UREG_SP], w, key[3];

	regs_key(regs, key);
	if (!c->used || memcmp(c->key, key, sizeof(key)))
		return NULL;
	for (int i = 0; i < c->nreads; i++) {
		uint64_t off = c->reads[i][0] - sp;

		if (off > len || len - off < 8)
			return NULL;
		memcpy(&w, stack + off, 8);
		if (w != c->reads[i][1])
			return NULL;
	}
	return c;
}

static void cache_put(struct proc_ent *e, const uint64_t *regs, bool cut)
{
	struct cached *c = &e->cache[regs_slot(regs)];
	const struct req *r = &e->req;

	if (r->nreads > MAX_READS)
		return;
	free(c->reads);
	free(c->pcs);
	*c = (struct cached){ .cut = cut, .nreads = r->nreads, .npcs = r->n };
	c->reads = malloc((r->nreads ? r->nreads : 1) * sizeof(*c->reads));
	c->pcs = malloc((r->n ? r->n : 1) * sizeof(*c->pcs));
	if (!c->reads || !c->pcs) {
		free(c->reads);
		free(c->pcs);
		*c = (struct cached){ 0 };
		return;
	}
	regs_key(regs, c->key);
	memcpy(c->reads, r->reads, r->nreads * sizeof(*c->reads));
	memcpy(c->pcs, r->pcs, r->n * sizeof(*c->pcs));
	c->used = true;
}

int tl_unwind(struct tl_unwinder *u, uint32_t tgid, uint32_t tid, uint64_t aspace,
	      const uint64_t regs[TL_UREGS], const void *stack, size_t len,
	      uint64_t *pcs, int max, bool *cut)
{
	const struct cached *hit;
	struct proc_ent *e;
	int rc;

	*cut = true;
	u->last_nreads = -1;
	if (max <= 0 || regs[TL_UREG_IP] == 0)
		return 0;
	e = ent_get(u, tgid, aspace, regs[TL_UREG_IP]);
	if (!e || !e->dwfl) {
		pcs[0] = regs[TL_UREG_IP];
		return 1;
	}
	hit = cache_hit(e, regs, stack, len);
	if (hit && hit->npcs <= max) {
		memcpy(pcs, hit->pcs, hit->npcs * sizeof(*pcs));
		*cut = hit->cut;
		u->last_reads = (const uint64_t (*)[2])hit->reads;
		u->last_nreads = hit->nreads;
		return hit->npcs;
	}
	e->req.tid = tid;
	e->req.regs = regs;
	e->req.stack = stack;
	e->req.len = len;
	e->req.pcs = pcs;
	e->req.n = e->req.nreads = 0;
	e->req.max = max;
	e->req.refused = false;
	rc = dwfl_getthread_frames(e->dwfl, (pid_t)tid, on_frame, &e->req);
	/* 0: the unwinder reached a frame without a caller (_start, clone);
	 * but a return address it could not read also ends it with 0 */
	*cut = rc != 0 || e->req.refused;
	if (e->req.n)
		cache_put(e, regs, *cut);
	if (e->req.n && e->req.nreads <= MAX_READS) {
		u->last_reads = (const uint64_t (*)[2])e->req.reads;
		u->last_nreads = e->req.nreads;
	}
	if (e->req.n == 0) {
		pcs[0] = regs[TL_UREG_IP];
		return 1;
	}
	return e->req.n;
}

int tl_unwind_reads(const struct tl_unwinder *u, const uint64_t (**reads)[2])
{
	*reads = u->last_reads;
	return u->last_nreads;
}
