/* session.c - the kernel side of a recording: checks the system, opens and
 * loads the BPF object (tp_btf programs, or their raw_tp twins when the
 * kernel refuses tp_btf), creates one ring buffer per CPU, walks the probe
 * catalogue to attach what the selected groups need, keeps the filter of
 * traced tgids, runs the task snapshot and attaches USDT probes.
 *
 * Order, as in every libbpf tool: open -> set knobs and sizes -> load ->
 * attach. Detach is idempotent and leaves the maps readable, so the
 * collector can drain the rings after the probes stopped.
 */
#include "session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "feature.h"
#include "probes/catalogue.h"
#include "util/vec.h"

#include "session_impl.h"

static int tl_verbose;

/* The first program the verifier refused, and the verifier's last word on
 * it, kept so that a fallback or a failure names the culprit in one line. */
static char tl_refused_prog[64];
static char tl_refused_why[160];

/* The first refusal only: the one that made the load fail. */
static void tl_note_refusal(const char *prog, const char *log)
{
	if (tl_refused_prog[0] || !prog || !log)
		return;
	snprintf(tl_refused_prog, sizeof(tl_refused_prog), "%s", prog);
	tl_verifier_reason(log, tl_refused_why, sizeof(tl_refused_why));
}

/* libbpf 1.x hands the whole verifier log of a refused program in one
 * message, "prog '%s': -- BEGIN PROG LOAD LOG --\n%s-- END ...". */
static void tl_catch_refusal(const char *fmt, va_list ap)
{
	const char *prog, *log;
	va_list cp;

	if (!strstr(fmt, "BEGIN PROG LOAD LOG"))
		return;
	va_copy(cp, ap);
	prog = va_arg(cp, const char *);
	log = va_arg(cp, const char *);
	va_end(cp);
	tl_note_refusal(prog, log);
}

/* libbpf's messages: errors come back to us as return codes and become
 * one-line messages, so its own output is shown only when asked for. */
