/* test_record.c - `threadline record` end to end, under the real tracer
 * (root): the recordee program's exact forks, threads, names, lock waits,
 * socket calls and exit codes read back with the recording reader; Ctrl-C
 * and kill -9 in the middle; attaching with -p to a thread already blocked;
 * the one-line errors; privileges dropped for SUDO_UID; a full disk. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"
#include "userspace/recording/recording.h"

#define NR_SOCKET 41
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_ACCEPT4 288
#define NR_FUTEX 202
#define CLONE_THREAD_FLAG 0x10000

/* ---- running record ---- */

struct run {
	char out[128];          /* the recording */
	char log[160];          /* record's stdout + stderr */
	char info[160];         /* what the recordee wrote about itself */
	pid_t pid;
	int status;             /* exit status of record */
};

static void run_init(struct run *r, const char *tag)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->out, sizeof(r->out), "/tmp/tl-rec-%s-%d.tlr", tag, (int)getpid());
	snprintf(r->log, sizeof(r->log), "%s.log", r->out);
	snprintf(r->info, sizeof(r->info), "%s.info", r->out);
	unlink(r->out);
	unlink(r->info);
}

static void run_free(struct run *r)
{
	if (getenv("TL_KEEP_RECORDINGS"))
		return;
	unlink(r->out);
	unlink(r->log);
	unlink(r->info);
}

