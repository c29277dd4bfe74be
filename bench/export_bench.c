/* export_bench.c - how fast the Perfetto export runs and how compact its
 * scheduler data is. Builds a synthetic recording (default 5.2 M records:
 * switches and wakings of ~50 threads over 2 CPUs, with futex syscalls and
 * blocking reasons as a real program has them), then times:
 *   1. reading the recording alone (reader, CRC checks);
 *   2. the scheduling/process-tree writer alone, records from memory;
 *   4. building the model from the file; 5. its track events alone;
 *   3. the whole `threadline export` (reader + model + all of the trace),
 *      run as its own process, as a user runs it.
 * Prints wall and CPU time (this process's, user + system: what a busy
 * machine disturbs least), records/s by wall time, and bytes per
 * scheduler event in the file.
 * The recording is a consistent scheduler stream (see struct gen).
 * usage: export_bench [MILLION_RECORDS] [DIR]   (default 5.2, /tmp)
 * BENCH_KEEP=1 keeps the recording and the trace; BENCH_RUNS=N runs the
 * whole export N times and reports the fastest. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "userspace/export/export.h"
#include "userspace/model/model.h"
#include "userspace/export/perfetto/perfetto_impl.h"
#include "userspace/recording/recording.h"
#include "userspace/load/load.h"

#define NTHREADS 50
#define NCPUS 2
#define NLOCKS 8
#define T0 1000000000000ull

/* A thread of the simulated program. */
enum { SLEEPING, RUNNABLE, RUNNING };

/* The generator is a small scheduler: 50 threads of one process on two
 * CPUs take turns on 8 futex-based locks and 8 pipes. A thread blocks in
 * FUTEX_WAIT (enter, switch-out) or in a pipe read (a syscall outside the
 * traced groups: only the switch-out says so), another wakes it with
 * FUTEX_WAKE (enter, waking, exit) or a pipe write (the waking alone), and
 * it runs again later (switch-in, then the exit of a futex wait); running
 * threads are also preempted. So the stream is what a kernel would record
 * for `-e sched,proc,futex`: a switch-in is always of a runnable thread, a
 * waking is of a sleeping one, and the model never has to call anything
 * Unknown. */
struct gen {
	struct tl_writer *w;
	uint64_t ts, n, target;
	unsigned cur[NCPUS];         /* thread index on each CPU, 0 idle */
	uint8_t state[NTHREADS + 1];
	uint64_t lock_of[NTHREADS + 1];  /* futex it waits on, 0 none */
	int32_t pipe_of[NTHREADS + 1];   /* pipe fd it reads, 0 none */
	unsigned rnd;
	uint64_t switches, wakings;
};

static double clock_s(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }

/* A stage's wall and CPU time. */
struct lap { double wall, cpu; };

static struct lap lap_start(void)
{
	return (struct lap){ now(), clock_s(CLOCK_PROCESS_CPUTIME_ID) };
}

static struct lap lap_end(struct lap t)
{
	return (struct lap){ now() - t.wall, clock_s(CLOCK_PROCESS_CPUTIME_ID) - t.cpu };
}

/* Thread ids: this machine's pid_max is 32768 and its PIDs run in the low
 * thousands, so the threads get 3001..3050 by default; PID_BASE in the
 * environment changes that (PIDs >= 16384 take one more byte each). */
static uint32_t pid_base = 3000;

static uint32_t tid_of(unsigned i) { return i ? pid_base + i : 0; }

static unsigned rnd(struct gen *g)
{
	g->rnd = g->rnd * 1103515245u + 12345u;
	return g->rnd >> 8;
}

static void put(struct gen *g, const void *rec)
{
	if (tl_writer_append(g->w, rec)) {
		fprintf(stderr, "export_bench: writing the recording failed\n");
		exit(1);
	}
	g->n++;
}

static void hdr(struct tl_hdr *h, uint16_t type, uint16_t size, uint16_t cpu,
		uint64_t ts, uint32_t tid)
{
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	h->ts = ts;
	h->tid = tid;
	h->tgid = tid ? pid_base + 1 : 0;
}

static void comm_of(char *out, unsigned i, uint16_t cpu)
{
	if (i)
		snprintf(out, TL_COMM_LEN, "worker-%u", tid_of(i) % 1000);
	else
		snprintf(out, TL_COMM_LEN, "swapper/%u", cpu);
}

static void futex_sys(struct gen *g, uint16_t cpu, unsigned i, bool enter,
		      uint64_t op, uint64_t ts)
{
	union { struct tl_sys_enter e; struct tl_sys_exit x; } r;

	if (enter) {
		hdr(&r.e.h, TL_SYS_ENTER, sizeof(r.e), cpu, ts, tid_of(i));
		r.e.nr = 202;
		r.e.args[0] = g->lock_of[i];
		r.e.args[1] = op;
	} else {
		hdr(&r.x.h, TL_SYS_EXIT, sizeof(r.x), cpu, ts, tid_of(i));
		r.x.nr = 202;
	}
	put(g, &r);
}

