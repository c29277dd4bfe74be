// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * syscalls.bpf.c - the opt-in group "syscalls": entry and exit of the clone
 * family, the futex family, the socket family and the I/O multiplexing
 * waits. Not in the default groups: while any syscall tracepoint is
 * attached, every task of the system takes the slow syscall path. One
 * program serves every syscalls/sys_enter_* tracepoint and one every
 * sys_exit_*: their records only differ by the syscall number, which the
 * tracepoint passes in. User space attaches them to the tracepoints the
 * catalogue lists for the group.
 */
#include "common.bpf.h"

/* The fixed start of syscalls/sys_enter_* and sys_exit_* records (see
 * events/syscalls/<name>/format): 8-byte common header, the number, then the
 * arguments or the return value. A program may only read as far as the
 * shortest record it is attached to (the kernel refuses the attach
 * otherwise), so the arguments, whose count differs per call, are taken from
 * the registers saved at syscall entry instead. */
struct tl_sys_enter_ctx {
	__u64 common;
	int nr;
};

struct tl_sys_exit_ctx {
	__u64 common;
	int nr;
	int pad;
	long ret;
};

static __always_inline void tl_sys_args(struct task_struct *t, __u64 *args)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);

	if (!regs)
		return;
	args[0] = regs->di;
	args[1] = regs->si;
	args[2] = regs->dx;
	args[3] = regs->r10;
	args[4] = regs->r8;
	args[5] = regs->r9;
#endif
}

SEC("tracepoint")
int tl_sys_enter(struct tl_sys_enter_ctx *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct tl_sys_enter *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_SYS_ENTER, &ring);
	if (!e)
		return 0;
	e->nr = ctx->nr;
	tl_sys_args(t, e->args);
	if (tl_sys_takes_fd(e->nr))
		e->fd_kind = tl_fd_kind(t, e->args[0], false);
	tl_submit(e, ring);
	return 0;
}

SEC("tracepoint")
int tl_sys_exit(struct tl_sys_exit_ctx *ctx)
{
	struct tl_sys_exit *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_SYS_EXIT, &ring);
	if (!e)
		return 0;
	e->nr = ctx->nr;
	e->ret = ctx->ret;
	tl_submit(e, ring);
	return 0;
}
