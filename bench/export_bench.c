/* export_bench.c - how fast the Perfetto export runs and how compact its
 * scheduler data is. Builds a synthetic recording (default 5.2 M records:
 * switches and wakings of ~50 threads over 2 CPUs, with futex syscalls and
 * blocking reasons as a real program has them), then times:
 *   1. reading the recording alone (reader, CRC checks);
 *   2. the scheduling/process-tree writer alone, records from memory;
 *   3. the whole `threadline export` (reader + model + all of the trace).
 * Prints events/s for each and bytes per scheduler event in the file.
 * usage: export_bench [MILLION_RECORDS] [DIR]   (default 5.2, /tmp)
 * BENCH_KEEP=1 keeps the recording and the trace. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "userspace/export.h"
#include "userspace/model.h"
#include "userspace/perfetto.h"
#include "userspace/recording.h"

#define NTHREADS 50
#define T0 1000000000000ull

struct gen {
	struct tl_writer *w;
	uint64_t ts, n, target;
	uint32_t cur[2];
	unsigned rnd;
	uint64_t switches, wakings;
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
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

/* The thread on cpu blocks in futex (or is preempted) and another runs. */
static void do_switch(struct gen *g, uint16_t cpu)
{
	struct tl_switch s;
	uint32_t prev = g->cur[cpu], next;
	bool block = rnd(g) % 4 != 0;

	do
		next = rnd(g) % (NTHREADS + 1);
	while (next && (tid_of(next) == g->cur[cpu ^ 1] || tid_of(next) == prev));
	hdr(&s.h, TL_SWITCH, sizeof(s), cpu, g->ts, prev);
	s.next_tid = tid_of(next);
	s.next_tgid = next ? pid_base + 1 : 0;
	s.prev_state = prev && block ? 1 : 0;
	s.preempt = prev && !block;
	s.prev_prio = s.next_prio = 120;
	s.why.sys_nr = prev && block ? 202 : -1;
	s.why.args[0] = 0x7f0000001000ull + (rnd(g) % 8) * 64;
	snprintf(s.prev_comm, sizeof(s.prev_comm), prev ? "worker-%u" : "swapper/%u",
		 prev ? prev % 1000 : cpu);
	snprintf(s.next_comm, sizeof(s.next_comm), next ? "worker-%u" : "swapper/%u",
		 next ? s.next_tid % 1000 : cpu);
	put(g, &s);
	g->cur[cpu] = s.next_tid;
	g->switches++;
}

static void do_waking(struct gen *g, uint16_t cpu)
{
	struct tl_waking w;
	unsigned k = 1 + rnd(g) % NTHREADS;

	hdr(&w.h, TL_WAKING, sizeof(w), cpu, g->ts, g->cur[cpu]);
	w.tid = tid_of(k);
	w.tgid = pid_base + 1;
	w.prio = 120;
	w.target_cpu = (int32_t)(rnd(g) % 2);
	snprintf(w.comm, sizeof(w.comm), "worker-%u", w.tid % 1000);
	put(g, &w);
	g->wakings++;
}

static void do_futex(struct gen *g, uint16_t cpu)
{
	struct tl_sys_enter e;
	struct tl_sys_exit x;

	if (!g->cur[cpu])
		return;
	hdr(&e.h, TL_SYS_ENTER, sizeof(e), cpu, g->ts, g->cur[cpu]);
	e.nr = 202;
	e.args[0] = 0x7f0000001000ull;
	e.args[1] = 1; /* FUTEX_WAKE */
	put(g, &e);
	hdr(&x.h, TL_SYS_EXIT, sizeof(x), cpu, g->ts + 300, g->cur[cpu]);
	x.nr = 202;
	x.ret = 1;
	put(g, &x);
}

static void start(struct gen *g)
{
	struct tl_task_snap s;

	for (unsigned i = 1; i <= NTHREADS; i++) {
		hdr(&s.h, TL_TASK_SNAP, sizeof(s), 0, g->ts, tid_of(i));
		s.ppid = 1;
		s.why.sys_nr = -1;
		snprintf(s.comm, sizeof(s.comm), "worker-%u", tid_of(i) % 1000);
		put(g, &s);
	}
}

static int make_recording(const char *path, uint64_t target, struct gen *g)
{
	struct tl_rec_info info = { .format_version = TL_REC_FORMAT_VERSION,
				    .abi_version = TL_ABI_VERSION, .ncpus = 2,
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
		uint16_t cpu = (uint16_t)(rnd(g) % 2);
		unsigned what = rnd(g) % 16;

		g->ts += 500 + rnd(g) % 4000;   /* 0.5-4.5 us apart */
		if (what < 8)
			do_switch(g, cpu);
		else if (what < 15)
			do_waking(g, cpu);
		else
			do_futex(g, cpu);
	}
	return tl_writer_close(g->w, g->ts + 1000, 0, 0, 0);
}

