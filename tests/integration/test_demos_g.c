/* test_demos_g.c - the I/O-model and server demos (G1-G9) run under the
 * real tracer. Each is driven by the same echo clients (process
 * "echo-clients", K = 6 threads x M = 20 requests), so the tests assert the
 * socket syscalls (recorded with the opt-in group "syscalls"), the socket
 * operations of the default groups, blocking reasons and task structure of the server side
 * from the model, never from the demo's own output. Tolerances fit a noisy
 * 2-core machine. */
#include <errno.h>
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
#include "userspace/analysis/critical_path.h"
#include "userspace/analysis/syswaits.h"

#define K 6
#define M 20
#define MAXT 64

/* Threads named prefix* whose start the trace saw (created, or present
 * at the start): filled into out[0..max), the count returned. */
static size_t threads_seen(const struct th_run *r, const char *prefix,
			   const struct tl_thread **out, size_t max)
{
	const struct tl_thread *all[MAXT];
	size_t n = th_threads_prefixed(r, prefix, all, MAXT), k = 0;

	assert_true(n <= MAXT);
	for (size_t i = 0; i < n; i++) {
		if (!(all[i]->flags & (TL_THR_CREATED | TL_THR_SNAPSHOT)))
			continue;
		if (out && k < max)
			out[k] = all[i];
		k++;
	}
	return k;
}

/* Threads of process p whose start the trace saw. */
static size_t proc_threads(const struct tl_process *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		n += (p->threads[i]->flags & (TL_THR_CREATED | TL_THR_SNAPSHOT)) != 0;
	return n;
}

/* The clients: one process with K client threads that all finished. */
static void assert_clients(const struct th_run *r)
{
	const struct tl_process *cp = dc_proc(r, "echo-clients");

	assert_int_equal(tl_proc_exit_code(cp), 0);
	assert_int_equal(threads_seen(r, "client-", NULL, 0), K);
}

/* The critical paths of the clients: their waits for a reply are followed
 * into the server's threads named prefix (the ones that sent it). */
static void assert_client_paths(const struct th_run *r, const char *prefix)
{
	const struct tl_thread *cl[MAXT];
	size_t n = threads_seen(r, "client-", cl, MAXT), followed = 0, waits = 0;
	size_t len = strlen(prefix);

	for (size_t c = 0; c < n && c < MAXT; c++) {
		struct tl_cp cp;

		assert_int_equal(tl_critical_path(r->m, cl[c], 0, 0, &cp), 0);
		for (size_t i = 0; i + 1 < cp.n; i++) {
			const struct tl_cp_seg *s = &cp.seg[i], *next = &cp.seg[i + 1];

			if (s->depth || !s->block || s->block->why != TL_WHY_SOCKET)
				continue;
			waits++;
			followed += s->followed && next->thread &&
				    !strncmp(tl_thread_name(next->thread), prefix, len);
		}
		tl_cp_free(&cp);
	}
	print_message("clients: %zu of %zu socket waits followed into a %s thread\n",
		      followed, waits, prefix);
	assert_true(waits >= n);
	assert_true(followed * 10 >= waits * 6);
}

/* Syscalls nr of t returning exactly ret in [t0, t1) (t1 = 0: any time). */
static size_t sys_ret(const struct tl_thread *t, int nr, int64_t ret, uint64_t t0,
		      uint64_t t1)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nsys; i++) {
		const struct tl_syscall *s = &t->sys[i];

		if (s->nr == nr && s->ret == ret && !(s->flags & TL_SC_NO_EXIT) &&
		    (!t1 || (s->start >= t0 && s->start < t1)))
			n++;
	}
	return n;
}

/* Successful recvfrom calls of t that carried data, in [t0, t1). */
static size_t recv_data(const struct tl_thread *t, uint64_t t0, uint64_t t1)
{
	int nr_recvfrom = dc_nr("recvfrom");
	size_t n = 0;

	for (size_t i = 0; i < t->nsys; i++) {
		const struct tl_syscall *s = &t->sys[i];

		if (s->nr == nr_recvfrom && s->ret > 0 && !(s->flags & TL_SC_NO_EXIT) &&
		    (!t1 || (s->start >= t0 && s->start < t1)))
			n++;
	}
	return n;
}

