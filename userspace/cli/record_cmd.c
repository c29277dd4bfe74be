/* record.c - `threadline record` (options in record_opts.c): load and
 * attach the probes, start or find the target, stream the events into the
 * recording, and finish it when the command exits, the duration is up or
 * Ctrl-C is pressed. The kernel calls a process's id "tgid"; here, as on
 * the command line, it is a PID, and a thread's id a TID. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "kernel/collector.h"
#include "export/export.h"
#include "kernel/launch.h"
#include "kernel/procinfo.h"
#include "kernel/procmaps.h"
#include "record_stacks.h"
#include "record_cmd.h"
#include "record_impl.h"
#include "recording/recording.h"
#include "recording/syscalls.h"
#include "kernel/session.h"

#define FLUSH_EVERY_NS 200000000ull   /* a kill loses at most this much */
#define EXIT_GRACE_NS 20000000ull     /* after the command exits */
#define STOP_WAIT_MS 1000

/* ---- the run ---- */

static volatile sig_atomic_t stop_flag;

/* First Ctrl-C/TERM: stop and finish the file. Second: leave at once; the
 * blocks already written keep the file readable. */
static void on_signal(int sig)
{
	if (stop_flag)
		_exit(128 + sig);
	stop_flag = 1;
}

uint64_t tl_rec_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int append(struct rec *r, const struct tl_hdr *h)
{
	int e = tl_writer_append(r->w, h);

	if (e == -EINVAL) {
		if (r->o->verbose && r->rejected < 5)
			fprintf(stderr, "threadline: dropped a malformed record: type %u "
				"(%s), size %u, cpu %u\n", h->type, tl_type_name(h->type),
				h->size, h->cpu);
		r->rejected++;
		return 0;
	}
	if (e && !r->werr)
		r->werr = e;
	return e;
}

/* The size of a TL_PROC_INFO whose command line has n bytes at cmd, padded
 * with NULs (which readers drop) to a multiple of 8 so that the records
 * after it stay 8-byte aligned in the file. cmd has room for
 * TL_PROC_INFO_MAX_CMDLINE bytes, a multiple of 8. */
static uint16_t proc_info_size(char *cmd, size_t n)
{
	size_t padded = (n + 7) & ~(size_t)7;

	memset(cmd + n, 0, padded - n);
	return (uint16_t)(sizeof(struct tl_proc_info) + padded);
}

/* A TL_PROC_INFO for pid from /proc at ts; false when the process is gone. */
bool tl_rec_proc_info(pid_t pid, uint64_t ts, uint16_t cpu,
		      struct tl_proc_info *pi, size_t cap)
{
	struct tl_proc_status st;
	char *cmd = (char *)(pi + 1);
	int n;

	if (tl_proc_read_status(pid, &st) || st.tgid != pid)
		return false;
	if (cap < sizeof(*pi) + TL_PROC_INFO_MAX_CMDLINE)
		return false;
	n = tl_proc_cmdline(pid, cmd, TL_PROC_INFO_MAX_CMDLINE);
	if (n < 0)
		return false;
	if (n > 0 && cmd[n - 1] != '\0')
		n++; /* cut short: keep the NUL tl_proc_cmdline put after it */
	memset(pi, 0, sizeof(*pi));
	pi->h.size = proc_info_size(cmd, (size_t)n);
	pi->h.type = TL_PROC_INFO;
	pi->h.cpu = cpu;
	pi->h.ts = ts;
	pi->h.tgid = pi->h.tid = (uint32_t)pid;
	pi->ppid = (uint32_t)st.ppid;
	pi->uid = (uint32_t)st.uid;
	return true;
}

/* The launched command's identity comes from its argv, not /proc: it may
 * be gone by the time its exec is seen. */
static bool launched_info(const struct rec *r, const struct tl_hdr *exec,
			  struct tl_proc_info *pi, size_t cap)
{
	char *p = (char *)(pi + 1);
	size_t n = 0, room = TL_PROC_INFO_MAX_CMDLINE;

