/* procmaps.c - captures /proc/<pid>/maps into TL_PROC_MAPS records and
 * tracks which addresses each process's last capture covers (procmaps.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <elfutils/libdwelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procinfo.h"
#include "procmaps.h"
#include "util/hmap.h"

#define MAX_MAPS 4096
#define MAX_TASKS 4096
#define RECAPTURE_NS 50000000ull

struct map_line {
	struct tl_map_entry e;
	char path[256];
};

/* ---- the tracker ---- */

struct seen {
	uint64_t last_ts;   /* trace time of the last capture */
	size_t n;
	uint64_t (*r)[2];   /* [start, end) of every mapping, sorted */
};

struct tl_maps_tracker {
	struct tl_hmap by_tgid; /* tgid -> struct seen * */
};

struct tl_maps_tracker *tl_maps_tracker_new(void)
{
	return calloc(1, sizeof(struct tl_maps_tracker));
}

static void seen_free(struct seen *s)
{
	if (s)
		free(s->r);
	free(s);
}

void tl_maps_forget(struct tl_maps_tracker *t, uint32_t tgid)
{
	seen_free(tl_hmap_get_ptr(&t->by_tgid, tgid));
	tl_hmap_del(&t->by_tgid, tgid);
}

void tl_maps_tracker_free(struct tl_maps_tracker *t)
{
	if (!t)
		return;
	for (size_t it = 0, k, v; tl_hmap_next(&t->by_tgid, &it, &k, &v);)
		seen_free((struct seen *)(uintptr_t)v);
	tl_hmap_free(&t->by_tgid);
	free(t);
}

static bool covers(const struct seen *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < s->r[mid][0])
			hi = mid;
		else if (addr >= s->r[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

bool tl_maps_need(struct tl_maps_tracker *t, uint32_t tgid, uint64_t addr,
		  uint64_t ts)
{
	struct seen *s = tl_hmap_get_ptr(&t->by_tgid, tgid);

	if (!s)
		return true;
	if (covers(s, addr))
		return false;
	return ts >= s->last_ts + RECAPTURE_NS;
}

static void remember(struct tl_maps_tracker *t, uint32_t tgid, uint64_t ts,
		     const struct map_line *m, size_t n)
{
	struct seen *s;

	tl_maps_forget(t, tgid);
	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->r = calloc(n ? n : 1, sizeof(*s->r));
	if (!s->r) {
		free(s);
		return;
	}
	for (size_t i = 0; i < n; i++) { /* /proc lists mappings in order */
		s->r[i][0] = m[i].e.start;
		s->r[i][1] = m[i].e.end;
	}
	s->n = n;
	s->last_ts = ts;
	if (tl_hmap_put_ptr(&t->by_tgid, tgid, s))
		seen_free(s); /* no memory: captured again next time */
}

/* ---- reading /proc ---- */

static bool parse_line(const char *line, struct map_line *m)
{
	unsigned long long a, b, off;
	char perms[8];
	int n = 0;
	size_t len;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &a, &b, perms, &off, &n) < 4 || !n)
		return false;
	m->e.start = a;
	m->e.end = b;
	m->e.offset = off;
	m->e.prot = (perms[0] == 'r' ? TL_MAP_R : 0) | (perms[1] == 'w' ? TL_MAP_W : 0) |
		    (perms[2] == 'x' ? TL_MAP_X : 0) | (perms[3] == 's' ? TL_MAP_SHARED : 0);
	snprintf(m->path, sizeof(m->path), "%s", line + n);
	len = strcspn(m->path, "\n");
	m->path[len] = '\0';
	m->e.path_len = (uint16_t)len;
	return true;
}

static size_t read_maps(pid_t pid, struct map_line *m, size_t max)
{
	char path[64], line[512];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f))
		n += parse_line(line, &m[n]);
	fclose(f);
	return n;
}

/* The GNU build id of the ELF file at path (0 when none or unreadable). */
static uint8_t build_id(const char *path, uint8_t *out)
{
	const void *id = NULL;
	ssize_t len = 0;
	struct stat st;
	Elf *e;
	int fd;

	/* mapped devices (a GPU's node) are not opened: only regular files */
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (e) {
		len = dwelf_elf_gnu_build_id(e, &id);
		if (len > 0 && len <= TL_MAP_BUILD_ID_MAX)
			memcpy(out, id, (size_t)len);
		else
			len = 0;
		elf_end(e);
	}
	close(fd);
	return (uint8_t)len;
}

/* Every mapping of a file gets the file's build id, read once. */
static void add_build_ids(struct map_line *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (m[i].path[0] != '/')
			continue;
		if (i && !strcmp(m[i - 1].path, m[i].path)) {
			m[i].e.build_id_len = m[i - 1].e.build_id_len;
			memcpy(m[i].e.build_id, m[i - 1].e.build_id, TL_MAP_BUILD_ID_MAX);
			continue;
		}
		m[i].e.build_id_len = build_id(m[i].path, m[i].e.build_id);
	}
}

/* The user stack pointer of a thread blocked in a syscall, from
 * /proc/<pid>/task/<tid>/syscall ("nr args... sp pc"); 0 if running. */
