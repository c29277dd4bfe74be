/* symbolize.c - names addresses of a recorded process (symbolize.h): picks
 * the memory maps recorded for it at that time, loads the ELF files mapped
 * there into one libdwfl session per capture, and asks DWARF, then the
 * symbol table, then the mapping itself. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "symbolize_impl.h"
#include "util/hmap.h"
#include "waitfor.h"

#define MAX_PARENTS 8

struct mod {
	Dwfl_Module *mod;
	const struct tl_map *map;  /* the mapping at file offset 0 */
	bool usable;               /* the file on disk is the recorded one */
};

/* One DWARF variable index per file (path and build id), shared by every
 * process that maps it: DWARF addresses are the file's own, and the DIEs
 * stay valid because the session whose module built it lives as long as
 * the symbolizer. Indexing libc's debug file once, not once per process. */
struct shared_ix {
	struct shared_ix *next;
	const struct tl_map *map;  /* path and build id of the file */
	Dwfl_Module *owner;
	bool has_dwarf;            /* the owner found its DWARF */
	Dwarf_Addr owner_bias;     /* its DWARF's bias less its ELF's */
	struct tl_var_index ix;
};

/* One libdwfl session per maps capture, made when first needed. */
struct session {
	struct session *next;
	const struct tl_maps_snap *snap;
	Dwfl *dwfl;
	struct mod *mods;
	size_t nmods;
	const struct tl_map **tried;   /* files reported (or found unreadable) */
	size_t ntried;
};

/* A name looked up once: by maps capture (or process), address and a hint
 * of how a futex wait was made (0 for the address alone). */
struct name_ent {
	const void *snap;
	uint64_t addr, hint;
	struct tl_obj_name n;
};

/* An address the program named with a USDT mark (a section, a queue). */
struct marked {
	const struct tl_process *p;
	uint64_t addr;
	bool queue;
	char name[TL_USDT_STR_LEN];
};

struct tl_symbolizer {
	const struct tl_model *m;
	struct tl_vec marked;      /* struct marked */
	bool marks_read;
	struct session *sessions;
	struct shared_ix *indexes;
	struct tl_hmap names;      /* key hash -> struct name_ent * */
	struct tl_obj_name none;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

struct tl_symbolizer *tl_symbolizer_new(const struct tl_model *m)
{
	struct tl_symbolizer *s = calloc(1, sizeof(*s));

	/* names come from what is on this machine; nothing is downloaded */
	unsetenv("DEBUGINFOD_URLS");
	if (s)
		s->m = m;
	return s;
}

const struct tl_model *tl_symbolizer_model(const struct tl_symbolizer *s)
{
	return s->m;
}

void tl_symbolizer_free(struct tl_symbolizer *s)
{
	if (!s)
		return;
	while (s->indexes) {
		struct shared_ix *i = s->indexes;

		s->indexes = i->next;
		tl_var_index_free(&i->ix);
		free(i);
	}
	while (s->sessions) {
		struct session *x = s->sessions;

		s->sessions = x->next;
		free(x->mods);
		free(x->tried);
		if (x->dwfl)
			dwfl_end(x->dwfl);
		free(x);
	}
	tl_vec_free(&s->marked);
	for (size_t it = 0, k, v; tl_hmap_next(&s->names, &it, &k, &v);)
		free((void *)(uintptr_t)v);
	tl_hmap_free(&s->names);
	free(s);
}

/* ---- which maps ---- */

static const struct tl_map *map_at(const struct tl_maps_snap *sn, uint64_t addr)
{
	for (size_t i = 0; i < sn->n; i++)
		if (addr >= sn->maps[i].start && addr < sn->maps[i].end)
			return &sn->maps[i];
	return NULL;
}

/* The latest capture at or before ts that maps addr, else the earliest
 * after it; a forked child with none shares its parent's memory. */
static const struct tl_maps_snap *snap_for(const struct tl_process *p, uint64_t ts,
					   uint64_t addr)
{
	for (int depth = 0; p && depth < MAX_PARENTS; depth++) {
		const struct tl_maps_snap *best = NULL;

		for (size_t i = 0; i < p->nmaps; i++) {
			if (!map_at(&p->maps[i], addr))
				continue;
			if (p->maps[i].ts <= ts || !best || best->ts > ts)
				best = &p->maps[i];
			if (p->maps[i].ts > ts)
				break;
		}
		if (best || p->nmaps)
			return best;
		ts = p->start;
		p = p->parent;
	}
	return NULL;
}

/* ---- libdwfl sessions ---- */

static bool same_build_id(Dwfl_Module *mod, const struct tl_map *m)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);

	if (!m->build_id_len)
		return true; /* not recorded: trust the path */
	return n == m->build_id_len && !memcmp(bits, m->build_id, (size_t)n);
}