/* Starts `threadline record ARGS...` with env pairs "K=V" set. */
static void start(struct run *r, const char *const *env, const char *const *args)
{
	char *argv[32], self[PATH_MAX];
	int n = 0, fd;

	snprintf(self, sizeof(self), "%s/threadline", th_build_dir());
	argv[n++] = self;
	argv[n++] = "record";
	for (; *args && n < 31; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	r->pid = fork();
	assert_true(r->pid >= 0);
	if (r->pid)
		return;
	fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	dup2(fd, 2);
	setenv("TL_RECORDEE_INFO", r->info, 1);
	for (; env && *env; env++)
		putenv((char *)*env);
	execv(argv[0], argv);
	_exit(200);
}

static int finish(struct run *r)
{
	while (waitpid(r->pid, &r->status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return r->status = WIFEXITED(r->status) ? WEXITSTATUS(r->status) :
		128 + WTERMSIG(r->status);
}

static int record(struct run *r, const char *const *env, const char *const *args)
{
	start(r, env, args);
	return finish(r);
}

static char *slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

static unsigned long long info_value(const struct run *r, const char *key)
{
	char *p = strstr(slurp(r->info), key);

	if (!p)
		fail_msg("%s has no %s: %s", r->info, key, slurp(r->log));
	return strtoull(p + strlen(key) + 1, NULL, 0);
}

/* ---- reading the recording ---- */

struct recs {
	struct tl_hdr **v;
	size_t n;
	enum tl_read_status st;
	struct tl_rec_info info;
	struct tl_trailer trailer;
	char err[512];
};

static void load(const struct run *r, struct recs *rs)
{
	struct tl_reader *rd = tl_reader_open(r->out, rs->err, sizeof(rs->err));
	const struct tl_hdr *h;
	size_t cap = 0;

	if (!rd)
		fail_msg("%s: %s\nlog: %s", r->out, rs->err, slurp(r->log));
	rs->info = *tl_reader_info(rd);
	rs->n = 0;
	rs->v = NULL;
	while ((rs->st = tl_reader_next(rd, &h)) == TL_READ_OK) {
		if (rs->n == cap) {
			cap = cap ? cap * 2 : 1024;
			rs->v = realloc(rs->v, cap * sizeof(*rs->v));
		}
		rs->v[rs->n] = malloc(h->size);
		memcpy(rs->v[rs->n++], h, h->size);
	}
	snprintf(rs->err, sizeof(rs->err), "%s", tl_reader_error(rd));
	if (tl_reader_trailer(rd))
		rs->trailer = *tl_reader_trailer(rd);
	tl_reader_close(rd);
}

static void unload(struct recs *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->v[i]);
	free(rs->v);
}

/* Runs the statement after it once for each record of type_, as var. */
#define EACH(rs, T, var, type_) \
	for (size_t i_ = 0; i_ < (rs)->n; i_++) \
		for (const T *var = (const T *)(rs)->v[i_]; \
		     var && (rs)->v[i_]->type == (type_); var = NULL)

/* ---- the recordee, recorded ---- */

static void check_tree(const struct recs *rs, uint32_t pid)
{
	size_t forks = 0, threads = 0, procs = 0, names = 0, exits = 0;
	int codes = 0;

	EACH(rs, struct tl_fork, f, TL_FORK)
		forks += f->h.tgid == pid && f->child_tid == f->child_tgid;
	EACH(rs, struct tl_newtask, t, TL_NEWTASK) {
		if (t->h.tgid != pid)
			continue;
		threads += (t->clone_flags & CLONE_THREAD_FLAG) != 0;
		procs += (t->clone_flags & CLONE_THREAD_FLAG) == 0;
	}
	EACH(rs, struct tl_rename, n, TL_RENAME)
		if (n->tgid == pid && !strncmp(n->newcomm, "worker-", 7) &&
		    n->newcomm[7] >= '0' && n->newcomm[7] <= '3' && !n->newcomm[8])
			names |= 1u << (n->newcomm[7] - '0');
	EACH(rs, struct tl_exit, e, TL_EXIT)
		if (e->h.tgid != pid && e->group_dead && (e->exit_code >> 8) >= 3 &&
		    (e->exit_code >> 8) <= 5 && (e->exit_code & 0x7f) == 0) {
			codes |= 1 << (e->exit_code >> 8);
			exits++;
		}
	assert_int_equal(forks, 3);
	assert_int_equal(procs, 3);
	assert_int_equal(threads, 4);
	assert_int_equal(names, 0xf);
	assert_int_equal(exits, 3);
	assert_int_equal(codes, (1 << 3) | (1 << 4) | (1 << 5));
}

/* FUTEX_WAIT (0) or FUTEX_WAIT_BITSET (9), private or not, on the mutex. */
static void check_lock_waits(const struct recs *rs, uint32_t pid, uint64_t mutex)
{
	uint32_t waiters[8] = { 0 };
	size_t waits = 0, nwaiters = 0;

	EACH(rs, struct tl_sys_enter, s, TL_SYS_ENTER) {
		uint64_t op = s->args[1] & 0x7f;
		size_t k;

		if (s->h.tgid != pid || s->nr != NR_FUTEX || s->args[0] != mutex ||
		    (op != 0 && op != 9))
			continue;
		waits++;
		for (k = 0; k < nwaiters && waiters[k] != s->h.tid; k++)
			;
		if (k == nwaiters && nwaiters < 8)
			waiters[nwaiters++] = s->h.tid;
	}
	assert_true(waits >= 3);
	assert_true(nwaiters >= 2);
}

/* The same waits as the default groups see them: blocking switch-outs in
 * a futex wait on the mutex (read from the registers at switch-out), with
 * the owner of the mutex (group "futex") another worker. */
static void check_lock_blocks(const struct recs *rs, uint32_t pid, uint64_t mutex)
{
	uint32_t waiters[8] = { 0 };
	size_t waits = 0, nwaiters = 0, owned = 0;

	EACH(rs, struct tl_switch, s, TL_SWITCH) {
		uint64_t op = s->why.args[1] & 0x7f;
		size_t k;

		if (s->h.tgid != pid || !s->prev_state || s->why.sys_nr != NR_FUTEX ||
		    s->why.args[0] != mutex || (op != 0 && op != 9))
			continue;
		waits++;
		owned += s->lock_owner && s->lock_owner != s->h.tid;
		for (k = 0; k < nwaiters && waiters[k] != s->h.tid; k++)
			;
		if (k == nwaiters && nwaiters < 8)
			waiters[nwaiters++] = s->h.tid;
	}
	assert_true(waits >= 3);
	assert_true(nwaiters >= 2);
	assert_true(owned >= 3);
}

/* The return of thread tid's syscall entered at record index i. */
static int64_t ret_of(const struct recs *rs, size_t i)
{
	const struct tl_hdr *in = rs->v[i];

	for (size_t j = i + 1; j < rs->n; j++) {
		const struct tl_sys_exit *x = (const struct tl_sys_exit *)rs->v[j];

		if (x->h.type == TL_SYS_EXIT && x->h.tid == in->tid)
			return x->nr == ((const struct tl_sys_enter *)in)->nr ? x->ret : -9999;
	}
	return -9999;
}

/* Sum of the returns of syscall nr on fd (or of every call when fd < 0),
 * and how many there were. */
static int64_t sum_ret(const struct recs *rs, uint32_t pid, int nr, int64_t fd,
		       size_t *calls)
{
	int64_t sum = 0;

	*calls = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct tl_sys_enter *s = (const struct tl_sys_enter *)rs->v[i];

		if (s->h.type != TL_SYS_ENTER || s->h.tgid != pid || s->nr != nr ||
		    (fd >= 0 && (int64_t)s->args[0] != fd))
			continue;
		sum += ret_of(rs, i);
		(*calls)++;
	}
	return sum;
}

static void check_sockets(const struct recs *rs, uint32_t pid, const struct run *r)
{
	int64_t srv = (int64_t)info_value(r, "server_fd");
	int64_t cli = (int64_t)info_value(r, "client_fd");
	int64_t conn = (int64_t)info_value(r, "conn_fd");
	size_t n, n4;

	assert_int_equal(sum_ret(rs, pid, NR_SOCKET, -1, &n), srv + cli);
	assert_int_equal(n, 2);
	assert_int_equal(sum_ret(rs, pid, NR_BIND, srv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sum_ret(rs, pid, NR_LISTEN, srv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sum_ret(rs, pid, NR_CONNECT, cli, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sum_ret(rs, pid, NR_ACCEPT, srv, &n) +
			 sum_ret(rs, pid, NR_ACCEPT4, srv, &n4), conn);
	assert_int_equal(n + n4, 1);
	assert_int_equal(sum_ret(rs, pid, NR_SENDTO, cli, &n), 1000);
	assert_int_equal(sum_ret(rs, pid, NR_RECVFROM, conn, &n), 1000);
	assert_int_equal(sum_ret(rs, pid, NR_SENDTO, conn, &n), 500);
	assert_int_equal(sum_ret(rs, pid, NR_RECVFROM, cli, &n), 500);
}

/* The default groups: the kernel's counts of sends and receives. Two
 * sends (the request, the reply), of 1000 and 500 bytes, all received. */
static void check_sock_counts(const struct recs *rs, uint32_t pid)
{
	uint64_t sends = 0, recvs = 0, errs = 0, sent = 0, received = 0;

	EACH(rs, struct tl_sock_count, c, TL_SOCK_COUNT) {
		if (c->h.tgid != pid)
			continue;
		sends += c->sends;
		recvs += c->recvs;
		errs += c->send_errs + c->recv_errs;
		sent += c->sent_bytes;
		received += c->recv_bytes;
	}
	assert_int_equal(sends, 2);
	assert_true(recvs >= 2);
	assert_int_equal(errs, 0);
	assert_int_equal(sent, 1500);
	assert_int_equal(received, 1500);
}

static const struct tl_proc_info *proc_info_of(const struct recs *rs, uint32_t pid)
{
	const struct tl_proc_info *last = NULL;

	EACH(rs, struct tl_proc_info, p, TL_PROC_INFO)
		if (p->h.tgid == pid)
			last = p;
	return last;
}

static void check_identity(const struct recs *rs, uint32_t pid, pid_t recorder)
{
	const struct tl_proc_info *pi = proc_info_of(rs, pid);
	char cmd[TL_PROC_INFO_MAX_CMDLINE + 2] = "";
	size_t snaps = 0, loss = 0;

	assert_non_null(pi);
	assert_true(pi->h.size > sizeof(*pi));
	memcpy(cmd, (const uint8_t *)pi + sizeof(*pi), pi->h.size - sizeof(*pi));
	assert_non_null(strstr(cmd, "/recordee"));
	assert_string_equal(cmd + strlen(cmd) + 1, "7");
	assert_int_equal(pi->ppid, recorder);
	EACH(rs, struct tl_task_snap, s, TL_TASK_SNAP)
		snaps += s->h.tgid == pid;
	EACH(rs, struct tl_loss, l, TL_LOSS)
		loss += l->lost_new;
	assert_int_equal(snaps, 1);   /* held at the gate, one thread */
	assert_int_equal(loss, 0);
}

/* Records recordee with record_args before "--"; checks what every run
 * has, and leaves the records in rs, its pid in *pid. */
static void record_recordee(struct run *r, struct recs *rs, uint32_t *pid,
			    const char *tag, const char *const *rargs)
{
	const char *args[16];
	size_t n = 0;

	run_init(r, tag);
	args[n++] = "-o";
	args[n++] = r->out;
	for (const char *const *a = rargs; a && *a; a++)
		args[n++] = *a;
	args[n++] = "--";
	args[n++] = th_helper_path("recordee");
	args[n++] = "7";
	args[n] = NULL;
	assert_int_equal(record(r, NULL, args), 7);
	load(r, rs);
	assert_int_equal(rs->st, TL_READ_END);
	*pid = (uint32_t)info_value(r, "pid");
	assert_non_null(strstr(rs->info.target, "cmd: "));
	assert_non_null(strstr(rs->info.target, "/recordee 7"));
	assert_int_equal(rs->trailer.flags, TL_TRAILER_F_TARGET_EXITED);
	assert_int_equal(rs->trailer.target_status, 7 << 8);
	assert_int_equal(rs->trailer.lost_total, 0);
	check_tree(rs, *pid);
	check_identity(rs, *pid, r->pid);
	assert_non_null(strstr(slurp(r->log), "threadline: recorded "));
}

/* The default groups: every group but the syscall tracepoints. */
static void test_recordee_exactly(void **state)
{
	struct run r;
	struct recs rs;
	uint32_t pid;

	(void)state;
	record_recordee(&r, &rs, &pid, "exact", NULL);
	assert_int_equal(rs.info.groups,
			 ((1u << TL_G_COUNT) - 1) & ~(1u << TL_G_SYSCALLS));
	assert_int_equal(rs.trailer.counts[TL_SYS_ENTER], 0);
	assert_int_equal(rs.trailer.counts[TL_SYS_EXIT], 0);
	check_lock_blocks(&rs, pid, info_value(&r, "mutex"));
	check_sock_counts(&rs, pid);
	unload(&rs);
	run_free(&r);
}

/* -e all adds the syscall tracepoints: every call, with its return. */
static void test_recordee_syscalls(void **state)
{
	struct run r;
	struct recs rs;
	uint32_t pid;

	(void)state;
	record_recordee(&r, &rs, &pid, "exactsys", (const char *[]){ "-e", "all", NULL });
	assert_int_equal(rs.info.groups, (1u << TL_G_COUNT) - 1);
	check_lock_waits(&rs, pid, info_value(&r, "mutex"));
	check_lock_blocks(&rs, pid, info_value(&r, "mutex"));
	check_sockets(&rs, pid, &r);
	check_sock_counts(&rs, pid);
	unload(&rs);
	run_free(&r);
}

/* ---- stopping in the middle ---- */

static void wait_for_file(const char *path, int ms)
{
	struct timespec tick = { 0, 20000000 };
	struct stat st;

	for (int t = 0; t < ms; t += 20) {
		if (stat(path, &st) == 0 && st.st_size > 0)
			return;
		nanosleep(&tick, NULL);
	}
	fail_msg("%s did not appear", path);
}

static void test_ctrl_c_finishes_the_file(void **state)
{
	struct timespec settle = { 1, 0 };
	struct run r;
	struct recs rs;

	(void)state;
	run_init(&r, "int");
	start(&r, NULL, (const char *[]){ "-o", r.out, "--", th_helper_path("recordee"),
					  "--sleep", "30", NULL });
	wait_for_file(r.info, 5000);
	nanosleep(&settle, NULL);
	assert_int_equal(kill(r.pid, SIGINT), 0);
	assert_int_equal(finish(&r), 0);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_END);
	assert_true(rs.trailer.flags & TL_TRAILER_F_INTERRUPTED);
	/* the command outlived the recording and was sent SIGTERM */
	assert_true(rs.trailer.flags & TL_TRAILER_F_TARGET_EXITED);
	assert_int_equal(rs.trailer.target_status, SIGTERM);
	assert_int_equal(kill((pid_t)info_value(&r, "pid"), 0), -1);
	unload(&rs);
	run_free(&r);
}

/* kill -9 of record: what was flushed (every 200 ms) stays readable. */
static void test_kill_9_keeps_what_was_flushed(void **state)
{
	struct timespec settle = { 1, 0 };
	struct run r;
	struct recs rs;
	size_t snaps = 0;

	(void)state;
	run_init(&r, "kill");
	start(&r, NULL, (const char *[]){ "-o", r.out, "--", th_helper_path("recordee"),
					  "--sleep", "30", NULL });
	wait_for_file(r.info, 5000);
	nanosleep(&settle, NULL);
	kill(r.pid, SIGKILL);
	finish(&r);
	kill((pid_t)info_value(&r, "pid"), SIGKILL);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_TRUNCATED);
	assert_non_null(strstr(rs.err, "cut short"));
	EACH(&rs, struct tl_task_snap, s, TL_TASK_SNAP)
		snaps++;
	assert_true(snaps >= 1);
	assert_true(rs.n > 5);
	unload(&rs);
	run_free(&r);
}

/* ---- attaching ---- */

static pid_t start_holder(FILE **out)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(th_helper_path("blocked_holder"), "blocked_holder", (char *)NULL);
		_exit(200);
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	return pid;
}

/* Until /proc says the thread sleeps in futex (syscall 202) on addr. */
static void wait_blocked(pid_t pid, int tid, unsigned long long addr)
{
	struct timespec tick = { 0, 10000000 };
	char path[96], want[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, tid);
	snprintf(want, sizeof(want), "202 0x%llx ", addr);
	for (int t = 0; t < 300; t++) {
		if (!strncmp(slurp(path), want, strlen(want)))
			return;
		nanosleep(&tick, NULL);
	}
	fail_msg("thread %d never blocked on 0x%llx: %s", tid, addr, slurp(path));
}

static void test_attach_sees_blocked_thread(void **state)
{
	unsigned long long addr;
	char pidarg[16], target[32];
	struct run r;
	struct recs rs;
	size_t found = 0;
	FILE *out;
	int tid;
	pid_t holder = start_holder(&out);

	(void)state;
	assert_int_equal(fscanf(out, "mutex=%llx tid=%d", &addr, &tid), 2);
	wait_blocked(holder, tid, addr);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)holder);
	run_init(&r, "attach");
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", r.out, "-p", pidarg,
				"-d", "0.5", NULL }), 0);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	fclose(out);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_END);
	snprintf(target, sizeof(target), "pid: %s", pidarg);
	assert_string_equal(rs.info.target, target);
	EACH(&rs, struct tl_task_snap, s, TL_TASK_SNAP) {
		if (s->h.tid != (uint32_t)tid)
			continue;
		found++;
		assert_int_equal(s->h.tgid, (uint32_t)holder);
		assert_int_equal(s->state, 1);  /* S: interruptible sleep */
		assert_int_equal(s->why.sys_nr, NR_FUTEX);
		assert_int_equal(s->why.args[0], addr);
	}
	assert_int_equal(found, 1);
	assert_int_equal(rs.trailer.flags, 0);
	unload(&rs);
	run_free(&r);
}

