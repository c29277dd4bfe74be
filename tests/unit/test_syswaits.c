/* test_syswaits.c - the syscalls a thread blocked in (analysis/syswaits.h)
 * from a synthetic stream: counts, totals and longest per syscall and
 * object, the waker that ended them, the socket's far end from its
 * TL_SOCK_PEER record, and an fd reused for another socket; the report's
 * section and the model's peers by (PID, fd, time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "userspace/analysis/syswaits.h"
#include "userspace/model/model.h"
#include "userspace/report/report.h"
#include "records.h"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define CLIENT 201  /* thread of process 200 that blocks */
#define SERVER 101  /* thread of process 100 that wakes it */
#define LOOPBACK 0x7f000001u

static void feed(struct tl_model *m, const void *rec)
{
	assert_int_equal(tl_model_feed(m, rec), 0);
}

/* The client blocks from b to e (ms) in syscall nr on a0 (fd kind k),
 * woken by SERVER, or from an interrupt when irq; runs again 1 ms later. */
static void block(struct tl_model *m, uint64_t b, uint64_t e, int32_t nr, uint64_t a0,
		  uint32_t k, bool irq)
{
	feed(m, TR_SWITCH(.ts = MS(b), .cpu = 0, .prev = CLIENT, .prev_pid = 200,
			  .state = 1, .nr = nr, .a0 = a0, .fd_kind = k, .next = 0));
	if (irq)
		feed(m, TR_WAKING(.ts = MS(e), .cpu = 0, .wakee = CLIENT, .wakee_pid = 200,
				  .irq = true));
	else
		feed(m, TR_WAKING(.ts = MS(e), .cpu = 1, .waker = SERVER, .waker_pid = 100,
				  .wakee = CLIENT, .wakee_pid = 200));
	feed(m, TR_SWITCH(.ts = MS(e + 1), .cpu = 0, .prev = 0, .next = CLIENT,
			  .next_pid = 200));
}

/* read on socket fd 5 (127.0.0.1:8080) three times, then on fd 5 again
 * after it was reused for 127.0.0.1:9090, on a pipe, on a futex. */
static struct tl_model *scenario(void)
{
	struct tl_model *m = tl_model_new(NULL);

	feed(m, TR_SNAP(.ts = MS(1), .cpu = 0, .tid = CLIENT, .pid = 200, .on_cpu = true,
			.comm = "client"));
	feed(m, TR_SNAP(.ts = MS(1), .cpu = 1, .tid = SERVER, .pid = 100, .on_cpu = true,
			.comm = "server"));
	feed(m, TR_SOCK_PEER(.ts = MS(10), .tid = CLIENT, .pid = 200, .fd = 5, .ino = 1000,
			     .sport = 40000, .dport = 8080, .a4 = LOOPBACK));
	block(m, 10, 15, TL_NR_READ, 5, TL_FD_SOCKET, false);   /* 5 ms */
	block(m, 20, 30, TL_NR_READ, 5, TL_FD_SOCKET, false);   /* 10 ms */
	block(m, 40, 41, TL_NR_READ, 5, TL_FD_SOCKET, true);    /* 1 ms, timer */
	feed(m, TR_SOCK_PEER(.ts = MS(50), .tid = CLIENT, .pid = 200, .fd = 5, .ino = 1001,
			     .sport = 40002, .dport = 9090, .a4 = LOOPBACK));
	block(m, 50, 52, TL_NR_READ, 5, TL_FD_SOCKET, false);   /* 2 ms, new socket */
	block(m, 60, 65, TL_NR_READ, 3, TL_FD_PIPE, false);     /* 5 ms */
	block(m, 70, 72, TL_NR_FUTEX, 0x1000, TL_FD_NONE, false); /* 2 ms */
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	return m;
}

static const struct tl_thread *client(const struct tl_model *m)
{
	const struct tl_thread *t = tl_model_find_thread(m, CLIENT, 0);

	assert_non_null(t);
	return t;
}