/* Only regular files are opened: a recording names paths, and opening a
 * FIFO or a device a recording names could block or read forever. */
static bool regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The mapping at offset 0 of the file mapped at m (where the file's first
 * PT_LOAD is) at or below addr, if the file can be read. */
static const struct tl_map *file_base(const struct tl_maps_snap *sn, const struct tl_map *m,
				      uint64_t addr)
{
	const struct tl_map *best = NULL;

	if (m->path[0] != '/' || (m->prot & TL_MAP_SHARED))
		return NULL;
	for (size_t i = 0; i < sn->n; i++) {
		const struct tl_map *b = &sn->maps[i];

		if (!b->offset && b->start <= addr && !(b->prot & TL_MAP_SHARED) &&
		    (!best || b->start > best->start) && !strcmp(b->path, m->path))
			best = b;
	}
	return best;
}

/* The file that may hold addr: the one mapped there, or for anonymous
 * memory the file mapped just below it (a .bss continues a library's data
 * segment in an anonymous mapping). */
static const struct tl_map *file_of(const struct tl_maps_snap *sn, uint64_t addr)
{
	const struct tl_map *m = map_at(sn, addr), *below = NULL;

	if (m && m->path[0])
		return file_base(sn, m, addr);
	for (size_t i = 0; i < sn->n; i++) {
		const struct tl_map *b = &sn->maps[i];

		if (b->end <= addr && b->path[0] && (!below || b->end > below->end))
			below = b;
	}
	return below ? file_base(sn, below, addr) : NULL;
}

/* Files are reported to libdwfl one by one as addresses need them: a
 * process maps dozens of libraries, and each reported file is mapped and
 * its headers and symbol tables read, for every process, while a name
 * needs one or two. */
static void report_file_at(struct session *x, uint64_t addr)
{
	const struct tl_map *m = file_of(x->snap, addr);
	Dwfl_Module *mod;

	if (!m || !x->dwfl || !x->mods)
		return;
	for (size_t i = 0; i < x->ntried; i++)
		if (x->tried[i] == m)
			return;
	x->tried[x->ntried++] = m;
	if (!regular_file(m->path))
		return;
	dwfl_report_begin_add(x->dwfl);
	mod = dwfl_report_elf(x->dwfl, m->path, m->path, -1, m->start, false);
	dwfl_report_end(x->dwfl, NULL, NULL);
	if (mod)
		x->mods[x->nmods++] = (struct mod){ .mod = mod, .map = m,
						    .usable = same_build_id(mod, m) };
}

static struct session *session_for(struct tl_symbolizer *s, const struct tl_maps_snap *sn)
{
	struct session *x;

	for (x = s->sessions; x; x = x->next)
		if (x->snap == sn)
			return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->snap = sn;
	x->dwfl = dwfl_begin(&callbacks);
	x->mods = calloc(sn->n ? sn->n : 1, sizeof(*x->mods));
	x->tried = calloc(sn->n ? sn->n : 1, sizeof(*x->tried));
	if (!x->mods || !x->tried) {
		free(x->mods);
		x->mods = NULL;
	}
	x->next = s->sessions;
	s->sessions = x;
	return x;
}

static struct mod *mod_of(struct session *x, Dwfl_Module *dm)
{
	for (size_t i = 0; i < x->nmods; i++)
		if (x->mods[i].mod == dm)
			return &x->mods[i];
	return NULL;
}

/* The module that mapped pc in process p at ts, when its file on disk is
 * the one recorded (the code address of a stack frame, stacksym.c). */