/* Distinct fds on which t received data in [t0, t1). */
static size_t recv_fds(const struct tl_thread *t, uint64_t t0, uint64_t t1)
{
	int nr_recvfrom = dc_nr("recvfrom");
	uint64_t fds[MAXT];
	size_t n = 0;

	for (size_t i = 0; i < t->nsys; i++) {
		const struct tl_syscall *s = &t->sys[i];
		bool seen = false;

		if (s->nr != nr_recvfrom || s->ret <= 0 || (t1 && (s->start < t0 || s->start >= t1)))
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= fds[j] == s->args[0];
		if (!seen && n < MAXT)
			fds[n++] = s->args[0];
	}
	return n;
}

static size_t blocked_count(const struct tl_thread *t, enum tl_reason why,
			    uint64_t t0, uint64_t t1)
{
	return dc_count_blocked(t, why, false, 0, t0, t1);
}

/* The one thread of the server process, named "server". */
static const struct tl_thread *lone_server(const struct th_run *r)
{
	assert_int_equal(proc_threads(r->root), 1);
	assert_string_equal(tl_thread_name(r->root->threads[0]), "server");
	return r->root->threads[0];
}

static void test_g1_blocking(void **state)
{
	const struct tl_thread *srv;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g1_blocking", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = lone_server(&r);
	/* blocking accept (one per client), then blocking recv per request */
	assert_int_equal(th_syscalls(srv, dc_nr("accept"), true), K);
	assert_int_equal(recv_data(srv, 0, 0), K * M);
	{
		int nr_accept = dc_nr("accept"), nr_recvfrom = dc_nr("recvfrom");
		size_t in_accept = 0, in_recv = 0;

		for (size_t i = 0; i < srv->niv; i++) {
			struct tl_interval iv_v = tl_thread_iv(srv, i);
			const struct tl_interval *iv = &iv_v;

			if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_SOCKET)
				continue;
			in_accept += iv->block->sys_nr == nr_accept;
			in_recv += iv->block->sys_nr == nr_recvfrom;
		}
		assert_true(in_accept >= 1);
		/* mostly one sleep per request; fewer when the machine is busy
		 * and the next request is already there */
		assert_true(in_recv >= 10);
	}
	/* never waits for readiness on a set: no select/poll/epoll */
	assert_int_equal(blocked_count(srv, TL_WHY_POLL, 0, 0), 0);
	th_free(&r);
}

/* The row of t's syscall waits in syscall nr on a socket with the most
 * blocks (NULL if none); w/n: t's rows. */
static const struct tl_syswait *socket_row(const struct tl_syswait *w, size_t n, int nr)
{
	const struct tl_syswait *best = NULL;

	for (size_t i = 0; i < n; i++)
		if (w[i].sys_nr == nr && w[i].fd_kind == TL_FD_SOCKET &&
		    (!best || w[i].count > best->count))
			best = &w[i];
	return best;
}

/* Time of t's socket rows: the blocked time of its socket waits. */
static uint64_t socket_rows_ns(const struct tl_syswait *w, size_t n)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < n; i++)
		ns += w[i].why == TL_WHY_SOCKET ? w[i].total_ns : 0;
	return ns;
}

/* Whether tid is one of the client threads cl[0..n). */
static bool is_client(const struct tl_thread *const *cl, size_t n, uint32_t tid)
{
	for (size_t i = 0; i < n; i++)
		if (cl[i]->tid == tid)
			return true;
	return false;
}

/* The server in recvfrom on each accepted connection (one fd number, closed
 * and reused: one row per connection, told again for each socket), whose
 * far end is a client's 127.0.0.1 port and which that client woke. Returns
 * the server's rows; *port gets its listening port. */
