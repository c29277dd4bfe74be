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
#include "userspace/export/export.h"
#include "userspace/export/perfetto/pb.h"
#include "userspace/export/perfetto/perfetto_impl.h"
#include "records.h"
#include "tests/common/protoc_text.h"
#include "userspace/export/perfetto/perfetto_check.h"
#include "userspace/model/model.h"
#include "userspace/recording/recording.h"

#define T0 1000000000ull       /* first timestamp of the recording */
#define LOOPS 3000             /* switch/waking rounds on CPU 0 */
#define PROTO "tests/proto/threadline_perfetto.proto"

static char dir[64], rec_path[128], out_path[128], json_path[128];
static uint8_t *trace;
static size_t trace_len;
static struct tl_export_stats stats;
static struct tl_writer *wr;

/* ---- building the recording ---- */

static void put(const void *rec)
{
	assert_int_equal(tl_writer_append(wr, rec), 0);
}

static void start_of_trace(void)
{
	struct tl_task_snap snap;
	struct {
		struct tl_proc_info pi;
		char cmd[9];
	} pi;
	struct tl_newtask nt;

	hdr(&snap.h, TL_TASK_SNAP, sizeof(snap), T0 + 0, 0, 100, 100);
	snap.ppid = 1;
	snap.on_cpu = 1;
	snap.start_ns = T0 - 5000;
	snap.why.sys_nr = -1;
	snprintf(snap.comm, sizeof(snap.comm), "app");
	put(&snap);
	hdr(&pi.pi.h, TL_PROC_INFO, sizeof(pi), T0 + 0, 0, 100, 100);
	pi.pi.ppid = 1;
	pi.pi.uid = 1000;
	memcpy(pi.cmd, "./app\0-x\0", 9);
	put(&pi);
	hdr(&nt.h, TL_NEWTASK, sizeof(nt), T0 + 1000, 0, 100, 100);
	nt.tid = 101;
	nt.tgid = 100;
	nt.clone_flags = 0x3d0f00;  /* pthread_create: CLONE_THREAD among them */
	snprintf(nt.comm, sizeof(nt.comm), "app");
	put(&nt);
	put(TR_WAKING(.type = TL_WAKEUP_NEW, .ts = T0 + 1010, .waker = 100,
		      .waker_pid = 100, .wakee = 101, .wakee_pid = 100, .comm = "app"));
}

/* CPU 1: 101 blocks in recvfrom, is woken by an interrupt, then wakes 100
 * (blocked in futex_wait on CPU 0): a wakeup chain. Then a gap: an
 * untraced task (300) appears on the CPU without its switch-in. */
