/* test_probes.c - the kernel side under the real tracer (root): each probe
 * group records what small helper programs (tests/helpers/probe_*.c) are
 * known to do, field by field - signals sent and delivered, every USDT
 * mark, exec from a non-leader thread, waits, migrations, exit codes -
 * the same through the raw_tp fallback; losses with a tiny ring are
 * counted exactly (kernel counter, TL_LOSS records, trailer); and with
 * --all threadline does not record itself. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "tp.h"
#include "userspace/cli/record_cmd.h"
#include "userspace/kernel/collector.h"
#include "userspace/recording/recording.h"
#include "userspace/kernel/session.h"
#include "userspace/load/load.h"

#define CLONE_THREAD_FLAG 0x10000
#define NR_NANOSLEEP 35
#define NR_CLOCK_NANOSLEEP 230

/* ---- the records of a recording, in memory ---- */

struct recs {
	struct tl_hdr **v;
	size_t n, cap;
	struct tl_trailer trailer;
};

static void recs_load(struct recs *rs, const char *path)
{
	char err[256];
	struct tl_reader *rd = tl_reader_open(path, err, sizeof(err));
	const struct tl_hdr *h;
	enum tl_read_status st;

	memset(rs, 0, sizeof(*rs));
	if (!rd)
		fail_msg("%s", err);
	while ((st = tl_reader_next(rd, &h)) == TL_READ_OK) {
		if (rs->n == rs->cap) {
			rs->cap = rs->cap ? rs->cap * 2 : 4096;
			rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
			assert_non_null(rs->v);
		}
		rs->v[rs->n] = malloc(h->size);
		assert_non_null(rs->v[rs->n]);
		memcpy(rs->v[rs->n++], h, h->size);
	}
	if (st != TL_READ_END)
		fail_msg("%s: %s", path, tl_reader_error(rd));
	rs->trailer = *tl_reader_trailer(rd);
	tl_reader_close(rd);
}

static void recs_free(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

static size_t recs_count(const struct recs *rs, uint16_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++)
		n += rs->v[i]->type == type;
	return n;
}

/* ---- what a helper says about itself ---- */

static void info_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/tl-probes-%s-%d.info", tag, (int)getpid());
	unlink(buf);
}

static unsigned long info_value(const char *path, const char *key)
{
	char buf[512], pat[64], *p;
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		fail_msg("the helper wrote no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	snprintf(pat, sizeof(pat), "%s=", key);
	p = strstr(buf, pat);
	if (!p)
		fail_msg("no %s in %s: %s", key, path, buf);
	return strtoul(p + strlen(pat), NULL, 0);
}

/* ---- signals, waits, exit codes, rename ---- */

struct sig_info {
	uint32_t parent, a, b;
	uint64_t handler;
};

static const struct tl_signal_gen *find_gen(const struct recs *rs, uint32_t from,
					    uint32_t to, int sig, size_t *count)
{
	const struct tl_signal_gen *found = NULL;

	*count = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_signal_gen *g = (const void *)rs->v[i];

		if (g->h.type == TL_SIGNAL_GEN && g->h.tgid == from &&
		    g->tgid == to && g->sig == sig) {
			found = found ? found : g;
			(*count)++;
		}
	}
	return found;
}

static const struct tl_signal_deliver *find_deliver(const struct recs *rs,
						    uint32_t tgid, int sig)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_signal_deliver *d = (const void *)rs->v[i];

		if (d->h.type == TL_SIGNAL_DELIVER && d->h.tgid == tgid && d->sig == sig)
			return d;
	}
	return NULL;
}

static const struct tl_exit *find_exit(const struct recs *rs, uint32_t tgid)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_exit *e = (const void *)rs->v[i];

		if (e->h.type == TL_EXIT && e->h.tgid == tgid && e->group_dead)
			return e;
	}
	return NULL;
}

static size_t count_waits(const struct recs *rs, uint32_t waiter, int32_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_wait *w = (const void *)rs->v[i];

		n += w->h.type == TL_WAIT && w->h.tgid == waiter && w->pid == pid;
	}
	return n;
}

static bool has_rename(const struct recs *rs, uint32_t tid, const char *to)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_rename *r = (const void *)rs->v[i];

		if (r->h.type == TL_RENAME && r->tid == tid && !strcmp(r->newcomm, to))
			return true;
	}
	return false;
}