/* Without -d, recording a PID ends when it exits (here it is our child,
 * so it stays a zombie until we reap it: exited all the same). */
static void test_attach_stops_when_target_exits(void **state)
{
	char pidarg[16];
	struct run r;
	struct recs rs;
	size_t exits = 0;
	pid_t target = fork();

	(void)state;
	assert_true(target >= 0);
	if (target == 0) {
		execl("/bin/sleep", "sleep", "2", (char *)NULL);
		_exit(200);
	}
	snprintf(pidarg, sizeof(pidarg), "%d", (int)target);
	run_init(&r, "attexit");
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", r.out, "-p", pidarg,
				NULL }), 0);
	waitpid(target, NULL, 0);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_END);
	EACH(&rs, struct tl_exit, e, TL_EXIT)
		exits += e->h.tgid == (uint32_t)target && e->group_dead &&
			 e->exit_code == 0;
	assert_int_equal(exits, 1);
	unload(&rs);
	run_free(&r);
}

/* ---- errors ---- */

/* Lines of a log, not counting warnings: a warning about this system (a
 * tracepoint it lacks, a program it refused) is not what a test of the
 * messages checks, and must not make it fail. */
static size_t lines(const char *s)
{
	static const char warning[] = "threadline: warning:";
	size_t n = 0;

	while (*s) {
		const char *nl = strchr(s, '\n');

		if (strncmp(s, warning, sizeof(warning) - 1))
			n += nl != NULL;
		s = nl ? nl + 1 : s + strlen(s);
	}
	return n;
}

