/* test_trust.c - what real software and crafted files throw at the model,
 * the reports and the exports: wakeups from interrupts, parent links that
 * form a cycle or name task 0, hostile names, loss that the header must
 * not hide, and process labels taken at exec. Each test builds its records
 * here and renders in memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include "userspace/cli/commands.h"
#include "userspace/cli/record_cmd.h"
#include "userspace/model/model.h"
#include "userspace/report/report.h"
#include "userspace/export/json_export.h"
#include "userspace/export/perfetto/pb.h"
#include "userspace/export/perfetto/perfetto_impl.h"
#include "userspace/export/perfetto/perfetto_check.h"
#include "userspace/load/load.h"
#include "records.h"

#define BASE 1000000000ull
#define MS(x) (BASE + (uint64_t)((x) * 1000000.0))

/* Every record goes to the model and to a Perfetto exporter. */
struct run {
	struct tl_model *m;
	struct pb_writer w;
	struct tl_pf *pf;
	struct tl_rec_info info;
};

static void start(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->info.ncpus = 2;
	r->info.boot_ns = BASE;
	snprintf(r->info.target, sizeof(r->info.target), "cmd: app");
	snprintf(r->info.cmdline, sizeof(r->info.cmdline), "threadline record -- app");
	r->m = tl_model_new(NULL);
	assert_non_null(r->m);
	assert_int_equal(tl_pb_init_mem(&r->w, 4096), 0);
	r->pf = tl_pf_new(&r->w, &r->info);
	assert_non_null(r->pf);
}

static void put(struct run *r, const void *rec)
{
	assert_int_equal(tl_model_feed(r->m, rec), 0);
	tl_pf_record(r->pf, rec);
}

static void finish(struct run *r, uint64_t end)
{
	char err[256];

	assert_int_equal(tl_model_finish(r->m, end), 0);
	if (tl_model_check(r->m, err, sizeof(err)))
		fail_msg("model invariant: %s", err);
}

/* The Perfetto trace, checked by the importer-rule checker; returns 0 or
 * the checker's error with its reason in err. */
static int perfetto(struct run *r, char *err, size_t errlen)
{
	struct tl_pf_check ck;

	assert_int_equal(tl_pf_finish(r->pf, r->m), 0);
	return tl_pf_check(pb_data(&r->w), pb_size(&r->w), &ck, err, errlen);
}

static void done(struct run *r)
{
	tl_pf_free(r->pf);
	tl_pb_close(&r->w);
	tl_model_free(r->m);
}

static char *text(struct run *r, uint32_t pid)
{
	struct tl_report_opts o = { .width = 100, .timeline = true, .pid = pid };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(tl_report_text(f, r->m, NULL, &o), 0);
	fclose(f);
	return buf;
}