static void check_g1_server(const struct th_run *r, const struct tl_thread *const *cl,
			    size_t n, struct tl_syswait **sw, size_t *nw, uint16_t *port)
{
	const struct tl_thread *srv = lone_server(r);
	const struct tl_syswait *acc;
	size_t conns = 0, blocks = 0;
	uint64_t fd = 0;

	assert_int_equal(tl_thread_syswaits(r->m, NULL, srv, sw, nw), 0);
	acc = socket_row(*sw, *nw, dc_nr("accept"));
	assert_non_null(acc);
	assert_non_null(acc->peer);
	assert_int_equal(acc->peer->state, 10); /* TCP_LISTEN */
	*port = acc->peer->sport;
	assert_true(*port > 0);
	for (size_t i = 0; i < *nw; i++) {
		const struct tl_syswait *w = &(*sw)[i];

		if (!w->peer || w->sys_nr != dc_nr("recvfrom"))
			continue;
		if (conns++ == 0)
			fd = w->obj;
		assert_int_equal(w->obj, fd);
		assert_memory_equal(w->peer->daddr, ((uint8_t[]){ 127, 0, 0, 1 }), 4);
		assert_true(w->peer->dport != *port);
		assert_in_range(w->count, 1, M + 1); /* M requests and the EOF */
		assert_true(is_client(cl, n, w->top_waker));
		assert_true(w->top_waker_n * 10 >= w->count * 8);
		for (size_t k = 0; k < i; k++) /* another connection each */
			assert_false((*sw)[k].peer && (*sw)[k].sys_nr == w->sys_nr &&
				     (*sw)[k].peer->dport == w->peer->dport);
		blocks += w->count;
	}
	assert_true(conns + 1 >= K && conns <= K);
	assert_true(blocks >= 10);
}

/* Each client that waited for a reply blocked in read on its connection,
 * whose far end (told by the TL_SOCK_PEER record) is the server's
 * 127.0.0.1:port, woken by the server thread; the server's row for the
 * same connection has this client's port as its far end. Returns how many
 * clients waited: on a quiet machine the reply is often there before the
 * client reads. */
static size_t check_g1_syscall_waits(const struct th_run *r)
{
	const struct tl_thread *srv = lone_server(r), *cl[MAXT];
	size_t n = threads_seen(r, "client-", cl, MAXT), nw, blocks = 0, matched = 0;
	size_t readers = 0;
	struct tl_syswait *w, *sw;
	uint16_t port;

	assert_int_equal(n, K);
	check_g1_server(r, cl, n, &sw, &nw, &port);
	for (size_t c = 0; c < n; c++) {
		const struct tl_syswait *rd;
		size_t cn;

		assert_int_equal(tl_thread_syswaits(r->m, NULL, cl[c], &w, &cn), 0);
		/* the rows add up to the timeline's socket time */
		assert_int_equal(socket_rows_ns(w, cn), th_blocked_ns(cl[c], TL_WHY_SOCKET));
		rd = socket_row(w, cn, dc_nr("read"));
		if (rd) {
			readers++;
			/* one block per reply at most: M requests */
			assert_in_range(rd->count, 1, M);
			blocks += rd->count;
			assert_non_null(rd->peer);
			assert_int_equal(rd->peer->family, 2);
			assert_int_equal(rd->peer->dport, port);
			assert_memory_equal(rd->peer->daddr, ((uint8_t[]){ 127, 0, 0, 1 }), 4);
			/* the reply comes from the server thread (its send wakes
			 * the client from the softirq it runs, the server current) */
			assert_int_equal(rd->top_waker, srv->tid);
			assert_int_equal(rd->top_waker_pid, r->root->pid);
			assert_true(rd->top_waker_n * 10 >= rd->count * 8);
			assert_true(rd->longest_ns <= rd->total_ns);
			assert_true(rd->total_ns >= rd->count * 1000ull &&
				    rd->total_ns < TH_MS(5000));
			for (size_t i = 0; i < nw; i++)
				matched += sw[i].peer && sw[i].sys_nr == dc_nr("recvfrom") &&
					   sw[i].peer->dport == rd->peer->sport &&
					   sw[i].top_waker == cl[c]->tid;
		}
		free(w);
	}
	print_message("clients: %zu of %d waited in read (%zu blocks) on the server's "
		      "port %u; %zu found at the server, woken by them\n", readers, K,
		      blocks, port, matched);
	assert_true(matched + 1 >= readers && matched <= readers);
	free(sw);
	return readers;
}

/* Syscall waits of G1 from the switch records alone, on both kernel paths
 * (tp_btf and the raw_tp fallback both send TL_SOCK_PEER). Recorded again
 * (up to DC_ATTEMPTS) while no client waited for a reply. */