static void expect_one_line_error(const char *tag, const char *const *args,
				  int want_status, const char *want_text)
{
	struct run r;

	run_init(&r, tag);
	assert_int_equal(record(&r, NULL, args), want_status);
	/* a usage error (status 2) adds the hint every subcommand gives */
	const char *log = slurp(r.log), *hint = strstr(log, "\nTry 'threadline record --help'.\n");
	if (lines(log) != 1 + (want_status == 2) || !strstr(log, want_text) ||
	    (want_status == 2 && (!hint || strstr(log, want_text) > hint)))
		fail_msg("%s: expected one line with \"%s\", got: %s", tag, want_text, log);
	assert_int_equal(access(r.out, F_OK), -1);
	run_free(&r);
}

/* ---- -p takes the existing tree; targets that exit while attaching ---- */

/* Wakes every 10 ms until `ms` have passed, then reaps its child if any. */
static void sleeper_loop(int ms, pid_t child)
{
	struct timespec tick = { 0, 10000000 };

	for (int i = 0; i < ms / 10; i++)
		nanosleep(&tick, NULL);
	if (child > 0)
		waitpid(child, NULL, 0);
	_exit(0);
}

/* A parent, its child and its grandchild, all sleepers for `ms` ms; the
 * child and grandchild say who they are on a pipe. Returns the parent. */
