/* record_targets.c - what `record` traces besides a launched command:
 * checking the -p PIDs (no kernel threads), the whole existing tree of each
 * (found through /proc once the probes are attached), the tasks seen just
 * before attaching that may be gone by the snapshot after it, and which ELF
 * file's USDT probes a target runs (a script's are its interpreter's). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel/procinfo.h"
#include "kernel/session.h"
#include "record_cmd.h"
#include "record_impl.h"

#define TASK_DEAD_STATES (0x10 | 0x20 | 0x80) /* EXIT_DEAD, EXIT_ZOMBIE, TASK_DEAD */
#define PF_KTHREAD_FLAG 0x00200000u /* task flags: a kernel thread */

static bool in_tids(const struct tl_vec *v, uint32_t tid)
{
	for (size_t i = 0; i < v->n; i++)
		if (TL_VEC_AT(v, uint32_t, i) == tid)
			return true;
	return false;
}

/* A task of the snapshot taken before attaching that has died since: the
 * probes saw its end, or it ended unseen; its entry from before stands
 * (a second, dead one would look like a new process with the same PID). */
bool tl_rec_died_since_early(const struct rec *r, const struct tl_task_snap *s)
{
	return (s->state & TASK_DEAD_STATES) && in_tids(&r->early_tids, s->h.tid);
}

int tl_rec_note_seen(struct rec *r, uint32_t tid)
{
	uint32_t *v;

	if (!r->early_tids.n)
		return 0;
	v = tl_vec_push_uninit(&r->seen_tids, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = tid;
	return 0;
}

/* Whether pid is a kernel thread: the flags field of /proc/PID/stat, the
 * ninth, counted after the comm's closing parenthesis (a comm may hold
 * spaces and parentheses). */
static bool kernel_thread(pid_t pid)
{
	char path[64], buf[1024];
	unsigned flags = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) != 1)
		return false;
	return flags & PF_KTHREAD_FLAG;
}

/* -p takes PIDs; a TID given by mistake stands for its process. A kernel
 * thread runs no program: nothing of it would be traced but its switches,
 * so it is refused as a usage error. */
int tl_rec_check_pids(struct tl_record_opts *o)
{
	struct tl_proc_status st;

	for (int i = 0; i < o->npids; i++) {
		if (tl_proc_read_status(o->pids[i], &st)) {
			fail_line("no such process: %d", (int)o->pids[i]);
			return 1;
		}
		if (kernel_thread(o->pids[i])) {
			usage_line("%d (%s) is a kernel thread, not a program; -a traces "
				   "the whole system", (int)o->pids[i], st.name);
			return 2;
		}
		o->pids[i] = st.tgid;
	}
	return 0;
}

/* Whether path starts with "#!": then its interpreter (the first word of
 * that line) is put in buf. */
static bool interpreter_of(const char *path, char *buf, size_t len)
{
	char head[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof(head) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n < 3 || head[0] != '#' || head[1] != '!')
		return false;
	head[n] = '\0';
	const char *p = head + 2 + strspn(head + 2, " \t");
	size_t w = strcspn(p, " \t\n");
	if (!w || w >= len)
		return false;
	memcpy(buf, p, w);
	buf[w] = '\0';
	return true;
}

const char *tl_usdt_binary(const char *path, char *buf, size_t len)
{
	char elf[4];
	/* the kernel follows a few interpreters that are scripts themselves */
	for (int depth = 0; depth < 4; depth++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, elf, sizeof(elf)) : -1;

		if (fd >= 0)
			close(fd);
		if (n == sizeof(elf) && !memcmp(elf, "\x7f" "ELF", 4))
			return path;
		if (!interpreter_of(path, buf, len))
			return NULL;
		path = buf;
	}
	return NULL;
}

/* Keeps a record (8-byte aligned, as every record is) for the recording. */
static int keep_early(struct rec *r, const struct tl_hdr *h)
{
	size_t words = ((size_t)h->size + 7) / 8;

	if (tl_vec_reserve(&r->early, 8, r->early.n + words))
		return -ENOMEM;
	memcpy(&TL_VEC_AT(&r->early, uint64_t, r->early.n), h, h->size);
	r->early.n += words;
	return 0;
}

