// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * stack.bpf.c - off-CPU stacks (`record -g`): when a traced task blocks,
 * its kernel stack, its user registers and a copy of the top of its user
 * stack, in one TL_STACK_RAW record that `record` unwinds at once.
 *
 * A program of its own on sched_switch, loaded only with -g, so a recording
 * without stacks pays nothing for them. It is attached after the switch
 * program, so its record follows the TL_SWITCH it belongs to.
 *
 * Why a copy and not bpf_get_stack(BPF_F_USER_STACK): that walks frame
 * pointers, and Debian's glibc has none, so a thread waiting in
 * pthread_mutex_lock shows one user frame. The copy is unwound in user
 * space with the binaries' .eh_frame (docs/probes.md, "Stacks").
 */
#include "common.bpf.h"

#define TL_PAGE 4096
#define TL_TASK_DEAD 0x80

/* The record being built, per CPU: too big for the 512-byte BPF stack. The
 * buffer has one page of slack past TL_USTACK_MAX so the verifier can see
 * that a page-sized read at any offset below TL_USTACK_MAX stays inside. */
struct tl_stack_scratch {
	struct tl_stack_raw r;
	__u8 ustack[TL_USTACK_MAX + TL_PAGE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tl_stack_scratch);
} tl_stack_scratch SEC(".maps");

/* Processes (and address spaces: an mm's memory is soon reused by the
 * next process) a stack was sent for. The first stack of a new one wakes
 * `record` at once, which then reads that process's memory maps while the
 * thread is still blocked: a program that lives less than the 50 ms
 * `record` otherwise sleeps could not be unwound or named later. */
struct tl_aspace_key {
	__u64 mm;
	__u32 tgid;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tl_aspace_key);
	__type(value, __u8);
} tl_stack_seen SEC(".maps");

static __always_inline bool tl_new_aspace(__u64 mm, __u32 tgid)
{
	struct tl_aspace_key k = { .mm = mm, .tgid = tgid };
	__u8 one = 1;

	if (!mm || bpf_map_lookup_elem(&tl_stack_seen, &k))
		return false;
	bpf_map_update_elem(&tl_stack_seen, &k, &one, BPF_ANY);
	return true;
}

/* Where each thread last blocked and what its stack depended on, written
 * by `record` (tl_abi.h, struct tl_stack_again): a block that matches is
 * sent without a kernel stack or a copy, which are most of the cost. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tl_stack_again_key);
	__type(value, struct tl_stack_again);
} tl_stack_again SEC(".maps");

/* Stacks that did not fit in the ring, per CPU. Kept apart from the event
 * loss counters: a missing stack leaves the timeline whole, so it must not
 * make the model mark threads unknown. */
__u64 tl_stack_lost[TL_MAX_CPUS];

/* pt_regs -> DWARF order (tl_abi.h, TL_UREGS). */
static __always_inline void tl_copy_regs(__u64 *r, struct pt_regs *p)
{
#if defined(__TARGET_ARCH_x86)
	r[0] = p->ax;  r[1] = p->dx;  r[2] = p->cx;  r[3] = p->bx;
	r[4] = p->si;  r[5] = p->di;  r[6] = p->bp;  r[7] = p->sp;
	r[8] = p->r8;  r[9] = p->r9;  r[10] = p->r10; r[11] = p->r11;
	r[12] = p->r12; r[13] = p->r13; r[14] = p->r14; r[15] = p->r15;
	r[16] = p->ip;
#endif
}

/* Copies max (at most TL_USTACK_MAX) bytes of the user stack from sp up,
 * in page-aligned pieces: a read that crosses into an unmapped page (the
 * guard page of another thread's stack right above a short one) fails
 * whole, so each piece ends at a page boundary and the copy stops at the
 * first that fails. Returns bytes. */
static __always_inline __u32 tl_copy_ustack(__u8 *buf, __u64 sp, __u32 max)
{
	__u32 len = 0;

	if (max > TL_USTACK_MAX)
		max = TL_USTACK_MAX;
#pragma unroll
	for (int i = 0; i < TL_USTACK_MAX / TL_PAGE + 1; i++) {
		__u64 addr = sp + len;
		__u32 piece = TL_PAGE - (addr & (TL_PAGE - 1));

		if (len >= max)
			break;
		if (piece > max - len)
			piece = max - len;
		/* the verifier cannot follow max - len: bound it again, in a
		 * register the compiler may not drop the mask from */
		asm volatile("" : "+r"(piece));
		piece &= 2 * TL_PAGE - 1;
		if (bpf_probe_read_user(buf + (len & (TL_USTACK_MAX - 1)),
					piece, (void *)addr))
			break;
		len += piece;
	}
	return len & ~7u;
}