	if (cap < sizeof(*pi) + room)
		return false;
	for (int i = 0; i < r->o->ncmd && n < room; i++) {
		size_t len = strnlen(r->o->cmd[i], room - n - 1);

		memcpy(p + n, r->o->cmd[i], len);
		p[n + len] = '\0';
		n += len + 1;
	}
	memset(pi, 0, sizeof(*pi));
	pi->h = (struct tl_hdr){ .size = proc_info_size(p, n),
		.type = TL_PROC_INFO, .cpu = exec->cpu, .ts = exec->ts,
		.tgid = exec->tgid, .tid = exec->tgid };
	pi->ppid = (uint32_t)getpid();
	pi->uid = r->creds.drop ? r->creds.uid : getuid();
	return true;
}

/* New processes and execs get their command line recorded right after the
 * event, with its timestamp, so the stream stays in order. */
static int note_process(struct rec *r, const struct tl_hdr *h)
{
	uint64_t buf[(sizeof(struct tl_proc_info) + TL_PROC_INFO_MAX_CMDLINE) / 8 + 1];
	struct tl_proc_info *pi = (struct tl_proc_info *)buf;
	pid_t pid;

	if (h->type == TL_FORK) {
		const struct tl_fork *f = (const struct tl_fork *)h;

		if (f->child_tid != f->child_tgid)
			return 0; /* a thread */
		pid = (pid_t)f->child_tgid;
	} else if (h->type == TL_EXEC) {
		pid = (pid_t)h->tgid;
		if (r->launched && pid == r->child.pid && !r->child_execd) {
			r->child_execd = true; /* later execs: /proc as usual */
			return launched_info(r, h, pi, sizeof(buf)) ? append(r, &pi->h) : 0;
		}
	} else {
		return 0;
	}
	if (!tl_rec_proc_info(pid, h->ts, h->cpu, pi, sizeof(buf)))
		return 0;
	return append(r, &pi->h);
}

static int append_cb(void *ctx, const struct tl_hdr *h)
{
	return append(ctx, h);
}

/* Memory maps, for naming lock addresses later: read again after an exec,
 * and when a thread blocks on a futex outside every mapping read so far
 * (the first wait of a process, a library loaded since, a new heap). Only
 * a traced task that blocks has its syscall filled in. */
static int note_maps(struct rec *r, const struct tl_hdr *h)
{
	const struct tl_switch *s = (const struct tl_switch *)h;
	int e;

	if (!r->maps)
		return 0;
	if (h->type == TL_EXEC) {
		tl_maps_forget(r->maps, h->tgid);
	} else if (h->type != TL_SWITCH || !s->prev_state ||
		   s->why.sys_nr != TL_NR_FUTEX ||
		   !tl_maps_need(r->maps, h->tgid, s->why.args[0], h->ts)) {
		return 0;
	}
	e = tl_maps_capture(r->maps, (pid_t)h->tgid, h->ts, h->cpu, append_cb, r);
	return e == -ENOENT ? 0 : e;
}

static int on_record(void *ctx, const struct tl_hdr *h)
{
	struct rec *r = ctx;
	int e;

	if (r->stacks && (e = tl_rec_stacks_record(r->stacks, h)))
		return e < 0 ? e : 0; /* a stack, now in the file as it keeps it */
	e = append(r, h);
	if (!e)
		e = note_process(r, h);
	return e ? e : note_maps(r, h);
}

static int inject_cb(void *ctx, const struct tl_hdr *h)
{
	return tl_collector_inject(((struct rec *)ctx)->c, h);
}

/* A task blocked on a lock when tracing starts never switches out again
 * while it waits: its lock's owner is read from its memory now. */
static const struct tl_hdr *with_owner(const struct tl_hdr *h)
{
	static struct tl_task_snap s;

	if (h->type != TL_TASK_SNAP || h->size != sizeof(s))
		return h;
	memcpy(&s, h, sizeof(s));
	if (!s.state || s.on_cpu)
		return h;
	s.lock_owner = tl_futex_owner_now((pid_t)s.h.tgid, &s.why);
	return &s.h;
}

/* Snapshot: every task goes into the ordered stream; each process leader
 * also brings its command line (the launched child's comes at its exec). */
