/* test_export.c - `threadline export` of real recordings (root, real BPF).
 * A demo runs under `threadline record`; its recording is exported with
 * the command line (`--check` reads the file back against the importer's
 * rules), decoded by protoc with the project's schema subset, and held
 * against the model and `threadline report --json`: the same number of
 * switches and wakings, every thread by name, a futex_wait slice for each
 * join, and per-thread Running/Runnable/blocked totals derived here from
 * the exported scheduler events alone. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "tp.h"
#include "tp_check.h"
#include "userspace/export/export.h"
#include "userspace/export/perfetto/perfetto_impl.h"
#include "userspace/export/perfetto/perfetto_check.h"
#include "tests/common/protoc_text.h"

#define PROTO "tests/proto/threadline_perfetto.proto"
#define MAX_EV (1u << 22)
#define MAX_THR 4096

/* ---- files and commands ---- */

static char *slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (p && read(fd, p, (size_t)sb.st_size) != sb.st_size) {
		free(p);
		p = NULL;
	}
	if (p)
		p[sb.st_size] = 0;
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* ---- thread states derived from the exported switches and wakings ---- */

struct tstate {
	uint32_t tid;
	const struct tl_thread *mt;  /* the model's thread, for its lifetime */
	int st;                 /* 0 unknown, 1 running, 2 runnable, 3 blocked, 4 dead */
	uint64_t since;
	uint64_t ns[4];
};

struct derive {
	const struct tl_model *m;
	struct tl_pf_sched_ev *ev;
	size_t nev;
	struct tstate th[MAX_THR];
	size_t nth;
};

static void on_sched(void *ctx, const struct tl_pf_sched_ev *ev)
{
	struct derive *d = ctx;

	if (d->nev < MAX_EV)
		d->ev[d->nev++] = *ev;
}

static struct tstate *thr(struct derive *d, uint32_t tid)
{
	for (size_t i = 0; i < d->nth; i++)
		if (d->th[i].tid == tid)
			return &d->th[i];
	assert_true(d->nth < MAX_THR);
	d->th[d->nth] = (struct tstate){ .tid = tid,
					 .mt = tl_model_find_thread(d->m, tid, 0) };
	return &d->th[d->nth++];
}

static void enter(struct tstate *t, int st, uint64_t ts)
{
	if (t->mt && t->st >= 1 && t->st <= 3 && ts > t->since)
		t->ns[t->st] += tpc_known_ns(t->mt, t->since, ts);
	t->st = st;
	t->since = ts;
}

static int ev_cmp(const void *a, const void *b)
{
	const struct tl_pf_sched_ev *x = a, *y = b;

	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

/* Perfetto's rules: a switch leaves prev Runnable when prev_state is 0 or
 * R+ (0x100), dead for X/Z, else blocked, and runs next; a waking makes a
 * blocked (or not yet seen) thread Runnable. */
static void derive_states(struct derive *d, uint64_t end)
{
	/* each CPU's events are in order; across CPUs, order by time (ties
	 * keep CPU order, merge sort would too: exact ties are rare) */
	qsort(d->ev, d->nev, sizeof(*d->ev), ev_cmp);
	for (size_t i = 0; i < d->nev; i++) {
		const struct tl_pf_sched_ev *e = &d->ev[i];

		if (e->kind == PF_EV_SWITCH) {
			int64_t s = e->prev_state;
			int st = (s == 0 || s == 0x100) ? 2 : (s & 0x30) ? 4 : 3;

			if (e->prev)
				enter(thr(d, e->prev), st, e->ts);
			if (e->next)
				enter(thr(d, e->next), 1, e->ts);
		} else {
			struct tstate *t = thr(d, e->next);

			if (t->st == 0 || t->st == 3)
				enter(t, 2, e->ts);
		}
	}
	for (size_t i = 0; i < d->nth; i++)
		enter(&d->th[i], 0, end);
}

/* ---- report --json, read with a scan over its keys ---- */

static bool json_u64(const char *from, const char *until, const char *key,
		     uint64_t *v)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	p = strstr(from, k);
	if (!p || (until && p > until))
		return false;
	*v = strtoull(p + strlen(k), NULL, 10);
	return true;
}

struct rtimes { uint64_t run, rable, sleep, unint; };