static void test_g1_syscall_waits(void **state)
{
	struct th_run r;

	(void)state;
	for (int raw = 0; raw < 2; raw++) {
		size_t readers = 0;

		for (int i = 0; i < DC_ATTEMPTS && !readers; i++) {
			if (raw)
				setenv("THREADLINE_FORCE_RAW_TP", "1", 1);
			dc_run_ok(&r, "g1_blocking");
			unsetenv("THREADLINE_FORCE_RAW_TP");
			assert_clients(&r);
			readers = check_g1_syscall_waits(&r);
			th_free(&r);
		}
		assert_true(readers > 0);
	}
}

/* With the default groups (no syscall tracepoints) the socket operations
 * are the kernel's per-thread counts of sends and receives, exact: the
 * server receives each of the M requests of its K clients and a last
 * end-of-stream recv per connection, and echoes each request with one
 * send; each client sends M requests and reads M replies. */
static void test_g1_socket_ops_default(void **state)
{
	const struct tl_thread *srv, *cl[MAXT];
	struct th_run r;
	size_t n;

	(void)state;
	dc_run_ok(&r, "g1_blocking");
	assert_clients(&r);
	srv = lone_server(&r);
	assert_int_equal(srv->nsys, 0); /* no syscall records by default */
	assert_int_equal(srv->sum.socket_ops, K * M + K * (M + 1));
	n = th_threads_prefixed(&r, "client-", cl, MAXT);
	assert_int_equal(n, K);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(cl[i]->sum.socket_ops, 2 * M);
	th_free(&r);
}

static void test_g2_nonblocking(void **state)
{
	const struct tl_thread *srv;
	uint64_t t0, t1;
	size_t eagain;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g2_nonblocking", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = lone_server(&r);
	dc_phase(&r, "polling", &t0, &t1);
	/* calls that return EAGAIN at once instead of blocking: each client
	 * needs M + 1 recvs, one per sweep at most, and every sweep polls
	 * accept until EAGAIN */
	eagain = sys_ret(srv, dc_nr("accept4"), -EAGAIN, t0, t1);
	print_message("g2: %zu accept4 and %zu recvfrom returned EAGAIN\n", eagain,
		      sys_ret(srv, dc_nr("recvfrom"), -EAGAIN, t0, t1));
	assert_true(eagain >= M);
	assert_int_equal(recv_data(srv, t0, t1), K * M);
	/* never blocked in a socket call; short naps between sweeps instead */
	assert_int_equal(blocked_count(srv, TL_WHY_SOCKET, t0, t1), 0);
	assert_true(blocked_count(srv, TL_WHY_SLEEP, t0, t1) >= M);
	th_free(&r);
}

/* Multiplexing calls (any of nrs) that srv made in [t0, t1). */
static size_t mux_calls(const struct tl_thread *srv, const int *nrs, size_t nnr,
			uint64_t t0, uint64_t t1)
{
	size_t n = 0;

	for (size_t k = 0; k < nnr; k++)
		for (size_t i = 0; i < srv->nsys; i++)
			n += srv->sys[i].nr == nrs[k] && srv->sys[i].start >= t0 &&
			     srv->sys[i].start < t1;
	return n;
}

/* One thread sleeps only in the multiplexing call of `nrs` in [t0, t1),
 * and serves every connection in between. */
static void assert_multiplexed(const struct tl_thread *srv, const int *nrs, size_t nnr,
			       uint64_t t0, uint64_t t1)
{
	size_t waits = 0;

	for (size_t i = 0; i < srv->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(srv, i);
		const struct tl_interval *iv = &iv_v;
		bool ok = false;

		if ((iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT) ||
		    iv->start < t0 || iv->start >= t1 || iv->block->why == TL_WHY_CHILD)
			continue; /* the end of a phase reaps the clients: wait4 */
		for (size_t k = 0; k < nnr; k++)
			ok |= iv->block->sys_nr == nrs[k];
		if (!ok && iv->block->why != TL_WHY_PIPE)
			fail_msg("server blocked in %s (%d), not in the multiplexer",
				 tl_syscall_label(iv->block->sys_nr), iv->block->sys_nr);
		waits += ok;
	}
	/* it sleeps there at least while the clients start; when requests
	 * keep coming the call returns at once, so count the calls too */
	assert_true(waits >= 1);
	assert_true(mux_calls(srv, nrs, nnr, t0, t1) >= M);
	/* several connections (fd numbers may be reused once one closes) */
	assert_true(recv_fds(srv, t0, t1) >= 3);
	assert_int_equal(recv_data(srv, t0, t1), K * M);
}

