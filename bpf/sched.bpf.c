// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sched.bpf.c - group "sched": context switches (with the reason a task
 * blocks), wakeups and migrations. Each handler has a tp_btf program and a
 * raw_tp twin ("?" sections, off by default) that user space enables when
 * the kernel refuses tp_btf.
 */
#include "common.bpf.h"

struct tl_cpu_slot tl_stats[TL_MAX_CPUS];
struct tl_stage tl_stages[TL_MAX_CPUS];
__u64 tl_pc_addrs[TL_MAX_CPUS];
__u32 tl_pc_known;
__s64 tl_pc_from_rq;
__u32 tl_stopped;

_Static_assert(sizeof(struct tl_switch) <= TL_STAGE_ROOM &&
	       sizeof(struct tl_waking) <= TL_STAGE_ROOM,
	       "a staged record must fit the room beyond TL_STAGE_BYTES");

#define TL_NR_FUTEX 202
#define TL_FUTEX_CMD_MASK 0x7f /* without PRIVATE (128), CLOCK_REALTIME (256) */
#define TL_FUTEX_WAIT 0
#define TL_FUTEX_LOCK_PI 6
#define TL_FUTEX_WAIT_BITSET 9
#define TL_FUTEX_LOCK_PI2 13
#define TL_GLIBC_MUTEX_OWNER 8 /* offsetof(pthread_mutex_t, __data.__owner) */
#define TL_FUTEX_TID_MASK 0x3fffffff

/* Who holds the lock prev is about to sleep on, read now because only now
 * is the lock still held by that owner and prev's memory the current one.
 * glibc's contended mutex lock waits with value 2 and keeps the owner's TID
 * next to the futex word; a PI futex word holds the owner itself. Any other
 * futex wait (condvar, semaphore, join) has no owner: 0. */
static __always_inline __u32 tl_futex_owner(const struct tl_blocked *b)
{
	__u64 cmd = b->args[1] & TL_FUTEX_CMD_MASK;
	__u32 v = 0;

	if (b->sys_nr != TL_NR_FUTEX)
		return 0;
	if ((cmd == TL_FUTEX_WAIT || cmd == TL_FUTEX_WAIT_BITSET) &&
	    (__u32)b->args[2] == 2) {
		bpf_probe_read_user(&v, sizeof(v),
				    (void *)(b->args[0] + TL_GLIBC_MUTEX_OWNER));
		return v;
	}
	if (cmd == TL_FUTEX_LOCK_PI || cmd == TL_FUTEX_LOCK_PI2) {
		bpf_probe_read_user(&v, sizeof(v), (void *)b->args[0]);
		return v & TL_FUTEX_TID_MASK;
	}
	return 0;
}

/* ---- the far end of a socket a thread blocks on ----
 * Told once per (process, fd, socket inode) and remote end, in a record of
 * its own, so that the switch record does not grow and a thread blocking
 * on the same connection a million times costs one record. */
struct tl_sock_key {
	__u32 tgid, fd;
	__u64 ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct tl_sock_key);
	__type(value, __u32); /* a hash of the remote end last told */
} tl_sock_told SEC(".maps");

#define TL_AF_UNIX 1
#define TL_AF_INET6 10

/* The file behind fd in t's table (t BTF-typed), read-only, as in
 * tl_fd_kind; NULL if none. */
static __always_inline struct file *tl_fd_file(struct task_struct *t, __u64 fd)
{
	struct files_struct *files = t->files;
	struct fdtable *fdt;
	struct kiocb *slot;

	if (!files)
		return NULL;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	slot = bpf_rdonly_cast((void *)((unsigned long)fdt->fd + fd * sizeof(void *)),
			       bpf_core_type_id_kernel(struct kiocb));
	return slot->ki_filp;
}

static __always_inline void tl_fill_peer(struct tl_sock_peer *e, struct sock *sk)
{
	struct sock_common *c = &sk->__sk_common;
	struct pid *pp;

	e->family = c->skc_family;
	e->type = sk->sk_type;
	e->state = c->skc_state;
	e->sport = c->skc_num;
	e->dport = __builtin_bswap16(c->skc_dport);
	if (e->family == TL_AF_INET6) {
		if (bpf_core_field_exists(c->skc_v6_daddr)) /* CONFIG_IPV6 */
			__builtin_memcpy(e->daddr, &c->skc_v6_daddr, 16);
	} else {
		__u32 a = c->skc_daddr;

		__builtin_memcpy(e->daddr, &a, 4);
	}
	if (e->family == TL_AF_UNIX) {
		pp = sk->sk_peer_pid;
		if (pp)
			e->peer_pid = BPF_CORE_READ(pp, numbers[0].nr);
	}
}

