/* test_demos_e.c - the IPC demos (E1-E7) run under the real tracer; each
 * test asserts the demo's kernel-visible signature from the model (who
 * blocks in what, who wakes whom, signals, socket syscalls), never from the
 * demo's own output. Tolerances fit a noisy 2-core machine. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "harness.h"
#include "userspace/analysis/syswaits.h"

/* Blocked intervals of t for reason why, at least min_ns long, ended by a
 * wakeup from `waker` (0: any waker). */
static size_t woken_blocks(const struct tl_thread *t, enum tl_reason why,
			   uint32_t waker, uint64_t min_ns)
{
	size_t n = 0;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;

		if ((iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT) ||
		    iv->block->why != why || iv->end - iv->start < min_ns)
			continue;
		n += !waker || iv->waker == waker;
	}
	return n;
}

static void test_e1_pipe(void **state)
{
	const struct tl_thread *parent, *reader, *child;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e1_pipe");
	parent = dc_main(&r);
	reader = dc_only_thread(dc_proc(&r, "pipe-reader"));
	/* the reader Sleeping in read on the pipe, woken by the writer (the
	 * parent, another process), once per message spaced 50 ms apart */
	assert_true(woken_blocks(reader, TL_WHY_PIPE, parent->tid, TH_MS(20)) >= 4);
	assert_true(tl_model_count_wakeups(r.m, parent->tid, reader->tid, 0, 0) >= 4);
	/* duplex: each side waits in recvfrom for the other in turn */
	child = dc_only_thread(dc_proc(&r, "duplex-child"));
	assert_true(woken_blocks(child, TL_WHY_SOCKET, parent->tid, TH_MS(20)) >= 2);
	assert_true(woken_blocks(parent, TL_WHY_SOCKET, child->tid, TH_MS(20)) >= 2);
	th_free(&r);
}

/* t's syscall-wait row for syscall nr on an fd of kind k with the most
 * blocks, copied to *out; false if none. */