static void test_g3_multiplexing(void **state)
{
	const int sel[] = { dc_nr("select"), dc_nr("pselect6") };
	const int ep[] = { dc_nr("epoll_wait"), dc_nr("epoll_pwait") };
	const struct tl_thread *srv;
	uint64_t t0, t1;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g3_multiplexing", TH_WITH_SYSCALLS);
	srv = lone_server(&r);
	assert_int_equal(threads_seen(&r, "client-", NULL, 0), 2 * K);
	dc_phase(&r, "select", &t0, &t1);
	assert_multiplexed(srv, sel, 2, t0, t1);
	dc_phase(&r, "epoll", &t0, &t1);
	assert_multiplexed(srv, ep, 2, t0, t1);
	th_free(&r);
}

/* Of srv's waits in rt_sigsuspend, how many ended with a SIGIO delivered
 * to it within 5 ms (*wakes gets the number of waits). */
static size_t sigsuspend_ended_by_sigio(const struct tl_model *m,
					const struct tl_thread *srv, size_t *wakes)
{
	size_t followed = 0;

	*wakes = 0;
	for (size_t i = 0; i < srv->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(srv, i);
		const struct tl_interval *iv = &iv_v;

		if (iv->state != TL_ST_SLEEPING || iv->block->why != TL_WHY_SIGNAL)
			continue;
		(*wakes)++;
		for (size_t j = 0; j < tl_model_nsignals(m); j++) {
			const struct tl_signal_ev *s = tl_model_signal(m, j);

			if (s->delivered && s->sig == SIGIO && s->target == srv->tid &&
			    s->ts >= iv->end && s->ts < iv->end + TH_MS(5)) {
				followed++;
				break;
			}
		}
	}
	return followed;
}

/* One run of g4; returns how many times the server woke from sigsuspend
 * (SIGIOs coalesce, and how much depends on the machine's timing). */
