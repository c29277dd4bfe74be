// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * snapshot.bpf.c - the start-of-trace snapshot: a task iterator that writes
 * one struct tl_task_snap per task of a traced process (every task with
 * trace_all), with what a blocked task is waiting in, so that threads which
 * existed before tracing start with a known state.
 *
 * A task in the middle of exiting (PF_EXITING, not yet a zombie) is left
 * out: tracing is on while the iterator walks, so its exit record is in
 * the recording, before the snapshot's timestamp or after it, and a
 * snapshot entry stamped after its exit would say a task lives that is
 * gone. A zombie is kept (its state says it is dead; its process may
 * live on).
 */
#include "common.bpf.h"

SEC("iter/task")
int tl_snapshot(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct tl_task_snap s = {};

	if (!t || !tl_traced_tgid(t->tgid))
		return 0;
	if ((t->flags & TL_PF_EXITING) && !t->exit_state)
		return 0;
	s.h.size = sizeof(s);
	s.h.type = TL_TASK_SNAP;
	s.h.cpu = t->thread_info.cpu;
	s.h.ts = bpf_ktime_get_boot_ns();
	s.h.tgid = t->tgid;
	s.h.tid = t->pid;
	s.ppid = t->real_parent->tgid;
	s.state = tl_task_state(true, t);
	s.on_cpu = t->on_cpu;
	s.start_ns = t->start_boottime;
	s.why.sys_nr = -1;
	if (s.state)
		tl_fill_blocked(t, &s.why, false);
	bpf_probe_read_kernel_str(s.comm, sizeof(s.comm), t->comm);
	bpf_seq_write(seq, &s, sizeof(s));
	return 0;
}