Dwfl_Module *tl_sym_module(struct tl_symbolizer *s, const struct tl_process *p,
			   uint64_t ts, uint64_t pc, const char **path)
{
	const struct tl_maps_snap *sn = snap_for(p, ts, pc);
	struct session *x = sn ? session_for(s, sn) : NULL;
	Dwfl_Module *dm;

	if (x)
		report_file_at(x, pc);
	dm = x && x->dwfl ? dwfl_addrmodule(x->dwfl, pc) : NULL;
	struct mod *md = dm ? mod_of(x, dm) : NULL;

	if (!md || !md->usable)
		return NULL;
	*path = md->map->path;
	return dm;
}

/* ---- names ---- */

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* CPython keeps the GIL state (208 bytes: locked, cond, mutex,
 * switch_cond, switch_mutex) inside _PyRuntime, at an offset that depends
 * on the minor version (Include/internal/pycore_gil.h, pycore_runtime.h). */
static int64_t gil_offset(const char *path)
{
	const char *v = strstr(base_name(path), "python3.");
	int minor;

	if (!v || sscanf(v + 8, "%d", &minor) != 1)
		return -1;
	switch (minor) {
	case 11: return 0x168;
	case 12: return 0x12e78;
	case 13: return 0x17768;
	default: return -1;
	}
}

static void gil_name(struct tl_obj_name *o, uint64_t off)
{
	static const struct { uint64_t end; const char *part; enum tl_lock_kind k; } parts[] = {
		{ 0x20, "state", TL_LK_OTHER }, { 0x50, "cond", TL_LK_CONDVAR },
		{ 0x78, "mutex", TL_LK_MUTEX }, { 0xa8, "switch_cond", TL_LK_CONDVAR },
		{ 0xd0, "switch_mutex", TL_LK_MUTEX },
	};
	size_t i = 0;

	while (i + 1 < sizeof(parts) / sizeof(parts[0]) && off >= parts[i].end)
		i++;
	o->kind = TL_OBJ_GIL;
	o->lock = parts[i].k;
	o->base = o->addr - off + (i ? parts[i - 1].end : 0);
	snprintf(o->name, sizeof(o->name), "the GIL (%s)", parts[i].part);
}

/* A DWARF path through CPython's gil state names the GIL too. */
static void gil_from_path(struct tl_obj_name *o)
{
	const char *g = strstr(o->name, "_PyRuntime");
	const char *p = g ? strstr(g, "gil") : NULL;
	char part[48] = "";

	if (!p || (p[3] != '.' && p[3] != '\0'))
		return;
	if (p[3] == '.')
		sscanf(p + 4, "%47[A-Za-z_]", part);
	o->kind = TL_OBJ_GIL;
	if (!strcmp(part, "mutex") || !strcmp(part, "switch_mutex"))
		o->lock = TL_LK_MUTEX;
	else if (!strcmp(part, "cond") || !strcmp(part, "switch_cond"))
		o->lock = TL_LK_CONDVAR;
	snprintf(o->name, sizeof(o->name), "the GIL (%s)", part[0] ? part : "state");
}

static void suffix_lib(struct tl_obj_name *o, const struct mod *md, const struct session *x)
{
	if (md->map == &x->snap->maps[0] || o->kind == TL_OBJ_GIL)
		return; /* the executable, mapped first, needs no suffix */
	snprintf(o->name + strlen(o->name), sizeof(o->name) - strlen(o->name), " (%s)",
		 base_name(md->map->path));
}

static bool name_symbol(struct mod *md, uint64_t addr, struct tl_obj_name *o)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *nm = dwfl_module_addrinfo(md->mod, addr, &off, &sym, NULL, NULL, NULL);
	int64_t gil;

	if (!nm || (sym.st_size ? off >= sym.st_size : off != 0))
		return false;
	gil = strcmp(nm, "_PyRuntime") ? -1 : gil_offset(md->map->path);
	if (gil >= 0 && off >= (uint64_t)gil && off < (uint64_t)gil + 208) {
		gil_name(o, off - (uint64_t)gil);
		return true;
	}
	o->kind = TL_OBJ_SYMBOL;
	if (off)
		snprintf(o->name, sizeof(o->name), "%s+0x%" PRIx64, nm, (uint64_t)off);
	else
		snprintf(o->name, sizeof(o->name), "%s", nm);
	return true;
}

static bool same_file(const struct tl_map *a, const struct tl_map *b)
{
	if (a->build_id_len || b->build_id_len)
		return a->build_id_len == b->build_id_len &&
		       !memcmp(a->build_id, b->build_id, a->build_id_len);
	return !strcmp(a->path, b->path);
}