static int tl_libbpf_print(enum libbpf_print_level lvl, const char *fmt,
			   va_list ap)
{
	if (lvl == LIBBPF_WARN)
		tl_catch_refusal(fmt, ap);
	if (tl_verbose < 1 || (lvl == LIBBPF_DEBUG && tl_verbose < 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Ring size in bytes: a power of two of at least a page. The environment
 * variable THREADLINE_RING_KB overrides it in KiB, below what MiB options
 * can ask for: tests use a tiny ring to provoke and check losses. */
static uint64_t tl_ring_bytes(uint32_t mb)
{
	uint64_t want, b = (uint64_t)sysconf(_SC_PAGESIZE);
	const char *kb = getenv("THREADLINE_RING_KB");

	if (mb == 0)
		mb = TL_RING_MB_DEFAULT;
	if (mb > TL_RING_MB_MAX)
		mb = TL_RING_MB_MAX;
	want = (uint64_t)mb << 20;
	if (kb && *kb) {
		unsigned long v = strtoul(kb, NULL, 10);

		if (v > 0 && v <= (unsigned long)TL_RING_MB_MAX << 10)
			want = (uint64_t)v << 10;
	}
	while (b < want)
		b <<= 1;
	return b;
}

static bool tl_group_selected(const struct tl_session *s, int group)
{
	if (group == TL_GROUP_ALWAYS)
		return true;
	if (group == TL_GROUP_STACKS)
		return s->opts.stacks;
	return s->opts.groups & (1u << group);
}

static const char *tl_probe_prog(const struct tl_session *s,
				 const struct tl_probe *p)
{
	return s->raw_tp && p->fallback ? p->fallback : p->prog;
}

static struct bpf_program *tl_find_prog(const struct tl_session *s,
					const char *name)
{
	return bpf_object__find_program_by_name(s->skel->obj, name);
}

/* Loads exactly the programs the selected groups need. */
static void tl_select_programs(struct tl_session *s)
{
	struct bpf_program *prog;
	size_t i;

	bpf_object__for_each_program(prog, s->skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < TL_CATALOGUE_LEN; i++) {
		const struct tl_probe *p = &tl_catalogue[i];

		if (!tl_group_selected(s, p->group))
			continue;
		prog = tl_find_prog(s, tl_probe_prog(s, p));
		if (prog)
			bpf_program__set_autoload(prog, true);
	}
	/* not a probe: run on demand by tl_session_flush_stages() */
	bpf_program__set_autoload(s->skel->progs.tl_flush_stage, !s->no_stage);
	/* record -g's maps are created anyway; without it they stay tiny
	 * (the repeat map alone would take ~2.8 MB of kernel memory) */
	if (!s->opts.stacks) {
		bpf_map__set_max_entries(s->skel->maps.tl_stack_again, 1);
		bpf_map__set_max_entries(s->skel->maps.tl_stack_seen, 1);
	}
}

/* Fill level at which a CPU's stage moves to its ring. A ring must hold
 * several stages, read while the next ones come: only the tiny rings of
 * THREADLINE_RING_KB (tests provoke losses with 4 KiB) are below the
 * 64 KiB where this lowers the limit. */
static uint32_t tl_stage_limit(uint64_t ring_bytes)
{
	uint64_t limit = TL_STAGE_BYTES - TL_STAGE_ROOM;

	return ring_bytes / 4 < limit ? (uint32_t)(ring_bytes / 4) : (uint32_t)limit;
}

static int tl_create_rings(struct tl_session *s, char *err, size_t errlen)
{
	int i;

	for (i = 0; i < s->ncpus; i++) {
		s->ring_fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "tl_ring",
						0, 0, s->ring_bytes, NULL);
		if (s->ring_fds[i] < 0) {
			int e = -errno;

			snprintf(err, errlen, "cannot create a %llu MiB ring "
				 "buffer for CPU %d: %s; try smaller ring buffers",
				 (unsigned long long)(s->ring_bytes >> 20), i,
				 strerror(-e));
			return e;
		}
	}
	return 0;
}

static int tl_fill_rings(struct tl_session *s, char *err, size_t errlen)
{
	int outer = bpf_map__fd(s->skel->maps.tl_rings);
	uint32_t i;

	for (i = 0; i < (uint32_t)s->ncpus; i++) {
		if (bpf_map_update_elem(outer, &i, &s->ring_fds[i], BPF_ANY)) {
			int e = -errno;

			snprintf(err, errlen, "cannot install the ring buffer of "
				 "CPU %u: %s", i, strerror(-e));
			return e;
		}
	}
	return 0;
}

/* One attempt at open + configure + load, with tp_btf or with raw_tp. */
static int load_objects(struct tl_session *s)
{
	struct bpf_map *outer;
	int err;

	s->skel = threadline_bpf__open();
	if (!s->skel)
		return -errno;
	s->skel->rodata->tl_trace_all = s->opts.all;
	s->skel->rodata->tl_groups = s->opts.groups;
	s->skel->rodata->tl_wakeup_bytes = s->ring_bytes / 4;
	s->skel->rodata->tl_stage_limit = s->no_stage ? 0 : tl_stage_limit(s->ring_bytes);
	/* never record ourselves: our polls and writes would feed back */
	s->skel->rodata->tl_self_tgid = (uint32_t)getpid();
	/* The inner template keeps its size: the kernel does not compare ring
	 * sizes of inner maps (and libbpf 1.1 cannot resize the template). */
	outer = s->skel->maps.tl_rings;
	err = bpf_map__set_max_entries(outer, s->ncpus);
	if (err)
		return err;
	tl_select_programs(s);
	return threadline_bpf__load(s->skel);
}

/* Staged records reach the rings only through the flush program, run on
 * a chosen CPU (BPF_F_TEST_RUN_ON_CPU, Linux 5.10): where the kernel cannot
 * do that, the programs are loaded again with staging off. */
static int tl_stage_check(struct tl_session *s)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU);
	int fd = bpf_program__fd(s->skel->progs.tl_flush_stage);

	if (fd >= 0 && bpf_prog_test_run_opts(fd, &o) == 0)
		return 0;
	threadline_bpf__destroy(s->skel);
	s->skel = NULL;
	s->no_stage = true;
	return load_objects(s);
}

