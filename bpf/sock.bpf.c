// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sock.bpf.c - group "net": sends and receives on sockets, counted per
 * thread. The tracepoints sock_send_length and sock_recv_length fire once
 * per sendmsg/recvmsg that reaches a socket, in the calling thread, and
 * only there: unlike a syscall tracepoint they cost nothing to the tasks
 * that do no socket I/O. A record per call would cost a ring reservation
 * on every message (and could lose some in a burst); the counts live in
 * the thread's own BPF storage (task storage: found from the task itself,
 * no hashing, about half what a hash map keyed by TID cost per call). They
 * become a TL_SOCK_COUNT record when the thread exits (here) or when the
 * recording ends (the tl_sock_flush iterator, run by user space). tp_btf
 * programs with raw_tp twins, as in sched.bpf.c.
 */
#include "common.bpf.h"

/* A thread's counts so far, as the record that will carry them (the
 * header's size, type, tgid and tid set when it is made). Only traced
 * threads get one; one that cannot be made (no memory) loses the call,
 * counted as a lost event, never silent. Deleted once handed on. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tl_sock_count);
} tl_sock_counts SEC(".maps");

static __always_inline struct tl_sock_count *tl_sock_new(struct task_struct *task,
							 __u64 id)
{
	struct tl_sock_count *c;

	if (!tl_traced_tgid(id >> 32))
		return NULL;
	c = bpf_task_storage_get(&tl_sock_counts, task, 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c) {
		__u32 cpu = bpf_get_smp_processor_id();

		if (cpu < TL_MAX_CPUS)
			__sync_fetch_and_add(&tl_stats[cpu].s.lost, 1);
		return NULL;
	}
	c->h.size = sizeof(*c);
	c->h.type = TL_SOCK_COUNT;
	c->h.tgid = id >> 32;
	c->h.tid = (__u32)id;
	return c;
}

/* Only the thread itself changes its counts (the tracepoints run in its
 * context, and so does its exit): plain increments. A thread with counts
 * is traced: only the stop flag is asked again. */
static __always_inline int tl_on_sock(bool send, int ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_sock_count *c;

	if (*(volatile __u32 *)&tl_stopped)
		return 0;
	c = bpf_task_storage_get(&tl_sock_counts, task, 0, 0);
	if (!c)
		c = tl_sock_new(task, bpf_get_current_pid_tgid());
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

/* The exiting thread's counts go to the ring, and its storage away (so
 * the flush at the end does not hand them on again). */
static __always_inline int tl_on_sock_exit(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct tl_sock_count *c, *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	c = bpf_task_storage_get(&tl_sock_counts, task, 0, 0);
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
	bpf_task_storage_delete(&tl_sock_counts, task);
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

/* The counts of the threads still alive when the recording ends, one
 * record each (timestamp and CPU left to user space), to the iterator's
 * seq file; each handed on once. Run after the stop flag is set. */
SEC("?iter/task")
int tl_sock_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *t = ctx->task;
	struct tl_sock_count *c;

	if (!t)
		return 0;
	c = bpf_task_storage_get(&tl_sock_counts, t, 0, 0);
	if (!c)
		return 0;
	bpf_seq_write(ctx->meta->seq, c, sizeof(*c));
	bpf_task_storage_delete(&tl_sock_counts, t);
	return 0;
}