static bool report_times(const char *json, uint32_t tid, struct rtimes *t)
{
	char k[64];
	const char *p, *next;

	snprintf(k, sizeof(k), "\"tid\": %u,", tid);
	p = strstr(json, k);
	if (!p)
		return false;
	next = strstr(p + 1, "\"tid\": ");
	return json_u64(p, next, "running_ns", &t->run) &&
	       json_u64(p, next, "runnable_ns", &t->rable) &&
	       json_u64(p, next, "sleeping_ns", &t->sleep) &&
	       json_u64(p, next, "uninterruptible_ns", &t->unint);
}

static void near(const char *what, uint32_t tid, uint64_t got, uint64_t want,
		 uint64_t abs_ns, unsigned pct)
{
	uint64_t diff = got > want ? got - want : want - got;
	uint64_t tol = abs_ns + want / 100 * pct;

	if (diff > tol)
		fail_msg("thread %u %s: %llu ns from the trace, %llu in the report",
			 tid, what, (unsigned long long)got, (unsigned long long)want);
}

/* ---- slices ---- */

#define MAX_WAITS 4096

struct slices {
	uint64_t track;
	unsigned futex_waits;
	uint64_t b[MAX_WAITS], e[MAX_WAITS];   /* the first MAX_WAITS of them */
};

static void on_slice(void *ctx, uint64_t track, const char *name, uint64_t b,
		     uint64_t e)
{
	struct slices *s = ctx;

	if (track != s->track || strcmp(name, "futex_wait"))
		return;
	if (s->futex_waits < MAX_WAITS) {
		s->b[s->futex_waits] = b;
		s->e[s->futex_waits] = e;
	}
	s->futex_waits++;
}

/* ---- the same slices from protoc's text (tests/common/protoc_text.h) ---- */

/* The main thread's futex_wait slices rebuilt from the text are the ones
 * the checker rebuilt from the bytes, at the same nanoseconds. */
static void check_text_times(const char *txt, const struct slices *want)
{
	struct slices *got = calloc(1, sizeof(*got));
	struct pt_text *t = pt_new(on_slice, got);
	char line[4096];
	FILE *f = fopen(txt, "r");

	assert_non_null(got);
	assert_non_null(t);
	assert_non_null(f);
	got->track = want->track;
	while (fgets(line, sizeof(line), f))
		pt_line(t, line);
	fclose(f);
	assert_false(t->oom);
	assert_false(t->bad_clock);
	if (getenv("TL_TEST_VERBOSE"))
		printf("futex_wait slices: %u from protoc's text, %u from the checker\n",
		       got->futex_waits, want->futex_waits);
	assert_int_equal(got->futex_waits, want->futex_waits);
	for (unsigned i = 0; i < want->futex_waits && i < MAX_WAITS; i++) {
		assert_int_equal(got->b[i], want->b[i]);
		assert_int_equal(got->e[i], want->e[i]);
	}
	pt_free(t);
	free(got);
}

static void on_both_slice(void *ctx, uint64_t track, const char *name,
			  uint64_t b, uint64_t e)
{
	on_slice(((void **)ctx)[1], track, name, b, e);
}

static void on_both_sched(void *ctx, const struct tl_pf_sched_ev *ev)
{
	on_sched(((void **)ctx)[0], ev);
}

/* ---- the test ---- */

struct exported {
	char path[PATH_MAX + 16];
	char *data;
	size_t len;
	struct tl_export_stats st;
};

static void export_and_check(struct th_run *r, struct exported *x)
{
	char err[512], check[PATH_MAX + 32];

	snprintf(x->path, sizeof(x->path), "%s.pftrace", r->path);
	assert_int_equal(run("%s/threadline export %s -o %s --check > %s.check 2>&1",
			     th_build_dir(), r->path, x->path, x->path), 0);
	snprintf(check, sizeof(check), "%s.check", x->path);
	unlink(check);
	/* the library's counters for the same export */
	assert_int_equal(tl_export_perfetto_stats(r->path, x->path, &x->st, err,
						  sizeof(err)), 0);
	x->data = slurp(x->path, &x->len);
	assert_non_null(x->data);
}