static int on_snapshot(void *ctx, const struct tl_hdr *h)
{
	uint64_t buf[(sizeof(struct tl_proc_info) + TL_PROC_INFO_MAX_CMDLINE) / 8 + 1];
	struct tl_proc_info *pi = (struct tl_proc_info *)buf;
	struct rec *r = ctx;
	int e;

	if (!r->first_ts)
		r->first_ts = h->ts;
	if (tl_rec_died_since_early(r, (const struct tl_task_snap *)h))
		return 0;
	e = tl_rec_note_seen(r, h->tid);
	if (!e)
		e = tl_collector_inject(r->c, with_owner(h));

	if (e || h->tid != h->tgid || (r->launched && h->tgid == (uint32_t)r->child.pid))
		return e;
	if (tl_rec_proc_info((pid_t)h->tgid, h->ts, h->cpu, pi, sizeof(buf)) &&
	    (e = tl_collector_inject(r->c, &pi->h)))
		return e;
	/* a process already blocked at the start may never switch again */
	if (r->maps && !r->o->all)
		tl_maps_capture(r->maps, (pid_t)h->tgid, h->ts, h->cpu, inject_cb, r);
	return 0;
}

/* The launched command has exited, or every -p process is gone. */
static bool targets_gone(struct rec *r)
{
	if (r->launched)
		return tl_launch_poll(&r->child);
	for (int i = 0; i < r->o->npids; i++)
		if (tl_proc_alive(r->o->pids[i]))
			return false;
	return r->o->npids > 0;
}

/* Called by the collector between rounds: periodic flush, and the end of
 * the targets (plus a short grace so their last events arrive). */
static bool on_round(void *ctx)
{
	struct rec *r = ctx;
	uint64_t now = tl_rec_boot_ns();

	if (now - r->last_flush_ns >= FLUSH_EVERY_NS) {
		int e = tl_writer_flush(r->w);

		if (e && !r->werr)
			r->werr = e;
		r->last_flush_ns = now;
	}
	if (r->werr)
		return true;
	if (!r->target_gone_ns && targets_gone(r))
		r->target_gone_ns = now;
	return r->target_gone_ns && now - r->target_gone_ns >= EXIT_GRACE_NS;
}

/* ---- setting up ---- */


/* Like a shell, before anything is traced: 127 not found, 126 not runnable. */
static int resolve_command(struct rec *r)
{
	int e = tl_launch_resolve(r->o->cmd[0], r->exe, sizeof(r->exe));

	if (e == 0)
		return 0;
	if (e == -ENOENT)
		fail_line("command not found: %s", r->o->cmd[0]);
	else
		fail_line("cannot run %s: %s", r->o->cmd[0], strerror(-e));
	return e == -ENOENT ? 127 : 126;
}

static int open_session(struct rec *r)
{
	struct tl_session_opts so = {
		.groups = r->o->groups, .all = r->o->all, .verbose = r->o->verbose,
		.ringbuf_mb = r->o->buffer_mb, .raw_tp = r->o->raw_tp,
		.stacks = r->o->stacks,
	};

	r->s = tl_session_open(&so, r->err, sizeof(r->err));
	if (!r->s) {
		fail_line("%s", r->err);
		return 1;
	}
	r->ncpus = (uint32_t)tl_session_ncpus(r->s);
	return 0;
}

static int add_targets(struct rec *r)
{
	int e = 0;

	if (r->o->cmd) {
		e = tl_launch_start(&r->child, r->exe, r->o->cmd, &r->creds);
		if (e) {
			fail_line("cannot start %s: %s", r->o->cmd[0], strerror(-e));
			return 1;
		}
		r->launched = true;
		e = tl_session_add_tgid(r->s, (uint32_t)r->child.pid);
	}
	for (int i = 0; i < r->o->npids && !e; i++)
		e = tl_session_add_tgid(r->s, (uint32_t)r->o->pids[i]);
	if (e) {
		fail_line("cannot add a PID to the in-kernel filter: %s", strerror(-e));
		return 1;
	}
	return 0;
}