static void cpu1_story(void)
{
	struct tl_rename rn;
	struct tl_exit ex;
	struct tl_loss ls;

	put(TR_SWITCH(.ts = T0 + 1100, .cpu = 1, .prev = 0, .prev_pid = 0,
		      .prev_comm = "swapper/1", .next = 101, .next_pid = 100,
		      .next_comm = "app"));
	put(TR_SYS(.ts = T0 + 1150, .tid = 100, .pid = 100, .nr = 202,
		   .a0 = 0x1234));       /* futex wait */
	put(TR_SWITCH(.ts = T0 + 1200, .prev = 100, .prev_pid = 100,
		      .prev_comm = "app", .state = 1, .nr = 202, .a0 = 0x1234,
		      .next_comm = "swapper/0"));
	put(TR_SWITCH(.ts = T0 + 1210, .cpu = 1, .prev = 101, .prev_pid = 100,
		      .prev_comm = "app", .state = 1, .nr = 45,
		      .fd_kind = TL_FD_SOCKET, .a0 = 5, .next_comm = "swapper/1"));
	put(TR_WAKING(.ts = T0 + 1220, .cpu = 1, .wakee = 101, .wakee_pid = 100,
		      .target_cpu = 1, .irq = true, .comm = "app"));
	put(TR_SWITCH(.ts = T0 + 1250, .cpu = 1, .prev = 0, .prev_pid = 0,
		      .prev_comm = "swapper/1", .next = 101, .next_pid = 100,
		      .next_comm = "app"));
	put(TR_WAKING(.ts = T0 + 1300, .cpu = 1, .waker = 101, .waker_pid = 100,
		      .wakee = 100, .wakee_pid = 100, .target_cpu = 1, .comm = "app"));
	put(TR_SWITCH(.ts = T0 + 1400, .prev = 0, .prev_pid = 0,
		      .prev_comm = "swapper/0", .next = 100, .next_pid = 100,
		      .next_comm = "app"));
	put(TR_SYS(.ts = T0 + 1450, .tid = 100, .pid = 100, .nr = 202, .exit = true));
	put(TR_SWITCH(.ts = T0 + 1500, .cpu = 1, .prev = 101, .prev_pid = 100,
		      .prev_comm = "app", .preempt = true, .next = 200,
		      .next_pid = 200, .next_comm = "other"));
	put(TR_SWITCH(.ts = T0 + 1600, .cpu = 1, .prev = 300, .prev_pid = 300,
		      .prev_comm = "intruder", .state = 1, .next = 101,
		      .next_pid = 100, .next_comm = "app"));
	put(TR_USDT(.ts = T0 + 1650, .cpu = 1, .tid = 101, .pid = 100,
		    .kind = TL_USDT_TASK_BEGIN, .a0 = 7, .str = "job"));
	put(TR_USDT(.ts = T0 + 1660, .cpu = 1, .tid = 101, .pid = 100,
		    .kind = TL_USDT_MARK, .a0 = 42, .str = "tick"));
	put(TR_USDT(.ts = T0 + 1670, .cpu = 1, .tid = 101, .pid = 100,
		    .kind = TL_USDT_QUEUE_PUT, .a0 = 0xabc, .a1 = 3, .str = "jobs"));
	put(TR_USDT(.ts = T0 + 1700, .cpu = 1, .tid = 101, .pid = 100,
		    .kind = TL_USDT_TASK_END, .a0 = 7));
	hdr(&rn.h, TL_RENAME, sizeof(rn), T0 + 1710, 1, 101, 100);
	rn.tid = 101;
	rn.tgid = 100;
	snprintf(rn.oldcomm, sizeof(rn.oldcomm), "app");
	snprintf(rn.newcomm, sizeof(rn.newcomm), "worker");
	put(&rn);
	hdr(&ex.h, TL_EXIT, sizeof(ex), T0 + 1800, 1, 101, 100);
	snprintf(ex.comm, sizeof(ex.comm), "worker");
	put(&ex);
	put(TR_SWITCH(.ts = T0 + 1850, .cpu = 1, .prev = 101, .prev_pid = 100,
		      .prev_comm = "worker", .state = 0x80, .next_comm = "swapper/1"));
	hdr(&ls.h, TL_LOSS, sizeof(ls), T0 + 1900, 1, 0, 0);
	ls.lost_total = ls.lost_new = 3;
	put(&ls);
	put(TR_SWITCH(.ts = T0 + 2000, .cpu = 1, .prev = 0, .prev_pid = 0,
		      .prev_comm = "swapper/1", .next = 200, .next_pid = 200,
		      .next_comm = "other"));
}