/* The file's index; its first module to ask is its owner, the only one
 * that loads the DWARF (a debug file: megabytes mapped and decompressed,
 * once, not once per process). */
static struct shared_ix *index_for(struct tl_symbolizer *s, const struct mod *md)
{
	struct shared_ix *i;
	Dwarf_Addr dbias, ebias;

	for (i = s->indexes; i; i = i->next)
		if (same_file(i->map, md->map))
			return i;
	i = calloc(1, sizeof(*i));
	if (!i)
		return NULL;
	i->map = md->map;
	i->owner = md->mod;
	i->has_dwarf = dwfl_module_getdwarf(md->mod, &dbias) &&
		       dwfl_module_getelf(md->mod, &ebias);
	i->owner_bias = i->has_dwarf ? dbias - ebias : 0;
	i->next = s->indexes;
	s->indexes = i;
	return i;
}

static bool name_in_module(struct tl_symbolizer *s, struct session *x, uint64_t addr,
			   struct tl_obj_name *o)
{
	Dwfl_Module *dm;

	report_file_at(x, addr);
	dm = x->dwfl ? dwfl_addrmodule(x->dwfl, addr) : NULL;
	struct mod *md = dm ? mod_of(x, dm) : NULL;
	struct shared_ix *ix;
	Dwarf_Addr bias;
	Dwarf_Word inner = 0;

	if (!md || !md->usable)
		return false;
	/* this module's DWARF bias is its ELF's plus what the owner's DWARF
	 * adds to the owner's ELF (the same file) */
	if ((ix = index_for(s, md)) && ix->has_dwarf && dwfl_module_getelf(dm, &bias) &&
	    tl_dwarf_name(ix->owner, &ix->ix, addr - bias - ix->owner_bias, o->name,
			  sizeof(o->name), &o->lock, &inner)) {
		o->kind = TL_OBJ_VAR;
		o->base = addr - inner;
		gil_from_path(o);
	} else if (!name_symbol(md, addr, o)) {
		return false;
	}
	suffix_lib(o, md, x);
	return true;
}

/* A shared mapping: a file (/dev/shm/NAME is a POSIX segment), a System V
 * segment (the kernel shows "/SYSV<key> (deleted)"), or anonymous shared
 * memory (shown as "/dev/zero (deleted)"), which only a fork shares. */
static void shared_name(const struct tl_map *m, uint64_t addr, struct tl_obj_name *o)
{
	uint64_t off = addr - m->start + m->offset;
	unsigned key;

	o->kind = TL_OBJ_SHARED;
	if (!m->path[0] || !strncmp(m->path, "/dev/zero", 9))
		snprintf(o->name, sizeof(o->name), "shared anonymous memory 0x%" PRIx64 "+0x%"
			 PRIx64, m->start, addr - m->start);
	else if (sscanf(m->path, "/SYSV%x", &key) == 1)
		snprintf(o->name, sizeof(o->name), "System V shared memory key 0x%x+0x%" PRIx64,
			 key, off);
	else
		snprintf(o->name, sizeof(o->name), "shared memory %s+0x%" PRIx64, m->path, off);
}

/* What memory it is, when no variable or symbol covers it. */
static void name_memory(const struct tl_symbolizer *s, const struct tl_map *m,
			uint64_t addr, uint64_t ts, struct tl_obj_name *o)
{
	const struct tl_thread *t = m->stack_tid ? tl_model_find_thread(s->m, m->stack_tid, ts) : NULL;
	const char *who;

	if (m->stack_tid) {
		if (!t) /* captured before or after ts: its latest use of the TID */
			t = tl_model_find_thread(s->m, m->stack_tid, 0);
		who = t ? tl_thread_name(t) : tl_model_task_name(s->m, m->stack_tid);
		o->kind = TL_OBJ_STACK;
		o->tid = m->stack_tid;
		snprintf(o->name, sizeof(o->name), "stack of thread %s (%u)",
			 who && who[0] ? who : "?", m->stack_tid);
	} else if (!strcmp(m->path, "[heap]")) {
		o->kind = TL_OBJ_HEAP;
		snprintf(o->name, sizeof(o->name), "heap 0x%" PRIx64, addr);
	} else if (m->prot & TL_MAP_SHARED) {
		shared_name(m, addr, o);
	} else if (m->path[0] == '/') {
		o->kind = TL_OBJ_FILE;
		snprintf(o->name, sizeof(o->name), "%s+0x%" PRIx64, base_name(m->path),
			 addr - m->start + m->offset);
	} else {
		o->kind = TL_OBJ_ANON;
		snprintf(o->name, sizeof(o->name), "anonymous memory 0x%" PRIx64, addr);
	}
}