static size_t g4_once(void)
{
	const struct tl_thread *srv;
	size_t generated = 0, delivered = 0, followed, wakes;
	uint64_t first_sigio = 0, first_recv = UINT64_MAX;
	int nr_recvfrom = dc_nr("recvfrom");
	struct th_run r;

	dc_run_ok_with(&r, "g4_sigio", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = lone_server(&r);
	for (size_t i = 0; i < tl_model_nsignals(r.m); i++) {
		const struct tl_signal_ev *s = tl_model_signal(r.m, i);

		if (s->sig != SIGIO || s->target_pid != r.root->pid)
			continue;
		generated += !s->delivered;
		delivered += s->delivered && s->target == srv->tid;
		if (s->delivered && !first_sigio)
			first_sigio = s->ts;
	}
	for (size_t i = 0; i < srv->nsys; i++)
		if (srv->sys[i].nr == nr_recvfrom && srv->sys[i].ret > 0 &&
		    srv->sys[i].start < first_recv)
			first_recv = srv->sys[i].start;
	print_message("g4: SIGIO generated %zu, delivered %zu\n", generated, delivered);
	assert_true(delivered >= 3);
	assert_true(generated >= delivered);
	/* the first read comes after the first SIGIO */
	assert_true(first_sigio && first_sigio < first_recv);
	/* the server sleeps in rt_sigsuspend, never in a socket call, and
	 * each wake-up from it is the delivery of a SIGIO */
	assert_int_equal(blocked_count(srv, TL_WHY_SOCKET, 0, 0), 0);
	followed = sigsuspend_ended_by_sigio(r.m, srv, &wakes);
	print_message("g4: %zu of %zu sigsuspend wake-ups delivered a SIGIO\n", followed,
		      wakes);
	assert_true(wakes >= 1);
	assert_true(followed * 10 >= wakes * 8);
	assert_int_equal(recv_data(srv, 0, 0), K * M);
	th_free(&r);
	return wakes;
}

/* SIGIOs coalesce, so a run where the server found every request already
 * signalled may wake it only once: up to DC_ATTEMPTS runs for three wakes. */
static void test_g4_sigio(void **state)
{
	size_t wakes = 0;

	(void)state;
	for (int i = 0; i < DC_ATTEMPTS && wakes < 3; i++)
		wakes = g4_once();
	assert_true(wakes >= 3);
}

static void test_g5_async_io(void **state)
{
	const struct tl_thread *t;
	struct tl_iv_filter f = { 0 };
	uint64_t t0, t1, run;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g5_async_io", TH_WITH_SYSCALLS);
	t = dc_main(&r);
	/* file: 16 direct reads in flight while the thread computes */
	dc_phase(&r, "file", &t0, &t1);
	f.t0 = t0;
	f.t1 = t1;
	f.states = TL_F_BLOCKED;
	print_message("g5: file phase %.2f ms, blocked %.2f ms\n", (double)(t1 - t0) / 1e6,
		      (double)tl_thread_sum_ns(t, &f) / 1e6);
	assert_true(tl_thread_sum_ns(t, &f) * 10 <= t1 - t0);
	f.states = TL_F_STATE(TL_ST_RUNNING) | TL_F_STATE(TL_ST_RUNNABLE);
	assert_true(tl_thread_sum_ns(t, &f) * 10 >= (t1 - t0) * 9);
	/* server: accept/recv/send on the ring; the thread never sleeps on a
	 * socket or in io_uring_enter, it computes between completions */
	dc_phase(&r, "server", &t0, &t1);
	assert_int_equal(blocked_count(t, TL_WHY_SOCKET, t0, t1), 0);
	assert_int_equal(blocked_count(t, TL_WHY_POLL, t0, t1), 0);
	for (size_t i = 0; i < t->niv; i++)
		if (tl_thread_iv(t, i).state == TL_ST_SLEEPING)
			assert_int_not_equal(tl_thread_iv(t, i).block->sys_nr, dc_nr("io_uring_enter"));
	assert_int_equal(th_syscalls(t, dc_nr("recvfrom"), false), 0);
	run = tl_thread_state_ns(t, TL_ST_RUNNING, t0, t1) +
	      tl_thread_state_ns(t, TL_ST_RUNNABLE, t0, t1);
	assert_true(run * 2 >= t1 - t0);
	assert_clients(&r);
	th_free(&r);
}

static void test_g6_fork_server(void **state)
{
	const struct tl_process *conn[MAXT];
	size_t n, forks = 0;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g6_fork_server", TH_WITH_SYSCALLS);
	assert_clients(&r);
	lone_server(&r);
	/* one child process per connection, forked by the server */
	n = th_procs_prefixed(&r, "conn-", conn, MAXT);
	assert_int_equal(n, K);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(conn[i]->parent, r.root);
		assert_int_equal(proc_threads(conn[i]), 1);
		assert_int_equal(tl_proc_exit_code(conn[i]), 0);
		assert_int_equal(recv_fds(conn[i]->threads[0], 0, 0), 1);
		assert_int_equal(recv_data(conn[i]->threads[0], 0, 0), M);
	}
	for (size_t i = 0; i < tl_model_nforks(r.m); i++)
		forks += !tl_model_fork(r.m, i)->thread &&
			 tl_model_fork(r.m, i)->parent_pid == r.root->pid;
	assert_int_equal(forks, K + 1); /* + the echo-clients process */
	/* the server itself accepts and never serves */
	assert_int_equal(recv_data(r.root->threads[0], 0, 0), 0);
	assert_int_equal(th_syscalls(r.root->threads[0], dc_nr("accept4"), true), K);
	th_free(&r);
}

static void test_g7_thread_server(void **state)
{
	const struct tl_thread *conn[MAXT];
	const struct tl_thread *srv;
	struct th_run r;
	size_t n;

	(void)state;
	dc_run_ok_with(&r, "g7_thread_server", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = dc_main(&r);
	/* one thread per connection, created by the accepting thread */
	n = threads_seen(&r, "conn-", conn, MAXT);
	assert_int_equal(n, K);
	assert_int_equal(proc_threads(r.root), K + 1);
	assert_int_equal(r.root->nchildren, 1); /* only echo-clients */
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(conn[i]->proc, r.root);
		assert_int_equal(conn[i]->creator_tid, srv->tid);
		assert_int_equal(recv_fds(conn[i], 0, 0), 1);
		assert_int_equal(recv_data(conn[i], 0, 0), M);
	}
	assert_int_equal(recv_data(srv, 0, 0), 0);
	assert_int_equal(th_syscalls(srv, dc_nr("accept4"), true), K);
	assert_client_paths(&r, "conn-");
	th_free(&r);
}

