/* test_perfetto.c - the Perfetto export of a synthetic recording, decoded
 * three ways: by the importer-rule checker (perfetto_check.c), by protoc
 * against tests/proto/threadline_perfetto.proto, and field by field here.
 * Asserts the packets and their order, the process tree, the switch and
 * waking counts per CPU against the input, the bridge over a gap, the thread
 * end, lost events, blocking-syscall slices with their annotations, the
 * wakeup flow, USDT slices/instants, counters; and the JSON variant. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "userspace/export.h"
#include "userspace/pb.h"
#include "userspace/perfetto.h"
#include "userspace/recording.h"

#define T0 1000000000ull       /* first timestamp of the recording */
#define LOOPS 3000             /* switch/waking rounds on CPU 0 */
#define PROTO "tests/proto/threadline_perfetto.proto"

static char dir[64], rec_path[128], out_path[128], json_path[128];
static uint8_t *trace;
static size_t trace_len;
static struct tl_export_stats stats;
static struct tl_writer *wr;

/* ---- building the recording ---- */

static void hdr(struct tl_hdr *h, uint16_t type, uint16_t size, uint16_t cpu,
		uint64_t ts, uint32_t tgid, uint32_t tid)
{
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->cpu = cpu;
	h->ts = T0 + ts;
	h->tgid = tgid;
	h->tid = tid;
}

static void put(const void *rec)
{
	assert_int_equal(tl_writer_append(wr, rec), 0);
}

static void sw(uint16_t cpu, uint64_t ts, uint32_t prev_tgid, uint32_t prev,
	       const char *prev_comm, int64_t state, bool preempt,
	       uint32_t next_tgid, uint32_t next, const char *next_comm)
{
	struct tl_switch s;

	hdr(&s.h, TL_SWITCH, sizeof(s), cpu, ts, prev_tgid, prev);
	s.next_tid = next;
	s.next_tgid = next_tgid;
	s.prev_state = state;
	s.preempt = preempt;
	s.prev_prio = s.next_prio = 120;
	s.why.sys_nr = -1;
	snprintf(s.prev_comm, sizeof(s.prev_comm), "%s", prev_comm);
	snprintf(s.next_comm, sizeof(s.next_comm), "%s", next_comm);
	put(&s);
}

static void sw_blocked(uint16_t cpu, uint64_t ts, uint32_t tgid, uint32_t tid,
		       const char *comm, int32_t nr, uint32_t fd_kind, uint64_t arg0,
		       uint64_t arg1)
{
	struct tl_switch s;

	hdr(&s.h, TL_SWITCH, sizeof(s), cpu, ts, tgid, tid);
	s.prev_state = 1;
	s.prev_prio = s.next_prio = 120;
	s.why.sys_nr = nr;
	s.why.fd_kind = fd_kind;
	s.why.args[0] = arg0;
	s.why.args[1] = arg1;
	snprintf(s.prev_comm, sizeof(s.prev_comm), "%s", comm);
	snprintf(s.next_comm, sizeof(s.next_comm), "swapper/%u", cpu);
	put(&s);
}

static void waking(uint16_t type, uint16_t cpu, uint64_t ts, uint32_t waker_tgid,
		   uint32_t waker, uint32_t tgid, uint32_t tid, const char *comm,
		   bool irq)
{
	struct tl_waking w;

	hdr(&w.h, type, sizeof(w), cpu, ts, waker_tgid, waker);
	w.h.flags = irq ? TL_HDR_F_IRQ : 0;
	w.tid = tid;
	w.tgid = tgid;
	w.prio = 120;
	w.target_cpu = cpu;
	snprintf(w.comm, sizeof(w.comm), "%s", comm);
	put(&w);
}

static void sys(uint16_t type, uint16_t cpu, uint64_t ts, uint32_t tid, int32_t nr,
		uint64_t a0, uint64_t a1, int64_t ret)
{
	if (type == TL_SYS_ENTER) {
		struct tl_sys_enter e;

		hdr(&e.h, type, sizeof(e), cpu, ts, 100, tid);
		e.nr = nr;
		e.args[0] = a0;
		e.args[1] = a1;
		put(&e);
	} else {
		struct tl_sys_exit x;

		hdr(&x.h, type, sizeof(x), cpu, ts, 100, tid);
		x.nr = nr;
		x.ret = ret;
		put(&x);
	}
}