static pid_t start_tree(int ms, pid_t *child, pid_t *grand)
{
	int p[2];
	pid_t top, c, g;

	assert_int_equal(pipe(p), 0);
	top = fork();
	assert_true(top >= 0);
	if (top == 0) {
		setpgid(0, 0); /* the test ends the whole tree at once */
		c = fork();
		if (c == 0) {
			g = fork();
			if (g == 0)
				sleeper_loop(ms, 0);
			if (write(p[1], &g, sizeof(g)) != sizeof(g))
				_exit(1);
			c = getpid();
			if (write(p[1], &c, sizeof(c)) != sizeof(c))
				_exit(1);
			sleeper_loop(ms, g);
		}
		sleeper_loop(ms, c);
	}
	close(p[1]);
	assert_int_equal(read(p[0], grand, sizeof(*grand)), sizeof(*grand));
	assert_int_equal(read(p[0], child, sizeof(*child)), sizeof(*child));
	close(p[0]);
	return top;
}

static size_t switches_of(const struct recs *rs, pid_t pid)
{
	size_t n = 0;

	EACH(rs, struct tl_switch, w, TL_SWITCH)
		n += w->h.tgid == (uint32_t)pid;
	return n;
}

/* -p PARENT records the children and grandchildren it already had, and
 * the recording says which processes it included. */