/* quiet: a descendant found by the /proc walk may be gone already */
static void attach_usdt(struct rec *r, int pid, const char *path, bool quiet)
{
	char interp[PATH_MAX];

	/* USDT notes live in ELF files: a script's are its interpreter's,
	 * and a file that is neither has none to attach */
	path = tl_usdt_binary(path, interp, sizeof(interp));
	if (!path)
		return;
	int n = tl_session_attach_usdt(r->s, pid, path);

	if (n < 0 && quiet)
		return;
	if (n < 0)
		fprintf(stderr, "threadline: warning: USDT probes of %s not attached: %s\n",
			path, strerror(-n));
	else if (r->o->verbose)
		fprintf(stderr, "threadline: %d USDT probes attached in %s\n", n, path);
}

static int attach(struct rec *r)
{
	char exe[64];

	if (tl_session_attach(r->s, r->err, sizeof(r->err))) {
		fail_line("%s", r->err);
		return 1;
	}
	if (r->launched)
		attach_usdt(r, -1, r->exe, false);
	for (int i = 0; i < r->o->npids; i++) {
		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)r->o->pids[i]);
		attach_usdt(r, r->o->pids[i], exe, false);
	}
	if (tl_rec_add_descendants(r))
		return 1;
	for (size_t i = 0; i < r->tree.n; i++) {
		pid_t pid = TL_VEC_AT(&r->tree, pid_t, i);

		snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
		attach_usdt(r, pid, exe, true);
	}
	return 0;
}

static void join_words(char *dst, size_t len, const char *prefix, int n,
		       char *const *words, const char *sep)
{
	size_t used = (size_t)snprintf(dst, len, "%s", prefix);

	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(dst + used, len - used, "%s%s",
					 i ? sep : "", words[i]);
}

/* "pid: 10,20 and 3 descendants: 11,12,21": what -p included, so the
 * report says it; a long list ends with "+N more". */
static void describe_tree(const struct rec *r, char *dst, size_t len,
			  const char *pids)
{
	size_t used = (size_t)snprintf(dst, len, "pid: %s", pids);
	int i;

	if (!r->tree.n || used >= len)
		return;
	used += (size_t)snprintf(dst + used, len - used, " and %d descendant%s:",
				 (int)r->tree.n, r->tree.n > 1 ? "s" : "");
	for (i = 0; i < (int)r->tree.n && used + 24 < len; i++)
		used += (size_t)snprintf(dst + used, len - used, "%s%d",
					 i ? "," : " ", (int)TL_VEC_AT(&r->tree, pid_t, i));
	if (i < (int)r->tree.n && used < len)
		snprintf(dst + used, len - used, " +%d more", (int)r->tree.n - i);
}

static void describe(const struct rec *r, struct tl_rec_info *info, int argc,
		     char **argv)
{
	char pids[TL_RECORD_MAX_PIDS * 12] = "";
	size_t used = 0;

	tl_rec_info_init(info);
	info->ncpus = r->ncpus;
	info->groups = r->o->groups;
	join_words(info->cmdline, sizeof(info->cmdline), "threadline record ",
		   argc - 1, argv + 1, " ");
	if (r->o->cmd)
		join_words(info->target, sizeof(info->target), "cmd: ", r->o->ncmd,
			   r->o->cmd, " ");
	else if (r->o->all)
		snprintf(info->target, sizeof(info->target), "all");
	for (int i = 0; i < r->o->npids; i++)
		used += (size_t)snprintf(pids + used, sizeof(pids) - used, "%s%d",
					 i ? "," : "", (int)r->o->pids[i]);
	if (r->o->npids)
		describe_tree(r, info->target, sizeof(info->target), pids);
}

static int output_error(const char *out, int err)
{
	if (err == ELOOP)
		fail_line("%s is a symbolic link; not writing through it", out);
	else if (err == EEXIST)
		fail_line("%s exists and is not a regular file", out);
	else
		fail_line("cannot create %s: %s", out, strerror(err));
	return 1;
}

/* Says early what tl_writer_open() would refuse, before tracing starts
 * (the writer checks again, race-free, when it creates the file). */