/* CPU 0: 100 sleeps and is woken from an interrupt, many times. */
static void cpu0_loop(void)
{
	uint64_t t = 3000;

	for (int i = 0; i < LOOPS; i++, t += 100) {
		put(TR_SWITCH(.ts = T0 + t, .prev = 100, .prev_pid = 100,
			      .prev_comm = "app", .state = 1, .next_comm = "swapper/0"));
		put(TR_WAKING(.ts = T0 + (t + 40), .wakee = 100, .wakee_pid = 100,
			      .irq = true, .comm = "app"));
		put(TR_SWITCH(.ts = T0 + (t + 60), .prev = 0, .prev_pid = 0,
			      .prev_comm = "swapper/0", .next = 100, .next_pid = 100,
			      .next_comm = "app"));
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
	/* CPU 0: two switches around the futex wait, two per loop round, and
	 * a bridge to the creator before the wakeup_new, the CPU's first
	 * event (a compact waking needs the CPU's current task) */
	assert_int_equal(ck.switches[0], 2 + 2 * LOOPS + 1);
	assert_int_equal(ck.wakings[0], 1 + LOOPS);    /* wakeup_new + loop */
	/* CPU 1: seven recorded switches plus one bridge over the gap */
	assert_int_equal(ck.switches[1], 7 + 1);
	assert_int_equal(ck.wakings[1], 2);
	assert_int_equal(stats.sched.switches, 2 + 2 * LOOPS + 7);
	assert_int_equal(stats.sched.wakings, 1 + LOOPS + 2);
	assert_int_equal(stats.sched.bridges, 2);
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

	tl_pb_reader_init(&r, trace, trace_len);
	kind = UINT32_MAX;   /* past the last packet */
	for (size_t i = 0; tl_pb_next(&r, &f); i++) {
		if (i != k)
			continue;
		*ts = 0;
		*seq = *flags = 0;
		kind = 0;          /* interned data only */
		tl_pb_reader_init(&pr, f.data, f.len);
		while (tl_pb_next(&pr, &pf)) {
			if (pf.num == PF_TP_TIMESTAMP) *ts = pf.u;
			else if (pf.num == PF_TP_SEQ_ID) *seq = (uint32_t)pf.u;
			else if (pf.num == PF_TP_SEQ_FLAGS) *flags = (uint32_t)pf.u;
			else if (pf.num != PF_TP_INTERNED_DATA) kind = pf.num;
		}
		return kind;
	}
	return kind;
}

/* Preamble first; descriptors on PF_SEQ_TRACK; every event sequence opens
 * with a packet that clears it and snapshots its clock, and its events
 * follow it. */
static void test_packet_order(void **state)
{
	uint64_t ts;
	uint32_t seq, flags, kind;
	size_t first_tree = 0, first_bundle = 0, first_desc = 0, nseqs = 0;
	bool started[64] = { false };

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
		if (kind == PF_TP_TRACK_DESCRIPTOR) {
			assert_int_equal(seq, PF_SEQ_TRACK);
			first_desc = first_desc ? first_desc : k;
		}
		if (seq < PF_SEQ_TE_FIRST)
			continue;
		assert_true(seq < PF_SEQ_TE_FIRST + 64);
		if (!started[seq - PF_SEQ_TE_FIRST]) {
			assert_int_equal(kind, PF_TP_CLOCK_SNAPSHOT);
			assert_int_equal(flags, PF_SEQ_CLEARED);
			started[seq - PF_SEQ_TE_FIRST] = true;
			nseqs++;
		} else {
			assert_int_equal(kind, PF_TP_TRACK_EVENT);
			assert_int_equal(flags & PF_SEQ_CLEARED, 0);
		}
	}
	assert_true(first_tree && first_bundle && first_desc);
	assert_true(first_tree < first_bundle);   /* snapshot first */
	/* a sequence per track with events, numbered from PF_SEQ_TE_FIRST */
	for (size_t i = 0; i < nseqs; i++)
		assert_true(started[i]);
	assert_true(nseqs >= 6);  /* meta, 2 threads, loss, parallelism, queue... */
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

/* ---- the track-event writer, byte by byte ---- */

static void expect_bytes(const struct pb_writer *w, size_t *at, const uint8_t *want,
			 size_t n)
{
	assert_true(*at + n <= pb_size(w));
	for (size_t i = 0; i < n; i++)
		if (pb_data(w)[*at + i] != want[i])
			fail_msg("byte %zu of packet at %zu: %#x, want %#x", i, *at,
				 pb_data(w)[*at + i], want[i]);
	*at += n;
}

/* Sequence start, delta-timed events, a backwards event (absolute
 * BOOTTIME, leaving the clock alone), per-sequence interning of event
 * names, annotation names and string values. */
static void test_te_bytes(void **state)
{
	static const uint8_t start4[] = {
		0x0a, 0x20, 0x50, 0x04, 0x68, 0x01,               /* seq 4, cleared */
		0xda, 0x03, 0x07, 0xd0, 0x03, 0x40,               /* defaults: clock 64 */
		0x5a, 0x02, 0x58, 0x0a,                           /* track_uuid 10 */
		0x32, 0x10, 0x0a, 0x07, 0x08, 0x40, 0x10, 0xe8, 0x07, 0x18, 0x01,
		0x0a, 0x05, 0x08, 0x06, 0x10, 0xe8, 0x07 };       /* 64 = BOOTTIME = 1000 */
	static const uint8_t begin[] = {
		0x0a, 0x44, 0x40, 0x00, 0x50, 0x04, 0x68, 0x02,   /* +0, seq 4, needs */
		0x62, 0x29,                                       /* interned data: */
		0x12, 0x08, 0x08, 0x01, 0x12, 0x04, 'r', 'e', 'a', 'd',
		0x1a, 0x06, 0x08, 0x02, 0x12, 0x02, 'f', 'd',
		0x1a, 0x0a, 0x08, 0x06, 0x12, 0x06, 'r', 'e', 'a', 's', 'o', 'n',
		0xea, 0x01, 0x08, 0x08, 0x01, 0x12, 0x04, 'p', 'i', 'p', 'e',
		0x5a, 0x11, 0x48, 0x01, 0x50, 0x01,               /* BEGIN, name 1 */
		0x22, 0x04, 0x08, 0x02, 0x20, 0x03,               /* fd = 3 */
		0x22, 0x05, 0x08, 0x06, 0x88, 0x01, 0x01 };       /* reason = str 1 */
	static const uint8_t end[] = {
		0x0a, 0x09, 0x40, 0xac, 0x02, 0x50, 0x04, 0x5a, 0x02, 0x48, 0x02 };
	static const uint8_t back[] = {                           /* at 900: absolute */
		0x0a, 0x16, 0x40, 0x84, 0x07, 0xd0, 0x03, 0x06, 0x50, 0x04, 0x68, 0x02,
		0x5a, 0x0a, 0x48, 0x03, 0x50, 0x01, 0x22, 0x04, 0x08, 0x02, 0x20, 0x04 };
	static const uint8_t start5[] = {
		0x0a, 0x20, 0x50, 0x05, 0x68, 0x01, 0xda, 0x03, 0x07, 0xd0, 0x03, 0x40,
		0x5a, 0x02, 0x58, 0x0b,
		0x32, 0x10, 0x0a, 0x07, 0x08, 0x40, 0x10, 0xd0, 0x0f, 0x18, 0x01,
		0x0a, 0x05, 0x08, 0x06, 0x10, 0xd0, 0x0f };
	static const uint8_t counter[] = {
		0x0a, 0x0b, 0x40, 0x00, 0x50, 0x05, 0x5a, 0x05, 0x48, 0x04, 0xf0, 0x01, 0x05 };
	static const uint8_t again[] = {                          /* 1500 = 1300 + 200 */
		0x0a, 0x0d, 0x40, 0xc8, 0x01, 0x50, 0x04, 0x68, 0x02,
		0x5a, 0x04, 0x48, 0x01, 0x50, 0x01 };
	static const uint8_t named5[] = {                         /* "read" anew on seq 5 */
		0x0a, 0x18, 0x40, 0x64, 0x50, 0x05, 0x68, 0x02,
		0x62, 0x0a, 0x12, 0x08, 0x08, 0x01, 0x12, 0x04, 'r', 'e', 'a', 'd',
		0x5a, 0x04, 0x48, 0x03, 0x50, 0x01 };
	struct tl_pf_arg args[2] = {
		{ .name = PF_A_FD, .kind = PF_ARG_INT, .u = 3 },
		{ .name = PF_A_REASON, .kind = PF_ARG_STR, .s = "pipe" } };
	struct tl_pf_arg fd4 = { .name = PF_A_FD, .kind = PF_ARG_INT, .u = 4 };
	struct tl_pf_ev ev = { .ts = 1000, .track = 10, .type = PF_SLICE_BEGIN,
			       .name = "read", .args = args, .nargs = 2 };
	struct tl_pf_te_stats st;
	struct pb_writer w;
	struct tl_pf_te *te;
	size_t at = 0;

	(void)state;
	assert_int_equal(tl_pb_init_mem(&w, 64), 0);
	te = tl_pf_te_new(&w, 0);
	assert_non_null(te);
	tl_pf_te_event(te, &ev);
	expect_bytes(&w, &at, start4, sizeof(start4));
	expect_bytes(&w, &at, begin, sizeof(begin));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = 1300, .track = 10,
					       .type = PF_SLICE_END });
	expect_bytes(&w, &at, end, sizeof(end));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = 900, .track = 10, .type = PF_INSTANT,
					       .name = "read", .args = &fd4, .nargs = 1 });
	expect_bytes(&w, &at, back, sizeof(back));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = 2000, .track = 11,
					       .type = PF_COUNTER, .value = 5 });
	expect_bytes(&w, &at, start5, sizeof(start5));
	expect_bytes(&w, &at, counter, sizeof(counter));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = 1500, .track = 10,
					       .type = PF_SLICE_BEGIN, .name = "read" });
	expect_bytes(&w, &at, again, sizeof(again));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = 2100, .track = 11,
					       .type = PF_INSTANT, .name = "read" });
	expect_bytes(&w, &at, named5, sizeof(named5));
	assert_int_equal(at, pb_size(&w));
	tl_pf_te_stats(te, &st);
	assert_int_equal(st.sequences, 2);
	assert_int_equal(st.delta_events, 5);
	assert_int_equal(st.absolute_events, 1);
	tl_pf_te_free(te);
	assert_int_equal(tl_pb_close(&w), 0);
}