/* sw's prev blocks on the socket fd why.args[0]: tells its far end unless
 * it was told already (t = prev, BTF-typed). Only socket blocks get here:
 * every other switch pays one compare. */
static __always_inline void tl_note_peer(struct task_struct *t,
					 const struct tl_switch *sw)
{
	struct tl_sock_key k = { .tgid = sw->h.tgid, .fd = sw->why.args[0] };
	struct file *f = tl_fd_file(t, sw->why.args[0]);
	struct sock_common *c;
	struct tl_sock_peer *e;
	struct socket *so;
	struct sock *sk;
	__u32 sig, *told;
	void *ring;

	if (!f || !f->f_inode)
		return;
	k.ino = f->f_inode->i_ino;
	so = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	sk = so->sk;
	if (!sk)
		return;
	c = &sk->__sk_common;
	sig = c->skc_daddr ^ ((__u32)c->skc_dport << 16) ^ c->skc_family;
	if (bpf_core_field_exists(c->skc_v6_daddr))
		sig ^= c->skc_v6_daddr.in6_u.u6_addr32[3];
	told = bpf_map_lookup_elem(&tl_sock_told, &k);
	if (told && *told == sig)
		return;
	e = tl_reserve_raw(sizeof(*e), TL_SOCK_PEER, &ring, false,
			   (__u64)sw->h.tgid << 32 | sw->h.tid);
	if (!e)
		return; /* counted as lost; told at the next block instead */
	bpf_map_update_elem(&tl_sock_told, &k, &sig, BPF_ANY);
	e->h.ts = sw->h.ts;
	e->fd = k.fd;
	e->ino = k.ino;
	tl_fill_peer(e, sk);
	tl_submit(e, ring);
}

/* Stores of one switch record after its header: every byte once, the
 * blocking reason read only when prev blocks. */
static __always_inline void tl_fill_switch(bool btf, bool preempt,
					   struct task_struct *prev,
					   struct task_struct *next,
					   bool prev_traced,
					   struct tl_switch *e)
{
	/* a preempted task stays runnable whatever __state says */
	__u32 state = preempt ? 0 : tl_task_state(btf, prev);

	e->next_tid = TL_RD(btf, next, pid);
	e->next_tgid = TL_RD(btf, next, tgid);
	e->prev_state = state;
	e->prev_prio = TL_RD(btf, prev, prio);
	e->next_prio = TL_RD(btf, next, prio);
	*(__u64 *)&e->preempt = preempt; /* and the padding after it */
	e->why = (struct tl_blocked){ .sys_nr = -1 };
	if (state && prev_traced) {
		struct task_struct *t = btf ? prev : bpf_get_current_task_btf();

		tl_fill_blocked(t, &e->why, true);
		if (tl_group_on(TL_G_FUTEX)) /* a user memory read */
			e->lock_owner = tl_futex_owner(&e->why);
		if (e->why.fd_kind == TL_FD_SOCKET)
			tl_note_peer(t, e);
	}
	tl_read_comm(btf, e->prev_comm, prev);
	tl_read_comm(btf, e->next_comm, next);
}

/* Emitted when either side of the switch is traced: the other side tells
 * who took, or gave up, the CPU. hdr = prev (still current here). The
 * hottest program of all: staged, so no ring reservation per record. */
static __always_inline int tl_on_switch(bool btf, bool preempt,
					struct task_struct *prev,
					struct task_struct *next)
{
	bool prev_traced = tl_traced_tgid(TL_RD(btf, prev, tgid));
	__u32 cpu = bpf_get_smp_processor_id();
	struct tl_switch *e;
	struct tl_stage *st;
	void *ring;
	__u64 id;

	if (!prev_traced && !tl_traced_tgid(TL_RD(btf, next, tgid)))
		return 0;
	/* prev is current: with BTF its ids are two loads, not a call */
	id = btf ? (__u64)prev->tgid << 32 | (__u32)prev->pid
		 : bpf_get_current_pid_tgid();
	st = tl_stage_claim(cpu);
	if (st) {
		e = tl_stage_next(st);
		tl_hdr_fill(&e->h, sizeof(*e), TL_SWITCH, cpu, id);
		tl_fill_switch(btf, preempt, prev, next, prev_traced, e);
		tl_stage_commit(st, cpu, sizeof(*e));
		return 0;
	}
	e = tl_reserve_raw(sizeof(*e), TL_SWITCH, &ring, true, id);
	if (!e)
		return 0;
	tl_fill_switch(btf, preempt, prev, next, prev_traced, e);
	tl_submit(e, ring);
	return 0;
}