static bool syswait_row(const struct th_run *r, const struct tl_thread *t, int nr,
			uint32_t k, struct tl_syswait *out)
{
	struct tl_syswait *w;
	size_t n;
	bool found = false;

	assert_int_equal(tl_thread_syswaits(r->m, NULL, t, &w, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (w[i].sys_nr == nr && w[i].fd_kind == k &&
		    (!found || w[i].count > out->count)) {
			*out = w[i];
			found = true;
		}
	free(w);
	return found;
}

/* E1's syscall waits, from the switch records alone: the reader blocked
 * in read on the pipe once per message (5, 50 ms apart, and the EOF at
 * most), woken by the writer; the duplex child in recvfrom on a Unix
 * socket made by the parent, woken by the parent. */
static void test_e1_syscall_waits(void **state)
{
	const struct tl_thread *parent, *reader, *child;
	struct tl_syswait w;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e1_pipe");
	parent = dc_main(&r);
	reader = dc_only_thread(dc_proc(&r, "pipe-reader"));
	assert_true(syswait_row(&r, reader, dc_nr("read"), TL_FD_PIPE, &w));
	print_message("reader: %u reads on the pipe, %.1f ms, longest %.1f ms, "
		      "%u woken by the writer\n", w.count, w.total_ns / 1e6,
		      w.longest_ns / 1e6, w.top_waker_n);
	assert_in_range(w.count, 4, 6);
	assert_null(w.peer);
	assert_int_equal(w.top_waker, parent->tid);
	assert_int_equal(w.top_waker_pid, r.root->pid);
	assert_true(w.top_waker_n >= 4);
	/* five gaps of 50 ms: sleeps only get longer on a busy machine */
	assert_true(w.longest_ns >= TH_MS(30) && w.longest_ns < TH_MS(2000));
	assert_true(w.total_ns >= TH_MS(150) && w.total_ns < TH_MS(5000));
	/* duplex: the child's far end is a Unix socket whose credentials
	 * are the parent's (it made the pair); the parent wakes it */
	child = dc_only_thread(dc_proc(&r, "duplex-child"));
	assert_true(syswait_row(&r, child, dc_nr("recvfrom"), TL_FD_SOCKET, &w));
	assert_in_range(w.count, 2, 3);
	assert_non_null(w.peer);
	assert_int_equal(w.peer->family, 1);  /* AF_UNIX */
	assert_int_equal(w.peer->type, 5);    /* SOCK_SEQPACKET */
	assert_int_equal(w.peer->peer_pid, r.root->pid);
	assert_int_equal(w.top_waker, parent->tid);
	assert_true(w.longest_ns >= TH_MS(30));
	th_free(&r);
}

static void test_e2_fifo(void **state)
{
	const struct tl_thread *reader, *writer;
	const struct tl_process *rp, *wp;
	int nr_openat = dc_nr("openat");
	bool open_wait = false;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e2_fifo");
	rp = dc_proc(&r, "fifo-reader");
	wp = dc_proc(&r, "fifo-writer");
	/* siblings: neither is the other's parent */
	assert_ptr_equal(rp->parent, r.root);
	assert_ptr_equal(wp->parent, r.root);
	reader = dc_only_thread(rp);
	writer = dc_only_thread(wp);
	/* the reader blocks in openat until the writer opens the FIFO */
	for (size_t i = 0; i < reader->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(reader, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state == TL_ST_SLEEPING && iv->block->sys_nr == nr_openat &&
		    iv->end - iv->start >= TH_MS(20) && iv->waker == writer->tid)
			open_wait = true;
	}
	assert_true(open_wait);
	/* then in read on the FIFO until each write */
	assert_true(woken_blocks(reader, TL_WHY_PIPE, writer->tid, TH_MS(20)) >= 4);
	th_free(&r);
}

static void test_e3_signals(void **state)
{
	const struct tl_thread *parent, *recv_t;
	size_t sent = 0, delivered = 0;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e3_signals");
	parent = dc_main(&r);
	recv_t = dc_only_thread(dc_proc(&r, "receiver"));
	for (size_t i = 0; i < tl_model_nsignals(r.m); i++) {
		const struct tl_signal_ev *s = tl_model_signal(r.m, i);

		if (s->sig != SIGUSR1 || s->target != recv_t->tid)
			continue;
		if (s->delivered)
			delivered += s->handler > 1; /* a real handler, not default/ignore */
		else
			sent += s->sender == parent->tid;
	}
	/* five SIGUSR1 from the parent, five handler runs in the receiver */
	assert_int_equal(sent, 5);
	assert_int_equal(delivered, 5);
	/* the receiver Sleeping in rt_sigsuspend, woken by the sender */
	assert_true(woken_blocks(recv_t, TL_WHY_SIGNAL, parent->tid, TH_MS(30)) >= 4);
	assert_int_equal(dc_last_blocked(recv_t, TL_WHY_SIGNAL)->block->sys_nr,
			 dc_nr("rt_sigsuspend"));
	th_free(&r);
}

static void test_e4_mqueue(void **state)
{
	const struct tl_thread *recv_t, *send_t;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e4_mqueue");
	recv_t = dc_only_thread(dc_proc(&r, "mq-receiver"));
	send_t = dc_only_thread(dc_proc(&r, "mq-sender"));
	/* receiver Sleeping in mq_timedreceive until each send (60 ms apart) */
	assert_true(woken_blocks(recv_t, TL_WHY_IPC, send_t->tid, TH_MS(30)) >= 5);
	assert_int_equal(dc_longest_blocked(recv_t, TL_WHY_IPC)->block->sys_nr,
			 dc_nr("mq_timedreceive"));
	th_free(&r);
}

/* Whether some futex address waited on by a is also waited on by b. */
static bool share_futex(const struct tl_thread *a, const struct tl_thread *b)
{
	for (size_t i = 0; i < a->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(a, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state == TL_ST_SLEEPING && iv->block->why == TL_WHY_FUTEX &&
		    iv->block->has_obj &&
		    dc_count_blocked(b, TL_WHY_FUTEX, true, iv->block->obj, 0, 0) > 0)
			return true;
	}
	return false;
}

static void test_e5_shared_memory(void **state)
{
	const struct tl_thread *w1, *w2;
	const struct tl_process *p1, *p2;
	struct th_run r;

	(void)state;
	dc_run_ok(&r, "e5_shared_memory");
	p1 = dc_proc(&r, "worker-1");
	p2 = dc_proc(&r, "worker-2");
	assert_int_not_equal(p1->pid, p2->pid);
	w1 = dc_only_thread(p1);
	w2 = dc_only_thread(p2);
	/* both processes wait on the same lock and wake each other */
	assert_true(dc_count_blocked(w1, TL_WHY_FUTEX, false, 0, 0, 0) >= 5);
	assert_true(dc_count_blocked(w2, TL_WHY_FUTEX, false, 0, 0, 0) >= 5);
	assert_true(share_futex(w1, w2));
	assert_true(tl_model_count_wakeups(r.m, w1->tid, w2->tid, 0, 0) >= 3);
	assert_true(tl_model_count_wakeups(r.m, w2->tid, w1->tid, 0, 0) >= 3);
	th_free(&r);
}

static void test_e6_manager(void **state)
{
	const struct tl_thread *mgr, *c[2];
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "e6_manager", TH_WITH_SYSCALLS);
	mgr = dc_only_thread(dc_proc(&r, "manager"));
	c[0] = dc_only_thread(dc_proc(&r, "client-1"));
	c[1] = dc_only_thread(dc_proc(&r, "client-2"));
	/* every proxy call is a round trip: the client waits in recvfrom and
	 * the manager's reply wakes it; the manager waits in poll and the
	 * client's request wakes it (9 calls in all; two requests that come
	 * together are served after one wake-up) */
	assert_true(woken_blocks(c[0], TL_WHY_SOCKET, mgr->tid, 0) >= 4);
	assert_true(woken_blocks(c[1], TL_WHY_SOCKET, mgr->tid, 0) >= 3);
	assert_true(woken_blocks(mgr, TL_WHY_POLL, c[0]->tid, 0) >= 2);
	assert_true(woken_blocks(mgr, TL_WHY_POLL, c[1]->tid, 0) >= 2);
	assert_true(woken_blocks(mgr, TL_WHY_POLL, c[0]->tid, 0) +
		    woken_blocks(mgr, TL_WHY_POLL, c[1]->tid, 0) >= 5);
	assert_int_equal(th_syscalls(c[0], dc_nr("sendto"), true), 5);
	assert_int_equal(th_syscalls(c[1], dc_nr("sendto"), true), 4);
	assert_true(th_syscalls(mgr, dc_nr("sendto"), true) == 9);
	th_free(&r);
}

static void test_e7_socket_ipc(void **state)
{
	const struct tl_thread *srv, *cli;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "e7_socket_ipc", TH_WITH_SYSCALLS);
	srv = dc_only_thread(dc_proc(&r, "server"));
	cli = dc_only_thread(dc_proc(&r, "client"));
	/* server side: socket, bind, listen, accept, then recv/send */
	assert_int_equal(th_syscalls(srv, dc_nr("socket"), true), 1);
	assert_int_equal(th_syscalls(srv, dc_nr("bind"), true), 1);
	assert_int_equal(th_syscalls(srv, dc_nr("listen"), true), 1);
	assert_int_equal(th_syscalls(srv, dc_nr("accept"), true) +
			 th_syscalls(srv, dc_nr("accept4"), true), 1);
	assert_true(th_syscalls(srv, dc_nr("recvfrom"), true) >= 5);
	assert_int_equal(th_syscalls(srv, dc_nr("sendto"), true), 5);
	/* client side: socket, connect, then send/recv */
	assert_int_equal(th_syscalls(cli, dc_nr("socket"), true), 1);
	assert_int_equal(th_syscalls(cli, dc_nr("connect"), true), 1);
	assert_int_equal(th_syscalls(cli, dc_nr("sendto"), true), 5);
	assert_int_equal(th_syscalls(cli, dc_nr("recvfrom"), true), 5);
	assert_int_equal(th_syscalls(cli, dc_nr("bind"), false), 0);
	/* each side Sleeping on the socket until the other acts */
	assert_true(woken_blocks(srv, TL_WHY_SOCKET, cli->tid, TH_MS(20)) >= 4);
	assert_true(woken_blocks(cli, TL_WHY_SOCKET, srv->tid, 0) >= 4);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e1_pipe),
		cmocka_unit_test(test_e1_syscall_waits),
		cmocka_unit_test(test_e2_fifo),
		cmocka_unit_test(test_e3_signals),
		cmocka_unit_test(test_e4_mqueue),
		cmocka_unit_test(test_e5_shared_memory),
		cmocka_unit_test(test_e6_manager),
		cmocka_unit_test(test_e7_socket_ipc),
	};

	const char *only = getenv("TL_TEST_FILTER");

	if (only && *only)
		cmocka_set_test_filter(only); /* e.g. "test_e1*" */
	return cmocka_run_group_tests_name("demos_e", tests, NULL, NULL);
}