static void test_attach_takes_existing_tree(void **state)
{
	char pidarg[16], want[96];
	pid_t top, child, grand;
	struct run r;
	struct recs rs;

	(void)state;
	/* long enough for an attach slowed by other tracers on the machine */
	top = start_tree(10000, &child, &grand);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)top);
	run_init(&r, "tree");
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", r.out, "-p", pidarg,
				"-d", "0.5", NULL }), 0);
	kill(-top, SIGKILL);
	waitpid(top, NULL, 0);
	load(&r, &rs);
	snprintf(want, sizeof(want), "pid: %d and 2 descendants: ", (int)top);
	if (strncmp(rs.info.target, want, strlen(want)) ||
	    !strstr(rs.info.target, pidarg) )
		fail_msg("target: %s", rs.info.target);
	snprintf(want, sizeof(want), "%d", (int)child);
	assert_non_null(strstr(rs.info.target + strlen(pidarg), want));
	snprintf(want, sizeof(want), "%d", (int)grand);
	assert_non_null(strstr(rs.info.target + strlen(pidarg), want));
	/* each wakes every 10 ms: dozens of switches in half a second */
	if (switches_of(&rs, child) < 10 || switches_of(&rs, grand) < 10)
		fail_msg("switches: child %zu, grandchild %zu", switches_of(&rs, child),
			 switches_of(&rs, grand));
	unload(&rs);
	run_free(&r);
}

/* Two targets that exit while the probes are attached (attaching made as
 * slow as on a loaded machine): each is still recorded with its parent,
 * its exit and its states (not all Unknown). */
static void test_attach_targets_exiting_while_attaching(void **state)
{
	struct tl_load_result res;
	struct tl_model *m = NULL;
	char pidarg[32];
	pid_t a, b;
	struct run r;

	(void)state;
	/* they end after loading (well under a second even on a loaded
	 * machine) and while attaching, made to take 2.5 s */
	a = fork();
	assert_true(a >= 0);
	if (a == 0)
		sleeper_loop(1000, 0);
	b = fork();
	assert_true(b >= 0);
	if (b == 0)
		sleeper_loop(1000, 0);
	snprintf(pidarg, sizeof(pidarg), "%d,%d", (int)a, (int)b);
	run_init(&r, "attgone");
	assert_int_equal(record(&r, (const char *[]){ "THREADLINE_ATTACH_DELAY_MS=2500",
				NULL }, (const char *[]){ "-o", r.out, "-p", pidarg,
				"-d", "3", NULL }), 0);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	assert_int_equal(tl_load(r.out, NULL, &m, &res), 0);
	for (int i = 0; i < 2; i++) {
		const struct tl_process *p = tl_model_find_proc(m, i ? b : a, 0);
		uint64_t life, unknown;

		if (!p)
			fail_msg("process %d not recorded; log: %s", (int)(i ? b : a),
				 slurp(r.log));
		assert_int_equal(p->ppid, (uint32_t)getpid());
		assert_int_equal(p->nthreads, 1);
		life = p->end - p->start;
		unknown = tl_thread_state_ns(p->threads[0], TL_ST_UNKNOWN, 0, 0);
		if (life == 0 || unknown * 2 > life)
			fail_msg("process %d: %llu of %llu ns unknown", (int)p->pid,
				 (unsigned long long)unknown, (unsigned long long)life);
		assert_int_equal(tl_proc_exit_code(p), 0);
	}
	tl_model_free(m);
	run_free(&r);
}