/* A random thread in state st other than the ones on a CPU, 0 if none. */
static unsigned pick(struct gen *g, uint8_t st)
{
	unsigned from = 1 + rnd(g) % NTHREADS;

	for (unsigned k = 0; k < NTHREADS; k++) {
		unsigned i = 1 + (from - 1 + k) % NTHREADS;

		if (g->state[i] == st)
			return i;
	}
	return 0;
}

/* The thread on cpu blocks on its lock (or is preempted) and a runnable
 * one, or the idle task, runs. */
static void do_switch(struct gen *g, uint16_t cpu)
{
	struct tl_switch s;
	unsigned prev = g->cur[cpu], next = pick(g, RUNNABLE);
	bool block = prev && rnd(g) % 4 != 0;

	if (!prev && !next)
		return;
	bool on_pipe = block && rnd(g) % 2;

	if (block && on_pipe) {
		g->pipe_of[prev] = 10 + (int32_t)(rnd(g) % NLOCKS);
	} else if (block) {
		g->lock_of[prev] = 0x7f0000001000ull + (rnd(g) % NLOCKS) * 64;
		futex_sys(g, cpu, prev, true, 0 /* FUTEX_WAIT */, g->ts - 200);
	}
	hdr(&s.h, TL_SWITCH, sizeof(s), cpu, g->ts, tid_of(prev));
	s.next_tid = tid_of(next);
	s.next_tgid = next ? pid_base + 1 : 0;
	s.prev_state = block ? 1 : 0;
	s.preempt = prev && !block;
	s.prev_prio = s.next_prio = 120;
	s.why.sys_nr = !block ? -1 : on_pipe ? 0 /* read */ : 202;
	s.why.args[0] = !block ? 0 : on_pipe ? (uint64_t)g->pipe_of[prev]
					     : g->lock_of[prev];
	s.why.fd_kind = on_pipe ? TL_FD_PIPE : TL_FD_NONE;
	comm_of(s.prev_comm, prev, cpu);
	comm_of(s.next_comm, next, cpu);
	put(g, &s);
	if (prev)
		g->state[prev] = block ? SLEEPING : RUNNABLE;
	if (next) {
		g->state[next] = RUNNING;
		if (g->lock_of[next]) /* back from its wait */
			futex_sys(g, cpu, next, false, 0, g->ts + 400);
		g->lock_of[next] = 0;
		g->pipe_of[next] = 0;
	}
	g->cur[cpu] = next;
	g->switches++;
}

/* The thread on cpu wakes a sleeping one: FUTEX_WAKE around the waking;
 * with nothing running there, an interrupt does it. */
static void do_waking(struct gen *g, uint16_t cpu)
{
	struct tl_waking w;
	unsigned waker = g->cur[cpu], k = pick(g, SLEEPING);

	bool futex;

	if (!k)
		return;
	futex = waker && g->lock_of[k];
	if (futex) {
		g->lock_of[waker] = g->lock_of[k];
		futex_sys(g, cpu, waker, true, 1 /* FUTEX_WAKE */, g->ts - 300);
		g->lock_of[waker] = 0;
	}
	hdr(&w.h, TL_WAKING, sizeof(w), cpu, g->ts, tid_of(waker));
	if (!waker)
		w.h.flags = TL_HDR_F_IRQ;
	w.tid = tid_of(k);
	w.tgid = pid_base + 1;
	w.prio = 120;
	w.target_cpu = (int32_t)(rnd(g) % NCPUS);
	comm_of(w.comm, k, cpu);
	put(g, &w);
	if (futex)
		futex_sys(g, cpu, waker, false, 0, g->ts + 300);
	g->state[k] = RUNNABLE;
	g->wakings++;
}

static void start(struct gen *g)
{
	struct tl_task_snap s;

	for (unsigned i = 1; i <= NTHREADS; i++) {
		hdr(&s.h, TL_TASK_SNAP, sizeof(s), 0, g->ts, tid_of(i));
		s.ppid = 1;
		s.state = 0;
		s.why.sys_nr = -1;
		comm_of(s.comm, i, 0);
		put(g, &s);
		g->state[i] = RUNNABLE;
	}
}