static void check_signals(const struct recs *rs, const struct sig_info *si)
{
	const struct tl_signal_gen *g;
	const struct tl_signal_deliver *d;
	const struct tl_exit *e;
	size_t n;

	/* parent -> A: SIGUSR1 from kill(), delivered to the handler */
	g = find_gen(rs, si->parent, si->a, SIGUSR1, &n);
	assert_non_null(g);
	assert_int_equal(n, 1);
	assert_int_equal(g->tid, si->a);
	assert_int_equal(g->code, 0 /* SI_USER */);
	assert_int_equal(g->result, 0 /* delivered */);
	d = find_deliver(rs, si->a, SIGUSR1);
	assert_non_null(d);
	assert_int_equal(d->handler, si->handler);
	assert_int_equal(d->code, 0);
	assert_true(d->h.ts >= g->h.ts);
	/* parent -> B: SIGTERM, default action: the kernel reports the fatal
	 * delivery as SIGKILL with the default handler */
	g = find_gen(rs, si->parent, si->b, SIGTERM, &n);
	assert_non_null(g);
	assert_int_equal(n, 1);
	d = find_deliver(rs, si->b, SIGKILL);
	assert_non_null(d);
	assert_int_equal(d->handler, 0);
	/* exit codes are wait statuses */
	e = find_exit(rs, si->a);
	assert_non_null(e);
	assert_int_equal(e->exit_code, 3 << 8);
	e = find_exit(rs, si->b);
	assert_non_null(e);
	assert_int_equal(e->exit_code, SIGTERM);
	e = find_exit(rs, si->parent);
	assert_non_null(e);
	assert_int_equal(e->exit_code, 0);
	/* waitpid(A) names A; wait() waits for any child */
	assert_int_equal(count_waits(rs, si->parent, (int32_t)si->a), 1);
	assert_int_equal(count_waits(rs, si->parent, -1), 1);
	assert_true(has_rename(rs, si->parent, "sigmain"));
}

/* Records probe_signals; *rs holds the records, si what it did. */
static void record_signals(struct th_run *r, struct recs *rs, struct sig_info *si,
			   const char *const *rargs)
{
	char info[128];

	info_path(info, sizeof(info), "sig");
	assert_int_equal(th_record_cmd(r, rargs, (const char *[]){
		th_helper_path("probe_signals"), info, NULL }), 0);
	si->parent = info_value(info, "parent");
	si->a = info_value(info, "a");
	si->b = info_value(info, "b");
	si->handler = info_value(info, "handler");
	unlink(info);
	assert_int_equal(r->root->pid, si->parent);
	recs_load(rs, r->path);
}

static void test_signals(void **state)
{
	struct th_run r;
	struct recs rs;
	struct sig_info si;

	(void)state;
	record_signals(&r, &rs, &si, NULL);
	check_signals(&rs, &si);
	/* the model agrees on the exit codes */
	assert_int_equal(tl_proc_exit_code(tl_model_find_proc(r.m, si.a, 0)), 3);
	assert_int_equal(tl_proc_exit_signal(tl_model_find_proc(r.m, si.b, 0)), SIGTERM);
	recs_free(&rs);
	th_free(&r);
}

/* ---- the raw_tp fallback records the same ---- */

static const uint16_t kinds[] = {
	TL_SWITCH, TL_WAKING, TL_WAKEUP_NEW, TL_FORK, TL_NEWTASK, TL_EXEC,
	TL_EXIT, TL_WAIT, TL_RENAME, TL_SYS_ENTER, TL_SYS_EXIT, TL_SIGNAL_GEN,
	TL_SIGNAL_DELIVER, TL_TASK_SNAP,
};

static void check_kinds(const struct recs *rs, const char *how)
{
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!recs_count(rs, kinds[k]))
			fail_msg("%s: no %s record", how, tl_type_name(kinds[k]));
}

static bool log_has(const struct th_run *r, const char *what)
{
	char buf[8192];
	FILE *f = fopen(r->log, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

/* Every group, syscalls included, so that every program is covered. */
static void test_raw_tp_fallback(void **state)
{
	const char *verbose[] = { "-v", "-e", "all", NULL };
	struct th_run r;
	struct recs rs;
	struct sig_info si;

	(void)state;
	record_signals(&r, &rs, &si, verbose);
	assert_false(log_has(&r, "raw tracepoints in use"));
	assert_false(log_has(&r, "refused"));
	check_kinds(&rs, "tp_btf");
	recs_free(&rs);
	th_free(&r);

	setenv("THREADLINE_FORCE_RAW_TP", "1", 1);
	record_signals(&r, &rs, &si, verbose);
	unsetenv("THREADLINE_FORCE_RAW_TP");
	assert_true(log_has(&r, "raw tracepoints in use"));
	check_kinds(&rs, "raw_tp");
	check_signals(&rs, &si);
	recs_free(&rs);
	th_free(&r);
}

/* Every program of every group loads as tp_btf on this kernel: a program
 * of ours the verifier refuses would send every recording down the
 * fallback path, blaming the kernel. */
static void test_tp_btf_accepted(void **state)
{
	struct tl_session_opts so = { .groups = (1u << TL_G_COUNT) - 1 };
	const char *forced = getenv("THREADLINE_FORCE_RAW_TP");
	char err[256], keep[16] = "";
	struct tl_session *s;

	(void)state;
	/* about the tp_btf path itself, even in a run that forces the other */
	if (forced)
		snprintf(keep, sizeof(keep), "%s", forced);
	unsetenv("THREADLINE_FORCE_RAW_TP");
	s = tl_session_open(&so, err, sizeof(err));
	if (forced)
		setenv("THREADLINE_FORCE_RAW_TP", keep, 1);
	if (!s)
		fail_msg("%s", err);
	assert_false(tl_session_raw_tp(s));
	tl_session_close(s);
	so.raw_tp = true;
	s = tl_session_open(&so, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	assert_true(tl_session_raw_tp(s));
	tl_session_close(s);
}

/* ---- what the default groups attach ---- */

static bool has_target(const char *const *t, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i], what))
			return true;
	return false;
}