/* A target may exit while the probes are attached, which takes a while:
 * its tasks and identity are taken first, so that it is recorded with its
 * parent, command line and state even when the snapshot after attaching
 * no longer finds it (events seen later win over these in the model). */
static int on_early_snapshot(void *ctx, const struct tl_hdr *h)
{
	uint64_t buf[(sizeof(struct tl_proc_info) + TL_PROC_INFO_MAX_CMDLINE) / 8 + 1];
	struct tl_proc_info *pi = (struct tl_proc_info *)buf;
	struct rec *r = ctx;
	uint32_t *tid = tl_vec_push_uninit(&r->early_tids, sizeof(*tid));
	int e = tid ? keep_early(r, h) : -ENOMEM;

	if (tid)
		*tid = h->tid;
	if (e || h->tid != h->tgid)
		return e;
	if (!tl_rec_proc_info((pid_t)h->tgid, h->ts, h->cpu, pi, sizeof(buf)))
		return 0;
	return keep_early(r, &pi->h);
}

void tl_rec_early_snapshot(struct rec *r)
{
	int e;

	if (!r->o->npids)
		return;
	e = tl_session_snapshot(r->s, on_early_snapshot, r);
	if (e)
		fprintf(stderr, "threadline: warning: no snapshot before attaching: %s\n",
			strerror(-e));
}

/* After the snapshot that follows attaching: the tasks it no longer found
 * alive get what was taken of them before (a process's command line goes
 * with its leader). */
int tl_rec_inject_early(struct rec *r)
{
	size_t off = 0;
	int e = 0;

	while (!e && off < r->early.n) {
		const struct tl_hdr *h = (const void *)&TL_VEC_AT(&r->early, uint64_t, off);

		if (!in_tids(&r->seen_tids, h->tid))
			e = tl_collector_inject(r->c, h);
		off += ((size_t)h->size + 7) / 8;
	}
	tl_vec_free(&r->early);
	return e;
}

static bool is_target(const struct rec *r, pid_t pid)
{
	for (int i = 0; i < r->o->npids; i++)
		if (r->o->pids[i] == pid)
			return true;
	for (size_t i = 0; i < r->tree.n; i++)
		if (TL_VEC_AT(&r->tree, pid_t, i) == pid)
			return true;
	return false;
}

/* One pass over /proc: adds the descendants of the -p processes not added
 * yet. Returns how many it added, or -errno. */
static int add_descendants_once(struct rec *r)
{
	pid_t *found, *slot;
	int n = tl_proc_descendants(r->o->pids, r->o->npids, &found), added = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		/* `record -p $$` from a shell: the recorder is not a target */
		if (is_target(r, found[i]) || found[i] == getpid())
			continue;
		slot = tl_vec_push_uninit(&r->tree, sizeof(*slot));
		if (slot)
			*slot = found[i];
		if (!slot || tl_session_add_tgid(r->s, (uint32_t)found[i])) {
			free(found);
			return -ENOMEM;
		}
		added++;
	}
	free(found);
	return added;
}

/* -p takes the whole existing tree. Run once the probes are attached:
 * from then on a traced process's forks join the filter in the kernel, so
 * a child started after a pass that added its parent is followed there,
 * and one started before is seen by the next pass; passes repeat until
 * one finds nothing new. */
int tl_rec_add_descendants(struct rec *r)
{
	int n;

	if (!r->o->npids || r->o->all)
		return 0;
	while ((n = add_descendants_once(r)) > 0)
		;
	if (n < 0) {
		fail_line("cannot follow the children of the -p processes: %s",
			  strerror(-n));
		return 1;
	}
	if (r->o->verbose && r->tree.n)
		fprintf(stderr, "threadline: also tracing %zu descendants of the "
			"-p processes\n", r->tree.n);
	return 0;
}