static int check_output(const char *out)
{
	struct stat st;

	if (lstat(out, &st) < 0)
		return 0;
	if (S_ISLNK(st.st_mode))
		return output_error(out, ELOOP);
	return S_ISREG(st.st_mode) ? 0 : output_error(out, EEXIST);
}

/* The Perfetto trace is written when recording ends: a path that cannot
 * be written would cost the whole run, so it is tried now (a file made
 * for the try is removed again). */
static int check_perfetto_output(const char *out)
{
	struct stat st;
	bool existed;
	int rc, fd;

	if (!out || !strcmp(out, "-"))
		return 0;
	if ((rc = check_output(out)))
		return rc;
	existed = lstat(out, &st) == 0;
	fd = open(out, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return output_error(out, errno);
	close(fd);
	if (!existed)
		unlink(out);
	return 0;
}

static int open_writer(struct rec *r, int argc, char **argv)
{
	struct tl_rec_info info;

	describe(r, &info, argc, argv);
	r->w = tl_writer_open(r->o->output, &info,
			      r->creds.drop ? (int)r->creds.uid : -1,
			      r->creds.drop ? (int)r->creds.gid : -1);
	return r->w ? 0 : output_error(r->o->output, errno);
}

/* The drain loop wakes when a target exits rather than at its next poll,
 * so a short command is not recorded for longer than it ran. Best effort:
 * without pidfds (Linux < 5.3) the poll still notices. */
static void watch_target(struct rec *r, pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return;
	if (tl_collector_watch_fd(r->c, fd)) {
		close(fd);
		return;
	}
	r->pidfds[r->npidfds++] = fd;
}

static int start_collecting(struct rec *r)
{
	int e;

	r->maps = tl_maps_tracker_new(); /* NULL: no maps, no names */
	if (r->o->stacks && !(r->stacks = tl_rec_stacks_new(&(struct tl_rec_stacks_io){
			.append = append_cb, .inject = inject_cb, .ctx = r, .maps = r->maps }))) {
		fail_line("cannot keep stacks: %s", strerror(errno));
		return 1;
	}
	r->c = tl_collector_new(r->s, on_record, r);
	if (!r->c) {
		fail_line("cannot read the ring buffers: %s", strerror(errno));
		return 1;
	}
	if (r->stacks)
		tl_collector_on_stack(r->c, tl_rec_stacks_drained, r->stacks);
	e = tl_session_snapshot(r->s, on_snapshot, r);
	if (e)
		fprintf(stderr, "threadline: warning: no start-of-trace snapshot: %s\n",
			strerror(-e));
	e = tl_rec_inject_early(r);
	if (e) {
		fail_line("cannot keep the tasks seen before attaching: %s", strerror(-e));
		return 1;
	}
	/* threads blocked already: their stacks now, they may not switch again */
	e = r->stacks ? tl_session_stack_snapshot(r->s, tl_rec_stacks_snapshot, r->stacks) : 0;
	if (e)
		fprintf(stderr, "threadline: warning: no stacks of the threads blocked "
			"at the start: %s\n", strerror(-e));
	r->last_flush_ns = tl_rec_boot_ns();
	for (int i = 0; i < r->o->npids; i++)
		watch_target(r, r->o->pids[i]);
	if (!r->launched)
		return 0;
	watch_target(r, r->child.pid);
	if (r->stacks)
		tl_rec_stacks_launched(r->stacks, r->child.pid, tl_rec_boot_ns());
	e = tl_launch_release(&r->child, r->err, sizeof(r->err));
	if (!e)
		return 0;
	fail_line("%s: %s", r->o->cmd[0], r->err);
	return e == -ENOENT ? 127 : 126;
}

/* ---- finishing ---- */

/* Recording ended before the command: stop it, so nothing runs on
 * untraced (as perf record does). */
static void stop_child(struct rec *r)
{
	if (!r->launched || tl_launch_poll(&r->child))
		return;
	if (!tl_launch_stop(&r->child, SIGTERM, STOP_WAIT_MS))
		tl_launch_stop(&r->child, SIGKILL, STOP_WAIT_MS);
}

static uint32_t trailer_flags(const struct rec *r, bool interrupted)
{
	uint32_t f = interrupted ? TL_TRAILER_F_INTERRUPTED : 0;

	if (r->launched && r->child.exited)
		f |= TL_TRAILER_F_TARGET_EXITED;
	return f;
}

static double cpu_s(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru))
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* With -v: what recording cost, split between the collecting (main)
 * thread and the rest (the writer's thread compressing blocks), so the
 * benchmarks can tell the two apart. */
static void cpu_line(uint64_t events)
{
	double all = cpu_s(RUSAGE_SELF), main_thr = cpu_s(RUSAGE_THREAD);
	double per = events ? 1e9 / (double)events : 0;

	fprintf(stderr, "threadline: CPU %.3f s (%.0f ns/event), collecting "
		"thread %.3f s (%.0f ns/event)\n", all, all * per, main_thr,
		main_thr * per);
}

static void summary(struct rec *r, uint64_t events, uint64_t lost)
{
	struct stat st;
	double mib = stat(r->o->output, &st) == 0 ? st.st_size / 1048576.0 : 0;

	fprintf(stderr, "threadline: recorded %" PRIu64 " events (%" PRIu64
		" lost) to %s (%.1f MiB)\n", events, lost, r->o->output, mib);
	if (r->rejected || (r->o->verbose && tl_writer_clamped(r->w)))
		fprintf(stderr, "threadline: %" PRIu64 " malformed events dropped, %"
			PRIu64 " timestamps raised to keep order\n", r->rejected,
			tl_writer_clamped(r->w));
	if (r->stacks)
		tl_rec_stacks_summary(r->stacks, stderr, tl_session_stacks_lost(r->s));
	if (r->o->verbose)
		cpu_line(events);
}

/* Stop, drain, write the trailer. Returns the exit status. The data ends
 * when the BPF side is told to stop, on every CPU at once; releasing the
 * probes (an RCU grace period per syscall tracepoint, seconds in all on a
 * loaded machine) comes after the file is complete and is left to a helper
 * process that outlives this one, so it neither delays the end nor adds to
 * the recording, nothing is lost meanwhile, and record exits at once. */
static int finish(struct rec *r, int run_err)
{
	bool interrupted = stop_flag != 0;
	struct tl_collector_stats cs;
	uint64_t end_ns, closed_ns;
	int e;

	end_ns = tl_session_stop(r->s);
	/* a busy machine may wake us late: -d still ends where it said */
	if (r->until_ns && end_ns > r->until_ns)
		end_ns = r->until_ns;
	tl_collector_stop(r->c, end_ns);
	stop_child(r);
	if (!r->werr && tl_collector_flush(r->c) && !r->werr)
		run_err = run_err ? run_err : -EIO;
	tl_collector_stats(r->c, &cs);
	summary(r, tl_writer_records(r->w), cs.lost);
	e = tl_writer_close(r->w, end_ns, trailer_flags(r, interrupted),
			    r->launched ? r->child.status : 0, cs.lost);
	r->w = NULL;
	closed_ns = tl_rec_boot_ns();
	tl_session_release_later(r->s);
	tl_session_detach(r->s);
	if (r->o->verbose)
		fprintf(stderr, "threadline: file complete %.1f ms after the end, "
			"probes detached %.1f ms later\n", (closed_ns - end_ns) / 1e6,
			(tl_rec_boot_ns() - closed_ns) / 1e6);
	if (r->werr || e) {
		e = r->werr ? r->werr : e;
		fail_line("writing %s failed: %s; recording stopped, what was "
			  "written is kept", r->o->output, strerror(-e));
		return 1;
	}
	if (run_err) {
		fail_line("collecting events failed: %s", strerror(-run_err));
		return 1;
	}
	if (interrupted || !r->launched)
		return 0;
	return tl_launch_exit_code(r->child.status);
}

static int export_perfetto(const struct rec *r, int status)
{
	char err[512];

	if (!r->o->perfetto)
		return status;
	if (tl_export_perfetto_path(r->o->output, r->o->perfetto, err, sizeof(err))) {
		fail_line("%s", err);
		return status ? status : 1;
	}
	if (r->creds.drop && lchown(r->o->perfetto, r->creds.uid, r->creds.gid) < 0)
		fprintf(stderr, "threadline: warning: cannot give %s to uid %u: %s\n",
			r->o->perfetto, (unsigned)r->creds.uid, strerror(errno));
	fprintf(stderr, "threadline: Perfetto trace in %s (open it in "
		"https://ui.perfetto.dev)\n", r->o->perfetto);
	return status;
}

static void cleanup(struct rec *r)
{
	if (r->w)
		tl_writer_close(r->w, tl_rec_boot_ns(), 0, 0, 0);
	if (r->launched && !r->child.exited) {
		if (r->child.gate_fd >= 0)
			tl_launch_abort(&r->child);  /* still at the gate */
		else
			stop_child(r);
	}
	tl_collector_free(r->c);
	tl_maps_tracker_free(r->maps);
	tl_rec_stacks_free(r->stacks);
	tl_session_close(r->s);
	tl_vec_free(&r->tree);
	tl_vec_free(&r->early);
	tl_vec_free(&r->early_tids);
	tl_vec_free(&r->seen_tids);
	for (int i = 0; i < r->npidfds; i++)
		close(r->pidfds[i]);
}

/* Everything up to the moment events flow. */
static int set_up(struct rec *r, int argc, char **argv)
{
	int rc;

	if (tl_creds_resolve(r->o->user, &r->creds, r->err, sizeof(r->err))) {
		fail_line("%s", r->err);
		return 2;
	}
	if (r->o->cmd && (rc = resolve_command(r)))
		return rc;
	if ((rc = check_output(r->o->output)) ||
	    (rc = check_perfetto_output(r->o->perfetto)))
		return rc;
	if ((rc = open_session(r)) || (rc = add_targets(r)))
		return rc;
	if (r->o->verbose)
		fprintf(stderr, "threadline: loaded in %.1f ms\n",
			(tl_rec_boot_ns() - r->start_ns) / 1e6);
	tl_rec_early_snapshot(r);
	if (!r->launched)
		r->first_ts = tl_rec_boot_ns();
	if ((rc = attach(r)) ||
	    (rc = open_writer(r, argc, argv)))
		return rc;
	rc = start_collecting(r);
	if (rc && r->launched) {
		tl_launch_abort(&r->child);
		unlink(r->o->output); /* the command never ran */
	}
	return rc;
}

static void handle_signals(struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll returns at once */
	sigemptyset(&sa.sa_mask);
	stop_flag = 0;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

int tl_cmd_record(int argc, char **argv)
{
	struct tl_record_opts o;
	struct sigaction old[2];
	struct rec r;
	char err[512];
	int rc;

	rc = (int)tl_record_parse(argc, argv, &o, err, sizeof(err));
	if (rc == TL_PARSE_DONE)
		return 0;
	if (rc) {
		if (err[0]) /* argp's own messages carry their hint */
			usage_line("%s", err);
		return 2;
	}
	if ((rc = tl_rec_check_pids(&o)))
		return rc;
	memset(&r, 0, sizeof(r));
	r.o = &o;
	handle_signals(old);
	r.start_ns = tl_rec_boot_ns();
	rc = set_up(&r, argc, argv);
	if (!rc && o.verbose)
		fprintf(stderr, "threadline: attached in %.1f ms\n",
			(tl_rec_boot_ns() - r.start_ns) / 1e6);
	if (!rc) {
		/* -d N: N seconds of data */
		uint64_t from = r.first_ts ? r.first_ts : tl_rec_boot_ns();
		uint64_t until = o.duration > 0 ? from + (uint64_t)(o.duration * 1e9) : 0;

		r.until_ns = until;

		rc = tl_collector_run(r.c, &stop_flag, until, on_round, &r);
		rc = export_perfetto(&r, finish(&r, rc));
	}
	cleanup(&r);
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	return rc;
}
