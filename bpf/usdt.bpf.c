// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * usdt.bpf.c - group "usdt": the marks of provider "threadline" (see
 * probes/threadline_usdt.h) that instrumented programs place where the
 * kernel sees nothing: coroutine switches, queue put/get, tasks, sections.
 * User space attaches each program to the probe of the same name in a
 * binary; the filter drops hits from untraced processes.
 */
#include "common.bpf.h"
#include <bpf/usdt.bpf.h>

static __always_inline int tl_on_usdt(__u32 kind, long a0, long a1,
				      const char *str)
{
	struct tl_usdt *e;
	void *ring;

	if (!tl_current_traced())
		return 0;
	e = tl_reserve(sizeof(*e), TL_USDT, &ring);
	if (!e)
		return 0;
	e->kind = kind;
	e->args[0] = a0;
	e->args[1] = a1;
	if (str)
		bpf_probe_read_user_str(e->str, sizeof(e->str), str);
	tl_submit(e, ring);
	return 0;
}

SEC("usdt")
int BPF_USDT(tl_usdt_coro_switch, long from, long to, const char *name)
{
	return tl_on_usdt(TL_USDT_CORO_SWITCH, from, to, name);
}

SEC("usdt")
int BPF_USDT(tl_usdt_queue_put, long q, long depth, const char *name)
{
	return tl_on_usdt(TL_USDT_QUEUE_PUT, q, depth, name);
}

SEC("usdt")
int BPF_USDT(tl_usdt_queue_get, long q, long depth, const char *name)
{
	return tl_on_usdt(TL_USDT_QUEUE_GET, q, depth, name);
}

SEC("usdt")
int BPF_USDT(tl_usdt_task_begin, long id, const char *name)
{
	return tl_on_usdt(TL_USDT_TASK_BEGIN, id, 0, name);
}

SEC("usdt")
int BPF_USDT(tl_usdt_task_end, long id, const char *unused)
{
	return tl_on_usdt(TL_USDT_TASK_END, id, 0, NULL);
}

SEC("usdt")
int BPF_USDT(tl_usdt_section_enter, long ptr, const char *name)
{
	return tl_on_usdt(TL_USDT_SECTION_ENTER, ptr, 0, name);
}

SEC("usdt")
int BPF_USDT(tl_usdt_section_exit, long ptr, const char *unused)
{
	return tl_on_usdt(TL_USDT_SECTION_EXIT, ptr, 0, NULL);
}

SEC("usdt")
int BPF_USDT(tl_usdt_mark, long value, const char *label)
{
	return tl_on_usdt(TL_USDT_MARK, value, 0, label);
}
