// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * proc.bpf.c - group "proc": fork, new tasks, exec, exit, wait, rename; and
 * the upkeep of the filter (a traced process's children join it; a process
 * leaves it only when its leader's task_struct is freed, so the last
 * switch-out of every dying thread is still seen). tp_btf programs with
 * raw_tp twins, as in sched.bpf.c.
 */
#include "common.bpf.h"

__u64 tl_traced_bits[TL_PID_LIMIT / 64];

/* Who set a tgid's filter bit when a traced process forked it: the new
 * process, identified by its signal_struct (shared by all its threads and
 * kept across exec, also when a thread that calls exec becomes the leader;
 * still alive when the leader is freed, so no newer process can have the
 * same address then). A task is freed (sched_process_free) an RCU grace
 * period after it was reaped, while its pid is free for reuse from the
 * reaping on; a fork in between may have given the number to a new traced
 * process, and the old leader's free must not clear the new one's bit.
 * Processes added by user space have no entry: nothing can have reused
 * their pid through a fork of a traced process before their free, except
 * a fork that then made an entry. A full map only loses this protection
 * for the processes beyond its size. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 18);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} tl_bit_owner SEC(".maps");

/* Always attached: follows children even when "proc" events are off. */
static __always_inline int tl_on_fork(bool btf, struct task_struct *parent,
				      struct task_struct *child)
{
	__u32 ptgid = TL_RD(btf, parent, tgid);
	__u32 ctgid = TL_RD(btf, child, tgid);
	struct tl_fork *e;
	void *ring;

	if (!tl_traced_tgid(ptgid))
		return 0;
	if (!tl_trace_all && ctgid != ptgid) {
		__u64 owner = (__u64)BPF_CORE_READ(child, signal);

		bpf_map_update_elem(&tl_bit_owner, &ctgid, &owner, BPF_ANY);
		tl_trace_tgid(ctgid, true);
	}
	if (!tl_group_on(TL_G_PROC))
		return 0;
	e = tl_reserve(sizeof(*e), TL_FORK, &ring);
	if (!e)
		return 0;
	e->child_tid = TL_RD(btf, child, pid);
	e->child_tgid = ctgid;
	tl_read_comm(btf, e->parent_comm, parent);
	tl_read_comm(btf, e->child_comm, child);
	tl_submit(e, ring);
	return 0;
}

/* Always attached. A leader that is replaced by an exec'ing thread is
 * freed too, but by then it is no longer its own group leader. Only the
 * process that set the bit clears it (see tl_bit_owner). */
static __always_inline int tl_on_free(bool btf, struct task_struct *p)
{
	__u32 tgid = TL_RD(btf, p, tgid);
	__u64 *owner;

	if ((__u32)TL_RD(btf, p, pid) != tgid || TL_RD(btf, p, group_leader) != p)
		return 0;
	if (tl_trace_all)
		return 0;
	owner = bpf_map_lookup_elem(&tl_bit_owner, &tgid);
	if (owner) {
		if (*owner != (__u64)BPF_CORE_READ(p, signal))
			return 0; /* the pid has a new owner already */
		bpf_map_delete_elem(&tl_bit_owner, &tgid);
	}
	tl_trace_tgid(tgid, false);
	return 0;
}

static __always_inline int tl_on_newtask(bool btf, struct task_struct *p,
					 __u64 flags)
{
	struct tl_newtask *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_NEWTASK, &ring);
	if (!e)
		return 0;
	e->tid = TL_RD(btf, p, pid);
	e->tgid = TL_RD(btf, p, tgid);
	e->clone_flags = flags;
	tl_read_comm(btf, e->comm, p);
	tl_submit(e, ring);
	return 0;
}

static __always_inline int tl_on_exec(bool btf, struct task_struct *p,
				      int old_pid, struct linux_binprm *bprm)
{
	struct tl_exec *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_EXEC, &ring);
	if (!e)
		return 0;
	e->old_tid = old_pid;
	tl_read_comm(btf, e->comm, p);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				  TL_RD(btf, bprm, filename));
	tl_submit(e, ring);
	return 0;
}