static void check_protoc(struct th_run *r, struct exported *x,
			 const struct slices *sl)
{
	char txt[PATH_MAX + 32], *t, want[64];
	size_t len;
	const struct tl_process *p = r->root;

	if (access(PROTO, R_OK))
		return;   /* not run from the source tree */
	snprintf(txt, sizeof(txt), "%s.txt", x->path);
	assert_int_equal(run("protoc --decode=perfetto.protos.Trace --proto_path=tests/proto "
			     "%s < %s > %s", PROTO, x->path, txt), 0);
	t = slurp(txt, &len);
	assert_non_null(t);
	for (size_t i = 0; i < p->nthreads; i++) {
		snprintf(want, sizeof(want), "thread_name: \"%s\"",
			 tl_thread_name(p->threads[i]));
		if (!strstr(t, want))
			fail_msg("decoded trace lacks %s", want);
	}
	snprintf(want, sizeof(want), "pid: %u", p->pid);
	assert_non_null(strstr(t, want));
	assert_non_null(strstr(t, "compact_sched {"));
	assert_non_null(strstr(t, "name: \"futex_wait\""));
	free(t);
	check_text_times(txt, sl);
	unlink(txt);
}

/* Per-thread totals: report --json against the exported sched data. */
static void check_totals(struct th_run *r, struct derive *d)
{
	const struct tl_model_stats *ms = tl_model_stats(r->m);
	char json_path[PATH_MAX + 8], *json;
	size_t len;

	snprintf(json_path, sizeof(json_path), "%s.json", r->path);
	assert_int_equal(run("%s/threadline report --json %s > %s", th_build_dir(),
			     r->path, json_path), 0);
	json = slurp(json_path, &len);
	assert_non_null(json);
	d->m = r->m;
	derive_states(d, r->res.has_trailer ? r->res.trailer.h.ts : ms->end);
	for (size_t i = 0; i < r->root->nthreads; i++) {
		const struct tl_thread *t = r->root->threads[i];
		struct tstate *mine = thr(d, t->tid);
		struct rtimes rep = { 0 };

		assert_true(report_times(json, t->tid, &rep));
		if (getenv("TL_TEST_VERBOSE"))
			printf("thread %u %s: trace run %llu rable %llu blocked %llu; report "
			       "%llu %llu %llu (+%llu D)\n", t->tid, tl_thread_name(t),
			       (unsigned long long)mine->ns[1], (unsigned long long)mine->ns[2],
			       (unsigned long long)mine->ns[3], (unsigned long long)rep.run,
			       (unsigned long long)rep.rable, (unsigned long long)rep.sleep,
			       (unsigned long long)rep.unint);
		near("running", t->tid, mine->ns[1], rep.run, TH_MS(1) / 2, 1);
		near("runnable", t->tid, mine->ns[2], rep.rable, TH_MS(1) / 2, 1);
		near("blocked", t->tid, mine->ns[3], rep.sleep + rep.unint, TH_MS(1) / 2, 1);
	}
	free(json);
	unlink(json_path);
}

static void test_b1_threads(void **state)
{
	struct th_run r;
	struct exported x = { 0 };
	struct tl_pf_check ck;
	struct derive *d = calloc(1, sizeof(*d));
	struct slices *sl = calloc(1, sizeof(*sl));
	void *both[2] = { d, sl };
	struct tl_pf_check_cbs cbs = { on_both_slice, on_both_sched, both };
	const struct tl_model_stats *ms;
	const struct tl_thread *main_thr;
	uint64_t sw = 0, wk = 0;
	char err[256];

	(void)state;
	assert_non_null(d);
	assert_non_null(sl);
	d->ev = malloc(MAX_EV * sizeof(*d->ev));
	assert_non_null(d->ev);
	th_record_demo(&r, "b1_threads", NULL);
	assert_non_null(r.root);
	export_and_check(&r, &x);
	main_thr = r.root->threads[0];
	sl->track = tl_pf_thread_uuid(main_thr->tid, main_thr->gen);
	if (tl_pf_check_cb(x.data, x.len, &ck, &cbs, err, sizeof(err)))
		fail_msg("importer rules: %s", err);

	/* the same scheduler events as the model read, plus the bridges and
	 * the wakings written again after their wakee's switch-out */
	ms = tl_model_stats(r.m);
	for (int c = 0; c < TL_PF_CHECK_CPUS; c++) {
		sw += ck.switches[c];
		wk += ck.wakings[c];
	}
	assert_int_equal(sw - x.st.sched.bridges, ms->per_type[TL_SWITCH]);
	assert_int_equal(wk - x.st.sched.replayed_wakings,
			 ms->per_type[TL_WAKING] + ms->per_type[TL_WAKEUP_NEW]);
	assert_int_equal(ck.thread_tracks, tl_model_nthreads(r.m));
	/* main joins three workers, each still running: a futex_wait each */
	assert_true(sl->futex_waits >= 3);
	assert_true(x.st.track.syscall_slices >= 3);
	check_protoc(&r, &x, sl);

	check_totals(&r, d);
	unlink(x.path);
	free(x.data);
	free(d->ev);
	free(d);
	free(sl);
	th_free(&r);
}