/* ---- names from USDT marks ---- */

#define QUEUE_SPAN 512 /* a queue's locks lie this close after its address */

static bool known_mark(const struct tl_symbolizer *s, const struct marked *k)
{
	const struct marked *m = s->marked.p;

	for (size_t i = 0; i < s->marked.n; i++)
		if (m[i].p == k->p && m[i].addr == k->addr && m[i].queue == k->queue)
			return true;
	return false;
}

static void read_marks(struct tl_symbolizer *s)
{
	s->marks_read = true;
	for (size_t i = 0; i < tl_model_nmarks(s->m); i++) {
		const struct tl_mark *mk = tl_model_mark(s->m, i);
		const struct tl_thread *t;
		struct marked k = { .queue = mk->kind != TL_USDT_SECTION_ENTER };
		struct marked *v;

		if ((mk->kind != TL_USDT_SECTION_ENTER && mk->kind != TL_USDT_QUEUE_PUT &&
		     mk->kind != TL_USDT_QUEUE_GET) || !mk->args[0] || !mk->str[0])
			continue;
		t = tl_model_find_thread(s->m, mk->tid, mk->ts);
		if (!t)
			continue;
		k.p = t->proc;
		k.addr = mk->args[0];
		snprintf(k.name, sizeof(k.name), "%.*s", (int)sizeof(mk->str), mk->str);
		if (known_mark(s, &k))
			continue;
		v = tl_vec_push_uninit(&s->marked, sizeof(*v));
		if (!v)
			return;
		*v = k;
	}
}

/* A section whose address is addr, else the queue addr lies in; the marks
 * of p or of an ancestor that shares the memory. */
static bool name_marked(struct tl_symbolizer *s, const struct tl_process *p, uint64_t addr,
			struct tl_obj_name *o)
{
	const struct marked *best = NULL;

	if (!s->marks_read)
		read_marks(s);
	for (int depth = 0; p && depth < MAX_PARENTS && !best; depth++, p = p->parent)
		for (size_t i = 0; i < s->marked.n; i++) {
			const struct marked *k = &TL_VEC_AT(&s->marked, struct marked, i);

			if (k->p != p || addr < k->addr)
				continue;
			if (!k->queue && k->addr == addr) {
				best = k;
				break;
			}
			if (k->queue && addr - k->addr < QUEUE_SPAN &&
			    (!best || k->addr > best->addr))
				best = k;
		}
	if (!best)
		return false;
	o->kind = TL_OBJ_MARKED;
	if (!best->queue || addr == best->addr)
		snprintf(o->name, sizeof(o->name), "%s%s", best->queue ? "queue " : "",
			 best->name);
	else
		snprintf(o->name, sizeof(o->name), "queue %s+0x%" PRIx64, best->name,
			 addr - best->addr);
	return true;
}

static uint64_t name_hash(const void *snap, uint64_t addr, uint64_t hint)
{
	return ((uintptr_t)snap ^ addr ^ hint * 0x9e3779b97f4a7c15ull) * 0x9e3779b97f4a7c15ull;
}

static struct name_ent *cached(struct tl_symbolizer *s, const void *snap, uint64_t addr,
			       uint64_t hint)
{
	uint64_t h = name_hash(snap, addr, hint);
	size_t pos = tl_hmap_probe_start(&s->names, h);
	const uint64_t *v;

	while ((v = tl_hmap_probe(&s->names, h, &pos))) {
		struct name_ent *e = (struct name_ent *)(uintptr_t)*v;

		if (e->snap == snap && e->addr == addr && e->hint == hint)
			return e;
	}
	return NULL;
}

static struct name_ent *add(struct tl_symbolizer *s, const void *snap, uint64_t addr,
			    uint64_t hint)
{
	struct name_ent *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	if (tl_hmap_add(&s->names, name_hash(snap, addr, hint), (uintptr_t)e)) {
		free(e);
		return NULL;
	}
	e->snap = snap;
	e->addr = addr;
	e->hint = hint;
	e->n.addr = e->n.base = addr;
	return e;
}