static size_t syscall_targets(const char *const *t, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += !strncmp(t[i], "syscalls/", 9) || !strncmp(t[i], "raw_syscalls/", 13);
	return k;
}

/* The groups `record` uses when -e is not given. */
static uint32_t default_groups(void)
{
	struct tl_record_opts o;
	char *argv[] = { "record", "--", "true", NULL };
	char err[256];

	assert_int_equal(tl_record_parse(3, argv, &o, err, sizeof(err)), TL_PARSE_RUN);
	return o.groups;
}

/* The default groups attach no syscall tracepoint (one would put every
 * task of the system on the slow syscall path); the group "syscalls" does. */
static void test_default_attaches_no_syscall_tracepoint(void **state)
{
	struct tl_session_opts so = { .groups = default_groups() };
	const char *const *t;
	struct tl_session *s;
	char err[256];
	size_t n;

	(void)state;
	assert_false(so.groups & (1u << TL_G_SYSCALLS));
	assert_true(so.groups & (1u << TL_G_NET));
	for (int pass = 0; pass < 2; pass++) {
		s = tl_session_open(&so, err, sizeof(err));
		if (!s)
			fail_msg("%s", err);
		assert_int_equal(tl_session_attach(s, err, sizeof(err)), 0);
		t = tl_session_targets(s, &n);
		assert_true(has_target(t, n, "sched/sched_switch"));
		assert_true(has_target(t, n, "sock/sock_send_length"));
		assert_true(has_target(t, n, "sock/sock_recv_length"));
		if (pass == 0)
			assert_int_equal(syscall_targets(t, n), 0);
		else
			assert_true(has_target(t, n, "syscalls/sys_enter_futex") &&
				    has_target(t, n, "syscalls/sys_exit_clone") &&
				    has_target(t, n, "syscalls/sys_enter_recvfrom"));
		tl_session_close(s);
		so.groups |= 1u << TL_G_SYSCALLS;
	}
}

/* ---- socket sends and receives (group "net") ---- */

struct sock_tally {
	uint64_t sends, recvs, errs, sent, received, records;
	bool before_exit; /* every count came before its thread's exit */
};

static void sock_tally(const struct recs *rs, uint32_t tgid, struct sock_tally *st)
{
	*st = (struct sock_tally){ .before_exit = true };
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_sock_count *c = (const void *)rs->v[i];

		if (c->h.type == TL_EXIT && c->h.tgid == tgid && st->records == 0)
			st->before_exit = false;
		if (c->h.type != TL_SOCK_COUNT || c->h.tgid != tgid)
			continue;
		st->records++;
		st->sends += c->sends;
		st->recvs += c->recvs;
		st->errs += c->send_errs + c->recv_errs;
		st->sent += c->sent_bytes;
		st->received += c->recv_bytes;
	}
}

/* probe_tcp_pingpong: 200 one-byte round trips, each side 200 writes and
 * 200 reads on its socket and nothing else; each process is one thread
 * that exits during the recording, so its count is written at its exit,
 * before the exit record. Both kernel paths count the same. */
static void check_sock_counts(const char *how)
{
	struct sock_tally st;
	uint32_t pid[2];
	struct th_run r;
	struct recs rs;
	char info[128];

	info_path(info, sizeof(info), "sock");
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-e", "sched,proc,net", NULL },
		(const char *[]){ th_helper_path("probe_tcp_pingpong"), info, NULL }), 0);
	pid[0] = info_value(info, "server");
	pid[1] = info_value(info, "client");
	unlink(info);
	recs_load(&rs, r.path);
	assert_int_equal(recs_count(&rs, TL_SYS_ENTER), 0);
	for (int k = 0; k < 2; k++) {
		sock_tally(&rs, pid[k], &st);
		if (st.records != 1 || st.sends != 200 || st.recvs != 200 || st.errs ||
		    st.sent != 200 || st.received != 200 || !st.before_exit)
			fail_msg("%s, %s: %llu records, %llu sends, %llu recvs, %llu "
				 "errors, %llu/%llu bytes, %s its exit", how,
				 k ? "client" : "server", (unsigned long long)st.records,
				 (unsigned long long)st.sends, (unsigned long long)st.recvs,
				 (unsigned long long)st.errs, (unsigned long long)st.sent,
				 (unsigned long long)st.received,
				 st.before_exit ? "before" : "after");
		/* the model's socket operations are these sends and receives */
		assert_int_equal(tl_model_find_proc(r.m, pid[k], 0)->threads[0]->sum.socket_ops,
				 400);
	}
	recs_free(&rs);
	th_free(&r);
}

static void test_sock_counts(void **state)
{
	(void)state;
	check_sock_counts("tp_btf");
	setenv("THREADLINE_FORCE_RAW_TP", "1", 1);
	check_sock_counts("raw_tp");
	unsetenv("THREADLINE_FORCE_RAW_TP");
}

