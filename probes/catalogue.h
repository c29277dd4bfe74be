/* catalogue.h - the probe catalogue: every probe threadline can attach,
 * with its kind, its target, the BPF program that serves it (and the raw_tp
 * twin used when the kernel refuses tp_btf), its event group and whether a
 * kernel may lack it. The session walks this table to choose what to load
 * and attach; docs/probes.md describes each probe in prose.
 *
 * Included by user space only (userspace/session.c).
 */
#ifndef TL_CATALOGUE_H
#define TL_CATALOGUE_H

#include <stdbool.h>
#include <stddef.h>
#include "../bpf/tl_abi.h"

enum tl_probe_kind {
	TL_PK_TP_BTF = 1,     /* BTF-typed raw tracepoint (fallback: raw_tp) */
	TL_PK_TRACEPOINT = 2, /* classic tracepoint "category/name" */
	TL_PK_USDT = 3,       /* USDT probe of provider "threadline" */
	TL_PK_ITER = 4,       /* BPF iterator, run on demand */
};

#define TL_GROUP_ALWAYS (-1) /* loaded whatever the groups: filter upkeep */
#define TL_GROUP_STACKS (-2) /* loaded with record -g (off-CPU stacks) */

struct tl_probe {
	enum tl_probe_kind kind;
	const char *target;   /* tracepoint, "category/name", or USDT name */
	const char *prog;     /* BPF program in the skeleton */
	const char *fallback; /* raw_tp twin of a tp_btf program, or NULL */
	int group;            /* enum tl_group, or TL_GROUP_ALWAYS */
	bool optional;        /* a kernel without it gets one warning */
};

#define TL_CAT_BTF(tp, name, g) \
	{ TL_PK_TP_BTF, tp, name, name "_raw", g, false }
#define TL_CAT_BTF_OPT(tp, name, g) \
	{ TL_PK_TP_BTF, tp, name, name "_raw", g, true }
#define TL_CAT_SYS(call, g) \
	{ TL_PK_TRACEPOINT, "syscalls/sys_enter_" call, "tl_sys_enter", NULL, g, true }, \
	{ TL_PK_TRACEPOINT, "syscalls/sys_exit_" call, "tl_sys_exit", NULL, g, true }