static size_t marks_of(const struct tl_model *m, uint32_t kind)
{
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nmarks(m); i++)
		n += tl_model_mark(m, i)->kind == kind;
	return n;
}

/* USDT marks of a demo become tracks: coroutine runs, task slices, queue
 * depth counters, one for each mark the model read. */
static void export_usdt_demo(const char *demo, struct th_run *r,
			     struct exported *x, struct tl_pf_check *ck)
{
	char err[256];

	th_record_demo(r, demo, NULL);
	assert_non_null(r->root);
	export_and_check(r, x);
	if (tl_pf_check(x->data, x->len, ck, err, sizeof(err)))
		fail_msg("importer rules: %s", err);
}

static void test_coroutines(void **state)
{
	struct th_run r;
	struct exported x = { 0 };
	struct tl_pf_check ck;
	size_t sw;

	(void)state;
	export_usdt_demo("f2_greenlet", &r, &x, &ck);
	sw = marks_of(r.m, TL_USDT_CORO_SWITCH);
	assert_true(sw >= 2);
	/* every switch ends one coroutine's run; the last run ends with its
	 * thread; runs too short to show (< 1 ns apart) are the only loss */
	assert_true(x.st.track.usdt_slices >= sw - 1 && x.st.track.usdt_slices <= sw);
	assert_true(ck.other_tracks >= 3);   /* metadata + two coroutines */
	unlink(x.path);
	free(x.data);
	th_free(&r);
}

static void test_pool_queue(void **state)
{
	struct th_run r;
	struct exported x = { 0 };
	struct tl_pf_check ck;
	size_t q, tasks;

	(void)state;
	export_usdt_demo("b5_thread_pool", &r, &x, &ck);
	q = marks_of(r.m, TL_USDT_QUEUE_PUT) + marks_of(r.m, TL_USDT_QUEUE_GET);
	tasks = marks_of(r.m, TL_USDT_TASK_BEGIN);
	assert_true(q + tasks > 0);
	/* queue depths are counter points on top of the loss and parallelism
	 * ones; each begun task is a slice */
	assert_true(x.st.track.counter_points >= q);
	assert_true(x.st.track.usdt_slices >= tasks);
	unlink(x.path);
	free(x.data);
	th_free(&r);
}

/* ---- -p: a waker outside the trace ---- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Records `-p` a child blocked reading a pipe; this process, not traced,
 * writes to the pipe and so wakes it. */