/* True when this block repeats the one `record` described in the
 * tl_stack_again entry for (thread, pc): same address space, sp and bp,
 * and the same words at the offsets the unwinder read (copied into buf,
 * span bytes from sp). Sets *gen to the entry's. Every TL_AGAIN_REFRESH-th
 * hit is refused, so the kernel frames are taken again now and then. */
static __always_inline bool tl_block_again(__u8 *buf, __u32 tid, __u64 aspace,
					   const __u64 *regs, __u32 *gen)
{
	struct tl_stack_again_key k = { .tid = tid, .ip = regs[TL_UREG_IP] };
	struct tl_stack_again *a = bpf_map_lookup_elem(&tl_stack_again, &k);
	__u32 n, span;

	if (!a || a->aspace != aspace || a->sp != regs[TL_UREG_SP] ||
	    a->bp != regs[TL_UREG_BP] || !a->gen)
		return false;
	n = a->nreads;
	span = a->span;
	if (n > TL_AGAIN_READS || span > TL_USTACK_MAX)
		return false;
	/* a thread blocks on one CPU at a time: a plain increment will do */
	if (++a->hits % TL_AGAIN_REFRESH == 0)
		return false;
	if (span && tl_copy_ustack(buf, regs[TL_UREG_SP], span) < span)
		return false;
	for (__u32 i = 0; i < TL_AGAIN_READS; i++) {
		__u32 off;

		if (i >= n)
			break;
		off = a->off[i];
		if (off > TL_USTACK_MAX - 8 ||
		    *(__u64 *)(buf + (off & (TL_USTACK_MAX - 1))) != a->val[i])
			return false;
	}
	*gen = a->gen;
	return true;
}

static __always_inline int tl_on_block(void *ctx, bool btf, bool preempt,
				       struct task_struct *prev)
{
	struct task_struct *t = bpf_get_current_task_btf(); /* = prev */
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0, state, size;
	struct tl_stack_scratch *s;
	struct pt_regs *regs;
	__u64 avail;
	long kb;
	void *ring;

	if (preempt || !tl_traced_tgid(TL_RD(btf, prev, tgid)))
		return 0;
	state = tl_task_state(btf, prev);
	if (!state || (state & TL_TASK_DEAD))
		return 0;
	/* Stacks take a ring only while it is less than half full: the rest
	 * is kept for the events, so a flood of stacks loses stacks (counted
	 * apart), never scheduling events. Asked first, before the copying. */
	ring = bpf_map_lookup_elem(&tl_rings, &cpu);
	avail = ring ? bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) : 0;
	s = bpf_map_lookup_elem(&tl_stack_scratch, &zero);
	if (!ring || !s || avail > 2 * tl_wakeup_bytes) {
		if (cpu < TL_MAX_CPUS)
			__sync_fetch_and_add(&tl_stack_lost[cpu], 1);
		return 0;
	}
	tl_hdr_fill(&s->r.h, 0, TL_STACK_RAW, cpu, bpf_get_current_pid_tgid());
	s->r.flags = 0;
	s->r.ustack_len = 0;
	s->r.again = 0;
	s->r.nkern = 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	s->r.aspace = (__u64)t->mm;
	if ((t->flags & TL_PF_KTHREAD) || !regs) {
		s->r.flags = TL_RAW_F_NO_USER;
		__builtin_memset(s->r.regs, 0, sizeof(s->r.regs));
	} else {
		tl_copy_regs(s->r.regs, regs);
		if (tl_block_again(s->ustack, s->r.h.tid, s->r.aspace, s->r.regs,
				   &s->r.again))
			s->r.flags = TL_RAW_F_AGAIN;
		else
			s->r.ustack_len = tl_copy_ustack(s->ustack, s->r.regs[TL_UREG_SP],
							 TL_USTACK_MAX);
	}
	if (s->r.flags & TL_RAW_F_AGAIN) {
		size = __builtin_offsetof(struct tl_stack_raw, regs);
	} else {
		/* frames of this program and of the tracepoint's caller come
		 * first; user space drops them by name */
		kb = bpf_get_stack(ctx, s->r.kips, sizeof(s->r.kips), 0);
		s->r.nkern = kb > 0 ? (__u64)kb / 8 : 0;
		size = sizeof(s->r) + s->r.ustack_len;
	}
	s->r.h.size = size;
	/* the empty asm keeps the compiler from checking one register and
	 * passing another, unchecked, to the helper */
	asm volatile("" : "+r"(size));
	size &= 0x3fff;
	/* past a quarter, the consumer is woken, as for every record; and
	 * for a process's first stack (tl_stack_seen) */
	if (size > sizeof(*s) ||
	    bpf_ringbuf_output(ring, s, size, avail > tl_wakeup_bytes ||
			       tl_new_aspace(s->r.aspace, s->r.h.tgid) ?
			       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP)) {
		if (cpu < TL_MAX_CPUS)
			__sync_fetch_and_add(&tl_stack_lost[cpu], 1);
	}
	return 0;
}