struct sock_seen {
	uint64_t sends, recvs, errs, n, end;
	uint32_t tid;
};

/* Every record the collector delivers; only the counts are looked at,
 * each stamped at the end of the recording. */
static int on_sock(void *ctx, const struct tl_hdr *h)
{
	const struct tl_sock_count *c = (const void *)h;
	struct sock_seen *s = ctx;

	if (h->type != TL_SOCK_COUNT)
		return 0;
	assert_int_equal(h->size, sizeof(*c));
	assert_int_equal(h->ts, s->end);
	s->n++;
	s->tid = h->tid;
	s->sends += c->sends;
	s->recvs += c->recvs;
	s->errs += c->send_errs + c->recv_errs;
	return 0;
}

/* Socket I/O with a known count, then waits to be killed: alive at the
 * end of the recording. Tells `done` when its I/O is over. */
static void __attribute__((noreturn)) sock_child(int gate, int done)
{
	int sv[2];
	char b = 'x';

	if (read(gate, &b, 1) != 1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		_exit(90);
	for (int i = 0; i < 3; i++)
		if (write(sv[0], &b, 1) != 1 || read(sv[1], &b, 1) != 1)
			_exit(91);
	if (send(sv[0], &b, 1, MSG_DONTWAIT) != 1 ||
	    recv(sv[1], &b, 1, MSG_DONTWAIT) != 1 ||
	    recv(sv[1], &b, 1, MSG_DONTWAIT) != -1) /* EAGAIN */
		_exit(92);
	if (write(done, "d", 1) != 1)
		_exit(93);
	for (;;)
		pause();
}

/* A thread still alive at the end has its count written then: the
 * collector's final flush hands it on, stamped at the end (the session and
 * collector driven directly). */
static void test_sock_counts_at_end(void **state)
{
	struct tl_session_opts so = { .groups = (1u << TL_G_SCHED) | (1u << TL_G_NET) };
	struct sock_seen c = {0};
	struct tl_collector *col;
	struct tl_session *s;
	int gate[2], done[2];
	char err[256], b;
	pid_t child;

	(void)state;
	assert_int_equal(pipe(gate), 0);
	assert_int_equal(pipe(done), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		sock_child(gate[0], done[1]);
	s = tl_session_open(&so, err, sizeof(err));
	if (!s)
		fail_msg("%s", err);
	assert_int_equal(tl_session_add_tgid(s, (uint32_t)child), 0);
	assert_int_equal(tl_session_attach(s, err, sizeof(err)), 0);
	assert_int_equal(write(gate[1], "g", 1), 1);
	assert_int_equal(read(done[0], &b, 1), 1);
	col = tl_collector_new(s, on_sock, &c);
	assert_non_null(col);
	c.end = tl_session_stop(s);
	tl_collector_stop(col, c.end);
	assert_int_equal(tl_collector_flush(col), 0);
	tl_collector_free(col);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.tid, (uint32_t)child);
	assert_int_equal(c.sends, 4);
	assert_int_equal(c.recvs, 5);
	assert_int_equal(c.errs, 1);
	/* handed on once */
	assert_int_equal(tl_session_sock_counts(s, c.end, on_sock, &c), 0);
	assert_int_equal(c.n, 1);
	tl_session_close(s);
	for (int i = 0; i < 2; i++) {
		close(gate[i]);
		close(done[i]);
	}
}

/* ---- USDT ---- */

static void test_usdt(void **state)
{
	struct {
		uint32_t kind;
		uint64_t a0, a1;
		const char *str;
	} want[] = {
		{ TL_USDT_CORO_SWITCH, 1, 2, "coro-two" },
		{ TL_USDT_QUEUE_PUT, 0, 5, "jobs" },
		{ TL_USDT_QUEUE_GET, 0, 4, "jobs" },
		{ TL_USDT_TASK_BEGIN, 42, 0, "task-forty-two" },
		{ TL_USDT_TASK_END, 42, 0, "" },
		{ TL_USDT_SECTION_ENTER, 0, 0, "critical" },
		{ TL_USDT_SECTION_EXIT, 0, 0, "" },
		{ TL_USDT_MARK, (uint64_t)-7, 0, "a label longer than thirty-one " },
	};
	struct th_run r;
	struct recs rs;
	char info[128];
	uint64_t queue, section, last_ts = 0;
	size_t k = 0;

	(void)state;
	info_path(info, sizeof(info), "usdt");
	assert_int_equal(th_record_cmd(&r, NULL, (const char *[]){
		th_helper_path("probe_usdt"), info, NULL }), 0);
	queue = info_value(info, "queue");
	section = info_value(info, "section");
	unlink(info);
	want[1].a0 = want[2].a0 = queue;
	want[5].a0 = want[6].a0 = section;
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_usdt *u = (const void *)rs.v[i];

		if (u->h.type != TL_USDT)
			continue;
		assert_int_equal(u->h.tgid, r.root->pid);
		assert_true(k < sizeof(want) / sizeof(want[0]));
		assert_int_equal(u->kind, want[k].kind);
		assert_int_equal(u->args[0], want[k].a0);
		assert_int_equal(u->args[1], want[k].a1);
		assert_string_equal(u->str, want[k].str);
		assert_true(u->h.ts >= last_ts);
		last_ts = u->h.ts;
		k++;
	}
	assert_int_equal(k, sizeof(want) / sizeof(want[0]));
	recs_free(&rs);
	th_free(&r);
}