/* exit_code is already the wait status here: (code << 8) | signal. */
static __always_inline int tl_on_exit(bool btf, struct task_struct *p,
				      bool group_dead)
{
	struct tl_exit *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_EXIT, &ring);
	if (!e)
		return 0;
	e->exit_code = TL_RD(btf, p, exit_code);
	e->group_dead = group_dead;
	tl_read_comm(btf, e->comm, p);
	tl_submit(e, ring);
	return 0;
}

/* pid is NULL when waiting for any child. */
static __always_inline int tl_on_wait(struct pid *pid)
{
	struct tl_wait *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_WAIT, &ring);
	if (!e)
		return 0;
	e->pid = pid ? BPF_CORE_READ(pid, numbers[0].nr) : -1;
	tl_submit(e, ring);
	return 0;
}

/* Fires before the new name is copied in, so task->comm is the old one. */
static __always_inline int tl_on_rename(bool btf, struct task_struct *p,
					const char *comm)
{
	__u32 tgid = TL_RD(btf, p, tgid);
	struct tl_rename *e;
	void *ring;

	if (!tl_traced_tgid(tgid))
		return 0;
	e = tl_reserve(sizeof(*e), TL_RENAME, &ring);
	if (!e)
		return 0;
	e->tid = TL_RD(btf, p, pid);
	e->tgid = tgid;
	tl_read_comm(btf, e->oldcomm, p);
	bpf_probe_read_kernel_str(e->newcomm, sizeof(e->newcomm), comm);
	tl_submit(e, ring);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tl_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	return tl_on_fork(true, parent, child);
}

SEC("?raw_tp/sched_process_fork")
int BPF_PROG(tl_proc_fork_raw, struct task_struct *parent,
	     struct task_struct *child)
{
	return tl_on_fork(false, parent, child);
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(tl_proc_free, struct task_struct *p)
{
	return tl_on_free(true, p);
}

SEC("?raw_tp/sched_process_free")
int BPF_PROG(tl_proc_free_raw, struct task_struct *p)
{
	return tl_on_free(false, p);
}

SEC("tp_btf/task_newtask")
int BPF_PROG(tl_proc_newtask, struct task_struct *p, __u64 clone_flags)
{
	return tl_on_newtask(true, p, clone_flags);
}

SEC("?raw_tp/task_newtask")
int BPF_PROG(tl_proc_newtask_raw, struct task_struct *p, __u64 clone_flags)
{
	return tl_on_newtask(false, p, clone_flags);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tl_proc_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	return tl_on_exec(true, p, old_pid, bprm);
}

SEC("?raw_tp/sched_process_exec")
int BPF_PROG(tl_proc_exec_raw, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	return tl_on_exec(false, p, old_pid, bprm);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tl_proc_exit, struct task_struct *p, bool group_dead)
{
	return tl_on_exit(true, p, group_dead);
}

SEC("?raw_tp/sched_process_exit")
int BPF_PROG(tl_proc_exit_raw, struct task_struct *p, bool group_dead)
{
	return tl_on_exit(false, p, group_dead);
}

SEC("tp_btf/sched_process_wait")
int BPF_PROG(tl_proc_wait, struct pid *pid)
{
	return tl_on_wait(pid);
}

SEC("?raw_tp/sched_process_wait")
int BPF_PROG(tl_proc_wait_raw, struct pid *pid)
{
	return tl_on_wait(pid);
}

SEC("tp_btf/task_rename")
int BPF_PROG(tl_proc_rename, struct task_struct *p, const char *comm)
{
	return tl_on_rename(true, p, comm);
}

SEC("?raw_tp/task_rename")
int BPF_PROG(tl_proc_rename_raw, struct task_struct *p, const char *comm)
{
	return tl_on_rename(false, p, comm);
}