static char *json(struct run *r, bool export)
{
	struct tl_report_opts o = { .width = 100 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (export)
		assert_int_equal(tl_json_write(f, r->m, &r->info), 0);
	else
		assert_int_equal(tl_report_json(f, r->m, NULL, &o), 0);
	fclose(f);
	return buf;
}

static void has(const char *text, const char *want)
{
	if (strstr(text, want))
		return;
	fprintf(stderr, "---- missing \"%s\" in:\n%s----\n", want, text);
	fail();
}

static void lacks(const char *text, const char *unwanted)
{
	if (!strstr(text, unwanted))
		return;
	fprintf(stderr, "---- unexpected \"%s\" in:\n%s----\n", unwanted, text);
	fail();
}

/* ---- records ---- */

static void proc_info(struct run *r, uint64_t ts, uint32_t pid, uint32_t ppid,
		      const char *cmd)
{
	uint64_t buf[(sizeof(struct tl_proc_info) + 64) / 8] = { 0 };
	struct tl_proc_info *pi = (void *)buf;
	size_t len = strlen(cmd) + 1;

	hdr(&pi->h, TL_PROC_INFO, (uint16_t)(sizeof(*pi) + len), ts, 0, pid, pid);
	pi->ppid = ppid;
	memcpy(pi + 1, cmd, len);
	put(r, pi);
}

static void snap(struct run *r, uint64_t ts, uint32_t pid, uint32_t tid, uint32_t ppid,
		 char st, int cpu, const char *comm)
{
	struct tl_task_snap s = { 0 };

	hdr(&s.h, TL_TASK_SNAP, sizeof(s), ts, cpu, tid, pid);
	s.ppid = ppid;
	s.on_cpu = st == 'R';
	s.state = st == 'S' ? 1 : 0;
	s.why.sys_nr = st == 'S' ? 202 : -1;
	snprintf(s.comm, sizeof(s.comm), "%s", comm);
	put(r, &s);
}

static void sw(struct run *r, uint64_t ts, int cpu, uint32_t prev, uint32_t ppid,
	       int ps, uint32_t next, uint32_t npid)
{
	struct tl_switch s = { 0 };

	hdr(&s.h, TL_SWITCH, sizeof(s), ts, cpu, prev, ppid);
	s.next_tid = next;
	s.next_tgid = npid;
	s.prev_state = ps;
	s.prev_prio = s.next_prio = 120;
	s.why.sys_nr = ps ? 202 : -1;
	snprintf(s.prev_comm, sizeof(s.prev_comm), "t%u", prev);
	snprintf(s.next_comm, sizeof(s.next_comm), "t%u", next);
	put(r, &s);
}

static void wake(struct run *r, uint64_t ts, int cpu, uint32_t waker, uint32_t wpid,
		 uint32_t wakee, uint32_t epid, bool irq)
{
	struct tl_waking w = { 0 };

	hdr(&w.h, TL_WAKING, sizeof(w), ts, cpu, waker, wpid);
	w.h.flags = irq ? TL_HDR_F_IRQ : 0;
	w.tid = wakee;
	w.tgid = epid;
	w.prio = 120;
	w.target_cpu = cpu;
	snprintf(w.comm, sizeof(w.comm), "t%u", wakee);
	put(r, &w);
}

static void newtask(struct run *r, uint64_t ts, uint32_t ctid, uint32_t cpid,
		    uint32_t tid, uint32_t pid, const char *comm)
{
	struct tl_newtask n = { 0 };

	hdr(&n.h, TL_NEWTASK, sizeof(n), ts, 0, ctid, cpid);
	n.tid = tid;
	n.tgid = pid;
	n.clone_flags = 0x1200011;
	snprintf(n.comm, sizeof(n.comm), "%s", comm);
	put(r, &n);
}

/* ---- parent links ---- */

/* Two processes that name each other as parent (a crafted file): the
 * report of either tree ends, and the model keeps a tree. */
static void test_parent_cycle(void **state)
{
	(void)state;
	struct run r;
	char err[256];

	start(&r);
	snap(&r, MS(0), 100, 100, 101, 'R', 0, "a");
	snap(&r, MS(0), 101, 101, 100, 'R', 1, "b");
	proc_info(&r, MS(1), 100, 101, "a");
	proc_info(&r, MS(1), 101, 100, "b");
	sw(&r, MS(5), 0, 100, 100, 1, 0, 0);
	finish(&r, MS(10));
	for (size_t i = 0; i < tl_model_nprocs(r.m); i++) {
		const struct tl_process *p = tl_model_proc(r.m, i);
		for (size_t d = 0; p; d++, p = p->parent)
			assert_true(d < tl_model_nprocs(r.m));
	}
	char *t = text(&r, 100);
	has(t, "Process 100 ");
	free(t);
	t = text(&r, 101);
	has(t, "Process 101 ");
	free(t);
	t = text(&r, 0); /* both still listed although neither is a root */
	has(t, "Process 100 ");
	has(t, "Process 101 ");
	free(t);
	t = json(&r, false);
	free(t);
	assert_int_equal(perfetto(&r, err, sizeof(err)), 0);
	done(&r);
}

/* A fork that creates task 0 (the idle task, never a child) or the
 * creator itself cannot happen: the model refuses it as malformed, and
 * the Perfetto export declares each track once. */
static void test_impossible_fork(void **state)
{
	(void)state;
	struct run r;
	char err[256];

	start(&r);
	snap(&r, MS(0), 100, 100, 1, 'R', 0, "app");
	proc_info(&r, MS(0), 100, 1, "app");
	struct tl_newtask n = { 0 };
	hdr(&n.h, TL_NEWTASK, sizeof(n), MS(1), 0, 100, 100);
	n.clone_flags = 0x1200011; /* tid 0, tgid 0 */
	assert_int_equal(tl_model_feed(r.m, &n.h), -EINVAL);
	tl_pf_record(r.pf, &n.h);
	n.h.ts = MS(2);
	n.tid = n.tgid = 100; /* itself */
	assert_int_equal(tl_model_feed(r.m, &n.h), -EINVAL);
	tl_pf_record(r.pf, &n.h);
	struct tl_fork f = { 0 };
	hdr(&f.h, TL_FORK, sizeof(f), MS(3), 0, 100, 100);
	assert_int_equal(tl_model_feed(r.m, &f.h), -EINVAL);
	tl_pf_record(r.pf, &f.h);
	sw(&r, MS(5), 0, 100, 100, 1, 0, 0);
	finish(&r, MS(10));
	assert_int_equal(tl_model_stats(r.m)->malformed, 3);
	assert_int_equal(tl_model_nprocs(r.m), 1);
	assert_int_equal(tl_model_nthreads(r.m), 1);
	if (perfetto(&r, err, sizeof(err)))
		fail_msg("perfetto: %s", err);
	done(&r);
}

/* ---- wakeups from interrupts ---- */

/* Wakings of the trace whose common_flags mark an interrupt: in compact
 * bundles (what the importer turns into thread_state.irq_context) and in
 * plain events. */
static void irq_wakings(struct run *r, size_t *compact, size_t *plain)
{
	struct pb_reader tr, pr, br, xr;
	struct pb_field tf, pf, bf, xf;

	*compact = *plain = 0;
	tl_pb_reader_init(&tr, pb_data(&r->w), pb_size(&r->w));
	while (tl_pb_next(&tr, &tf)) {
		tl_pb_reader_init(&pr, tf.data, tf.len);
		while (tl_pb_next(&pr, &pf)) {
			if (pf.num != PF_TP_FTRACE_EVENTS)
				continue;
			tl_pb_reader_init(&br, pf.data, pf.len);
			while (tl_pb_next(&br, &bf)) {
				if (bf.num != PF_FB_COMPACT && bf.num != PF_FB_EVENT)
					continue;
				tl_pb_reader_init(&xr, bf.data, bf.len);
				while (tl_pb_next(&xr, &xf)) {
					if (bf.num == PF_FB_COMPACT && xf.num == PF_CS_WK_FLAGS)
						for (size_t i = 0; i < xf.len; i++)
							*compact += (xf.data[i] & PF_FLAG_HARDIRQ) != 0;
					if (bf.num == PF_FB_EVENT && xf.num == PF_FE_COMMON_FLAGS)
						*plain += (xf.u & PF_FLAG_HARDIRQ) != 0;
				}
			}
		}
	}
}

/* Thread 100 sleeps; a timer interrupt that hits while 101 runs wakes it.
 * Nothing may say 101 woke 100. */
static void test_irq_wakeup(void **state)
{
	(void)state;
	struct run r;
	char err[256], tid[32];
	size_t compact, plain;

	start(&r);
	snap(&r, MS(0), 100, 100, 1, 'S', 0, "sleeper");
	snap(&r, MS(0), 100, 101, 1, 'R', 0, "spinner");
	proc_info(&r, MS(0), 100, 1, "app");
	sw(&r, MS(1), 0, 0, 0, 0, 101, 100);          /* primes CPU 0 */
	wake(&r, MS(10), 0, 101, 100, 100, 100, true); /* interrupt while 101 runs */
	sw(&r, MS(11), 0, 101, 100, 0, 100, 100);
	wake(&r, MS(12), 1, 555, 555, 100, 100, true); /* on a CPU not yet seen */
	finish(&r, MS(20));

	const struct tl_thread *t = tl_model_find_thread(r.m, 100, 0);
	assert_non_null(t);
	assert_int_equal(tl_thread_iv(t, 0).state, TL_ST_SLEEPING);
	assert_int_equal(tl_thread_iv(t, 0).waker, 0);
	assert_true(tl_thread_iv(t, 0).waker_irq);
	assert_int_equal(tl_thread_iv(t, 1).state, TL_ST_RUNNABLE);
	assert_int_equal(tl_thread_iv(t, 1).waker, 0);
	assert_true(tl_thread_iv(t, 1).waker_irq);
	assert_int_equal(t->sum.wakeups_received, 1);
	assert_int_equal(t->sum.wakeups_irq, 1);
	assert_int_equal(tl_model_find_thread(r.m, 101, 0)->sum.wakeups_given, 0);
	assert_int_equal(tl_model_count_wakeups(r.m, 101, 100, 0, 0), 0);
	assert_int_equal(tl_model_wakeup(r.m, 0).waker, 0);
	assert_true(tl_model_wakeup(r.m, 0).irq);

	char *x = text(&r, 0);
	has(x, "woken by interrupt/timer 1");
	free(x);
	x = json(&r, false);
	has(x, "\"wakeups_from_interrupt\": 1");
	free(x);
	x = json(&r, true);
	has(x, "\"woken_by_interrupt\":true");
	snprintf(tid, sizeof(tid), "\"woken_by\":%u", 101);
	lacks(x, tid);
	free(x);
	if (perfetto(&r, err, sizeof(err)))
		fail_msg("perfetto: %s", err);
	irq_wakings(&r, &compact, &plain);
	/* both compact, so Perfetto's importer reads their flags: the first
	 * although 101 is not who woke, the second after a bridge switch on
	 * CPU 1, which had no switch yet */
	assert_int_equal(compact, 2);
	assert_int_equal(plain, 0);
	done(&r);
}

/* ---- the header ---- */

/* No event was lost, but a thread was switched in without its wakeup and
 * another appeared without a snapshot: the header must not read as
 * complete. */
static void test_header_unknown(void **state)
{
	(void)state;
	struct run r;

	start(&r);
	snap(&r, MS(0), 100, 100, 1, 'S', 0, "app");
	proc_info(&r, MS(0), 100, 1, "app");
	sw(&r, MS(10), 0, 0, 0, 0, 100, 100);    /* Sleeping, yet switched in */
	sw(&r, MS(20), 1, 101, 100, 1, 0, 0);    /* 101: no snapshot */
	finish(&r, MS(30));
	assert_int_equal(tl_model_stats(r.m)->lost_total, 0);
	assert_int_equal(tl_model_stats(r.m)->inconsistencies, 1);
	char *x = text(&r, 0);
	has(x, "  events    4 records, none lost\n");
	has(x, "  unknown   30.0ms of thread time, 1 inconsistency (see Loss)\n");
	lacks(x, "no loss");
	free(x);
	done(&r);
}

/* ---- hostile names ---- */

/* A program names itself (comm), its threads and its arguments with
 * terminal escapes: the text report shows them, escaped, and sends no
 * control character to the terminal. */
static void test_hostile_names(void **state)
{
	(void)state;
	struct run r;
	const char *evil = "\x1b]0;PWN\a\x1b[2J";

	start(&r);
	snap(&r, MS(0), 100, 100, 1, 'R', 0, evil);
	snap(&r, MS(0), 100, 101, 1, 'R', 1, "\x9b" "31m\xc2\x9b" "2J");
	proc_info(&r, MS(0), 100, 1, "\x1b[31mred\x1b[0m");
	struct tl_exec e = { 0 };
	hdr(&e.h, TL_EXEC, sizeof(e), MS(1), 0, 100, 100);
	e.old_tid = 100;
	snprintf(e.comm, sizeof(e.comm), "%s", evil);
	snprintf(e.filename, sizeof(e.filename), "/tmp/\x1b[2J");
	put(&r, &e);
	finish(&r, MS(10));
	snprintf(r.info.cmdline, sizeof(r.info.cmdline), "threadline record -- %s", evil);
	snprintf(r.info.target, sizeof(r.info.target), "cmd: %s", evil);

	struct tl_report_opts o = { .width = 100, .timeline = true };
	struct tl_load_result lr = { .info = r.info, .status = TL_READ_END,
				     .has_trailer = true };
	char *x = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&x, &len);
	assert_int_equal(tl_report_text(f, r.m, &lr, &o), 0);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)x[i];
		if ((ch < 0x20 && ch != '\n') || ch == 0x7f ||
		    (ch == 0xc2 && (unsigned char)x[i + 1] >= 0x80 &&
		     (unsigned char)x[i + 1] <= 0x9f))
			fail_msg("control byte %#x at %zu in:\n%s", ch, i, x);
	}
	/* named after its executable, which is hostile too */
	has(x, "Process 100 \\x1b[2J  (\\x1b[31mred\\x1b[0m)");
	has(x, "  100     \\x1b]0;PWN");
	has(x, "exec at 0.001s: /tmp/\\x1b[2J");
	has(x, "\\xc2\\x9b2J");
	has(x, "command   threadline record -- \\x1b]0;PWN");
	free(x);
	done(&r);
}