/* ---- exec from a thread that is not the leader ---- */

static void test_exec_from_thread(void **state)
{
	const struct tl_exec *x = NULL;
	struct th_run r;
	struct recs rs;
	char info[128];
	uint32_t pid, tid;
	bool thread_seen = false;

	(void)state;
	info_path(info, sizeof(info), "exec");
	assert_int_equal(th_record_cmd(&r, NULL, (const char *[]){
		th_helper_path("probe_exec"), info, NULL }), 0);
	pid = info_value(info, "pid");
	tid = info_value(info, "tid");
	unlink(info);
	assert_int_not_equal(pid, tid);
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_newtask *n = (const void *)rs.v[i];
		const struct tl_exec *e = (const void *)rs.v[i];

		if (n->h.type == TL_NEWTASK && n->tid == tid) {
			assert_int_equal(n->tgid, pid);
			assert_true(n->clone_flags & CLONE_THREAD_FLAG);
			thread_seen = true;
		}
		if (e->h.type == TL_EXEC && e->h.tgid == pid && e->old_tid != pid)
			x = e;
	}
	assert_true(thread_seen);
	assert_non_null(x);
	assert_int_equal(x->old_tid, tid);
	assert_int_equal(x->h.tid, pid); /* it took the leader's id */
	assert_string_equal(x->filename, "/proc/self/exe");
	assert_string_equal(x->comm, "exe"); /* named after the file */
	assert_non_null(find_exit(&rs, pid));
	assert_int_equal(find_exit(&rs, pid)->exit_code, 0);
	recs_free(&rs);
	th_free(&r);
}

/* ---- a pid reused while the old owner is not yet freed ---- */

/* The first owner's task is freed after the second owner started: its
 * free must not take the number out of the filter, so everything the
 * second owner does (a rename, 20 sleeps) is recorded. */
static void test_pid_reuse_keeps_tracing(void **state)
{
	size_t renames = 0, sleeps = 0;
	struct th_run r;
	struct recs rs;
	char info[128];
	uint32_t pid;

	(void)state;
	info_path(info, sizeof(info), "reuse");
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-e", "sched,proc", NULL },
		(const char *[]){ th_helper_path("probe_pid_reuse"), info, NULL }), 0);
	pid = info_value(info, "pid");
	unlink(info);
	if (pid == 0) {
		th_free(&r);
		skip(); /* the number never came back, or ns_last_pid is locked */
	}
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_rename *n = (const void *)rs.v[i];
		const struct tl_switch *w = (const void *)rs.v[i];

		if (n->h.type == TL_RENAME && n->tid == pid &&
		    !strcmp(n->newcomm, "reuse-b"))
			renames++;
		if (w->h.type == TL_SWITCH && w->h.tid == pid && w->prev_state == 1 &&
		    !strcmp(w->prev_comm, "reuse-b"))
			sleeps++;
	}
	if (renames != 1 || sleeps < 20)
		fail_msg("second owner of pid %u: %zu renames, %zu sleeps recorded",
			 pid, renames, sleeps);
	recs_free(&rs);
	th_free(&r);
}

/* ---- wakeups from interrupts ---- */

/* A sleeper's 300 timer wakeups, while a hog runs on its CPU: the timer
 * interrupt wakes it, on top of the hog. At least 90% are marked as coming
 * from a hard interrupt, and none is charged to the hog. */
static void test_timer_wakeups_are_interrupts(void **state)
{
	size_t wakes = 0, hard = 0, soft = 0, by_hog = 0;
	uint32_t sleeper, hog;
	bool in_sleep = false;
	struct th_run r;
	struct recs rs;
	char info[128];

	(void)state;
	info_path(info, sizeof(info), "timer");
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-e", "sched,proc", NULL },
		(const char *[]){ th_helper_path("probe_timer_wakeups"), info, NULL }), 0);
	sleeper = info_value(info, "sleeper");
	hog = info_value(info, "hog");
	unlink(info);
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_waking *w = (const void *)rs.v[i];
		const struct tl_switch *sw = (const void *)rs.v[i];

		/* only the ends of its sleeps: the hog's exit wakes it too */
		if (sw->h.type == TL_SWITCH && sw->h.tid == sleeper)
			in_sleep = sw->prev_state && (sw->why.sys_nr == NR_NANOSLEEP ||
				   sw->why.sys_nr == NR_CLOCK_NANOSLEEP);
		if (w->h.type != TL_WAKING || w->tid != sleeper || !in_sleep)
			continue;
		in_sleep = false;
		wakes++;
		if (w->h.flags & TL_HDR_F_HARDIRQ)
			hard++;
		if (w->h.flags & TL_HDR_F_SOFTIRQ)
			soft++;
		if (w->h.tgid == hog && !(w->h.flags & TL_HDR_F_IRQ))
			by_hog++;
		if ((w->h.flags & TL_HDR_F_HARDIRQ) && !(w->h.flags & TL_HDR_F_IRQ))
			fail_msg("a hard interrupt without TL_HDR_F_IRQ");
	}
	/* a sleep may end before its thread is off the CPU (no wakeup then) */
	if (wakes < 200 || hard * 10 < wakes * 9 || by_hog)
		fail_msg("%zu wakeups: %zu from hard, %zu from soft interrupts, "
			 "%zu charged to the hog", wakes, hard, soft, by_hog);
	recs_free(&rs);
	th_free(&r);
}

