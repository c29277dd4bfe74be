/* stacks.c - raw off-CPU stacks in, interned stacks and the kernel symbols
 * they need out (stacks.h). */
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stacks.h"
#include "unwind.h"
#include "util/hmap.h"
#include "util/vec.h"

struct ksym {
	uint64_t addr;
	char *name;       /* "func" or "func [module]" */
	bool emitted;     /* a TL_KSYM for it is in the file */
	int8_t tracing;   /* tracing_frame(): 1, 0, -1 not asked yet */
};

/* ksym_at() answers, direct-mapped by address: a stack's kernel frames
 * are the same few return addresses again and again. */
#define KSYM_MEMO 1024
struct ksym_memo {
	uint64_t ip;
	struct ksym *k;
};

/* One distinct stack: of a process (and of one program it ran: an exec
 * starts a new epoch), the same frames. Its id is its index + 1. */
struct ent {
	uint32_t tgid, epoch;
	uint16_t nkern, nuser;
	uint64_t *ips;
};

/* The stacks `record` described to the BPF side (tl_stack_again), by gen
 * modulo AGAIN_SLOTS: twice the map's entries, so a gen still in the map
 * is nearly always still here. */
#define AGAIN_SLOTS 8192
#define AGAIN_MAP "tl_stack_again"

struct again_slot {
	uint32_t gen, tid;
	struct tl_vec buf;    /* the unwound stack (struct tl_stack and its
			       * frames), kernel frames as taken */
};

struct tl_stacks {
	struct tl_unwinder *unw;
	int again_fd;                 /* the BPF map, -1: none (yet) */
	bool again_looked;
	uint32_t gen;
	struct again_slot *slots;     /* AGAIN_SLOTS, made on first use */
	struct ksym *ks;              /* the symbols, sorted */
	size_t nks;
	struct tl_vec kv;             /* of struct ksym: holds ks */
	struct ksym_memo memo[KSYM_MEMO];
	struct tl_vec ents;           /* struct ent, by id - 1 */
	struct tl_hmap by_hash;       /* hash of a stack -> its index in ents */
	struct tl_hmap epochs;        /* tgid -> exec epoch (0 when absent) */
	struct tl_stacks_stats st;
	/* the last unwound stack (tl_stacks_unwind) */
	uint64_t unw_buf[(sizeof(struct tl_stack) + 8 * TL_STACK_MAX_FRAMES) / 8];
};

/* ---- kernel symbols ---- */

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int ksym_add(struct tl_stacks *s, uint64_t addr, const char *name,
		    const char *mod)
{
	char buf[TL_KSYM_NAME_MAX + 136]; /* cut to TL_KSYM_NAME_MAX - 1 when written */
	struct ksym *k = tl_vec_push(&s->kv, sizeof(*k));

	if (!k)
		return -ENOMEM;
	/* a BPF program's "module" is [bpf]: it says nothing more */
	if (mod[0] && strcmp(mod, "bpf"))
		snprintf(buf, sizeof(buf), "%s [%s]", name, mod);
	else
		snprintf(buf, sizeof(buf), "%s", name);
	*k = (struct ksym){ .addr = addr, .name = strdup(buf), .tracing = -1 };
	if (!k->name) {
		s->kv.n--;
		return -ENOMEM;
	}
	return 0;
}

/* Text symbols only; all-zero addresses (no privilege to see them) are
 * useless and skipped. */
static void ksyms_read(struct tl_stacks *s)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], name[256], mod[128];
	unsigned long long addr;
	char type;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		mod[0] = '\0';
		if (sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod) < 3)
			continue;
		if (!addr || !strchr("tTwW", type))
			continue;
		if (ksym_add(s, addr, name, mod))
			break;
	}
	fclose(f);
	s->ks = s->kv.p;
	s->nks = s->kv.n;
	if (s->nks)
		qsort(s->ks, s->nks, sizeof(*s->ks), ksym_cmp);
	s->st.ksyms = s->nks;
}

static struct ksym *ksym_search(struct tl_stacks *s, uint64_t ip)
{
	size_t lo = 0, hi = s->nks;