static void usdt(uint16_t cpu, uint64_t ts, uint32_t tid, uint32_t kind,
		 uint64_t a0, uint64_t a1, const char *str)
{
	struct tl_usdt u;

	hdr(&u.h, TL_USDT, sizeof(u), cpu, ts, 100, tid);
	u.kind = kind;
	u.args[0] = a0;
	u.args[1] = a1;
	snprintf(u.str, sizeof(u.str), "%s", str);
	put(&u);
}

static void start_of_trace(void)
{
	struct tl_task_snap snap;
	struct {
		struct tl_proc_info pi;
		char cmd[9];
	} pi;
	struct tl_newtask nt;

	hdr(&snap.h, TL_TASK_SNAP, sizeof(snap), 0, 0, 100, 100);
	snap.ppid = 1;
	snap.on_cpu = 1;
	snap.start_ns = T0 - 5000;
	snap.why.sys_nr = -1;
	snprintf(snap.comm, sizeof(snap.comm), "app");
	put(&snap);
	hdr(&pi.pi.h, TL_PROC_INFO, sizeof(pi), 0, 0, 100, 100);
	pi.pi.ppid = 1;
	pi.pi.uid = 1000;
	memcpy(pi.cmd, "./app\0-x\0", 9);
	put(&pi);
	hdr(&nt.h, TL_NEWTASK, sizeof(nt), 0, 1000, 100, 100);
	nt.tid = 101;
	nt.tgid = 100;
	nt.clone_flags = 0x3d0f00;  /* pthread_create: CLONE_THREAD among them */
	snprintf(nt.comm, sizeof(nt.comm), "app");
	put(&nt);
	waking(TL_WAKEUP_NEW, 0, 1010, 100, 100, 100, 101, "app", false);
}

/* CPU 1: 101 blocks in recvfrom, is woken by an interrupt, then wakes 100
 * (blocked in futex_wait on CPU 0): a wakeup chain. Then a gap: an
 * untraced task (300) appears on the CPU without its switch-in. */
static void cpu1_story(void)
{
	struct tl_rename rn;
	struct tl_exit ex;
	struct tl_loss ls;

	sw(1, 1100, 0, 0, "swapper/1", 0, false, 100, 101, "app");
	sys(TL_SYS_ENTER, 0, 1150, 100, 202, 0x1234, 0, 0);       /* futex wait */
	sw_blocked(0, 1200, 100, 100, "app", 202, TL_FD_NONE, 0x1234, 0);
	sw_blocked(1, 1210, 100, 101, "app", 45, TL_FD_SOCKET, 5, 0);
	waking(TL_WAKING, 1, 1220, 0, 0, 100, 101, "app", true);
	sw(1, 1250, 0, 0, "swapper/1", 0, false, 100, 101, "app");
	waking(TL_WAKING, 1, 1300, 100, 101, 100, 100, "app", false);
	sw(0, 1400, 0, 0, "swapper/0", 0, false, 100, 100, "app");
	sys(TL_SYS_EXIT, 0, 1450, 100, 202, 0, 0, 0);
	sw(1, 1500, 100, 101, "app", 0, true, 200, 200, "other");
	sw(1, 1600, 300, 300, "intruder", 1, false, 100, 101, "app");
	usdt(1, 1650, 101, TL_USDT_TASK_BEGIN, 7, 0, "job");
	usdt(1, 1660, 101, TL_USDT_MARK, 42, 0, "tick");
	usdt(1, 1670, 101, TL_USDT_QUEUE_PUT, 0xabc, 3, "jobs");
	usdt(1, 1700, 101, TL_USDT_TASK_END, 7, 0, "");
	hdr(&rn.h, TL_RENAME, sizeof(rn), 1, 1710, 100, 101);
	rn.tid = 101;
	rn.tgid = 100;
	snprintf(rn.oldcomm, sizeof(rn.oldcomm), "app");
	snprintf(rn.newcomm, sizeof(rn.newcomm), "worker");
	put(&rn);
	hdr(&ex.h, TL_EXIT, sizeof(ex), 1, 1800, 100, 101);
	snprintf(ex.comm, sizeof(ex.comm), "worker");
	put(&ex);
	sw(1, 1850, 100, 101, "worker", 0x80, false, 0, 0, "swapper/1");
	hdr(&ls.h, TL_LOSS, sizeof(ls), 1, 1900, 0, 0);
	ls.lost_total = ls.lost_new = 3;
	put(&ls);
	sw(1, 2000, 0, 0, "swapper/1", 0, false, 200, 200, "other");
}