/* Over loopback TCP each send wakes the receiver in the softirq run at the
 * end of the sender's own bottom-half section: flagged as a softirq, but
 * not as "not the current task's doing", so the sender stays the waker. */
static void test_loopback_wakeups_keep_their_sender(void **state)
{
	size_t by_peer = 0, soft = 0, irq = 0;
	uint32_t server, client;
	struct th_run r;
	struct recs rs;
	char info[128];

	(void)state;
	info_path(info, sizeof(info), "tcp");
	assert_int_equal(th_record_cmd(&r, (const char *[]){ "-e", "sched,proc", NULL },
		(const char *[]){ th_helper_path("probe_tcp_pingpong"), info, NULL }), 0);
	server = info_value(info, "server");
	client = info_value(info, "client");
	unlink(info);
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_waking *w = (const void *)rs.v[i];

		if (w->h.type != TL_WAKING ||
		    !((w->tid == server && w->h.tgid == client) ||
		      (w->tid == client && w->h.tgid == server)))
			continue;
		by_peer++;
		soft += (w->h.flags & TL_HDR_F_SOFTIRQ) != 0;
		irq += (w->h.flags & TL_HDR_F_IRQ) != 0;
	}
	/* 400 one-way trips; a receiver already running needs no wakeup */
	if (by_peer < 150 || soft == 0 || irq)
		fail_msg("%zu wakeups by the peer, %zu in a softirq, %zu flagged "
			 "not the peer's doing", by_peer, soft, irq);
	recs_free(&rs);
	th_free(&r);
}

/* ---- migration ---- */

/* The thread may also be moved when it is created (its first CPU is
 * chosen at its first wakeup), but after pinning itself to CPU 1 it never
 * moves again: its last migration is the one from 0 to 1. */
static void test_migrate(void **state)
{
	const struct tl_migrate *last = NULL;
	struct th_run r;
	struct recs rs;
	char info[128];
	uint32_t tid;

	(void)state;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		skip();
	info_path(info, sizeof(info), "mig");
	assert_int_equal(th_record_cmd(&r, NULL, (const char *[]){
		th_helper_path("probe_migrate"), info, NULL }), 0);
	tid = info_value(info, "tid");
	unlink(info);
	recs_load(&rs, r.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_migrate *m = (const void *)rs.v[i];

		if (m->h.type == TL_MIGRATE && m->tid == tid)
			last = m;
	}
	assert_non_null(last);
	assert_int_equal(last->tgid, r.root->pid);
	assert_int_equal(last->orig_cpu, 0);
	assert_int_equal(last->dest_cpu, 1);
	recs_free(&rs);
	th_free(&r);
}

/* ---- loss is never silent ---- */

/* Checks TL_LOSS records against the trailer: per CPU the lost_new add
 * up to the last lost_total; the CPUs add up to the trailer's total. */
static uint64_t check_loss_records(const struct recs *rs)
{
	uint64_t sum_new[TL_MAX_CPUS] = {0}, last[TL_MAX_CPUS] = {0}, total = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_loss *l = (const void *)rs->v[i];

		if (l->h.type != TL_LOSS)
			continue;
		assert_true(l->lost_new > 0);
		assert_true(l->lost_total > last[l->h.cpu]);
		sum_new[l->h.cpu] += l->lost_new;
		last[l->h.cpu] = l->lost_total;
	}
	for (int c = 0; c < TL_MAX_CPUS; c++) {
		assert_int_equal(sum_new[c], last[c]);
		total += last[c];
	}
	assert_int_equal(total, rs->trailer.lost_total);
	return total;
}

/* A burst of `rounds` round trips recorded into 4 KiB rings: its records
 * in rs, the losses they account for returned. */
static uint64_t record_burst(struct th_run *r, struct recs *rs, const char *rounds)
{
	setenv("THREADLINE_RING_KB", "4", 1);
	th_record_cmd(r, (const char *[]){ "-e", "sched,proc", NULL }, (const char *[]){
		th_helper_path("probe_burst"), rounds, NULL });
	unsetenv("THREADLINE_RING_KB");
	assert_int_equal(r->record_status, 0);
	recs_load(rs, r->path);
	return check_loss_records(rs);
}

/* The loss tests make their burst longer until the rings overflow: a
 * collector that gets a CPU at the right moments keeps up with a short one. */
static const char *const burst_rounds[] = { "20000", "100000", "400000" };
#define NBURSTS (sizeof(burst_rounds) / sizeof(burst_rounds[0]))

