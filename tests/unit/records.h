/* records.h - the one record builder of the unit tests' synthetic streams
 * (header-only: each unit test is one source file).
 *
 * Each TR_X(...) takes the record's fields by name and yields a pointer to
 * a filled record that lives until the end of the enclosing block:
 *
 *   feed(m, TR_SWITCH(.ts = MS(20), .prev = 101, .prev_pid = 100,
 *                     .state = 1, .nr = 202, .a0 = 0x1000,
 *                     .next = 100, .next_pid = 100));
 *
 * Fields left out are 0, except the defaults each macro names first (a
 * later designated initializer overrides an earlier one, which is what
 * -Woverride-init would warn about).
 */
#ifndef TL_TEST_RECORDS_H
#define TL_TEST_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "bpf/tl_abi.h"

#pragma GCC diagnostic ignored "-Woverride-init"

/* Fills a record header; tid/pid are the task current when it fired. */
static inline void hdr(struct tl_hdr *h, uint16_t type, uint16_t size, uint64_t ts,
		       int cpu, uint32_t tid, uint32_t pid)
{
	memset(h, 0, size);
	h->type = type;
	h->size = size;
	h->ts = ts;
	h->cpu = (uint16_t)cpu;
	h->tid = tid;
	h->tgid = pid;
}

static inline void tr_comm(char *dst, size_t n, const char *s)
{
	if (s)
		snprintf(dst, n, "%s", s);
}

/* sched_switch: prev leaves cpu with state (0 runnable, 1 S, 2 D, 0x80
 * dead), blocked in syscall nr (-1: none) on a0, a1 (fd kind fd_kind). */
struct tr_switch {
	uint64_t ts;
	int cpu;
	uint32_t prev, prev_pid, next, next_pid;
	int64_t state;
	bool preempt;
	int32_t nr;
	uint64_t a0, a1;
	uint32_t fd_kind;
	int32_t prio;
	const char *prev_comm, *next_comm;
};
static inline const void *tr_switch(struct tl_switch *s, struct tr_switch a)
{
	hdr(&s->h, TL_SWITCH, sizeof(*s), a.ts, a.cpu, a.prev, a.prev_pid);
	s->next_tid = a.next;
	s->next_tgid = a.next_pid;
	s->prev_state = a.state;
	s->preempt = a.preempt;
	s->prev_prio = s->next_prio = a.prio;
	s->why = (struct tl_blocked){ .sys_nr = a.nr, .fd_kind = a.fd_kind,
				      .args = { a.a0, a.a1, 0 } };
	tr_comm(s->prev_comm, sizeof(s->prev_comm), a.prev_comm);
	tr_comm(s->next_comm, sizeof(s->next_comm), a.next_comm);
	return s;
}
#define TR_SWITCH(...) tr_switch(&(struct tl_switch){ 0 }, \
	(struct tr_switch){ .nr = -1, .prio = 120, __VA_ARGS__ })

/* sched_waking (or .type = TL_WAKEUP_NEW): waker wakes wakee; .irq marks
 * a waking from interrupt context. */
struct tr_waking {
	uint16_t type;
	uint64_t ts;
	int cpu;
	uint32_t waker, waker_pid, wakee, wakee_pid;
	int32_t target_cpu;
	int32_t prio;
	bool irq;
	const char *comm;
};
static inline const void *tr_waking(struct tl_waking *w, struct tr_waking a)
{
	hdr(&w->h, a.type, sizeof(*w), a.ts, a.cpu, a.waker, a.waker_pid);
	w->h.flags = a.irq ? TL_HDR_F_IRQ : 0;
	w->tid = a.wakee;
	w->tgid = a.wakee_pid;
	w->prio = a.prio;
	w->target_cpu = a.target_cpu;
	tr_comm(w->comm, sizeof(w->comm), a.comm);
	return w;
}
#define TR_WAKING(...) tr_waking(&(struct tl_waking){ 0 }, \
	(struct tr_waking){ .type = TL_WAKING, .prio = 120, __VA_ARGS__ })

/* A task alive when tracing started: state 0 runnable (on_cpu: running),
 * 1 S, 2 D, blocked in syscall nr (-1: none) on a0, a1. */