const struct tl_obj_name *tl_sym_addr(struct tl_symbolizer *s, const struct tl_process *p,
				      uint64_t ts, uint64_t addr)
{
	const struct tl_maps_snap *sn = snap_for(p, ts, addr);
	const void *key = sn ? (const void *)sn : (const void *)p;
	struct name_ent *e = cached(s, key, addr, 0);
	struct session *x;

	if (e)
		return &e->n;
	e = add(s, key, addr, 0);
	if (!e) {
		snprintf(s->none.name, sizeof(s->none.name), "0x%" PRIx64, addr);
		return &s->none;
	}
	x = sn ? session_for(s, sn) : NULL;
	if (x && name_in_module(s, x, addr, &e->n))
		return &e->n;
	if (name_marked(s, p, addr, &e->n))
		return &e->n;
	if (sn)
		name_memory(s, map_at(sn, addr), addr, ts, &e->n);
	else
		snprintf(e->n.name, sizeof(e->n.name), "0x%" PRIx64, addr);
	return &e->n;
}

/* ---- futex waits ---- */

const char *tl_lock_kind_name(enum tl_lock_kind k)
{
	static const char *const names[TL_LK_COUNT] = {
		[TL_LK_OTHER] = "futex", [TL_LK_MUTEX] = "mutex",
		[TL_LK_CONDVAR] = "condvar", [TL_LK_SEMAPHORE] = "semaphore",
		[TL_LK_RWLOCK] = "rwlock", [TL_LK_BARRIER] = "barrier",
		[TL_LK_JOIN] = "join", [TL_LK_WAIT_OR_SIGNAL] = "cond/sem",
	};

	return (unsigned)k < TL_LK_COUNT ? names[k] : "futex";
}

/* The thread of p (or of its tree's memory) a pthread_join waits for:
 * glibc waits on the joined thread's TID word with that TID as value. */
static const struct tl_thread *joined(const struct tl_symbolizer *s,
				      const struct tl_process *p, uint32_t val, uint64_t ts)
{
	const struct tl_thread *t = val ? tl_thread_alive(s->m, val, ts) : NULL;

	return t && t->proc == p ? t : NULL;
}

/* The kind a futex wait shows by itself: glibc's contended lock waits with
 * value 2 (nptl/lowlevellock.c), PI locks have their own operation, join
 * waits on a TID, and condvars and semaphores wait for a change from 0. */
static enum tl_lock_kind kind_of_wait(const struct tl_block *b)
{
	uint32_t val = (uint32_t)b->args[2];

	if (b->futex == TL_FUTEX_LOCK_PI)
		return TL_LK_MUTEX;
	if ((b->futex == TL_FUTEX_WAIT || b->futex == TL_FUTEX_WAIT_BITSET) && val == 2)
		return TL_LK_MUTEX;
	if (b->futex == TL_FUTEX_WAIT_BITSET && val == 0)
		return TL_LK_WAIT_OR_SIGNAL;
	return TL_LK_OTHER;
}

const struct tl_obj_name *tl_sym_futex(struct tl_symbolizer *s, const struct tl_process *p,
				       uint64_t ts, const struct tl_block *b)
{
	const struct tl_obj_name *base;
	const struct tl_thread *j;
	struct name_ent *e;
	uint64_t hint;

	if (b->why != TL_WHY_FUTEX || !b->has_obj)
		return NULL;
	base = tl_sym_addr(s, p, ts, b->obj);
	j = b->futex == TL_FUTEX_WAIT_BITSET ? joined(s, p, (uint32_t)b->args[2], ts) : NULL;
	if (!j && base->lock != TL_LK_OTHER)
		return base; /* the type said it */
	hint = j ? (1ull << 40) | j->tid : 1 + kind_of_wait(b);
	e = cached(s, base, b->obj, hint);
	if (e)
		return &e->n;
	e = add(s, base, b->obj, hint);
	if (!e)
		return base;
	e->n = *base;
	if (j) {
		e->n.lock = TL_LK_JOIN;
		e->n.tid = j->tid;
		snprintf(e->n.name, sizeof(e->n.name), "%s (%u)", tl_thread_name(j), j->tid);
	} else {
		e->n.lock = kind_of_wait(b);
	}
	return &e->n;
}