/* CPU 0: 100 sleeps and is woken from an interrupt, many times. */
static void cpu0_loop(void)
{
	uint64_t t = 3000;

	for (int i = 0; i < LOOPS; i++, t += 100) {
		sw(0, t, 100, 100, "app", 1, false, 0, 0, "swapper/0");
		waking(TL_WAKING, 0, t + 40, 0, 0, 100, 100, "app", true);
		sw(0, t + 60, 0, 0, "swapper/0", 0, false, 100, 100, "app");
	}
}

static void write_recording(void)
{
	struct tl_rec_info info = { .format_version = TL_REC_FORMAT_VERSION,
				    .abi_version = TL_ABI_VERSION, .ncpus = 2,
				    .boot_ns = T0 - 10000, .real_ns = 1700000000000000000ull };

	snprintf(info.host, sizeof(info.host), "testhost");
	snprintf(info.kernel, sizeof(info.kernel), "6.18.0-test");
	snprintf(info.machine, sizeof(info.machine), "x86_64");
	snprintf(info.cmdline, sizeof(info.cmdline), "threadline record -- ./app -x");
	snprintf(info.target, sizeof(info.target), "cmd: ./app -x");
	snprintf(info.tool_version, sizeof(info.tool_version), "9.9.9");
	wr = tl_writer_open(rec_path, &info, -1, -1);
	assert_non_null(wr);
	start_of_trace();
	cpu1_story();
	cpu0_loop();
	assert_int_equal(tl_writer_close(wr, T0 + 3000 + LOOPS * 100, 0, 0, 3), 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *p;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb))
		return NULL;
	p = malloc((size_t)sb.st_size + 1);
	if (p && read(fd, p, (size_t)sb.st_size) != sb.st_size) {
		free(p);
		p = NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tl-pf-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(rec_path, sizeof(rec_path), "%s/in.tlr", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.pftrace", dir);
	snprintf(json_path, sizeof(json_path), "%s/out.json", dir);
	write_recording();
	if (tl_export_perfetto_stats(rec_path, out_path, &stats, err, sizeof(err))) {
		fprintf(stderr, "export failed: %s\n", err);
		return -1;
	}
	trace = slurp(out_path, &trace_len);
	return trace ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	free(trace);
	if (getenv("TL_TEST_KEEP"))   /* keep the files to look at */
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- the tests ---- */

static void test_rules_and_counts(void **state)
{
	struct tl_pf_check ck;
	char err[256] = "";
	int e;

	(void)state;
	e = tl_pf_check(trace, trace_len, &ck, err, sizeof(err));
	if (e)
		fail_msg("checker: %s", err);
	assert_true(ck.has_system_info && ck.has_clock_snapshot);
	/* CPU 0: two switches around the futex wait, two per loop round */
	assert_int_equal(ck.switches[0], 2 + 2 * LOOPS);
	assert_int_equal(ck.wakings[0], 1 + LOOPS);    /* wakeup_new + loop */
	/* CPU 1: seven recorded switches plus one bridge over the gap */
	assert_int_equal(ck.switches[1], 7 + 1);
	assert_int_equal(ck.wakings[1], 2);
	assert_int_equal(stats.sched.switches, 2 + 2 * LOOPS + 7);
	assert_int_equal(stats.sched.wakings, 1 + LOOPS + 2);
	assert_int_equal(stats.sched.bridges, 1);
	assert_int_equal(ck.newtasks, 1);
	assert_int_equal(ck.renames, 1);
	assert_int_equal(ck.exits, 1);
	assert_int_equal(ck.frees, 1);
	assert_int_equal(ck.lost_bundles, 1);
	assert_true(stats.sched.compact_switches >= 2 * LOOPS);
	assert_true(stats.sched.bundles >= 2 * LOOPS / 2048);
	/* tracks: process 100, threads 100 and 101 of the model */
	assert_int_equal(ck.process_tracks, 1);
	assert_int_equal(ck.thread_tracks, 2);
	assert_int_equal(stats.track.syscall_slices, 2);
	assert_int_equal(stats.track.flows, 1);
	assert_int_equal(ck.flows, 1);
	assert_int_equal(stats.track.usdt_slices, 1);
	assert_int_equal(stats.track.usdt_instants, 1);
	assert_int_equal(ck.instants, 2);             /* the mark + metadata */
	assert_true(ck.counters >= 4);                /* loss, parallelism, queue */
}

static void test_bytes_per_sched_event(void **state)
{
	double per = (double)stats.sched.bytes /
		     (double)(stats.sched.switches + stats.sched.wakings);

	(void)state;
	printf("scheduler events: %.2f bytes each\n", per);
	assert_true(per <= 8.0);
}

/* Packet k's top-level data field number (the payload kind). */
static uint32_t packet_kind(size_t k, uint64_t *ts, uint32_t *seq, uint32_t *flags)
{
	struct pb_reader r, pr;
	struct pb_field f, pf;
	uint32_t kind = 0;

	pb_reader_init(&r, trace, trace_len);
	kind = UINT32_MAX;   /* past the last packet */
	for (size_t i = 0; pb_next(&r, &f); i++) {
		if (i != k)
			continue;
		*ts = 0;
		*seq = *flags = 0;
		kind = 0;          /* interned data only */
		pb_reader_init(&pr, f.data, f.len);
		while (pb_next(&pr, &pf)) {
			if (pf.num == PF_TP_TIMESTAMP) *ts = pf.u;
			else if (pf.num == PF_TP_SEQ_ID) *seq = (uint32_t)pf.u;
			else if (pf.num == PF_TP_SEQ_FLAGS) *flags = (uint32_t)pf.u;
			else if (pf.num != PF_TP_INTERNED_DATA) kind = pf.num;
		}
		return kind;
	}
	return kind;
}

static void test_packet_order(void **state)
{
	uint64_t ts;
	uint32_t seq, flags, kind;
	size_t first_tree = 0, first_bundle = 0, first_track = 0;

	(void)state;
	assert_int_equal(packet_kind(0, &ts, &seq, &flags), PF_TP_SYSTEM_INFO);
	assert_int_equal(packet_kind(1, &ts, &seq, &flags), PF_TP_CLOCK_SNAPSHOT);
	assert_int_equal(ts, T0 - 10000);
	for (size_t k = 2; (kind = packet_kind(k, &ts, &seq, &flags)) != UINT32_MAX; k++) {
		if (kind == PF_TP_PROCESS_TREE && !first_tree)
			first_tree = k;
		if (kind == PF_TP_FTRACE_EVENTS && !first_bundle) {
			first_bundle = k;
			assert_int_equal(seq, PF_SEQ_FTRACE);
		}
		if (seq == PF_SEQ_TRACK && !first_track) {
			first_track = k;
			assert_int_equal(flags, PF_SEQ_CLEARED);
		}
	}
	assert_true(first_tree && first_bundle && first_track);
	assert_true(first_tree < first_bundle);   /* snapshot first */
}

struct seen { int futex, recv, job; uint64_t futex_b, futex_e, recv_b, recv_e; };

static void on_slice(void *ctx, uint64_t track, const char *name, uint64_t b,
		     uint64_t e)
{
	struct seen *s = ctx;

	if (!strcmp(name, "futex_wait") && track == tl_pf_thread_uuid(100, 0)) {
		s->futex++;
		s->futex_b = b;
		s->futex_e = e;
	}
	if (!strcmp(name, "recvfrom") && track == tl_pf_thread_uuid(101, 0)) {
		s->recv++;
		s->recv_b = b;
		s->recv_e = e;
	}
	s->job += !strcmp(name, "job") && e - b == 50;
}

static void test_slices(void **state)
{
	struct tl_pf_check ck;
	struct seen s = { 0 };
	struct tl_pf_check_cbs cbs = { .slice = on_slice, .ctx = &s };
	char err[256];

	(void)state;
	assert_int_equal(tl_pf_check_cb(trace, trace_len, &ck, &cbs, err,
					sizeof(err)), 0);
	assert_int_equal(s.futex, 1);
	assert_int_equal(s.futex_b, T0 + 1150);   /* the syscall, enter to exit */
	assert_int_equal(s.futex_e, T0 + 1450);
	assert_int_equal(s.recv, 1);
	assert_int_equal(s.recv_b, T0 + 1210);    /* no enter/exit: the block */
	assert_int_equal(s.recv_e, T0 + 1220);
	assert_int_equal(s.job, 1);
}

/* protoc reads the trace with the project's schema subset, and the text
 * shows what the importer will see. */
static char *protoc_decode(void)
{
	char cmd[512], *text = malloc(1 << 24);
	size_t n = 0, k;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "protoc --decode=perfetto.protos.Trace "
		 "--proto_path=tests/proto %s < %s 2>&1", PROTO, out_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(text);
	while ((k = fread(text + n, 1, (1 << 24) - 1 - n, p)) > 0)
		n += k;
	text[n] = 0;
	assert_int_equal(pclose(p), 0);
	return text;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

static void test_protoc(void **state)
{
	char *t;

	(void)state;
	if (access(PROTO, R_OK))
		skip();   /* run from the source tree's root */
	t = protoc_decode();
	assert_true(count(t, "sysname: \"Linux\"") == 1);
	assert_true(count(t, "release: \"6.18.0-test\"") == 1);
	assert_true(count(t, "primary_trace_clock: BUILTIN_CLOCK_BOOTTIME") == 1);
	assert_true(count(t, "cmdline: \"./app\"") >= 1);
	assert_true(count(t, "cmdline: \"-x\"") >= 1);
	assert_true(count(t, "cmdline: \"intruder\"") == 1);
	assert_true(count(t, "cmdline_is_comm: true") >= 2);
	assert_true(count(t, "name: \"worker\"") >= 1);      /* renamed */
	assert_int_equal(count(t, "sched_switch {"), 3);     /* 2 first + bridge */
	assert_int_equal(count(t, "prev_pid: 200"), 1);      /* the bridge */
	assert_true(count(t, "compact_sched {") >= 3);
	assert_int_equal(count(t, "task_newtask {"), 1);
	assert_int_equal(count(t, "sched_process_free {"), 1);
	assert_int_equal(count(t, "lost_events: true"), 1);
	assert_true(count(t, "name: \"futex_wait\"") == 1);  /* interned once */
	assert_true(count(t, "thread_name: \"worker\"") == 1);
	assert_true(count(t, "tool_version") >= 1);
	assert_int_equal(count(t, " flow_ids:"), 1);
	assert_int_equal(count(t, "terminating_flow_ids:"), 1);
	free(t);
}

static void test_prev_state(void **state)
{
	(void)state;
	assert_int_equal(tl_pf_prev_state(0, true, false), 0x100);
	assert_int_equal(tl_pf_prev_state(0, false, false), 0);
	assert_int_equal(tl_pf_prev_state(1, false, false), 1);
	assert_int_equal(tl_pf_prev_state(2, false, false), 2);
	assert_int_equal(tl_pf_prev_state(0x80, false, false), 0x10);
	assert_int_equal(tl_pf_prev_state(0x80, false, true), 0x20);
	assert_int_equal(tl_pf_prev_state(0x40, false, false), 0x40);
}

/* The checker itself must refuse broken traces. */
static void test_checker_refuses(void **state)
{
	struct pb_writer w;
	struct tl_pf_check ck;
	char err[256];
	struct tl_rec_info info = { .kernel = "6.1", .boot_ns = 5 };

	(void)state;
	assert_int_equal(pb_init_mem(&w, 256), 0);
	tl_pf_write_preamble(&w, &info);
	tl_pf_packet_begin(&w, 10, 0, 0);      /* a TrackEvent without sequence */
	pb_begin(&w, PF_TP_TRACK_EVENT);
	pb_varint(&w, PF_TE_TYPE, PF_INSTANT);
	pb_end(&w);
	tl_pf_packet_end(&w);
	assert_int_equal(tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "sequence"));
	pb_close(&w);
	/* a bundle without cpu */
	assert_int_equal(pb_init_mem(&w, 256), 0);
	tl_pf_write_preamble(&w, &info);
	tl_pf_packet_begin(&w, 0, 1, 0);
	pb_begin(&w, PF_TP_FTRACE_EVENTS);
	pb_end(&w);
	tl_pf_packet_end(&w);
	assert_int_equal(tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "cpu"));
	pb_close(&w);
}

static void test_json(void **state)
{
	char err[256], cmd[256];
	size_t len;
	char *j;

	(void)state;
	assert_int_equal(tl_export_json_path(rec_path, json_path, err, sizeof(err)), 0);
	j = (char *)slurp(json_path, &len);
	assert_non_null(j);
	j[len] = 0;
	assert_non_null(strstr(j, "\"name\":\"process_name\",\"pid\":100"));
	assert_non_null(strstr(j, "\"args\":{\"name\":\"worker\"}"));
	assert_non_null(strstr(j, "\"name\":\"Sleeping: futex\""));
	assert_non_null(strstr(j, "\"name\":\"futex\",\"pid\":100"));  /* syscall lane */
	assert_non_null(strstr(j, "\"name\":\"parallelism\""));
	assert_non_null(strstr(j, "\"lost_events\":3"));
	free(j);
	snprintf(cmd, sizeof(cmd), "python3 -c 'import json,sys; json.load(open(sys.argv[1]))' %s",
		 json_path);
	if (system("python3 -c '' 2>/dev/null") == 0)
		assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_and_counts),
		cmocka_unit_test(test_bytes_per_sched_event),
		cmocka_unit_test(test_packet_order),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_protoc),
		cmocka_unit_test(test_prev_state),
		cmocka_unit_test(test_checker_refuses),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