static int make_recording(const char *path, uint64_t target, struct gen *g)
{
	struct tl_rec_info info = { .format_version = TL_REC_FORMAT_VERSION,
				    .abi_version = TL_ABI_VERSION, .ncpus = NCPUS,
				    .boot_ns = T0, .real_ns = T0 };

	snprintf(info.kernel, sizeof(info.kernel), "6.18.0");
	snprintf(info.machine, sizeof(info.machine), "x86_64");
	snprintf(info.target, sizeof(info.target), "cmd: bench");
	memset(g, 0, sizeof(*g));
	g->ts = T0;
	g->rnd = 1;
	g->w = tl_writer_open(path, &info, -1, -1);
	if (!g->w)
		return -errno;
	start(g);
	while (g->n < target) {
		uint16_t cpu = (uint16_t)(rnd(g) % NCPUS);

		g->ts += 1000 + rnd(g) % 4000;   /* 1-5 us apart */
		if (rnd(g) % 2)
			do_switch(g, cpu);
		else
			do_waking(g, cpu);
	}
	return tl_writer_close(g->w, g->ts + 1000, 0, 0, 0);
}

/* Puts the new recording on disk before anything is timed, so that no
 * stage pays for writing back the 400 MB just generated (as a user's
 * recording, made earlier, would not). */
static int settle(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* Pass 1: the reader alone. */
static struct lap read_only(const char *path, uint64_t *n)
{
	char err[256];
	struct lap t = lap_start();
	struct tl_reader *r = tl_reader_open(path, err, sizeof(err));
	const struct tl_hdr *rec;

	*n = 0;
	if (!r)
		return (struct lap){ -1, -1 };
	while (tl_reader_next(r, &rec) == TL_READ_OK)
		(*n)++;
	tl_reader_close(r);
	return lap_end(t);
}

/* Keeps the records in memory for pass 2 (not timed). */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	char err[256];
	struct tl_reader *r = tl_reader_open(path, err, sizeof(err));
	const struct tl_hdr *rec;
	size_t cap = 1 << 26;

	*buf = malloc(cap);
	*len = 0;
	if (!r || !*buf)
		return -1;
	while (tl_reader_next(r, &rec) == TL_READ_OK) {
		if (*len + rec->size > cap) {
			cap *= 2;
			*buf = realloc(*buf, cap);
			if (!*buf)
				return -1;
		}
		memcpy(*buf + *len, rec, rec->size);
		*len += rec->size;
	}
	tl_reader_close(r);
	return 0;
}

/* Pass 2: scheduling and process tree only, from memory to /dev/null. */
static struct lap sched_only(const uint8_t *buf, size_t len, uint64_t *bytes)
{
	struct tl_rec_info info = { .ncpus = 2, .boot_ns = T0 };
	struct pb_writer w;
	struct tl_pf *pf;
	int fd = open("/dev/null", O_WRONLY);
	struct lap t = lap_start();
	const struct lap bad = { -1, -1 };

	snprintf(info.kernel, sizeof(info.kernel), "6.18.0");
	if (fd < 0 || tl_pb_init_fd(&w, fd, 1 << 20))
		return bad;
	pf = tl_pf_new(&w, &info);
	for (size_t off = 0; pf && off < len;) {
		const struct tl_hdr *h = (const void *)(buf + off);

		tl_pf_record(pf, h);
		off += h->size;
	}
	if (!pf || tl_pf_finish(pf, NULL))
		return bad;
	*bytes = pb_total(&w);
	tl_pb_close(&w);
	t = lap_end(t);
	tl_pf_free(pf);
	close(fd);
	return t;
}

/* Passes 4 and 5: the model from the file, then its track events alone. */
static struct lap model_and_tracks(const char *path, struct lap *t_tracks,
				   uint64_t *bytes)
{
	struct tl_model *m = NULL;
	struct tl_load_result res;
	struct tl_pf_track_stats ts;
	struct pb_writer w;
	int fd = open("/dev/null", O_WRONLY);
	struct lap t = lap_start(), t2;
	const struct lap bad = { -1, -1 };

	memset(&res, 0, sizeof(res));
	if (fd < 0 || tl_load(path, NULL, &m, &res))
		return bad;
	t = lap_end(t);
	t2 = lap_start();
	if (tl_pb_init_fd(&w, fd, 1 << 20) || tl_pf_write_tracks(&w, m, &res.info, 0, &ts))
		return bad;
	*bytes = pb_total(&w);
	tl_pb_close(&w);
	*t_tracks = lap_end(t2);
	tl_model_free(m);
	close(fd);
	return t;
}

/* One `threadline export` as a user runs it, in a process of its own (the
 * stages above leave this one's heap and caches in a state no export
 * starts from): its wall time and CPU time (user + system). */