/* ---- the command line ---- */

/* Runs a subcommand with stderr in a file; returns its exit status and
 * what it said. */
static int run_cmd(int (*cmd)(int, char **), char **argv, char *said, size_t len)
{
	char path[] = "/tmp/tl-test-trust-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), argc = 0;

	assert_true(fd >= 0);
	while (argv[argc])
		argc++;
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	int rc = cmd(argc, argv);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, said, len - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Every subcommand says a usage error the same way: exit status 2, the
 * error in one line, then a hint. */
static void test_usage_errors(void **state)
{
	(void)state;
	char said[1024];
	char a0[] = "threadline export", a1[] = "-f", a2[] = "xml", a3[] = "x.tlr";
	char *bad_format[] = { a0, a1, a2, a3, NULL }, *no_file[] = { a0, NULL };
	char r0[] = "threadline report", r1[] = "--width=7";
	char *bad_width[] = { r0, r1, NULL };

	assert_int_equal(run_cmd(tl_cmd_export, bad_format, said, sizeof(said)), 2);
	assert_int_equal(count_lines(said), 2);
	has(said, "threadline export: unknown format 'xml' (perfetto or json)\n"
		  "Try 'threadline export --help'.\n");
	assert_int_equal(run_cmd(tl_cmd_export, no_file, said, sizeof(said)), 2);
	assert_int_equal(count_lines(said), 2);
	has(said, "Try 'threadline export --help'.\n");
	assert_int_equal(run_cmd(tl_cmd_report, bad_width, said, sizeof(said)), 2);
	assert_int_equal(count_lines(said), 2);
	has(said, "Try 'threadline report --help'.\n");
}

/* USDT notes are read from ELF files: for a script, from its interpreter;
 * for a file that is neither, nowhere (libbpf's "Bad file descriptor"
 * warning came from handing it the script). */
static void test_usdt_binary(void **state)
{
	(void)state;
	char dir[] = "/tmp/tl-test-usdt-XXXXXX", path[64], path2[64], buf[256];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	assert_string_equal(tl_usdt_binary("/bin/sh", buf, sizeof(buf)), "/bin/sh");
	snprintf(path, sizeof(path), "%s/run.sh", dir);
	f = fopen(path, "w");
	fputs("#! /bin/sh -e\necho hi\n", f);
	fclose(f);
	assert_string_equal(tl_usdt_binary(path, buf, sizeof(buf)), "/bin/sh");
	snprintf(path2, sizeof(path2), "%s/inner", dir); /* a script's script */
	f = fopen(path2, "w");
	fprintf(f, "#!%s\n", path);
	fclose(f);
	assert_string_equal(tl_usdt_binary(path2, buf, sizeof(buf)), "/bin/sh");
	f = fopen(path, "w");
	fputs("just text\n", f);
	fclose(f);
	assert_null(tl_usdt_binary(path, buf, sizeof(buf)));
	assert_null(tl_usdt_binary("/nonexistent", buf, sizeof(buf)));
	unlink(path);
	unlink(path2);
	rmdir(dir);
}

/* ---- process labels ---- */

/* The first command line of the last ProcessTree entry of pid. */
static void last_argv0(struct run *r, uint32_t pid, char *out, size_t len)
{
	struct pb_reader tr, pr, ptr, xr;
	struct pb_field tf, pf, ptf, xf;

	out[0] = '\0';
	tl_pb_reader_init(&tr, pb_data(&r->w), pb_size(&r->w));
	while (tl_pb_next(&tr, &tf)) {
		tl_pb_reader_init(&pr, tf.data, tf.len);
		while (tl_pb_next(&pr, &pf)) {
			if (pf.num != PF_TP_PROCESS_TREE)
				continue;
			tl_pb_reader_init(&ptr, pf.data, pf.len);
			while (tl_pb_next(&ptr, &ptf)) {
				uint32_t p = 0;
				char first[128] = "";
				if (ptf.num != PF_PT_PROCESSES)
					continue;
				tl_pb_reader_init(&xr, ptf.data, ptf.len);
				while (tl_pb_next(&xr, &xf)) {
					if (xf.num == PF_PROC_PID)
						p = (uint32_t)xf.u;
					if (xf.num == PF_PROC_CMDLINE && !first[0])
						snprintf(first, sizeof(first), "%.*s",
							 (int)xf.len, (const char *)xf.data);
				}
				if (p == pid)
					snprintf(out, len, "%s", first);
			}
		}
	}
}

/* A server exec'd as /usr/lib/pg/bin/postgres forks a backend that rewrites
 * its arguments into a title before its command line is read, and renames
 * its leader thread: both are named after the executable, the title stays
 * as extra information. */
static void test_labels(void **state)
{
	(void)state;
	struct run r;
	char argv0[128];

	start(&r);
	snap(&r, MS(0), 100, 100, 1, 'R', 0, "sh");
	proc_info(&r, MS(0), 100, 1, "sh");
	struct tl_exec e = { 0 };
	hdr(&e.h, TL_EXEC, sizeof(e), MS(1), 0, 100, 100);
	e.old_tid = 100;
	snprintf(e.comm, sizeof(e.comm), "postgres");
	snprintf(e.filename, sizeof(e.filename), "/usr/lib/pg/bin/postgres");
	put(&r, &e);
	newtask(&r, MS(2), 100, 100, 200, 200, "postgres");
	proc_info(&r, MS(100), 200, 100, "postgres: alice db [local] UPDATE waiting");
	struct tl_rename rn = { 0 };
	hdr(&rn.h, TL_RENAME, sizeof(rn), MS(110), 0, 100, 100);
	rn.tid = rn.tgid = 100;
	snprintf(rn.oldcomm, sizeof(rn.oldcomm), "postgres");
	snprintf(rn.newcomm, sizeof(rn.newcomm), "checkpointer");
	put(&r, &rn);
	finish(&r, MS(200));

	const struct tl_process *srv = tl_model_find_proc(r.m, 100, 0);
	const struct tl_process *be = tl_model_find_proc(r.m, 200, 0);
	assert_string_equal(tl_proc_label(srv), "postgres");
	assert_string_equal(tl_proc_name(srv), "checkpointer");
	assert_string_equal(tl_proc_label(be), "postgres");
	char *x = text(&r, 0);
	has(x, "Process 100 postgres");
	has(x, "Process 200 postgres  (postgres: alice db [local] UPDATE waiting)");
	lacks(x, "  100             checkpointer"); /* the tree row */
	free(x);
	x = json(&r, false);
	has(x, "\"name\": \"postgres\",\n      \"comm\": \"checkpointer\"");
	free(x);
	x = json(&r, true);
	has(x, "\"name\":\"process_name\",\"pid\":200,\"tid\":0,\"ts\":0.000,"
	       "\"args\":{\"name\":\"postgres\"}");
	has(x, "\"labels\":\"postgres: alice db [local] UPDATE waiting\"");
	free(x);
	char err[256];
	if (perfetto(&r, err, sizeof(err)))
		fail_msg("perfetto: %s", err);
	last_argv0(&r, 200, argv0, sizeof(argv0));
	assert_string_equal(argv0, "/usr/lib/pg/bin/postgres");
	last_argv0(&r, 100, argv0, sizeof(argv0));
	assert_string_equal(argv0, "/usr/lib/pg/bin/postgres");
	done(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parent_cycle),
		cmocka_unit_test(test_impossible_fork),
		cmocka_unit_test(test_irq_wakeup),
		cmocka_unit_test(test_header_unknown),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_usdt_binary),
		cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