static void test_loss_record(void **state)
{
	struct th_run r;
	struct recs rs;
	uint64_t lost, seen;
	size_t k = 0;

	(void)state;
	while ((lost = record_burst(&r, &rs, burst_rounds[k])) == 0 && k + 1 < NBURSTS) {
		recs_free(&rs);
		th_free(&r);
		k++;
	}
	assert_true(lost > 0);
	assert_true(recs_count(&rs, TL_LOSS) > 0);
	/* each round trip blocks at least one thread: every switch and wakeup
	 * of the burst is in the file or counted as lost */
	seen = recs_count(&rs, TL_SWITCH) + recs_count(&rs, TL_WAKING);
	assert_true(seen + lost >= (uint64_t)atol(burst_rounds[k]));
	/* the model sees the same losses */
	assert_int_equal(tl_model_stats(r.m)->lost_total, lost);
	recs_free(&rs);
	th_free(&r);
}

/* The session and collector, driven directly: the kernel's own counters. */
struct loss_ctx {
	uint64_t kernel_records, lost_new, loss_records;
	pid_t child;
	bool exited;
};

static int on_rec(void *ctx, const struct tl_hdr *h)
{
	struct loss_ctx *c = ctx;

	if (h->type == TL_LOSS) {
		c->lost_new += ((const struct tl_loss *)h)->lost_new;
		c->loss_records++;
	} else {
		c->kernel_records++;
	}
	return 0;
}

static bool child_done(void *ctx)
{
	struct loss_ctx *c = ctx;
	int st;

	if (!c->exited && waitpid(c->child, &st, WNOHANG) == c->child)
		c->exited = true;
	return c->exited;
}

/* A child that waits at a gate (so it is traced from its first event)
 * and then runs probe_burst. */
static pid_t gated_burst(int *gate, const char *count)
{
	int fds[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			_exit(90);
		execl(th_helper_path("probe_burst"), "probe_burst", count, NULL);
		_exit(91);
	}
	close(fds[0]);
	*gate = fds[1];
	return pid;
}

/* One burst of `count` switches into 4 KiB rings. Returns false, having
 * asserted nothing, when the kernel lost nothing (the collector kept up:
 * a quiet moment on a fast machine); else checks every count. */
static bool loss_attempt(const char *count)
{
	struct tl_session_opts so = { .groups = 1u << TL_G_SCHED };
	struct tl_cpu_stats st[TL_MAX_CPUS];
	struct tl_collector_stats cs;
	struct loss_ctx c = {0};
	struct tl_collector *col;
	struct tl_session *s;
	uint64_t klost = 0, emitted = 0;
	char err[256];
	int gate, n;

	setenv("THREADLINE_RING_KB", "4", 1);
	s = tl_session_open(&so, err, sizeof(err));
	unsetenv("THREADLINE_RING_KB");
	if (!s)
		fail_msg("%s", err);
	c.child = gated_burst(&gate, count);
	assert_int_equal(tl_session_add_tgid(s, (uint32_t)c.child), 0);
	assert_int_equal(tl_session_attach(s, err, sizeof(err)), 0);
	col = tl_collector_new(s, on_rec, &c);
	assert_non_null(col);
	assert_int_equal(write(gate, "g", 1), 1);
	close(gate);
	assert_int_equal(tl_collector_run(col, NULL, 0, child_done, &c), 0);
	tl_session_detach(s);
	assert_int_equal(tl_collector_flush(col), 0);
	tl_collector_stats(col, &cs);
	n = tl_session_cpu_stats(s, st, TL_MAX_CPUS);
	for (int i = 0; i < n; i++) {
		klost += st[i].lost;
		emitted += st[i].emitted;
	}
	if (klost) {
		assert_true(c.loss_records > 0);
		/* TL_LOSS records carry every loss: the kernel's failed
		 * reservations and the records that came too late to be put
		 * in order */
		assert_int_equal(c.lost_new, cs.lost);
		assert_true(cs.lost >= klost);
		/* every record the kernel submitted was delivered, or counted late */
		assert_int_equal(c.kernel_records + (cs.lost - klost), emitted);
		assert_int_equal(cs.events, c.kernel_records + c.loss_records);
	}
	tl_collector_free(col);
	tl_session_close(s);
	return klost > 0;
}

static void test_loss_kernel_counter(void **state)
{
	bool lost = false;

	(void)state;
	for (size_t i = 0; i < NBURSTS && !lost; i++)
		lost = loss_attempt(burst_rounds[i]);
	assert_true(lost);
}

/* ---- --all does not record threadline itself ---- */