static uint64_t thread_sp(pid_t pid, pid_t tid)
{
	char path[96], buf[512], *last, *prev;
	unsigned long long sp = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	last = strrchr(buf, ' ');
	if (!last)
		return 0;
	*last = '\0';
	prev = strrchr(buf, ' ');
	if (prev && sscanf(prev + 1, "%llx", &sp) != 1)
		sp = 0;
	return sp;
}

/* Which mapping is whose stack: a thread blocked in a syscall shows its
 * stack pointer; the main thread's is [stack] even when it runs. */
static void add_stacks(pid_t pid, struct map_line *m, size_t n)
{
	static pid_t tids[MAX_TASKS];
	int nt = tl_proc_threads(pid, tids, MAX_TASKS);

	for (int i = 0; i < nt; i++) {
		uint64_t sp = thread_sp(pid, tids[i]);

		for (size_t k = 0; sp && k < n; k++)
			if (sp >= m[k].e.start && sp < m[k].e.end && !m[k].e.stack_tid)
				m[k].e.stack_tid = (uint32_t)tids[i];
	}
	for (size_t k = 0; k < n; k++)
		if (!m[k].e.stack_tid && !strcmp(m[k].path, "[stack]"))
			m[k].e.stack_tid = (uint32_t)pid;
}

/* ---- lock owners of tasks blocked at the start ---- */

#define NR_FUTEX 202
#define FUTEX_CMD_MASK 0x7f
#define FUTEX_TID_MASK 0x3fffffff

uint32_t tl_futex_owner_now(pid_t pid, const struct tl_blocked *why)
{
	uint64_t cmd = why->args[1] & FUTEX_CMD_MASK, at;
	char path[64];
	uint32_t v = 0;
	int fd;

	if (why->sys_nr != NR_FUTEX)
		return 0;
	if ((cmd == 0 || cmd == 9) && (uint32_t)why->args[2] == 2) /* WAIT, WAIT_BITSET */
		at = why->args[0] + 8;
	else if (cmd == 6 || cmd == 13) /* LOCK_PI, LOCK_PI2 */
		at = why->args[0];
	else
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &v, sizeof(v), (off_t)at) != (ssize_t)sizeof(v))
		v = 0;
	close(fd);
	return at == why->args[0] ? v & FUTEX_TID_MASK : v;
}

/* ---- records ---- */

struct out {
	uint64_t buf[(sizeof(struct tl_proc_maps) + TL_PROC_MAPS_MAX) / 8];
	size_t len;
	struct tl_proc_maps *pm;
};

static void out_start(struct out *o, pid_t pid, uint64_t ts, uint16_t cpu, bool cont)
{
	o->pm = (struct tl_proc_maps *)o->buf;
	memset(o->pm, 0, sizeof(*o->pm));
	o->pm->h = (struct tl_hdr){ .type = TL_PROC_MAPS, .cpu = cpu, .ts = ts,
				    .tgid = (uint32_t)pid, .tid = (uint32_t)pid };
	o->pm->flags = cont ? TL_MAPS_F_CONT : 0;
	o->len = sizeof(*o->pm);
}

static size_t entry_bytes(const struct map_line *m)
{
	return sizeof(m->e) + ((m->e.path_len + 7u) & ~7u);
}

static void out_add(struct out *o, const struct map_line *m)
{
	char *p = (char *)o->buf + o->len;
	size_t n = entry_bytes(m);

	memset(p, 0, n);
	memcpy(p, &m->e, sizeof(m->e));
	memcpy(p + sizeof(m->e), m->path, m->e.path_len);
	o->len += n;
	o->pm->count++;
}

static int emit_all(pid_t pid, uint64_t ts, uint16_t cpu, const struct map_line *m,
		    size_t n, tl_maps_emit_fn *emit, void *ctx)
{
	static struct out o;
	int e;

	out_start(&o, pid, ts, cpu, false);
	for (size_t i = 0; i < n; i++) {
		if (o.len + entry_bytes(&m[i]) > sizeof(o.buf)) {
			o.pm->h.size = (uint16_t)o.len;
			if ((e = emit(ctx, &o.pm->h)))
				return e;
			out_start(&o, pid, ts, cpu, true);
		}
		out_add(&o, &m[i]);
	}
	o.pm->h.size = (uint16_t)o.len;
	return emit(ctx, &o.pm->h);
}

int tl_maps_capture(struct tl_maps_tracker *t, pid_t pid, uint64_t ts,
		    uint16_t cpu, tl_maps_emit_fn *emit, void *ctx)
{
	static struct map_line m[MAX_MAPS];
	size_t n = read_maps(pid, m, MAX_MAPS);

	if (!n) {
		if (t) /* gone: no new try before the rate limit allows */
			remember(t, (uint32_t)pid, ts, m, 0);
		return -ENOENT;
	}
	add_build_ids(m, n);
	add_stacks(pid, m, n);
	if (t)
		remember(t, (uint32_t)pid, ts, m, n);
	return emit_all(pid, ts, cpu, m, n, emit, ctx);
}