SEC("?tp_btf/sched_switch")
int BPF_PROG(tl_stack_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return tl_on_block(ctx, true, preempt, prev);
}

SEC("?raw_tp/sched_switch")
int BPF_PROG(tl_stack_switch_raw, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return tl_on_block(ctx, false, preempt, prev);
}

/* ---- threads already blocked when tracing starts ----
 * They will not switch out again before they wake (a deadlocked program
 * attached with -p never does), so their stacks are taken once, by a task
 * iterator run right after the start-of-trace snapshot. It is sleepable:
 * another task's memory can only be read with bpf_copy_from_user_task,
 * which may fault pages in. Records go to the iterator's seq file. */

/* Another task's user stack, in page-aligned pieces as above. */
static __always_inline __u32 tl_copy_task_ustack(__u8 *buf, __u64 sp,
						 struct task_struct *t)
{
	__u32 len = 0;

#pragma unroll
	for (int i = 0; i < TL_USTACK_MAX / TL_PAGE + 1; i++) {
		__u64 addr = sp + len;
		__u32 piece = TL_PAGE - (addr & (TL_PAGE - 1));

		if (len >= TL_USTACK_MAX)
			break;
		if (piece > TL_USTACK_MAX - len)
			piece = TL_USTACK_MAX - len;
		if (bpf_copy_from_user_task(buf + (len & (TL_USTACK_MAX - 1)),
					    piece & (2 * TL_PAGE - 1), (void *)addr, t, 0))
			break;
		len += piece;
	}
	return len & ~7u;
}

SEC("?iter.s/task")
int tl_stack_snapshot(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *t = ctx->task;
	struct tl_stack_scratch *s;
	struct pt_regs *regs;
	__u32 zero = 0, state, size;
	long kb;

	if (!t || !tl_traced_tgid(t->tgid) || (t->flags & TL_PF_KTHREAD))
		return 0;
	state = tl_task_state(true, t);
	if (!state || (state & TL_TASK_DEAD) || t->on_cpu)
		return 0;
	s = bpf_map_lookup_elem(&tl_stack_scratch, &zero);
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!s || !regs)
		return 0;
	tl_hdr_fill(&s->r.h, 0, TL_STACK_RAW, t->thread_info.cpu,
		    (__u64)t->tgid << 32 | (__u32)t->pid);
	kb = bpf_get_task_stack(t, s->r.kips, sizeof(s->r.kips), 0);
	s->r.nkern = kb > 0 ? (__u64)kb / 8 : 0;
	s->r.flags = 0;
	s->r.again = 0;
	s->r.aspace = (__u64)t->mm;
	tl_copy_regs(s->r.regs, regs);
	s->r.ustack_len = tl_copy_task_ustack(s->ustack, s->r.regs[TL_UREG_SP], t);
	size = sizeof(s->r) + s->r.ustack_len;
	s->r.h.size = size;
	asm volatile("" : "+r"(size));
	size &= 0x3fff;
	if (size <= sizeof(*s))
		bpf_seq_write(seq, s, size);
	return 0;
}