/* recvfrom calls of t that returned 0: connections it saw to the end. */
static size_t eofs(const struct tl_thread *t)
{
	return sys_ret(t, dc_nr("recvfrom"), 0, 0, 0);
}

static void test_g8_pool_server(void **state)
{
	const struct tl_thread *w[MAXT];
	const struct tl_thread *srv;
	uint64_t first_accept = UINT64_MAX;
	int nr_accept4 = dc_nr("accept4");
	size_t n, conns = 0, most = 0;
	struct th_run r;

	(void)state;
	dc_run_ok_with(&r, "g8_pool_server", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = dc_main(&r);
	/* exactly N = 3 workers, no thread per connection */
	n = threads_seen(&r, "pool-worker-", w, MAXT);
	assert_int_equal(n, 3);
	assert_int_equal(proc_threads(r.root), 4);
	for (size_t i = 0; i < srv->nsys; i++)
		if (srv->sys[i].nr == nr_accept4 && srv->sys[i].start < first_accept)
			first_accept = srv->sys[i].start;
	for (size_t i = 0; i < n; i++) {
		size_t c = eofs(w[i]);

		/* started before the first connection: a pool, not on demand */
		assert_true(w[i]->start < first_accept);
		conns += c;
		most = c > most ? c : most;
	}
	/* the workers are reused: 6 connections over 3 threads */
	assert_int_equal(conns, K);
	assert_true(most >= 2);
	assert_int_equal(recv_data(srv, 0, 0), 0);
	assert_client_paths(&r, "pool-worker-");
	th_free(&r);
}

static void test_g9_coroutine_server(void **state)
{
	const struct tl_thread *srv;
	uint64_t t0, t1;
	size_t n, conn_switches = 0;
	struct th_run r;
	char name[16];

	(void)state;
	dc_run_ok_with(&r, "g9_coroutine_server", TH_WITH_SYSCALLS);
	assert_clients(&r);
	srv = lone_server(&r);
	dc_phase(&r, "coroutines", &t0, &t1);
	/* one thread serves every connection: accept, recv, send all on it */
	assert_int_equal(th_syscalls(srv, dc_nr("accept4"), true), K);
	assert_true(recv_fds(srv, t0, t1) >= 3);
	assert_int_equal(recv_data(srv, t0, t1), K * M);
	assert_true(sys_ret(srv, dc_nr("recvfrom"), -EAGAIN, t0, t1) >= 1);
	/* it blocks only in epoll_wait, never on a socket */
	assert_int_equal(blocked_count(srv, TL_WHY_SOCKET, t0, t1), 0);
	assert_true(blocked_count(srv, TL_WHY_POLL, t0, t1) >= 1);
	{
		const int ep[] = { dc_nr("epoll_wait"), dc_nr("epoll_pwait") };

		assert_true(mux_calls(srv, ep, 2, t0, t1) >= 3);
	}
	/* the coroutines behind it */
	assert_true(dc_thread_marks(srv, TL_USDT_CORO_SWITCH, "acceptor") >= 2);
	for (int i = 1; i <= K; i++) {
		snprintf(name, sizeof(name), "conn-%d", i);
		n = dc_thread_marks(srv, TL_USDT_CORO_SWITCH, name);
		assert_true(n >= 1);
		conn_switches += n;
	}
	/* connections park when their client has not sent yet */
	assert_true(conn_switches >= K + 3);
	th_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_g1_blocking),
		cmocka_unit_test(test_g1_syscall_waits),
		cmocka_unit_test(test_g1_socket_ops_default),
		cmocka_unit_test(test_g2_nonblocking),
		cmocka_unit_test(test_g3_multiplexing),
		cmocka_unit_test(test_g4_sigio),
		cmocka_unit_test(test_g5_async_io),
		cmocka_unit_test(test_g6_fork_server),
		cmocka_unit_test(test_g7_thread_server),
		cmocka_unit_test(test_g8_pool_server),
		cmocka_unit_test(test_g9_coroutine_server),
	};

	const char *only = getenv("TL_TEST_FILTER");

	if (only && *only)
		cmocka_set_test_filter(only); /* e.g. "test_g1*" */
	return cmocka_run_group_tests_name("demos_g", tests, NULL, NULL);
}