static void record_attached_reader(const char *path)
{
	int fd[2], status;
	char c = 'x', pidarg[16], tl[PATH_MAX + 16];
	pid_t reader, rec;

	assert_int_equal(pipe(fd), 0);
	reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		close(fd[1]);
		_exit(read(fd[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fd[0]);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)reader);
	snprintf(tl, sizeof(tl), "%s/threadline", th_build_dir());
	rec = fork();
	assert_true(rec >= 0);
	if (rec == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(tl, "threadline", "record", "-o", path, "-p", pidarg, (char *)NULL);
		_exit(127);
	}
	sleep_ms(1500);   /* attached, BPF loaded, the reader's snapshot taken */
	assert_int_equal(write(fd[1], &c, 1), 1);
	close(fd[1]);
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_int_equal(waitpid(rec, &status, 0), rec);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* In -p mode the waker's own switches are not recorded; the export still
 * puts it on its CPU at the waking, so Perfetto links the wakee's Runnable
 * row to a Running row of the waker (waker_id), as the critical path needs. */
static void test_untraced_waker(void **state)
{
	char rec[64], trace[96], sql[512];
	const char *q[1] = { sql };
	struct tp_rows rows;

	(void)state;
	if (!tp_path())
		skip();
	snprintf(rec, sizeof(rec), "/tmp/tl-test-%d-attach.tlr", (int)getpid());
	snprintf(trace, sizeof(trace), "%s.pftrace", rec);
	unlink(rec);
	record_attached_reader(rec);
	assert_int_equal(run("%s/threadline export %s -o %s --check > /dev/null",
			     th_build_dir(), rec, trace), 0);
	snprintf(sql, sizeof(sql), "select count(*) as n from thread_state s "
		 "join thread w on w.utid = s.waker_utid "
		 "join thread_state r on r.id = s.waker_id "
		 "where s.state = 'R' and w.tid = %d and r.state = 'Running' "
		 "and r.utid = s.waker_utid", (int)getpid());
	tp_query(trace, NULL, q, 1, &rows);
	if (tp_int(&rows, 0, 0) < 1)
		fail_msg("no Runnable row of the reader points to a Running row of "
			 "its untraced waker %d (%s)", (int)getpid(), trace);
	tp_free(&rows, 1);
	if (!getenv("TL_KEEP_RECORDINGS")) {
		unlink(rec);
		unlink(trace);
	}
}

/* The philosophers' deadlock: an instant on each of the five threads in
 * the trace, and `report --deadlocks` names the cycle's forks. */
static void test_deadlock(void **state)
{
	char out[PATH_MAX + 8], *txt;
	struct th_run r;
	struct exported x = { 0 };
	struct tl_pf_check ck;
	size_t len;

	(void)state;
	export_usdt_demo("c5_philosophers", &r, &x, &ck);
	assert_int_equal(x.st.track.deadlock_instants, 5);
	assert_true(ck.instants >= 5);
	snprintf(out, sizeof(out), "%s.txt", r.path);
	assert_int_equal(run("%s/threadline report --deadlocks -w 100 %s > %s", th_build_dir(),
			     r.path, out), 0);
	txt = slurp(out, &len);
	assert_non_null(txt);
	assert_non_null(strstr(txt, "DEADLOCK: 5 threads of c5_philosophers"));
	assert_non_null(strstr(txt, "philosopher-4 ("));
	assert_non_null(strstr(txt, "waits for fork_0 (mutex) held by philosopher-0"));
	assert_null(strstr(txt, "Processes")); /* only the deadlocks */
	free(txt);
	unlink(out);
	unlink(x.path);
	free(x.data);
	th_free(&r);
}

/* export --critical-path: D2's consumer gets a track of its critical
 * path, which reaches the producer, with an arrow at each hand-over, and
 * Perfetto's importer takes it without an error. */
static void test_critical_path_track(void **state)
{
	char trace[PATH_MAX + 16];
	const char *q[2] = {
		"select count(*), sum(s.name like 'producer %') from slice s "
		"join track t on s.track_id = t.id where t.name = 'critical path'",
		"select count(*) from flow f join slice s on f.slice_out = s.id "
		"join track t on s.track_id = t.id where t.name = 'critical path'",
	};
	const struct tl_thread *c;
	struct tp_rows rows[2];
	struct th_run r;

	(void)state;
	th_record_demo(&r, "d2_producer_consumer", NULL);
	c = NULL;
	for (size_t i = 0; i < tl_model_nthreads(r.m) && !c; i++)
		if (!strcmp(tl_thread_name(tl_model_thread(r.m, i)), "consumer-1"))
			c = tl_model_thread(r.m, i);
	assert_non_null(c);
	snprintf(trace, sizeof(trace), "%s.cp.pftrace", r.path);
	assert_int_equal(run("%s/threadline export %s -o %s --critical-path %u --check "
			     "> /dev/null", th_build_dir(), r.path, trace, c->tid), 0);
	if (!tp_path()) {
		unlink(trace);
		th_free(&r);
		skip();
	}
	tp_query(trace, NULL, q, 2, rows);
	print_message("critical path track: %lld pieces, %lld of the producer, %lld "
		      "hand-overs\n", (long long)tp_int(&rows[0], 0, 0),
		      (long long)tp_int(&rows[0], 0, 1), (long long)tp_int(&rows[1], 0, 0));
	assert_true(tp_int(&rows[0], 0, 0) >= 10);
	assert_true(tp_int(&rows[0], 0, 1) >= 3);
	assert_true(tp_int(&rows[1], 0, 0) >= 2);
	tp_free(rows, 2);
	unlink(trace);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b1_threads),
		cmocka_unit_test(test_coroutines),
		cmocka_unit_test(test_pool_queue),
		cmocka_unit_test(test_untraced_waker),
		cmocka_unit_test(test_deadlock),
		cmocka_unit_test(test_critical_path_track),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