static void test_rows_by_syscall_and_object(void **state)
{
	struct tl_model *m = scenario();
	struct tl_syswait *w;
	size_t n;
	char buf[128];

	(void)state;
	assert_int_equal(tl_thread_syswaits(m, NULL, client(m), &w, &n), 0);
	assert_int_equal(n, 4);
	/* the first socket: three blocks, two ended by the server */
	assert_int_equal(w[0].sys_nr, TL_NR_READ);
	assert_int_equal(w[0].why, TL_WHY_SOCKET);
	assert_int_equal(w[0].obj, 5);
	assert_int_equal(w[0].count, 3);
	assert_int_equal(w[0].total_ns, MS(16));
	assert_int_equal(w[0].longest_ns, MS(10));
	assert_int_equal(w[0].longest_ts, MS(20));
	assert_int_equal(w[0].top_waker, SERVER);
	assert_int_equal(w[0].top_waker_n, 2);
	assert_int_equal(w[0].top_waker_pid, 100);
	assert_int_equal(w[0].wakers, 1);
	assert_int_equal(w[0].irq_wakes, 1);
	assert_non_null(w[0].peer);
	assert_int_equal(w[0].peer->ino, 1000);
	assert_string_equal(tl_syswait_obj(&w[0], buf, sizeof(buf)), "fd 5 tcp 127.0.0.1:8080");
	/* the pipe */
	assert_int_equal(w[1].fd_kind, TL_FD_PIPE);
	assert_int_equal(w[1].count, 1);
	assert_int_equal(w[1].total_ns, MS(5));
	assert_null(w[1].peer);
	assert_int_equal(w[1].top_waker, SERVER);
	assert_string_equal(tl_syswait_obj(&w[1], buf, sizeof(buf)), "fd 3 pipe");
	/* fd 5 reused: its own row, with the new far end; then the futex
	 * (as long: read sorts before futex) */
	assert_int_equal(w[2].sys_nr, TL_NR_READ);
	assert_int_equal(w[2].total_ns, MS(2));
	assert_non_null(w[2].peer);
	assert_int_equal(w[2].peer->dport, 9090);
	assert_string_equal(tl_syswait_obj(&w[2], buf, sizeof(buf)), "fd 5 tcp 127.0.0.1:9090");
	assert_int_equal(w[3].sys_nr, TL_NR_FUTEX);
	assert_int_equal(w[3].obj, 0x1000);
	assert_int_equal(w[3].total_ns, MS(2));
	assert_string_equal(tl_syswait_obj(&w[3], buf, sizeof(buf)), "futex 0x1000");
	free(w);
	tl_model_free(m);
}

static void test_peer_in_force_by_pid_fd_and_time(void **state)
{
	struct tl_model *m = scenario();

	(void)state;
	assert_int_equal(tl_model_npeers(m), 2);
	assert_null(tl_model_peer_at(m, 200, 5, MS(9)));     /* before any */
	assert_int_equal(tl_model_peer_at(m, 200, 5, MS(10))->dport, 8080);
	assert_int_equal(tl_model_peer_at(m, 200, 5, MS(49))->dport, 8080);
	assert_int_equal(tl_model_peer_at(m, 200, 5, MS(50))->dport, 9090);
	assert_int_equal(tl_model_peer_at(m, 200, 5, MS(99))->ino, 1001);
	assert_null(tl_model_peer_at(m, 200, 6, MS(60)));    /* another fd */
	assert_null(tl_model_peer_at(m, 100, 5, MS(60)));    /* another process */
	tl_model_free(m);
}

static void test_peer_text(void **state)
{
	static const uint8_t v6[16] = { [15] = 1 };
	struct tl_peer p = { .family = 2, .type = 1, .state = 10, .sport = 8080 };
	char buf[96];

	(void)state;
	assert_string_equal(tl_peer_text(&p, buf, sizeof(buf)), "listening :8080");
	p = (struct tl_peer){ .family = 10, .type = 1, .state = 1, .dport = 443 };
	memcpy(p.daddr, v6, 16);
	assert_string_equal(tl_peer_text(&p, buf, sizeof(buf)), "[::1]:443");
	assert_string_equal(tl_peer_proto(&p), "tcp6");
	p = (struct tl_peer){ .family = 2, .type = 2, .sport = 5353 };
	assert_string_equal(tl_peer_text(&p, buf, sizeof(buf)), "unconnected :5353");
	assert_string_equal(tl_peer_proto(&p), "udp");
	p = (struct tl_peer){ .family = 1, .type = 1, .peer_pid = 812 };
	assert_string_equal(tl_peer_text(&p, buf, sizeof(buf)), "peer pid 812");
	assert_string_equal(tl_peer_proto(&p), "unix");
}