/* ---- absolute times back from a trace written with deltas ---- */

struct got_slice { uint64_t track, b, e; char name[16]; };
struct got { struct got_slice v[8]; unsigned n; };

static void on_got(void *ctx, uint64_t track, const char *name, uint64_t b, uint64_t e)
{
	struct got *g = ctx;

	if (g->n < 8) {
		g->v[g->n] = (struct got_slice){ track, b, e, "" };
		snprintf(g->v[g->n].name, sizeof(g->v[g->n].name), "%s", name);
		g->n++;
	}
}

static void te_trace(struct pb_writer *w)
{
	struct tl_rec_info info = { .kernel = "6.1", .boot_ns = 5 };
	struct tl_pf_te *te;
	uint64_t last = 0;

	assert_int_equal(tl_pb_init_mem(w, 256), 0);
	tl_pf_write_preamble(w, &info);
	te = tl_pf_te_new(w, 0);
	assert_non_null(te);
	tl_pf_te_named_track(te, 0x0b, 0, "lane", NULL, false);
	tl_pf_te_named_track(te, 0x0f, 0, "depth", NULL, true);
	assert_true(tl_pf_te_slice(te, &last, 0x0b, T0 + 1000, T0 + 1300, "read", NULL, 0));
	assert_true(tl_pf_te_slice(te, &last, 0x0b, T0 + 1500, T0 + 1600, "write", NULL, 0));
	tl_pf_te_event(te, &(struct tl_pf_ev){ .ts = T0 + 1200, .track = 0x0f,
					       .type = PF_COUNTER, .value = 7 });
	last = 0;   /* a slice earlier than the track's last event */
	assert_true(tl_pf_te_slice(te, &last, 0x0b, T0 + 500, T0 + 700, "early", NULL, 0));
	assert_true(tl_pf_te_slice(te, &last, 0x0b, T0 + 1700, T0 + 1800, "late", NULL, 0));
	tl_pf_te_free(te);
	assert_int_equal(pb_error(w), 0);
}