/* ---- the end of a recording ---- */

/* -d 1 on a target switching as fast as it can: the data spans one second
 * give or take 50 ms, nothing is stamped after the end, and stopping
 * loses nothing (the probes are stopped at once, then detached). */
static void test_duration_is_exact_and_stop_loses_nothing(void **state)
{
	uint64_t first = UINT64_MAX, last = 0, span;
	size_t switches = 0, losses = 0;
	char pidarg[16];
	struct run r;
	struct recs rs;
	pid_t burst = fork();

	(void)state;
	assert_true(burst >= 0);
	if (burst == 0) {
		execl(th_helper_path("probe_burst"), "probe_burst", "1000000000",
		      (char *)NULL);
		_exit(200);
	}
	snprintf(pidarg, sizeof(pidarg), "%d", (int)burst);
	run_init(&r, "dur");
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", r.out, "-p", pidarg,
				"-d", "1", NULL }), 0);
	kill(burst, SIGKILL);
	waitpid(burst, NULL, 0);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_END);
	for (size_t i = 0; i < rs.n; i++) {
		const struct tl_hdr *h = rs.v[i];

		first = h->ts < first ? h->ts : first;
		last = h->ts > last ? h->ts : last;
		switches += h->type == TL_SWITCH;
		losses += h->type == TL_LOSS;
	}
	span = rs.trailer.h.ts - first;
	if (span < 950000000ull || span > 1050000000ull || last > rs.trailer.h.ts)
		fail_msg("data from %llu to %llu, end %llu: %.3f s for -d 1",
			 (unsigned long long)first, (unsigned long long)last,
			 (unsigned long long)rs.trailer.h.ts, span / 1e9);
	if (losses || rs.trailer.lost_total)
		fail_msg("%zu loss records, %llu lost", losses,
			 (unsigned long long)rs.trailer.lost_total);
	assert_true(switches > 1000);
	unload(&rs);
	run_free(&r);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A command that only notes when it started: record is done well within a
 * second after it (stopping used to wait for every tracepoint's release,
 * seconds in all). Attaching is not timed here: on a loaded machine it
 * waits for other tracers (bench/attach measures both). */
static void test_short_command_returns_promptly(void **state)
{
	char cmd[256];
	unsigned long long started;
	uint64_t done;
	struct run r;

	(void)state;
	run_init(&r, "true");
	snprintf(cmd, sizeof(cmd), "date +%%s%%N > %s", r.info);
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", r.out, "--", "sh",
				"-c", cmd, NULL }), 0);
	done = wall_ns();
	started = strtoull(slurp(r.info), NULL, 10);
	assert_true(started > 0);
	if (done - started > 1000000000ull)
		fail_msg("record ended %.2f s after its command started",
			 (done - started) / 1e9);
	run_free(&r);
}

static void test_one_line_errors(void **state)
{
	char pid[16];
	int p = 999999;

	(void)state;
	while (kill(p, 0) == 0 || errno != ESRCH)
		p++;
	snprintf(pid, sizeof(pid), "%d", p);
	expect_one_line_error("nocmd", (const char *[]){ "--", "tl-no-such-command",
				      NULL }, 127, "command not found: tl-no-such-command");
	expect_one_line_error("nopid", (const char *[]){ "-p", pid, NULL }, 1,
			      "no such process");
	expect_one_line_error("nogroup", (const char *[]){ "-e", "sched,bogus", "-a",
				      NULL }, 2, "unknown event group 'bogus'");
	expect_one_line_error("conflict", (const char *[]){ "-a", "-p", "1", NULL }, 2,
			      "only one");
	expect_one_line_error("kthread", (const char *[]){ "-p", "2", NULL }, 2,
			      "is a kernel thread");
	expect_one_line_error("perfetto-dir", (const char *[]){ "--perfetto",
				      "/nonexistent/x.perfetto-trace", "--", "true", NULL },
			      1, "cannot create /nonexistent/x.perfetto-trace");
}