/* Pass 1: the reader alone. Also keeps the records for pass 2. */
static double read_all(const char *path, uint8_t **buf, size_t *len, uint64_t *n)
{
	char err[256];
	struct tl_reader *r = tl_reader_open(path, err, sizeof(err));
	const struct tl_hdr *rec;
	size_t cap = 1 << 26;
	double t = now();

	*buf = malloc(cap);
	*len = *n = 0;
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
		(*n)++;
	}
	t = now() - t;
	tl_reader_close(r);
	return t;
}

/* Pass 2: scheduling and process tree only, from memory to /dev/null. */
static double sched_only(const uint8_t *buf, size_t len, uint64_t *bytes)
{
	struct tl_rec_info info = { .ncpus = 2, .boot_ns = T0 };
	struct pb_writer w;
	struct tl_pf *pf;
	int fd = open("/dev/null", O_WRONLY);
	double t = now();

	snprintf(info.kernel, sizeof(info.kernel), "6.18.0");
	if (fd < 0 || pb_init_fd(&w, fd, 1 << 20))
		return -1;
	pf = tl_pf_new(&w, &info);
	for (size_t off = 0; pf && off < len;) {
		const struct tl_hdr *h = (const void *)(buf + off);

		tl_pf_record(pf, h);
		off += h->size;
	}
	if (!pf || tl_pf_finish(pf, NULL))
		return -1;
	*bytes = pb_total(&w);
	pb_close(&w);
	t = now() - t;
	tl_pf_free(pf);
	close(fd);
	return t;
}

/* Passes 4 and 5: the model from the file, then its track events alone. */
static double model_and_tracks(const char *path, double *t_tracks, uint64_t *bytes)
{
	struct tl_model *m = NULL;
	struct tl_load_result res;
	struct tl_pf_track_stats ts;
	struct pb_writer w;
	int fd = open("/dev/null", O_WRONLY);
	double t = now(), t2;

	memset(&res, 0, sizeof(res));
	if (fd < 0 || tl_model_load(path, &m, &res))
		return -1;
	t = now() - t;
	t2 = now();
	if (pb_init_fd(&w, fd, 1 << 20) || tl_pf_write_tracks(&w, m, &res.info, &ts))
		return -1;
	*bytes = pb_total(&w);
	pb_close(&w);
	*t_tracks = now() - t2;
	tl_model_free(m);
	close(fd);
	return t;
}

int main(int argc, char **argv)
{
	double millions = argc > 1 ? atof(argv[1]) : 5.2;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char rec[512], out[512], err[512];
	struct tl_export_stats st;
	struct gen g;
	uint8_t *buf;
	size_t len;
	uint64_t n, sched_bytes = 0;
	double t_read, t_sched, t_all, ev, t_model, t_tracks = 0;
	uint64_t track_bytes = 0;

	if (getenv("PID_BASE"))
		pid_base = (uint32_t)atoi(getenv("PID_BASE"));
	snprintf(rec, sizeof(rec), "%s/export-bench.tlr", dir);
	snprintf(out, sizeof(out), "%s/export-bench.pftrace", dir);
	if (make_recording(rec, (uint64_t)(millions * 1e6), &g)) {
		fprintf(stderr, "export_bench: cannot write %s\n", rec);
		return 1;
	}
	t_read = read_all(rec, &buf, &len, &n);
	t_sched = sched_only(buf, len, &sched_bytes);
	t_model = model_and_tracks(rec, &t_tracks, &track_bytes);
	t_all = now();
	if (tl_export_perfetto_stats(rec, out, &st, err, sizeof(err))) {
		fprintf(stderr, "export_bench: %s\n", err);
		return 1;
	}
	t_all = now() - t_all;
	ev = (double)(st.sched.switches + st.sched.wakings);
	printf("records                    %llu (%llu switches, %llu wakings)\n",
	       (unsigned long long)n, (unsigned long long)g.switches,
	       (unsigned long long)g.wakings);
	printf("1. read recording only     %6.3f s  %6.2f M records/s\n", t_read, n / t_read / 1e6);
	printf("2. sched + process tree    %6.3f s  %6.2f M records/s\n", t_sched, n / t_sched / 1e6);
	printf("4. model from the file     %6.3f s  %6.2f M records/s\n", t_model, n / t_model / 1e6);
	printf("5. track events from model %6.3f s  (%llu bytes)\n", t_tracks,
	       (unsigned long long)track_bytes);
	printf("3. full export             %6.3f s  %6.2f M records/s\n", t_all, n / t_all / 1e6);
	printf("trace size                 %llu bytes\n", (unsigned long long)st.bytes);
	printf("scheduler bundles          %llu bytes, %.2f bytes per switch/waking\n",
	       (unsigned long long)st.sched.bytes, st.sched.bytes / ev);
	printf("track events               %llu syscall slices, %llu flows, %llu counter points\n",
	       (unsigned long long)st.track.syscall_slices,
	       (unsigned long long)st.track.flows,
	       (unsigned long long)st.track.counter_points);
	free(buf);
	if (getenv("BENCH_KEEP")) {   /* to look at, or to run export --check */
		printf("kept %s and %s\n", rec, out);
		return 0;
	}
	unlink(rec);
	unlink(out);
	return 0;
}