static struct lap run_export(const char *tool, const char *rec, const char *out)
{
	struct lap t = { -1, -1 };
	struct rusage ru;
	int status;
	double t0 = now();
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDERR_FILENO);
		execl(tool, tool, "export", rec, "-o", out, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return t;
	t.wall = now() - t0;
	t.cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return t;
}

/* Pass 3: the whole export, the fastest of runs; then once more in this
 * process, untimed, for its statistics. */
static struct lap full_export(const char *tool, const char *rec, const char *out,
			      int runs, struct tl_export_stats *st)
{
	struct lap best = { -1, -1 };
	char err[512];

	for (int i = 0; i < runs; i++) {
		struct lap t;

		/* Every run starts as a user's would: no earlier trace at out,
		 * none of its pages still being written back (truncating a
		 * file waits for that), nothing else dirty. */
		unlink(out);
		sync();
		t = run_export(tool, rec, out);

		if (t.wall < 0) {
			fprintf(stderr, "export_bench: %s export %s failed\n", tool, rec);
			exit(1);
		}
		if (best.wall < 0 || t.wall < best.wall)
			best = t;
	}
	if (tl_export_perfetto_stats(rec, out, st, err, sizeof(err))) {
		fprintf(stderr, "export_bench: %s\n", err);
		exit(1);
	}
	return best;
}

/* build/bench/export_bench -> build/threadline */
static void tool_path(char *out, size_t n, const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	snprintf(out, n, "%.*s../threadline", slash ? (int)(slash - argv0 + 1) : 0,
		 argv0);
}

static void row(const char *what, struct lap t, uint64_t n)
{
	printf("%-27s %6.3f s wall %6.3f s cpu %6.2f M records/s\n", what, t.wall,
	       t.cpu, (double)n / t.wall / 1e6);
}

int main(int argc, char **argv)
{
	double millions = argc > 1 ? atof(argv[1]) : 5.2;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	int runs = getenv("BENCH_RUNS") ? atoi(getenv("BENCH_RUNS")) : 1;
	char rec[512], out[512], tool[512];
	struct tl_export_stats st;
	struct gen g;
	uint8_t *buf;
	size_t len;
	uint64_t n, sched_bytes = 0;
	struct lap t_read, t_sched, t_all, t_model, t_tracks = { 0, 0 };
	double ev;
	uint64_t track_bytes = 0;

	if (getenv("PID_BASE"))
		pid_base = (uint32_t)atoi(getenv("PID_BASE"));
	snprintf(rec, sizeof(rec), "%s/export-bench.tlr", dir);
	snprintf(out, sizeof(out), "%s/export-bench.pftrace", dir);
	if (make_recording(rec, (uint64_t)(millions * 1e6), &g) || settle(rec)) {
		fprintf(stderr, "export_bench: cannot write %s\n", rec);
		return 1;
	}
	t_read = read_only(rec, &n);
	if (t_read.wall < 0 || read_all(rec, &buf, &len)) {
		fprintf(stderr, "export_bench: cannot read %s back\n", rec);
		return 1;
	}
	t_sched = sched_only(buf, len, &sched_bytes);
	free(buf);
	t_model = model_and_tracks(rec, &t_tracks, &track_bytes);
	tool_path(tool, sizeof(tool), argv[0]);
	t_all = full_export(tool, rec, out, runs > 0 ? runs : 1, &st);
	if (t_sched.wall < 0 || t_model.wall < 0) {
		fprintf(stderr, "export_bench: a stage failed\n");
		return 1;
	}
	ev = (double)(st.sched.switches + st.sched.wakings);
	printf("records                    %llu (%llu switches, %llu wakings)\n",
	       (unsigned long long)n, (unsigned long long)g.switches,
	       (unsigned long long)g.wakings);
	row("1. read recording only", t_read, n);
	row("2. sched + process tree", t_sched, n);
	row("4. model from the file", t_model, n);
	printf("%-27s %6.3f s wall %6.3f s cpu (%llu bytes)\n",
	       "5. track events from model", t_tracks.wall, t_tracks.cpu,
	       (unsigned long long)track_bytes);
	row("3. full export", t_all, n);
	printf("trace size                 %llu bytes\n", (unsigned long long)st.bytes);
	printf("scheduler bundles          %llu bytes, %.2f bytes per switch/waking\n",
	       (unsigned long long)st.sched.bytes, st.sched.bytes / ev);
	printf("track events               %llu syscall slices, %llu flows, %llu counter points\n",
	       (unsigned long long)st.track.syscall_slices,
	       (unsigned long long)st.track.flows,
	       (unsigned long long)st.track.counter_points);
	if (getenv("BENCH_KEEP")) {   /* to look at, or to run export --check */
		printf("kept %s and %s\n", rec, out);
		return 0;
	}
	unlink(rec);
	unlink(out);
	return 0;
}