/* THREADLINE_FORCE_RAW_TP=1 skips tp_btf, so tests can cover the fallback;
 * THREADLINE_NO_STAGE=1 turns staging off, for the same reason. */
static int tl_load_any(struct tl_session *s, char *err, size_t errlen)
{
	const char *force = getenv("THREADLINE_FORCE_RAW_TP");
	const char *no_stage = getenv("THREADLINE_NO_STAGE");
	int e;

	s->raw_tp = s->opts.raw_tp || (force && *force == '1');
	s->forced_raw_tp = s->raw_tp;
	s->no_stage = no_stage && *no_stage == '1';
	e = load_objects(s);
	if (e) {
		threadline_bpf__destroy(s->skel);
		s->skel = NULL;
		s->raw_tp = true; /* this kernel may refuse tp_btf: try raw_tp */
		if (load_objects(s) == 0)
			e = 0; /* else the first reason is the one to give */
	}
	if (!e && !s->no_stage)
		e = tl_stage_check(s);
	if (e && tl_refused_prog[0]) {
		snprintf(err, errlen, "loading the BPF programs failed: the kernel "
			 "refused %s (%s); run with -v to see the verifier's log",
			 tl_refused_prog, tl_refused_why);
		return e < 0 ? e : -e;
	}
	if (e) {
		snprintf(err, errlen, "loading the BPF programs failed: %s; run "
			 "with -v to see libbpf's log (the verifier's reasons)",
			 strerror(e < 0 ? -e : e));
		return e < 0 ? e : -e;
	}
	return 0;
}

static int tl_check_system(const struct tl_session_opts *o, char *err,
			   size_t errlen)
{
	int e;

	tl_verbose = o->verbose;
	tl_refused_prog[0] = tl_refused_why[0] = '\0';
	libbpf_set_print(tl_libbpf_print);
	e = tl_check_privileges(err, errlen);
	if (!e)
		e = tl_check_btf(err, errlen);
	if (!e)
		e = tl_check_tracefs(err, errlen);
	return e;
}

/* One line when the fallback happened: which program the kernel refused
 * and the verifier's reason (the whole log is behind -v). */
static void tl_say_raw_tp(const struct tl_session *s)
{
	if (!s->raw_tp)
		return;
	if (s->forced_raw_tp) {
		if (s->opts.verbose)
			fprintf(stderr, "threadline: raw tracepoints in use "
				"(--raw-tp or THREADLINE_FORCE_RAW_TP)\n");
		return;
	}
	fprintf(stderr, "threadline: warning: the kernel refused tp_btf program "
		"%s (%s); using raw tracepoints (-v shows the verifier's log)\n",
		tl_refused_prog[0] ? tl_refused_prog : "?",
		tl_refused_why[0] ? tl_refused_why : "no reason given");
}

/* Beside the loading, which takes longest (libbpf's own BTF reading, the
 * verifier): creating the rings (zeroed pages, 16 MiB per CPU by default)
 * and reading from BTF where the preempt count is (~20 ms). */
static void *tl_side_work(void *arg)
{
	struct tl_session *s = arg;

	s->pc_err = tl_preempt_count_from_rq(&s->pc_from_rq);
	s->ring_err = tl_create_rings(s, s->ring_msg, sizeof(s->ring_msg));
	return NULL;
}

static void tl_side_start(struct tl_session *s)
{
	s->pc_err = -ENOENT;
	s->side_started = pthread_create(&s->side, NULL, tl_side_work, s) == 0;
	if (!s->side_started)
		tl_side_work(s);
}

/* Waits for the side work; hands the BPF side the preempt count's place
 * (see bpf/common.bpf.h), or leaves it at "unknown". Returns the ring
 * creation's result, with its message in err. */