/* ---- privileges ---- */

static void test_sudo_user_runs_the_command(void **state)
{
	char uid_env[32], gid_env[32];
	struct passwd *pw;
	struct stat st;
	struct run r;
	struct recs rs;
	uint32_t pid;

	(void)state;
	if (!getpwnam("tltest") && system("useradd -M -s /usr/sbin/nologin tltest") != 0)
		skip();
	pw = getpwnam("tltest");
	assert_non_null(pw);
	snprintf(uid_env, sizeof(uid_env), "SUDO_UID=%u", (unsigned)pw->pw_uid);
	snprintf(gid_env, sizeof(gid_env), "SUDO_GID=%u", (unsigned)pw->pw_gid);
	run_init(&r, "priv");
	assert_int_equal(record(&r, (const char *[]){ uid_env, gid_env, NULL },
				(const char *[]){ "-o", r.out, "--",
				th_helper_path("recordee"), NULL }), 0);
	assert_int_equal(info_value(&r, "uid"), pw->pw_uid);
	assert_int_equal(stat(r.out, &st), 0);
	assert_int_equal(st.st_uid, pw->pw_uid);
	assert_int_equal(st.st_gid, pw->pw_gid);
	load(&r, &rs);
	pid = (uint32_t)info_value(&r, "pid");
	assert_non_null(proc_info_of(&rs, pid));
	assert_int_equal(proc_info_of(&rs, pid)->uid, pw->pw_uid);
	unload(&rs);
	run_free(&r);
}

/* ---- a full disk ---- */

/* A 64 KiB file system fills after a few flushes of a busy shell loop:
 * record stops, says so in one line, and the blocks written stay readable,
 * as many records as its summary line counts. */
static char full_dir[64];

/* Runs even when the test fails, so no small file system stays mounted. */
static int unmount_full(void **state)
{
	(void)state;
	if (full_dir[0]) {
		umount(full_dir);
		rmdir(full_dir);
	}
	return 0;
}

static void test_disk_full_keeps_what_was_written(void **state)
{
	char *dir = full_dir, out[80];
	unsigned long long said = 0;
	const char *p;
	struct run r;
	struct recs rs;

	(void)state;
	snprintf(full_dir, sizeof(full_dir), "/tmp/tl-full.%d", (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		rmdir(dir);
		skip();
	}
	run_init(&r, "full");
	snprintf(out, sizeof(out), "%s/x.tlr", dir);
	snprintf(r.out, sizeof(r.out), "%s", out);
	assert_int_equal(record(&r, NULL, (const char *[]){ "-o", out, "--", "sh", "-c",
				"while :; do /bin/true; sleep 0.02; done", NULL }), 1);
	if (lines(slurp(r.log)) != 2 || !strstr(slurp(r.log), "No space left on device"))
		fail_msg("unexpected messages: %s", slurp(r.log));
	p = strstr(slurp(r.log), "recorded ");
	assert_non_null(p);
	said = strtoull(p + 9, NULL, 10);
	load(&r, &rs);
	assert_int_equal(rs.st, TL_READ_TRUNCATED);
	assert_true(rs.n > 0);
	assert_int_equal(rs.n, said);
	unload(&rs);
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recordee_exactly),
		cmocka_unit_test(test_recordee_syscalls),
		cmocka_unit_test(test_ctrl_c_finishes_the_file),
		cmocka_unit_test(test_kill_9_keeps_what_was_flushed),
		cmocka_unit_test(test_attach_sees_blocked_thread),
		cmocka_unit_test(test_attach_stops_when_target_exits),
		cmocka_unit_test(test_attach_takes_existing_tree),
		cmocka_unit_test(test_attach_targets_exiting_while_attaching),
		cmocka_unit_test(test_duration_is_exact_and_stop_loses_nothing),
		cmocka_unit_test(test_short_command_returns_promptly),
		cmocka_unit_test(test_one_line_errors),
		cmocka_unit_test(test_sudo_user_runs_the_command),
		cmocka_unit_test_teardown(test_disk_full_keeps_what_was_written,
					  unmount_full),
	};

	return TH_RUN_BOTH_PATHS(tests);
}