static void test_te_decode(void **state)
{
	struct pb_writer w;
	struct tl_pf_check ck;
	struct got g = { .n = 0 };
	struct tl_pf_check_cbs cbs = { .slice = on_got, .ctx = &g };
	char err[256] = "";

	(void)state;
	te_trace(&w);
	if (tl_pf_check_cb(pb_data(&w), pb_size(&w), &ck, &cbs, err, sizeof(err)))
		fail_msg("checker: %s", err);
	/* by track, then time: the checker rebuilt absolute BOOTTIME */
	assert_int_equal(g.n, 4);
	assert_string_equal(g.v[0].name, "early");
	assert_int_equal(g.v[0].b, T0 + 500);
	assert_int_equal(g.v[0].e, T0 + 700);
	assert_string_equal(g.v[1].name, "read");
	assert_int_equal(g.v[1].b, T0 + 1000);
	assert_int_equal(g.v[1].e, T0 + 1300);
	assert_string_equal(g.v[2].name, "write");
	assert_int_equal(g.v[2].b, T0 + 1500);
	assert_int_equal(g.v[2].e, T0 + 1600);
	assert_string_equal(g.v[3].name, "late");   /* clock kept at 1600 */
	assert_int_equal(g.v[3].b, T0 + 1700);
	assert_int_equal(g.v[3].e, T0 + 1800);
	for (unsigned i = 0; i < g.n; i++)
		assert_int_equal(g.v[i].track, 0x0b);
	assert_int_equal(ck.sequences, 2);
	assert_int_equal(ck.delta_packets, 7);       /* all but early's two */
	assert_int_equal(ck.default_track_events, 9);
	assert_int_equal(ck.counters, 1);
	tl_pb_close(&w);
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
	/* a task of no traced process, seen only in a switch, is no process */
	assert_true(count(t, "cmdline: \"intruder\"") == 0);
	assert_true(count(t, "next_comm: \"intruder\"") + count(t, "intern_table: \"intruder\"") >= 1);
	assert_true(count(t, "cmdline_is_comm: true") >= 1);  /* app at the snapshot */
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

/* ---- the same, from protoc's text (tests/common/protoc_text.h) ---- */

struct txt_slices {
	struct { char name[PT_NAME_LEN]; uint64_t b, e; } sl[64];
	unsigned n;
};

static void on_txt_slice(void *ctx, uint64_t track, const char *name, uint64_t b,
			 uint64_t e)
{
	struct txt_slices *t = ctx;

	(void)track;
	if (t->n < 64) {
		snprintf(t->sl[t->n].name, PT_NAME_LEN, "%s", name);
		t->sl[t->n].b = b;
		t->sl[t->n].e = e;
	}
	t->n++;
}

static void test_protoc_times(void **state)
{
	char cmd[512], line[512];
	struct txt_slices *t = calloc(1, sizeof(*t));
	struct pt_text *pt = pt_new(on_txt_slice, t);
	unsigned futex = 0, recv = 0;
	FILE *p;

	(void)state;
	if (access(PROTO, R_OK))
		skip();
	assert_non_null(t);
	assert_non_null(pt);
	snprintf(cmd, sizeof(cmd), "protoc --decode=perfetto.protos.Trace "
		 "--proto_path=tests/proto %s < %s", PROTO, out_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p))
		pt_line(pt, line);
	assert_int_equal(pclose(p), 0);
	assert_false(pt->bad_clock);
	for (unsigned i = 0; i < t->n && i < 64; i++) {
		if (!strcmp(t->sl[i].name, "futex_wait")) {
			futex++;
			assert_int_equal(t->sl[i].b, T0 + 1150);
			assert_int_equal(t->sl[i].e, T0 + 1450);
		}
		if (!strcmp(t->sl[i].name, "recvfrom")) {
			recv++;
			assert_int_equal(t->sl[i].b, T0 + 1210);
			assert_int_equal(t->sl[i].e, T0 + 1220);
		}
		if (!strcmp(t->sl[i].name, "job")) {
			assert_int_equal(t->sl[i].b, T0 + 1650);
			assert_int_equal(t->sl[i].e, T0 + 1700);
		}
	}
	assert_int_equal(futex, 1);
	assert_int_equal(recv, 1);
	assert_int_equal(t->n, 3);
	pt_free(pt);
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
	assert_int_equal(tl_pb_init_mem(&w, 256), 0);
	tl_pf_write_preamble(&w, &info);
	tl_pf_packet_begin(&w, 10, 0, 0);      /* a TrackEvent without sequence */
	tl_pb_begin(&w, PF_TP_TRACK_EVENT);
	pb_varint(&w, PF_TE_TYPE, PF_INSTANT);
	tl_pb_end(&w);
	tl_pf_packet_end(&w);
	assert_int_equal(tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "sequence"));
	tl_pb_close(&w);
	/* a bundle without cpu */
	assert_int_equal(tl_pb_init_mem(&w, 256), 0);
	tl_pf_write_preamble(&w, &info);
	tl_pf_packet_begin(&w, 0, 1, 0);
	tl_pb_begin(&w, PF_TP_FTRACE_EVENTS);
	tl_pb_end(&w);
	tl_pf_packet_end(&w);
	assert_int_equal(tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "cpu"));
	tl_pb_close(&w);
}