#define TL_CAT_USDT(name) \
	{ TL_PK_USDT, #name, "tl_usdt_" #name, NULL, TL_G_USDT, true }

static const struct tl_probe tl_catalogue[] = {
	/* sched */
	TL_CAT_BTF("sched/sched_switch", "tl_sched_switch", TL_G_SCHED),
	TL_CAT_BTF("sched/sched_waking", "tl_sched_waking", TL_G_SCHED),
	TL_CAT_BTF("sched/sched_wakeup_new", "tl_sched_wakeup_new", TL_G_SCHED),
	TL_CAT_BTF("sched/sched_migrate_task", "tl_sched_migrate", TL_G_SCHED),
	/* off-CPU stacks: after tl_sched_switch, so its record comes second */
	TL_CAT_BTF("sched/sched_switch", "tl_stack_switch", TL_GROUP_STACKS),
	/* filter upkeep (and the fork event when "proc" is on) */
	TL_CAT_BTF("sched/sched_process_fork", "tl_proc_fork", TL_GROUP_ALWAYS),
	TL_CAT_BTF("sched/sched_process_free", "tl_proc_free", TL_GROUP_ALWAYS),
	/* net's counts of an exiting thread: before its exit record */
	TL_CAT_BTF("sched/sched_process_exit", "tl_sock_exit", TL_G_NET),
	/* proc */
	TL_CAT_BTF("task/task_newtask", "tl_proc_newtask", TL_G_PROC),
	TL_CAT_BTF("sched/sched_process_exec", "tl_proc_exec", TL_G_PROC),
	TL_CAT_BTF("sched/sched_process_exit", "tl_proc_exit", TL_G_PROC),
	TL_CAT_BTF("sched/sched_process_wait", "tl_proc_wait", TL_G_PROC),
	TL_CAT_BTF("task/task_rename", "tl_proc_rename", TL_G_PROC),
	/* net: sends and receives on sockets, counted per thread */
	TL_CAT_BTF_OPT("sock/sock_send_length", "tl_sock_send", TL_G_NET),
	TL_CAT_BTF_OPT("sock/sock_recv_length", "tl_sock_recv", TL_G_NET),
	/* signal */
	TL_CAT_BTF("signal/signal_generate", "tl_signal_generate", TL_G_SIGNAL),
	TL_CAT_BTF("signal/signal_deliver", "tl_signal_deliver", TL_G_SIGNAL),
	/* syscalls (opt-in: every task of the system takes the slow syscall
	 * path while one of these is attached) */
	TL_CAT_SYS("clone", TL_G_SYSCALLS),
	TL_CAT_SYS("clone3", TL_G_SYSCALLS),
	TL_CAT_SYS("fork", TL_G_SYSCALLS),
	TL_CAT_SYS("vfork", TL_G_SYSCALLS),
	TL_CAT_SYS("futex", TL_G_SYSCALLS),
	TL_CAT_SYS("futex_wait", TL_G_SYSCALLS),
	TL_CAT_SYS("futex_wake", TL_G_SYSCALLS),
	TL_CAT_SYS("futex_waitv", TL_G_SYSCALLS),
	TL_CAT_SYS("futex_requeue", TL_G_SYSCALLS),
	TL_CAT_SYS("socket", TL_G_SYSCALLS),
	TL_CAT_SYS("socketpair", TL_G_SYSCALLS),
	TL_CAT_SYS("bind", TL_G_SYSCALLS),
	TL_CAT_SYS("listen", TL_G_SYSCALLS),
	TL_CAT_SYS("accept", TL_G_SYSCALLS),
	TL_CAT_SYS("accept4", TL_G_SYSCALLS),
	TL_CAT_SYS("connect", TL_G_SYSCALLS),
	TL_CAT_SYS("sendto", TL_G_SYSCALLS),
	TL_CAT_SYS("recvfrom", TL_G_SYSCALLS),
	TL_CAT_SYS("sendmsg", TL_G_SYSCALLS),
	TL_CAT_SYS("recvmsg", TL_G_SYSCALLS),
	TL_CAT_SYS("sendmmsg", TL_G_SYSCALLS),
	TL_CAT_SYS("recvmmsg", TL_G_SYSCALLS),
	TL_CAT_SYS("shutdown", TL_G_SYSCALLS),
	TL_CAT_SYS("select", TL_G_SYSCALLS),
	TL_CAT_SYS("pselect6", TL_G_SYSCALLS),
	TL_CAT_SYS("poll", TL_G_SYSCALLS),
	TL_CAT_SYS("ppoll", TL_G_SYSCALLS),
	TL_CAT_SYS("epoll_wait", TL_G_SYSCALLS),
	TL_CAT_SYS("epoll_pwait", TL_G_SYSCALLS),
	TL_CAT_SYS("epoll_pwait2", TL_G_SYSCALLS),
	/* usdt: attached per binary by tl_session_attach_usdt() */
	TL_CAT_USDT(coro_switch),
	TL_CAT_USDT(queue_put),
	TL_CAT_USDT(queue_get),
	TL_CAT_USDT(task_begin),
	TL_CAT_USDT(task_end),
	TL_CAT_USDT(section_enter),
	TL_CAT_USDT(section_exit),
	TL_CAT_USDT(mark),
	/* start-of-trace snapshot, run by tl_session_snapshot() */
	{ TL_PK_ITER, "task", "tl_snapshot", NULL, TL_GROUP_ALWAYS, false },
	/* the stacks of threads blocked at the start (-g) */
	{ TL_PK_ITER, "task", "tl_stack_snapshot", NULL, TL_GROUP_STACKS, false },
	/* net's counts of the threads alive at the end, run by
	 * tl_session_sock_counts() */
	{ TL_PK_ITER, "task", "tl_sock_flush", NULL, TL_G_NET, false },
};

#define TL_CATALOGUE_LEN (sizeof(tl_catalogue) / sizeof(tl_catalogue[0]))

#undef TL_CAT_BTF
#undef TL_CAT_BTF_OPT
#undef TL_CAT_SYS
#undef TL_CAT_USDT

#endif