	while (lo < hi) { /* first symbol above ip */
		size_t mid = lo + (hi - lo) / 2;

		if (s->ks[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &s->ks[lo - 1] : NULL;
}

static struct ksym *ksym_at(struct tl_stacks *s, uint64_t ip)
{
	struct ksym_memo *m = &s->memo[(ip ^ ip >> 12) % KSYM_MEMO];

	if (m->ip != ip || !m->k) {
		m->ip = ip;
		m->k = ksym_search(s, ip);
	}
	return m->k;
}

/* The frames of the BPF program and of the tracepoint call that ran it
 * come first in a kernel stack taken from the program: not the task's. */
static bool tracing_frame(struct ksym *k)
{
	static const char *const pfx[] = { "bpf_prog_", "bpf_trace_run",
					   "__bpf_trace_", "__traceiter_" };

	if (!k)
		return false;
	if (k->tracing < 0) {
		k->tracing = 0;
		for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
			if (!strncmp(k->name, pfx[i], strlen(pfx[i])))
				k->tracing = 1;
	}
	return k->tracing;
}

static int ksym_emit(const struct ksym *k, const struct tl_hdr *at,
		     tl_stack_emit_fn *emit, void *ctx)
{
	uint64_t buf[(sizeof(struct tl_ksym) + TL_KSYM_NAME_MAX) / 8] = { 0 };
	struct tl_ksym *r = (struct tl_ksym *)buf;
	size_t len = strlen(k->name);

	if (len > TL_KSYM_NAME_MAX - 1)
		len = TL_KSYM_NAME_MAX - 1;
	r->h = (struct tl_hdr){ .size = (uint16_t)(sizeof(*r) + ((len + 8) & ~7u)),
				.type = TL_KSYM, .cpu = at->cpu, .ts = at->ts };
	r->addr = k->addr;
	memcpy(r + 1, k->name, len);
	return emit(ctx, &r->h);
}

/* ---- life ---- */

static bool again_ready(struct tl_stacks *s);

struct tl_stacks *tl_stacks_new(void)
{
	struct tl_stacks *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->unw = tl_unwinder_new();
	if (!s->unw) {
		free(s);
		return NULL;
	}
	s->again_fd = -1;
	ksyms_read(s);
	again_ready(s); /* now, not at the first stack: that one is urgent */
	return s;
}

void tl_stacks_free(struct tl_stacks *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->ents.n; i++)
		free(TL_VEC_AT(&s->ents, struct ent, i).ips);
	tl_vec_free(&s->ents);
	tl_hmap_free(&s->by_hash);
	tl_hmap_free(&s->epochs);
	for (size_t i = 0; i < s->nks; i++)
		free(s->ks[i].name);
	tl_vec_free(&s->kv);
	tl_unwinder_free(s->unw);
	for (size_t i = 0; s->slots && i < AGAIN_SLOTS; i++)
		tl_vec_free(&s->slots[i].buf);
	free(s->slots);
	free(s);
}

static uint32_t epoch_of(const struct tl_stacks *s, uint32_t tgid)
{
	const uint64_t *e = tl_hmap_find(&s->epochs, tgid);

	return e ? (uint32_t)*e : 0;
}

void tl_stacks_forget(struct tl_stacks *s, uint32_t tgid)
{
	/* out of memory: the old epoch stays, which only merges stacks */
	tl_hmap_put(&s->epochs, tgid, epoch_of(s, tgid) + 1u);
}

void tl_stacks_gone(struct tl_stacks *s, uint32_t tgid)
{
	tl_stacks_forget(s, tgid);
	tl_unwinder_forget(s->unw, tgid);
}

void tl_stacks_stats(const struct tl_stacks *s, struct tl_stacks_stats *st)
{
	*st = s->st;
}

/* ---- interning ---- */

/* FNV-1a over the words. */
static uint64_t hash_words(uint64_t h, const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= w[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static bool same(const struct ent *e, uint32_t tgid, uint32_t epoch,
		 const uint64_t *ips, uint16_t nk, uint16_t nu)
{
	return e->tgid == tgid && e->epoch == epoch && e->nkern == nk &&
	       e->nuser == nu && !memcmp(e->ips, ips, (nk + nu) * sizeof(*ips));
}

/* The id of this stack, made when new (*fresh set). 0 on ENOMEM. */
static uint32_t intern(struct tl_stacks *s, uint32_t tgid, const uint64_t *ips,
		       uint16_t nk, uint16_t nu, bool *fresh)
{
	uint32_t epoch = epoch_of(s, tgid);
	uint64_t key[4] = { tgid, epoch, nk, nu };
	uint64_t h = hash_words(hash_words(0xcbf29ce484222325ull, key, 4), ips, nk + nu);
	size_t pos = tl_hmap_probe_start(&s->by_hash, h);
	const uint64_t *v;
	struct ent *e;

	*fresh = false;
	while ((v = tl_hmap_probe(&s->by_hash, h, &pos)))
		if (same(&TL_VEC_AT(&s->ents, struct ent, *v), tgid, epoch, ips, nk, nu))
			return (uint32_t)*v + 1;
	e = tl_vec_push(&s->ents, sizeof(*e));
	if (!e)
		return 0;
	*e = (struct ent){ .tgid = tgid, .epoch = epoch, .nkern = nk, .nuser = nu,
			   .ips = malloc((nk + nu ? nk + nu : 1) * sizeof(*ips)) };
	if (!e->ips || tl_hmap_add(&s->by_hash, h, s->ents.n - 1)) {
		free(e->ips);
		s->ents.n--;
		return 0;
	}
	memcpy(e->ips, ips, (nk + nu) * sizeof(*ips));
	*fresh = true;
	return (uint32_t)s->ents.n;
}

/* Kernel frames of u (nk of them at ips), without the tracing ones, to
 * out; TL_KSYMs for the functions not named in the file yet. Returns the
 * count kept. */
static int kernel_frames(struct tl_stacks *s, const struct tl_stack *u,
			 uint64_t *out, tl_stack_emit_fn *emit, void *ctx, int *err)
{
	const uint64_t *ips = (const uint64_t *)(u + 1);
	int n = 0, i = 0, nk = u->nkern;

	while (i < nk && s->nks && tracing_frame(ksym_at(s, ips[i])))
		i++;
	for (; i < nk; i++) {
		struct ksym *k = ksym_at(s, ips[i]);

		if (k && !k->emitted && !*err) {
			*err = ksym_emit(k, &u->h, emit, ctx);
			k->emitted = true;
		}
		out[n++] = ips[i];
	}
	return n;
}

/* ---- repeated blocks (TL_RAW_F_AGAIN) ---- */

/* The map is the BPF object's, open in this process: found by its name
 * among this process's BPF map descriptors, once. */
static int again_map_find(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		char path[64], link[64];
		int fd = atoi(de->d_name);
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:bpf-map") ||
		    bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		if (!strcmp(info.name, AGAIN_MAP) &&
		    info.value_size == sizeof(struct tl_stack_again))
			found = fd;
	}
	closedir(d);
	return found;
}

static bool again_ready(struct tl_stacks *s)
{
	if (!s->again_looked) {
		s->again_looked = true;
		s->again_fd = again_map_find();
		if (s->again_fd >= 0)
			s->slots = calloc(AGAIN_SLOTS, sizeof(*s->slots));
	}
	return s->again_fd >= 0 && s->slots;
}

static bool slot_keep(struct again_slot *sl, uint32_t gen, const struct tl_stack *u)
{
	if (tl_vec_reserve(&sl->buf, 1, u->h.size))
		return false;
	memcpy(sl->buf.p, u, u->h.size);
	sl->gen = gen;
	sl->tid = u->h.tid;
	return true;
}

/* Tells the BPF side what u, just unwound from raw, depended on, so the
 * thread's next block there with the same words costs a short record. */
static void again_arm(struct tl_stacks *s, const struct tl_stack_raw *raw,
		      const struct tl_stack *u)
{
	struct tl_stack_again_key k = { .tid = raw->h.tid, .ip = raw->regs[TL_UREG_IP] };
	struct tl_stack_again a = { .aspace = raw->aspace,
				    .sp = raw->regs[TL_UREG_SP],
				    .bp = raw->regs[TL_UREG_BP] };
	const uint64_t (*reads)[2];
	int n = tl_unwind_reads(s->unw, &reads);
	uint64_t span = 0;

	if (n < 0 || n > TL_AGAIN_READS || !again_ready(s))
		return;
	for (int i = 0; i < n; i++) {
		uint64_t off = reads[i][0] - a.sp;

		if (off > TL_USTACK_MAX - 8)
			return;
		a.off[i] = (uint16_t)off;
		a.val[i] = reads[i][1];
		if (off + 8 > span)
			span = off + 8;
	}
	a.nreads = (uint16_t)n;
	a.span = (uint16_t)((span + 7) & ~7ull);
	if (++s->gen == 0)
		s->gen = 1;
	a.gen = s->gen;
	if (!slot_keep(&s->slots[a.gen % AGAIN_SLOTS], a.gen, u))
		return;
	if (bpf_map_update_elem(s->again_fd, &k, &a, BPF_ANY))
		s->slots[a.gen % AGAIN_SLOTS].gen = 0;
}

/* The stack of a repeated block: the one its gen names, NULL when that
 * is no longer known. */
static const struct tl_stack *again_stack(struct tl_stacks *s,
					  const struct tl_stack_raw *raw)
{
	struct tl_stack *u = (struct tl_stack *)s->unw_buf;
	struct again_slot *sl = s->slots ? &s->slots[raw->again % AGAIN_SLOTS] : NULL;

	/* forgotten: this block has no stack; the entry is replaced at the
	 * next refresh (TL_AGAIN_REFRESH) */
	if (!sl || sl->gen != raw->again || sl->tid != raw->h.tid) {
		s->st.again_lost++;
		return NULL;
	}
	const struct tl_stack *st = sl->buf.p;

	memcpy(u, st, st->h.size);
	u->h = raw->h;
	u->h.type = TL_STACK_UNWOUND;
	u->h.size = st->h.size;
	s->st.again++;
	return u;
}

const struct tl_stack *tl_stacks_unwind(struct tl_stacks *s,
					const struct tl_stack_raw *raw)
{
	struct tl_stack *u = (struct tl_stack *)s->unw_buf;
	uint64_t *ips = (uint64_t *)(u + 1);
	bool cut = false;
	int nk, nu = 0;
	size_t ulen;

	if (raw->h.size >= offsetof(struct tl_stack_raw, regs) &&
	    (raw->flags & TL_RAW_F_AGAIN)) {
		s->st.raw++;
		return again_stack(s, raw);
	}
	if (raw->h.size < sizeof(*raw))
		return NULL;
	s->st.raw++;
	ulen = raw->h.size - sizeof(*raw);
	if (raw->ustack_len < ulen)
		ulen = raw->ustack_len;
	nk = raw->nkern < TL_KSTACK_MAX ? raw->nkern : TL_KSTACK_MAX;
	memcpy(ips, raw->kips, nk * sizeof(*ips));
	if (!(raw->flags & TL_RAW_F_NO_USER))
		nu = tl_unwind(s->unw, raw->h.tgid, raw->h.tid, raw->aspace,
			       (const uint64_t *)raw->regs, raw + 1,
			       ulen, ips + nk, TL_USTACK_FRAMES, &cut);
	s->st.user_cut += nu && cut;
	*u = (struct tl_stack){ .h = raw->h, .nkern = (uint16_t)nk,
				.nuser = (uint16_t)nu,
				.flags = nu && cut ? TL_STACK_F_USER_CUT : 0 };
	u->h.type = TL_STACK_UNWOUND;
	u->h.size = (uint16_t)(sizeof(*u) + 8u * (unsigned)(nk + nu));
	/* a cut stack may be a passing failure (maps not read yet, say):
	 * repeats would copy it into every later block there */
	if (nu && !cut)
		again_arm(s, raw, u);
	return u;
}

int tl_stacks_intern(struct tl_stacks *s, const struct tl_stack *u,
		     tl_stack_emit_fn *emit, void *ctx)
{
	uint64_t buf[(sizeof(struct tl_stack) + 8 * TL_STACK_MAX_FRAMES) / 8];
	struct tl_stack *st = (struct tl_stack *)buf;
	uint64_t *ips = (uint64_t *)(st + 1);
	struct tl_stack_ref ref;
	int err = 0, nk, nu = u->nuser;
	bool fresh;

	if (u->h.size < sizeof(*u) + 8u * ((unsigned)u->nkern + u->nuser) ||
	    u->nkern > TL_KSTACK_MAX || u->nuser > TL_USTACK_FRAMES)
		return 0;
	nk = kernel_frames(s, u, ips, emit, ctx, &err);
	if (err)
		return err;
	memcpy(ips + nk, (const uint64_t *)(u + 1) + u->nkern, nu * sizeof(*ips));
	*st = (struct tl_stack){ .h = u->h, .nkern = (uint16_t)nk,
				 .nuser = (uint16_t)nu, .flags = u->flags };
	st->id = intern(s, u->h.tgid, ips, st->nkern, st->nuser, &fresh);
	if (!st->id)
		return -ENOMEM;
	if (fresh) {
		s->st.stacks++;
		st->h.type = TL_STACK;
		st->h.size = (uint16_t)(sizeof(*st) + 8u * (unsigned)(nk + nu));
		return emit(ctx, &st->h);
	}
	ref = (struct tl_stack_ref){ .h = u->h, .id = st->id };
	ref.h.type = TL_STACK_REF;
	ref.h.size = sizeof(ref);
	return emit(ctx, &ref.h);
}

int tl_stacks_on_raw(struct tl_stacks *s, const struct tl_stack_raw *raw,
		     tl_stack_emit_fn *emit, void *ctx)
{
	const struct tl_stack *u = tl_stacks_unwind(s, raw);

	return u ? tl_stacks_intern(s, u, emit, ctx) : 0;
}