/* A trace: preamble, a slice track 0x0b, then what `body` writes. */
static int check_te_case(void (*body)(struct pb_writer *), char *err, size_t errlen)
{
	struct pb_writer w;
	struct tl_pf_check ck;
	struct tl_rec_info info = { .kernel = "6.1", .boot_ns = 5 };
	int e;

	assert_int_equal(tl_pb_init_mem(&w, 256), 0);
	tl_pf_write_preamble(&w, &info);
	tl_pf_packet_begin(&w, 0, PF_SEQ_TRACK, 0);
	tl_pb_begin(&w, PF_TP_TRACK_DESCRIPTOR);
	pb_varint(&w, PF_TD_UUID, 0x0b);
	tl_pb_string(&w, PF_TD_NAME, "lane");
	tl_pb_end(&w);
	tl_pf_packet_end(&w);
	body(&w);
	e = tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, errlen);
	tl_pb_close(&w);
	return e;
}

static void seq_start(struct pb_writer *w, uint32_t seq, bool incremental_boot)
{
	tl_pf_packet_begin(w, 0, seq, PF_SEQ_CLEARED);
	tl_pb_begin(w, PF_TP_DEFAULTS);
	pb_varint(w, PF_DEF_CLOCK_ID, PF_CLOCK_TE);
	tl_pb_begin(w, PF_DEF_TRACK_EVENT);
	pb_varint(w, PF_TED_TRACK_UUID, 0x0b);
	tl_pb_end(w);
	tl_pb_end(w);
	tl_pb_begin(w, PF_TP_CLOCK_SNAPSHOT);
	tl_pb_begin(w, PF_CS_CLOCKS);
	pb_varint(w, PF_CLK_ID, incremental_boot ? PF_CLOCK_BOOTTIME : PF_CLOCK_TE);
	pb_varint(w, PF_CLK_TS, 1000);
	pb_varint(w, PF_CLK_INCREMENTAL, 1);
	tl_pb_end(w);
	tl_pb_begin(w, PF_CS_CLOCKS);
	pb_varint(w, PF_CLK_ID, PF_CLOCK_BOOTTIME);
	pb_varint(w, PF_CLK_TS, 1000);
	tl_pb_end(w);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}

static void instant(struct pb_writer *w, uint32_t seq, uint32_t flags, int track)
{
	tl_pf_packet_begin(w, 10, seq, flags);
	tl_pb_begin(w, PF_TP_TRACK_EVENT);
	pb_varint(w, PF_TE_TYPE, PF_INSTANT);
	if (track)
		pb_varint(w, PF_TE_TRACK_UUID, (uint64_t)track);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}