static int run_all(const char *out, pid_t *self)
{
	char tl[PATH_MAX], log[PATH_MAX + 8];
	int st, fd;

	snprintf(tl, sizeof(tl), "%s/threadline", th_build_dir());
	snprintf(log, sizeof(log), "%s.log", out);
	*self = fork();
	assert_true(*self >= 0);
	if (*self == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(tl, tl, "record", "--all", "-e", "all",
		      "-d", "1", "-o", out, NULL);
		_exit(126);
	}
	while (waitpid(*self, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	if (!getenv("TL_KEEP_RECORDINGS"))
		unlink(log);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Our own tasks may appear only as the other side of an event about a
 * traced task: leaving the CPU to it, waking (and so moving) it,
 * signalling it (and, as
 * next, taking the CPU from it, checked by the caller's subject test not
 * applying to switches). */
static bool self_allowed(const struct tl_hdr *h, uint32_t self)
{
	const struct tl_switch *sw = (const void *)h;
	const struct tl_waking *w = (const void *)h;
	const struct tl_signal_gen *g = (const void *)h;

	switch (h->type) {
	case TL_SWITCH:
		return sw->next_tgid != self;
	case TL_WAKING:
	case TL_WAKEUP_NEW:
		return w->tgid != self;
	case TL_MIGRATE: /* moved by our wakeup of it */
		return ((const struct tl_migrate *)h)->tgid != self;
	case TL_SIGNAL_GEN:
		return g->tgid != self;
	}
	return false;
}

static bool self_is_subject(const struct tl_hdr *h, uint32_t self)
{
	switch (h->type) {
	case TL_WAKING:
	case TL_WAKEUP_NEW:
		return ((const struct tl_waking *)h)->tgid == self;
	case TL_MIGRATE:
		return ((const struct tl_migrate *)h)->tgid == self;
	}
	return false;
}

/* In Perfetto the recorder is a thread of no process, as any task that is
 * not traced, and every other task has one. */
static void check_export_not_self(const char *rec, uint32_t self)
{
	char trace[160], sql[256], cmd[512];
	const char *q[1] = { sql };
	struct tp_rows rows;

	if (!tp_path())
		return;
	snprintf(trace, sizeof(trace), "%s.pftrace", rec);
	snprintf(cmd, sizeof(cmd), "%s/threadline export -o %s %s > /dev/null 2>&1",
		 th_build_dir(), trace, rec);
	assert_int_equal(system(cmd), 0);
	snprintf(sql, sizeof(sql), "select (select count(*) from process where pid = %u), "
		 "(select count(*) from thread where upid is not null and tid in "
		 "(select tid from thread where upid is null and tid != 0)), "
		 "(select count(*) from process)", self);
	tp_query(trace, NULL, q, 1, &rows);
	assert_int_equal(tp_int(&rows, 0, 0), 0);
	assert_true(tp_int(&rows, 0, 2) > 10);
	tp_free(&rows, 1);
	unlink(trace);
}

static void test_all_not_self(void **state)
{
	char out[128];
	struct recs rs;
	pid_t self;
	size_t others = 0, as_side = 0;

	(void)state;
	snprintf(out, sizeof(out), "/tmp/tl-probes-all-%d.tlr", (int)getpid());
	unlink(out);
	assert_int_equal(run_all(out, &self), 0);
	recs_load(&rs, out);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_hdr *h = rs.v[i];

		if (h->type >= TL_PROC_INFO)
			continue; /* written by user space, about others */
		if (h->tgid == (uint32_t)self) {
			if (!self_allowed(h, (uint32_t)self))
				fail_msg("threadline recorded itself: %s by %u/%u",
					 tl_type_name(h->type), h->tgid, h->tid);
			as_side++;
			continue;
		}
		if (self_is_subject(h, (uint32_t)self))
			fail_msg("threadline recorded as the subject of %s by %u",
				 tl_type_name(h->type), h->tgid);
		others++;
	}
	/* the whole system was recorded, only not ourselves */
	assert_true(others > 10);
	assert_true(as_side < others);
	recs_free(&rs);
	/* the header names the recorder, and the model makes no process of
	 * it though it appears beside the others */
	struct tl_model *m;
	struct tl_load_result lr;

	assert_int_equal(tl_load(out, NULL, &m, &lr), 0);
	assert_int_equal(lr.info.recorder_pid, (uint32_t)self);
	assert_true(tl_model_nprocs(m) > 10);
	assert_null(tl_model_find_proc(m, (uint32_t)self, 0));
	tl_model_free(m);
	check_export_not_self(out, (uint32_t)self);
	if (!getenv("TL_KEEP_RECORDINGS"))
		unlink(out);
}

int main(void)
{
	/* about the two paths themselves: run once */
	const struct CMUnitTest paths[] = {
		cmocka_unit_test(test_tp_btf_accepted),
		cmocka_unit_test(test_default_attaches_no_syscall_tracepoint),
		cmocka_unit_test(test_sock_counts),
		cmocka_unit_test(test_sock_counts_at_end),
		cmocka_unit_test(test_raw_tp_fallback),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_usdt),
		cmocka_unit_test(test_exec_from_thread),
		cmocka_unit_test(test_pid_reuse_keeps_tracing),
		cmocka_unit_test(test_timer_wakeups_are_interrupts),
		cmocka_unit_test(test_loopback_wakeups_keep_their_sender),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_loss_record),
		cmocka_unit_test(test_loss_kernel_counter),
		cmocka_unit_test(test_all_not_self),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_probes: needs root (real BPF); skipped\n");
		return 0;
	}
	int failed = cmocka_run_group_tests_name("paths", paths, NULL, NULL);

	return TH_RUN_BOTH_PATHS(tests) || failed;
}