struct tr_snap {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid, ppid;
	uint32_t state;
	bool on_cpu;
	uint64_t start_ns;
	int32_t nr;
	uint64_t a0, a1;
	uint32_t fd_kind;
	const char *comm;
};
static inline const void *tr_snap(struct tl_task_snap *s, struct tr_snap a)
{
	hdr(&s->h, TL_TASK_SNAP, sizeof(*s), a.ts, a.cpu, a.tid, a.pid);
	s->ppid = a.ppid;
	s->state = a.state;
	s->on_cpu = a.on_cpu;
	s->start_ns = a.start_ns;
	s->why = (struct tl_blocked){ .sys_nr = a.nr, .fd_kind = a.fd_kind,
				      .args = { a.a0, a.a1, 0 } };
	tr_comm(s->comm, sizeof(s->comm), a.comm);
	return s;
}
#define TR_SNAP(...) tr_snap(&(struct tl_task_snap){ 0 }, \
	(struct tr_snap){ .ppid = 1, .nr = -1, __VA_ARGS__ })

/* task_newtask: creator (tid, pid) makes the task (child, child_pid); a
 * thread (CLONE_THREAD among the flags) unless .process. */
struct tr_newtask {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid, child, child_pid;
	bool process;
	const char *comm;
};
#define TR_CLONE_THREAD_FLAGS 0x3d0f00ull  /* pthread_create's */
#define TR_FORK_FLAGS 0x1200011ull         /* fork()'s */
static inline const void *tr_newtask(struct tl_newtask *n, struct tr_newtask a)
{
	hdr(&n->h, TL_NEWTASK, sizeof(*n), a.ts, a.cpu, a.tid, a.pid);
	n->tid = a.child;
	n->tgid = a.child_pid;
	n->clone_flags = a.process ? TR_FORK_FLAGS : TR_CLONE_THREAD_FLAGS;
	tr_comm(n->comm, sizeof(n->comm), a.comm);
	return n;
}
#define TR_NEWTASK(...) tr_newtask(&(struct tl_newtask){ 0 }, \
	(struct tr_newtask){ __VA_ARGS__ })

/* sched_process_fork, with the same fields as TR_NEWTASK. */
static inline const void *tr_fork(struct tl_fork *f, struct tr_newtask a)
{
	hdr(&f->h, TL_FORK, sizeof(*f), a.ts, a.cpu, a.tid, a.pid);
	f->child_tid = a.child;
	f->child_tgid = a.child_pid;
	tr_comm(f->child_comm, sizeof(f->child_comm), a.comm);
	return f;
}
#define TR_FORK(...) tr_fork(&(struct tl_fork){ 0 }, (struct tr_newtask){ __VA_ARGS__ })

/* sched_process_exit with a wait status. */
struct tr_exit {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid;
	int32_t status;
	bool group_dead;
};
static inline const void *tr_exit(struct tl_exit *e, struct tr_exit a)
{
	hdr(&e->h, TL_EXIT, sizeof(*e), a.ts, a.cpu, a.tid, a.pid);
	e->exit_code = a.status;
	e->group_dead = a.group_dead;
	return e;
}
#define TR_EXIT(...) tr_exit(&(struct tl_exit){ 0 }, (struct tr_exit){ __VA_ARGS__ })

/* Lost events on a CPU. */
struct tr_loss {
	uint64_t ts;
	int cpu;
	uint64_t lost, total;
};
static inline const void *tr_loss(struct tl_loss *l, struct tr_loss a)
{
	hdr(&l->h, TL_LOSS, sizeof(*l), a.ts, a.cpu, 0, 0);
	l->lost_new = a.lost;
	l->lost_total = a.total;
	return l;
}
#define TR_LOSS(...) tr_loss(&(struct tl_loss){ 0 }, (struct tr_loss){ __VA_ARGS__ })

/* A process's identity: cmd is the NUL-separated command line of len
 * bytes (at most TR_CMD_MAX). */
#define TR_CMD_MAX 128
struct tr_proc_info_rec {
	struct tl_proc_info pi;
	char cmd[TR_CMD_MAX];
};
struct tr_proc_info {
	uint64_t ts;
	uint32_t pid, ppid, uid;
	const char *cmd;
	size_t len;
};
static inline const void *tr_proc_info(struct tr_proc_info_rec *r, struct tr_proc_info a)
{
	size_t len = a.len < TR_CMD_MAX ? a.len : TR_CMD_MAX;

	hdr(&r->pi.h, TL_PROC_INFO, (uint16_t)(sizeof(r->pi) + len), a.ts, 0, a.pid, a.pid);
	r->pi.ppid = a.ppid;
	r->pi.uid = a.uid;
	if (a.cmd)
		memcpy(r->cmd, a.cmd, len);
	return r;
}
#define TR_PROC_INFO(...) tr_proc_info(&(struct tr_proc_info_rec){ 0 }, \
	(struct tr_proc_info){ .ppid = 1, .uid = 1000, __VA_ARGS__ })