static void case_ok(struct pb_writer *w) { seq_start(w, 7, false); instant(w, 7, 0, 0); }
static void case_no_snapshot(struct pb_writer *w)
{
	tl_pf_packet_begin(w, 0, 7, PF_SEQ_CLEARED);
	tl_pb_begin(w, PF_TP_DEFAULTS);
	pb_varint(w, PF_DEF_CLOCK_ID, PF_CLOCK_TE);
	tl_pb_end(w);
	tl_pf_packet_end(w);
	instant(w, 7, 0, 0x0b);
}
static void case_other_seq(struct pb_writer *w)
{
	seq_start(w, 7, false);
	tl_pf_packet_begin(w, 0, 8, PF_SEQ_CLEARED);  /* no snapshot on seq 8 */
	tl_pb_begin(w, PF_TP_DEFAULTS);
	pb_varint(w, PF_DEF_CLOCK_ID, PF_CLOCK_TE);
	tl_pb_end(w);
	tl_pf_packet_end(w);
	instant(w, 8, 0, 0x0b);
}
static void case_needs(struct pb_writer *w) { instant(w, 7, PF_SEQ_NEEDS, 0x0b); }
static void case_cleared_again(struct pb_writer *w)
{
	seq_start(w, 7, false);
	tl_pf_packet_begin(w, 0, 7, PF_SEQ_CLEARED);  /* the defaults are gone */
	tl_pf_packet_end(w);
	instant(w, 7, 0, 0);
}
static void case_incremental_boot(struct pb_writer *w) { seq_start(w, 7, true); }
static void case_data_in_snapshot(struct pb_writer *w)
{
	seq_start(w, 7, false);
	tl_pf_packet_begin(w, 0, 7, 0);
	tl_pb_begin(w, PF_TP_CLOCK_SNAPSHOT);
	tl_pb_begin(w, PF_CS_CLOCKS);
	pb_varint(w, PF_CLK_ID, PF_CLOCK_BOOTTIME);
	pb_varint(w, PF_CLK_TS, 2000);
	tl_pb_end(w);
	tl_pb_end(w);
	tl_pb_begin(w, PF_TP_TRACK_EVENT);
	pb_varint(w, PF_TE_TYPE, PF_INSTANT);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}
static void case_string_iid(struct pb_writer *w)
{
	seq_start(w, 7, false);
	tl_pf_packet_begin(w, 10, 7, PF_SEQ_NEEDS);
	tl_pb_begin(w, PF_TP_TRACK_EVENT);
	pb_varint(w, PF_TE_TYPE, PF_INSTANT);
	tl_pb_begin(w, PF_TE_DEBUG);
	tl_pb_string(w, PF_DA_NAME, "k");
	pb_varint(w, PF_DA_STRING_IID, 3);
	tl_pb_end(w);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}

/* The checker follows sequence clocks and defaults, and refuses what the
 * importer would drop or misplace. */
static void test_checker_sequences(void **state)
{
	char err[256] = "";

	(void)state;
	if (check_te_case(case_ok, err, sizeof(err)))
		fail_msg("checker: %s", err);
	assert_int_equal(check_te_case(case_no_snapshot, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "no ClockSnapshot"));
	assert_int_equal(check_te_case(case_other_seq, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "sequence 8"));
	assert_int_equal(check_te_case(case_needs, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "not cleared"));
	assert_int_equal(check_te_case(case_cleared_again, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "undeclared track"));
	assert_int_equal(check_te_case(case_incremental_boot, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "incremental"));
	assert_int_equal(check_te_case(case_data_in_snapshot, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "ClockSnapshot packet"));
	assert_int_equal(check_te_case(case_string_iid, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "string iid 3"));
}

/* waking_common_flags: left out of a bundle whose wakings all have flags
 * 0 (the importer reads an absent array as zeros), else written whole. */
static size_t compact_flags(bool irq_in_middle, size_t *nwakings)
{
	struct pb_writer w;
	struct tl_pf_sched *s;
	struct tl_switch sw0;
	struct tl_waking wk;
	struct pb_reader r, br, cr;
	struct pb_field f, bf, cf;
	size_t nflags = SIZE_MAX;

	assert_int_equal(tl_pb_init_mem(&w, 256), 0);
	s = tl_pf_sched_new(&w, 1, 0);
	assert_non_null(s);
	hdr(&sw0.h, TL_SWITCH, sizeof(sw0), T0 + 0, 0, 0, 0);
	sw0.next_tid = sw0.next_tgid = 10;
	sw0.prev_prio = sw0.next_prio = 120;
	sw0.why.sys_nr = -1;
	snprintf(sw0.next_comm, sizeof(sw0.next_comm), "w");
	tl_pf_sched_record(s, &sw0.h);
	for (int i = 0; i < 3; i++) {
		hdr(&wk.h, TL_WAKING, sizeof(wk), T0 + (100 + (uint64_t)i), 0, 10, 10);
		wk.h.flags = irq_in_middle && i == 1 ? TL_HDR_F_IRQ : 0;
		wk.tid = wk.tgid = 11;
		wk.prio = 120;
		snprintf(wk.comm, sizeof(wk.comm), "x");
		tl_pf_sched_record(s, &wk.h);
	}
	tl_pf_sched_finish(s);
	*nwakings = 0;
	tl_pb_reader_init(&r, pb_data(&w), pb_size(&w));
	while (tl_pb_next(&r, &f)) {
		tl_pb_reader_init(&br, f.data, f.len);
		while (tl_pb_next(&br, &bf)) {
			if (bf.num != PF_TP_FTRACE_EVENTS)
				continue;
			tl_pb_reader_init(&cr, bf.data, bf.len);
			while (tl_pb_next(&cr, &cf)) {
				struct pb_reader xr;
				struct pb_field xf;

				if (cf.num != PF_FB_COMPACT)
					continue;
				tl_pb_reader_init(&xr, cf.data, cf.len);
				while (tl_pb_next(&xr, &xf)) {
					if (xf.num == PF_CS_WK_PID)
						*nwakings += xf.len;  /* 1 byte each */
					if (xf.num == PF_CS_WK_FLAGS) {
						nflags = xf.len;
						assert_int_equal(xf.data[1], irq_in_middle ? 8 : 0);
					}
				}
			}
		}
	}
	tl_pf_sched_free(s);
	tl_pb_close(&w);
	return nflags;
}

