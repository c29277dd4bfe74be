// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sock.bpf.c - group "net": sends and receives on sockets, counted per
 * thread. The tracepoints sock_send_length and sock_recv_length fire once
 * per sendmsg/recvmsg that reaches a socket, in the calling thread, and
 * only there: unlike a syscall tracepoint they cost nothing to the tasks
 * that do no socket I/O. A record per call would cost a ring reservation
 * on every message (and could lose some in a burst); a count in a hash map
 * keyed by thread costs one lookup. The count becomes a TL_SOCK_COUNT
 * record when the thread exits (here) or when the recording ends (user
 * space reads what is left in the map). tp_btf programs with raw_tp
 * twins, as in sched.bpf.c.
 */
#include "common.bpf.h"

/* A thread's counts so far, as the record that will carry them (only the
 * header's tgid and tid are set). A full map (a whole system of threads
 * doing socket I/O at once) loses the calls of the threads beyond it:
 * counted as lost events, never silent. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct tl_sock_count);
} tl_sock_counts SEC(".maps");

static __always_inline struct tl_sock_count *tl_sock_slot(__u64 id)
{
	__u32 tid = (__u32)id;
	struct tl_sock_count *c = bpf_map_lookup_elem(&tl_sock_counts, &tid);
	struct tl_sock_count fresh = {};

	if (c)
		return c;
	fresh.h.tgid = id >> 32;
	fresh.h.tid = tid;
	bpf_map_update_elem(&tl_sock_counts, &tid, &fresh, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&tl_sock_counts, &tid);
	if (!c) {
		__u32 cpu = bpf_get_smp_processor_id();

		if (cpu < TL_MAX_CPUS)
			__sync_fetch_and_add(&tl_stats[cpu].s.lost, 1);
	}
	return c;
}

/* Only the thread itself changes its entry (the tracepoints run in its
 * context, and so does its exit): plain increments. */
static __always_inline int tl_on_sock(bool send, int ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tl_sock_count *c;

	if (!tl_traced_tgid(id >> 32))
		return 0;
	c = tl_sock_slot(id);
	if (!c)
		return 0;
	if (send) {
		c->sends++;
		if (ret < 0)
			c->send_errs++;
		else
			c->sent_bytes += ret;
	} else {
		c->recvs++;
		if (ret < 0)
			c->recv_errs++;
		else
			c->recv_bytes += ret;
	}
	return 0;
}

/* The exiting thread's counts go to the ring, and its entry away (its TID
 * may be reused by a new thread). */
static __always_inline int tl_on_sock_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct tl_sock_count *c, *e;
	void *ring;

	if (!tl_traced_tgid(id >> 32))
		return 0;
	c = bpf_map_lookup_elem(&tl_sock_counts, &tid);
	if (!c)
		return 0;
	e = tl_reserve(sizeof(*e), TL_SOCK_COUNT, &ring);
	if (e) {
		e->sends = c->sends;
		e->recvs = c->recvs;
		e->send_errs = c->send_errs;
		e->recv_errs = c->recv_errs;
		e->sent_bytes = c->sent_bytes;
		e->recv_bytes = c->recv_bytes;
		tl_submit(e, ring);
	}
	bpf_map_delete_elem(&tl_sock_counts, &tid);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tl_sock_send, struct sock *sk, int ret, int flags)
{
	return tl_on_sock(true, ret);
}

SEC("?raw_tp/sock_send_length")
int BPF_PROG(tl_sock_send_raw, struct sock *sk, int ret, int flags)
{
	return tl_on_sock(true, ret);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tl_sock_recv, struct sock *sk, int ret, int flags)
{
	return tl_on_sock(false, ret);
}

SEC("?raw_tp/sock_recv_length")
int BPF_PROG(tl_sock_recv_raw, struct sock *sk, int ret, int flags)
{
	return tl_on_sock(false, ret);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tl_sock_exit, struct task_struct *p, bool group_dead)
{
	return tl_on_sock_exit();
}

SEC("?raw_tp/sched_process_exit")
int BPF_PROG(tl_sock_exit_raw, struct task_struct *p, bool group_dead)
{
	return tl_on_sock_exit();
}