/* Stores of one waking record after its header (every byte: no zeroing). */
static __always_inline void tl_fill_wake(bool btf, struct task_struct *p,
					 struct tl_waking *e)
{
	e->h.flags = tl_irq_flags(e->h.cpu, e->h.tid, true);
	e->tid = TL_RD(btf, p, pid);
	e->tgid = TL_RD(btf, p, tgid);
	e->prio = TL_RD(btf, p, prio);
	e->target_cpu = tl_task_cpu(btf, p);
	tl_read_comm(btf, e->comm, p);
}

/* sched_waking / sched_wakeup_new: hdr = waker (current), p = wakee. */
static __always_inline int tl_on_wake(bool btf, struct task_struct *p,
				      __u16 type)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tl_waking *e;
	struct tl_stage *st;
	void *ring;
	__u64 id;

	if (!tl_traced_tgid(TL_RD(btf, p, tgid)))
		return 0;
	id = bpf_get_current_pid_tgid();
	st = tl_stage_claim(cpu);
	if (st) {
		e = tl_stage_next(st);
		tl_hdr_fill(&e->h, sizeof(*e), type, cpu, id);
		tl_fill_wake(btf, p, e);
		tl_stage_commit(st, cpu, sizeof(*e));
		return 0;
	}
	e = tl_reserve_raw(sizeof(*e), type, &ring, true, id);
	if (!e)
		return 0;
	tl_fill_wake(btf, p, e);
	tl_submit(e, ring);
	return 0;
}

static __always_inline int tl_on_migrate(bool btf, struct task_struct *p,
					 int dest_cpu)
{
	__u32 tgid = TL_RD(btf, p, tgid);
	struct tl_migrate *e;
	void *ring;

	if (!tl_traced_tgid(tgid))
		return 0;
	e = tl_reserve(sizeof(*e), TL_MIGRATE, &ring);
	if (!e)
		return 0;
	e->tid = TL_RD(btf, p, pid);
	e->tgid = tgid;
	e->orig_cpu = tl_task_cpu(btf, p);
	e->dest_cpu = dest_cpu;
	tl_submit(e, ring);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tl_sched_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return tl_on_switch(true, preempt, prev, next);
}

SEC("?raw_tp/sched_switch")
int BPF_PROG(tl_sched_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return tl_on_switch(false, preempt, prev, next);
}

SEC("tp_btf/sched_waking")
int BPF_PROG(tl_sched_waking, struct task_struct *p)
{
	return tl_on_wake(true, p, TL_WAKING);
}

SEC("?raw_tp/sched_waking")
int BPF_PROG(tl_sched_waking_raw, struct task_struct *p)
{
	return tl_on_wake(false, p, TL_WAKING);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(tl_sched_wakeup_new, struct task_struct *p)
{
	return tl_on_wake(true, p, TL_WAKEUP_NEW);
}

SEC("?raw_tp/sched_wakeup_new")
int BPF_PROG(tl_sched_wakeup_new_raw, struct task_struct *p)
{
	return tl_on_wake(false, p, TL_WAKEUP_NEW);
}

SEC("tp_btf/sched_migrate_task")
int BPF_PROG(tl_sched_migrate, struct task_struct *p, int dest_cpu)
{
	return tl_on_migrate(true, p, dest_cpu);
}

SEC("?raw_tp/sched_migrate_task")
int BPF_PROG(tl_sched_migrate_raw, struct task_struct *p, int dest_cpu)
{
	return tl_on_migrate(false, p, dest_cpu);
}

/* Run by user space on one CPU (BPF_PROG_TEST_RUN with that CPU) to move
 * what the CPU staged to its ring. Returns 1 when the stage was in use (the
 * request interrupted a program writing it), so user space asks again. */
SEC("raw_tp")
int tl_flush_stage(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tl_stage *st = tl_stage_claim(cpu);

	if (!st)
		return tl_stage_limit && cpu < TL_MAX_CPUS;
	tl_stage_flush(st, cpu);
	tl_barrier();
	st->busy = 0;
	return 0;
}