static void test_waking_flags(void **state)
{
	size_t n;

	(void)state;
	assert_int_equal(compact_flags(false, &n), SIZE_MAX);   /* absent */
	assert_int_equal(n, 3);
	assert_int_equal(compact_flags(true, &n), 3);           /* 0, 8, 0 */
	assert_int_equal(n, 3);
}

static void test_json(void **state)
{
	char err[256], cmd[256];
	size_t len = 0;
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

/* A waker that wakes more threads than PF_SLICE_FLOWS after its one
 * blocking slice: that many flows leave it, each ending at its wakee's
 * slice, found with the edges read once (as the export loads a model). */
static void test_flow_caps(void **state)
{
	enum { WAKEES = PF_SLICE_FLOWS + 6 };
	struct tl_model_opts o = { .wakeup_edges_read_once = true };
	struct tl_model *m = tl_model_new(&o);
	struct tl_rec_info info = { .ncpus = 2, .boot_ns = T0 };
	struct tl_pf_track_stats st;
	struct tl_pf_check ck;
	struct pb_writer w;
	char err[256] = "";

	(void)state;
	assert_non_null(m);
	assert_int_equal(tl_model_feed(m, TR_SNAP(.ts = T0, .tid = 100, .pid = 100,
						  .on_cpu = true, .comm = "waker")), 0);
	for (uint32_t k = 0; k < WAKEES; k++)
		assert_int_equal(tl_model_feed(m, TR_SNAP(.ts = T0, .tid = 200 + k, .pid = 100,
							  .state = 1, .nr = 202,
							  .a0 = 0x1000 + 8 * k,
							  .comm = "wakee")), 0);
	/* 100 waits on a futex from 1 ms to 2 ms, runs again at 3 ms */
	assert_int_equal(tl_model_feed(m, TR_SWITCH(.ts = T0 + 1000000, .prev = 100,
						    .prev_pid = 100, .state = 1, .nr = 202,
						    .a0 = 0x9000)), 0);
	assert_int_equal(tl_model_feed(m, TR_WAKING(.ts = T0 + 2000000, .irq = true,
						    .wakee = 100, .wakee_pid = 100)), 0);
	assert_int_equal(tl_model_feed(m, TR_SWITCH(.ts = T0 + 3000000, .next = 100,
						    .next_pid = 100)), 0);
	for (uint32_t k = 0; k < WAKEES; k++)
		assert_int_equal(tl_model_feed(m, TR_WAKING(.ts = T0 + 4000000 + 10000 * k,
							    .waker = 100, .waker_pid = 100,
							    .wakee = 200 + k, .wakee_pid = 100,
							    .target_cpu = 1)), 0);
	assert_int_equal(tl_model_finish(m, T0 + 10000000), 0);
	assert_int_equal(tl_pb_init_mem(&w, 1 << 16), 0);
	tl_pf_write_preamble(&w, &info);
	assert_int_equal(tl_pf_write_tracks(&w, m, &info, 0, &st), 0);
	assert_int_equal(st.flows, PF_SLICE_FLOWS);
	if (tl_pf_check(pb_data(&w), pb_size(&w), &ck, err, sizeof(err)))
		fail_msg("checker: %s", err);
	assert_int_equal(ck.flows, PF_SLICE_FLOWS);
	tl_pb_close(&w);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_and_counts),
		cmocka_unit_test(test_bytes_per_sched_event),
		cmocka_unit_test(test_packet_order),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_te_bytes),
		cmocka_unit_test(test_te_decode),
		cmocka_unit_test(test_protoc),
		cmocka_unit_test(test_protoc_times),
		cmocka_unit_test(test_prev_state),
		cmocka_unit_test(test_checker_refuses),
		cmocka_unit_test(test_checker_sequences),
		cmocka_unit_test(test_waking_flags),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_flow_caps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