static int tl_side_finish(struct tl_session *s, char *err, size_t errlen)
{
	if (s->side_started)
		pthread_join(s->side, NULL);
	s->side_started = false;
	if (s->ring_err) {
		snprintf(err, errlen, "%s", s->ring_msg);
		return s->ring_err;
	}
	if (!s->pc_err && s->skel && s->skel->bss) {
		s->skel->bss->tl_pc_from_rq = s->pc_from_rq;
		s->skel->bss->tl_pc_known = 1;
	}
	return 0;
}

struct tl_session *tl_session_open(const struct tl_session_opts *o, char *err,
				   size_t errlen)
{
	struct tl_session *s;
	int i;

	if (tl_check_system(o, err, errlen))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->opts = *o;
	for (i = 0; i < TL_MAX_CPUS; i++)
		s->ring_fds[i] = -1;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0 || s->ncpus > TL_MAX_CPUS) {
		snprintf(err, errlen, "cannot handle %d possible CPUs (max %d)",
			 s->ncpus, TL_MAX_CPUS);
		goto fail;
	}
	s->ring_bytes = tl_ring_bytes(o->ringbuf_mb);
	tl_side_start(s);
	if (tl_load_any(s, err, errlen)) {
		tl_side_finish(s, err, 0);
		goto fail;
	}
	if (tl_side_finish(s, err, errlen) || tl_fill_rings(s, err, errlen))
		goto fail;
	tl_say_raw_tp(s);
	return s;
fail:
	tl_session_close(s);
	return NULL;
}

/* The filter is a bitmap in the BPF side's memory-mapped .bss (see
 * bpf/common.bpf.h); the BPF side sets and clears bits concurrently, so
 * the update is atomic. */
int tl_session_add_tgid(struct tl_session *s, uint32_t tgid)
{
	if (!s || tgid == 0)
		return -EINVAL;
	if (s->opts.all)
		return 0;
	if (tgid >= TL_PID_LIMIT || !s->skel->bss)
		return -ERANGE;
	__atomic_fetch_or(&s->skel->bss->tl_traced_bits[tgid / 64],
			  1ull << (tgid % 64), __ATOMIC_SEQ_CST);
	return 0;
}

/* Appends l to the links (*links, *n, *cap), grown as util's vec: the
 * session keeps its own three fields, which the detach path reads as
 * they are. Destroys l when that fails. */
static int tl_keep_in(struct bpf_link ***links, size_t *n, size_t *cap,
		      struct bpf_link *l)
{
	struct tl_vec v = { *links, *n, *cap };
	struct bpf_link **slot = tl_vec_push_uninit(&v, sizeof(*slot));

	if (!slot) {
		bpf_link__destroy(l);
		return -ENOMEM;
	}
	*slot = l;
	*links = v.p;
	*n = v.n;
	*cap = v.cap;
	return 0;
}

static int tl_keep_link(struct tl_session *s, struct bpf_link *l)
{
	return tl_keep_in(&s->links, &s->nlinks, &s->cap, l);
}

