// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * signal.bpf.c - group "signal": a signal sent (who to whom, and what came
 * of it) and a signal delivered (the receiver is about to act on it).
 * tp_btf programs with raw_tp twins, as in sched.bpf.c.
 */
#include "common.bpf.h"

/* The kernel passes two pseudo-pointers instead of a siginfo; the si_code
 * they stand for is what signal_generate's own format reports. Because of
 * them the verifier types signal_generate's `info` as a plain number even
 * for tp_btf (it "may encode an error"), and refuses a direct load: the
 * field is read with a probe read on both paths. Signals are rare, so the
 * helper call costs nothing that matters. */
static __always_inline int tl_si_code(struct kernel_siginfo *info)
{
	unsigned long v = (unsigned long)info;

	if (v == 0)
		return TL_SI_USER;
	if (v == 1 || v >= (unsigned long)-4095)
		return TL_SI_KERNEL;
	return BPF_CORE_READ(info, si_code);
}

/* hdr = sender (current); emitted when sender or receiver is traced. */
static __always_inline int tl_on_generate(bool btf, int sig,
					  struct kernel_siginfo *info,
					  struct task_struct *task, int result)
{
	__u32 tgid = TL_RD(btf, task, tgid);
	struct tl_signal_gen *e;
	void *ring;

	if (!tl_current_traced() && !tl_traced_tgid(tgid))
		return 0;
	e = tl_reserve(sizeof(*e), TL_SIGNAL_GEN, &ring);
	if (!e)
		return 0;
	e->h.flags = tl_irq_flags(e->h.cpu, e->h.tid, false);
	e->tid = TL_RD(btf, task, pid);
	e->tgid = tgid;
	e->sig = sig;
	e->code = tl_si_code(info);
	e->result = result;
	tl_submit(e, ring);
	return 0;
}

static __always_inline int tl_on_deliver(bool btf, int sig,
					 struct kernel_siginfo *info,
					 struct k_sigaction *ka)
{
	struct tl_signal_deliver *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_SIGNAL_DELIVER, &ring);
	if (!e)
		return 0;
	e->sig = sig;
	e->code = tl_si_code(info);
	e->handler = (__u64)TL_RD(btf, ka, sa.sa_handler);
	tl_submit(e, ring);
	return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(tl_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	return tl_on_generate(true, sig, info, task, result);
}

SEC("?raw_tp/signal_generate")
int BPF_PROG(tl_signal_generate_raw, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	return tl_on_generate(false, sig, info, task, result);
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(tl_signal_deliver, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	return tl_on_deliver(true, sig, info, ka);
}

SEC("?raw_tp/signal_deliver")
int BPF_PROG(tl_signal_deliver_raw, int sig, struct kernel_siginfo *info,
	     struct k_sigaction *ka)
{
	return tl_on_deliver(false, sig, info, ka);
}