/* A thread that never blocked in a syscall has no rows. */
static void test_no_rows(void **state)
{
	struct tl_model *m = scenario();
	const struct tl_thread *s = tl_model_find_thread(m, SERVER, 0);
	struct tl_syswait *w = (void *)1;
	size_t n = 9;

	(void)state;
	assert_int_equal(tl_thread_syswaits(m, NULL, s, &w, &n), 0);
	assert_int_equal(n, 0);
	assert_null(w);
	tl_model_free(m);
}

/* The report's section names the socket's far end and the waker. */
static void test_report_section(void **state)
{
	struct tl_model *m = scenario();
	struct tl_report_waits rw;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(tl_report_waits_init(&rw, m, 0), 0);
	assert_int_equal(tl_report_syswaits_text(f, &rw, NULL, 100, false, true), 0);
	fclose(f);
	assert_non_null(strstr(text, "Syscalls blocked in"));
	assert_non_null(strstr(text, "client (201) of client (200): 25.0ms in 6 blocking"));
	assert_non_null(strstr(text, "fd 5 tcp 127.0.0.1:8080"));
	assert_non_null(strstr(text, "woken by server (101) of server (100) 2 of 3, "
				     "interrupt/timer 1"));
	assert_non_null(strstr(text, "(1 more)"));      /* four rows, three shown */
	assert_null(strstr(text, "futex 0x1000"));
	free(text);
	f = open_memstream(&text, &len);
	assert_int_equal(tl_report_syswaits_text(f, &rw, NULL, 100, true, true), 0);
	fclose(f);
	assert_non_null(strstr(text, "0x1000 (futex)")); /* named: no maps */
	free(text);
	tl_report_waits_fini(&rw);
	tl_model_free(m);
}

static char *section(const struct tl_model *m, bool all, bool grouped)
{
	struct tl_report_waits rw;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_int_equal(tl_report_waits_init(&rw, m, 0), 0);
	assert_int_equal(tl_report_syswaits_text(f, &rw, NULL, 100, all, grouped), 0);
	fclose(f);
	tl_report_waits_fini(&rw);
	return text;
}

/* Four workers named alike: on the first screen the one blocked longest
 * stands for the others, unless --threads all (grouped false). */
static void test_report_groups_alike(void **state)
{
	struct tl_model *m = tl_model_new(NULL);
	char *text;

	(void)state;
	for (uint32_t i = 1; i <= 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "worker-%u", i);
		feed(m, TR_SNAP(.ts = MS(1), .cpu = 0, .tid = 300 + i, .pid = 300,
				.state = 1, .nr = TL_NR_READ, .a0 = 3, .fd_kind = TL_FD_PIPE,
				.comm = name));
	}
	for (uint32_t i = 1; i <= 4; i++)
		feed(m, TR_WAKING(.ts = MS(10 * i), .cpu = 1, .waker = 400, .waker_pid = 400,
				  .wakee = 300 + i, .wakee_pid = 300));
	assert_int_equal(tl_model_finish(m, MS(100)), 0);
	text = section(m, false, true);
	assert_non_null(strstr(text, "worker-4 (304) of "));  /* blocked longest */
	assert_null(strstr(text, "worker-1 (301)"));
	assert_non_null(strstr(text, "(and 3 more worker-N threads alike, 57.0ms in total)"));
	free(text);
	text = section(m, false, false);
	assert_non_null(strstr(text, "worker-1 (301)"));
	assert_null(strstr(text, "alike"));
	free(text);
	tl_model_free(m);
}

/* report --json: every row, with the far end and the waker. */
static void test_report_json(void **state)
{
	struct tl_model *m = scenario();
	struct tl_report_opts o = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_int_equal(tl_report_json(f, m, NULL, &o), 0);
	fclose(f);
	assert_non_null(strstr(text, "\"syscall_waits\": ["));
	assert_non_null(strstr(text, "\"object\": \"fd 5 tcp 127.0.0.1:8080\""));
	assert_non_null(strstr(text, "\"remote_port\": 9090"));
	assert_non_null(strstr(text, "\"fd_kind\": \"pipe\""));
	assert_non_null(strstr(text, "\"top_waker_pid\": 100"));
	assert_non_null(strstr(text, "\"irq_wakes\": 1"));
	free(text);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_by_syscall_and_object),
		cmocka_unit_test(test_peer_in_force_by_pid_fd_and_time),
		cmocka_unit_test(test_peer_text),
		cmocka_unit_test(test_no_rows),
		cmocka_unit_test(test_report_section),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_report_groups_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