/* Syscall entry (args a0, a1) or, with .exit, its return ret. */
struct tr_sys {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid;
	int32_t nr;
	uint64_t a0, a1;
	bool exit;
	int64_t ret;
};
union tr_sys_rec {
	struct tl_sys_enter e;
	struct tl_sys_exit x;
};
static inline const void *tr_sys(union tr_sys_rec *r, struct tr_sys a)
{
	if (a.exit) {
		hdr(&r->x.h, TL_SYS_EXIT, sizeof(r->x), a.ts, a.cpu, a.tid, a.pid);
		r->x.nr = a.nr;
		r->x.ret = a.ret;
	} else {
		hdr(&r->e.h, TL_SYS_ENTER, sizeof(r->e), a.ts, a.cpu, a.tid, a.pid);
		r->e.nr = a.nr;
		r->e.args[0] = a.a0;
		r->e.args[1] = a.a1;
	}
	return r;
}
#define TR_SYS(...) tr_sys(&(union tr_sys_rec){ 0 }, (struct tr_sys){ __VA_ARGS__ })

/* A USDT mark of kind (enum tl_usdt_kind) with two arguments and a string. */
struct tr_usdt {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid;
	uint32_t kind;
	uint64_t a0, a1;
	const char *str;
};
static inline const void *tr_usdt(struct tl_usdt *u, struct tr_usdt a)
{
	hdr(&u->h, TL_USDT, sizeof(*u), a.ts, a.cpu, a.tid, a.pid);
	u->kind = a.kind;
	u->args[0] = a.a0;
	u->args[1] = a.a1;
	tr_comm(u->str, sizeof(u->str), a.str);
	return u;
}
#define TR_USDT(...) tr_usdt(&(struct tl_usdt){ 0 }, (struct tr_usdt){ __VA_ARGS__ })

/* The far end of socket fd (inode ino) of thread tid blocking at ts:
 * family 2 (AF_INET) with a4 as the remote IPv4 address in host order
 * (0x7f000001 = 127.0.0.1), or 10 with a6 (16 bytes), or 1 (AF_UNIX). */
struct tr_sock_peer {
	uint64_t ts;
	int cpu;
	uint32_t tid, pid;
	uint32_t fd, peer_pid;
	uint64_t ino;
	uint16_t family, type, sport, dport;
	uint8_t state;
	uint32_t a4;
	const uint8_t *a6;
};
static inline const void *tr_sock_peer(struct tl_sock_peer *p, struct tr_sock_peer a)
{
	hdr(&p->h, TL_SOCK_PEER, sizeof(*p), a.ts, a.cpu, a.tid, a.pid);
	p->fd = a.fd;
	p->peer_pid = a.peer_pid;
	p->ino = a.ino;
	p->family = a.family;
	p->type = a.type;
	p->sport = a.sport;
	p->dport = a.dport;
	p->state = a.state;
	if (a.a6) {
		memcpy(p->daddr, a.a6, 16);
	} else {
		p->daddr[0] = (uint8_t)(a.a4 >> 24);
		p->daddr[1] = (uint8_t)(a.a4 >> 16);
		p->daddr[2] = (uint8_t)(a.a4 >> 8);
		p->daddr[3] = (uint8_t)a.a4;
	}
	return p;
}
#define TR_SOCK_PEER(...) tr_sock_peer(&(struct tl_sock_peer){ 0 }, \
	(struct tr_sock_peer){ .family = 2, .type = 1, .state = 1, __VA_ARGS__ })

/* An interned stack of thread tid (process 100) blocking at ts: TL_STACK
 * defines id (two kernel frames, user frames 0x401000 < 0x402000),
 * TL_STACK_REF refers to it again. buf: at least 9 words. */
static inline const void *tr_stack(uint64_t *buf, uint16_t type, uint64_t ts,
				   uint32_t tid, uint32_t id)
{
	struct tl_stack *s = (struct tl_stack *)buf;
	uint64_t *ips = (uint64_t *)(s + 1);

	if (type == TL_STACK_REF) {
		struct tl_stack_ref *r = (struct tl_stack_ref *)buf;

		hdr(&r->h, TL_STACK_REF, sizeof(*r), ts, 1, tid, 100);
		r->id = id;
		return r;
	}
	hdr(&s->h, TL_STACK, sizeof(*s) + 4 * 8, ts, 1, tid, 100);
	s->id = id;
	s->nkern = 2;
	s->nuser = 2;
	ips[0] = 0xffffffff81000010; /* in ksched, innermost */
	ips[1] = 0xffffffff81000220; /* in kfutex */
	ips[2] = 0x401000;           /* user, innermost */
	ips[3] = 0x402000;
	return s;
}

#endif