/* "category/name" -> two strings for bpf_program__attach_tracepoint. */
static struct bpf_link *tl_attach_tracepoint(struct bpf_program *prog,
					     const char *target)
{
	char cat[64];
	const char *slash = strchr(target, '/');
	size_t n = slash ? (size_t)(slash - target) : 0;

	if (!slash || n >= sizeof(cat)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(cat, target, n);
	cat[n] = '\0';
	return bpf_program__attach_tracepoint(prog, cat, slash + 1);
}

static int tl_keep_target(struct tl_session *s, const char *target)
{
	struct tl_vec v = { s->targets, s->ntargets, s->tcap };
	const char **slot = tl_vec_push_uninit(&v, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	*slot = target;
	s->targets = v.p;
	s->ntargets = v.n;
	s->tcap = v.cap;
	return 0;
}

const char *const *tl_session_targets(const struct tl_session *s, size_t *n)
{
	*n = s ? s->ntargets : 0;
	return s ? s->targets : NULL;
}

/* Attaches one catalogue entry; 1 if skipped with a warning. */
static int tl_attach_one(struct tl_session *s, const struct tl_probe *p,
			 char *err, size_t errlen)
{
	const char *name = tl_probe_prog(s, p);
	struct bpf_program *prog = tl_find_prog(s, name);
	struct bpf_link *l;

	if (p->kind == TL_PK_TRACEPOINT && !tl_tracepoint_exists(p->target)) {
		fprintf(stderr, "threadline: warning: this kernel has no "
			"tracepoint %s; its events are not recorded\n", p->target);
		return 1;
	}
	if (!prog) {
		snprintf(err, errlen, "BPF program %s is missing", name);
		return -ENOENT;
	}
	l = p->kind == TL_PK_TRACEPOINT ? tl_attach_tracepoint(prog, p->target)
					 : bpf_program__attach(prog);
	if (!l) {
		int e = -errno;

		if (p->optional) {
			fprintf(stderr, "threadline: warning: cannot attach %s "
				"(%s); its events are not recorded\n", p->target,
				strerror(-e));
			return 1;
		}
		snprintf(err, errlen, "attaching %s failed: %s; run with -v "
			 "for libbpf's log", p->target, strerror(-e));
		return e;
	}
	return tl_keep_link(s, l) ? -ENOMEM : tl_keep_target(s, p->target);
}

/* THREADLINE_ATTACH_DELAY_MS=N waits N ms between the scheduler probes
 * and the syscall tracepoints: what attaching can take on a loaded
 * machine, so that the tests can have a target exit half-attached. */
static void tl_attach_delay(void)
{
	const char *ms = getenv("THREADLINE_ATTACH_DELAY_MS");
	long v = ms ? strtol(ms, NULL, 10) : 0;
	struct timespec ts;

	if (v <= 0 || v > 10000)
		return;
	ts.tv_sec = v / 1000;
	ts.tv_nsec = (v % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static int tl_attach_kind(struct tl_session *s, enum tl_probe_kind kind,
			  char *err, size_t errlen)
{
	for (size_t i = 0; i < TL_CATALOGUE_LEN; i++) {
		const struct tl_probe *p = &tl_catalogue[i];
		int e;

		if (p->kind != kind || !tl_group_selected(s, p->group))
			continue;
		e = tl_attach_one(s, p, err, errlen);
		if (e < 0)
			return e;
	}
	return 0;
}

/* The scheduler and process probes first: they follow forks and see
 * exits, whatever else is still being attached. */
int tl_session_attach(struct tl_session *s, char *err, size_t errlen)
{
	int e = tl_attach_kind(s, TL_PK_TP_BTF, err, errlen);

	if (!e) {
		tl_attach_delay();
		e = tl_attach_kind(s, TL_PK_TRACEPOINT, err, errlen);
	}
	if (e < 0)
		tl_session_detach(s);
	return e < 0 ? e : 0;
}

int tl_session_attach_usdt(struct tl_session *s, int pid, const char *path)
{
	int n = 0, first_err = 0;
	size_t i;

	if (!(s->opts.groups & (1u << TL_G_USDT)))
		return 0;
	if (access(path, R_OK))
		return -errno;
	for (i = 0; i < TL_CATALOGUE_LEN; i++) {
		const struct tl_probe *p = &tl_catalogue[i];
		struct bpf_link *l;

		if (p->kind != TL_PK_USDT)
			continue;
		l = bpf_program__attach_usdt(tl_find_prog(s, p->prog), pid, path,
					     "threadline", p->target, NULL);
		if (!l) {
			/* a binary without this probe is the common case */
			if (errno != ENOENT && !first_err)
				first_err = -errno;
			continue;
		}
		if (tl_keep_in(&s->ulinks, &s->nulinks, &s->ucap, l))
			return -ENOMEM;
		n++;
	}
	return n ? n : first_err;
}

int tl_session_ringbuf_fd(const struct tl_session *s, int cpu)
{
	if (cpu < 0 || cpu >= s->ncpus)
		return -EINVAL;
	return s->ring_fds[cpu];
}

/* The flush program runs on the CPU asked for (an interrupt there when it
 * is not ours) and returns 1 when it interrupted a program writing the
 * stage: then it is asked again, a few times, and else at the next drain.
 * -ENXIO: the CPU is offline. */
static int tl_flush_stage_on(int fd, int cpu)
{
	int i, e;

	for (i = 0; i < 8; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .flags = BPF_F_TEST_RUN_ON_CPU,
			    .cpu = cpu);

		e = bpf_prog_test_run_opts(fd, &o);
		if (e)
			return e;
		if (o.retval == 0)
			return 0;
	}
	return 0;
}

/* Once the probes are stopped or detached nothing writes the stages: what
 * an offline CPU still holds can never reach its ring, and is counted as
 * lost rather than dropped silently. */
static void tl_stage_abandon(struct tl_session *s, int cpu)
{
	struct tl_stage *st = &s->skel->bss->tl_stages[cpu];

	s->skel->bss->tl_stats[cpu].s.lost += st->n;
	st->n = 0;
	st->len = 0;
}

int tl_session_flush_stages(struct tl_session *s)
{
	int fd, cpu, e;

	if (!s->skel || !s->skel->bss)
		return -EINVAL;
	if (s->no_stage)
		return 0;
	fd = bpf_program__fd(s->skel->progs.tl_flush_stage);
	if (fd < 0)
		return -EINVAL;
	for (cpu = 0; cpu < s->ncpus; cpu++) {
		if (!((volatile struct tl_stage *)&s->skel->bss->tl_stages[cpu])->len)
			continue;
		e = tl_flush_stage_on(fd, cpu);
		if (e == -ENXIO && (s->nlinks == 0 || s->stopped))
			tl_stage_abandon(s, cpu);
		else if (e && e != -ENXIO)
			return e;
	}
	return 0;
}

uint64_t tl_session_stacks_lost(const struct tl_session *s)
{
	uint64_t n = 0;

	if (!s->skel || !s->skel->bss)
		return 0;
	for (int i = 0; i < s->ncpus; i++)
		n += ((volatile uint64_t *)s->skel->bss->tl_stack_lost)[i];
	return n;
}

int tl_session_ncpus(const struct tl_session *s)
{
	return s->ncpus;
}

int tl_session_cpu_stats(const struct tl_session *s, struct tl_cpu_stats *st,
			 int n)
{
	int i;

	if (!s->skel || !s->skel->bss)
		return -EINVAL;
	for (i = 0; i < n && i < s->ncpus; i++) {
		const volatile struct tl_cpu_stats *k = &s->skel->bss->tl_stats[i].s;

		st[i].lost = k->lost;
		st[i].emitted = k->emitted;
	}
	return i;
}

/* Runs the kernel skipped because the same program was already running on
 * that CPU (an interrupt inside it): each is an event never emitted. */
static uint64_t tl_recursion_misses(const struct tl_session *s)
{
	struct bpf_program *p;
	uint64_t sum = 0;

	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = { 0 };
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			sum += info.recursion_misses;
	}
	return sum;
}

/* The kernel does not say on which CPU a recursion miss happened, so those
 * are charged to CPU 0: counted, never silent. */
int tl_session_lost(const struct tl_session *s, uint64_t *lost_per_cpu, int n)
{
	struct tl_cpu_stats st[TL_MAX_CPUS];
	int i, got = tl_session_cpu_stats(s, st, n < TL_MAX_CPUS ? n : TL_MAX_CPUS);

	for (i = 0; i < got; i++)
		lost_per_cpu[i] = st[i].lost;
	if (got > 0)
		lost_per_cpu[0] += tl_recursion_misses(s);
	return got;
}

bool tl_session_raw_tp(const struct tl_session *s)
{
	return s->raw_tp;
}

void tl_session_close(struct tl_session *s)
{
	int i;

	if (!s)
		return;
	if (s->side_started)
		tl_side_finish(s, NULL, 0);
	tl_session_detach(s);
	free(s->links);
	free(s->ulinks);
	free(s->targets);
	threadline_bpf__destroy(s->skel);
	for (i = 0; i < TL_MAX_CPUS; i++)
		if (s->ring_fds[i] >= 0)
			close(s->ring_fds[i]);
	free(s);
}
