/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * common.bpf.h - what every threadline BPF program shares: the knobs set by
 * user space before load, the filter of traced tgids, the per-CPU ring
 * buffers and loss counters, and small readers of task state.
 *
 * Every BPF source file includes this file and the objects are linked into
 * one, so the maps and knobs below are __weak: each object carries a copy
 * and the linker keeps exactly one.
 *
 * Kernel terms throughout: "tgid" is a process (what users call a PID),
 * "pid"/"tid" of a task is a thread (what users call a TID).
 */
#ifndef TL_COMMON_BPF_H
#define TL_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "tl_abi.h"

/* PID_MAX_LIMIT on 64-bit: every tgid is below it (pid_max cannot exceed it) */
#define TL_PID_LIMIT (1u << 22)
#define TL_PF_KTHREAD 0x00200000 /* task->flags: kernel thread */
#define TL_PF_EXITING 0x00000004 /* task->flags: in do_exit */
#define TL_SI_USER 0
#define TL_SI_KERNEL 0x80
#define TL_S_IFMT 0170000

char LICENSE[] SEC("license") __weak = "Dual BSD/GPL";

/* ---- knobs, fixed at load time by user space ---- */
const volatile bool tl_trace_all __weak = false;
const volatile __u32 tl_groups __weak = 0;
/* force a consumer wakeup once a ring holds more than this many bytes */
const volatile __u64 tl_wakeup_bytes __weak = 4 << 20;
/* threadline's own process: never traced, even with tl_trace_all, so that
 * recording does not record itself (its polls, writes and wakeups) */
const volatile __u32 tl_self_tgid __weak = 0;

/* ---- maps ---- */
/* The filter: one bit per tgid, set for the traced processes, in .bss (512
 * KiB, memory-mapped by user space, which sets the bits of its targets).
 * Testing a bit is a few instructions where a hash map lookup was a call
 * costing ~20 ns, and the filter is asked on every context switch, twice.
 * Defined once, in proc.bpf.c (like tl_stats: a __weak array would be
 * carried by every object). */
extern __u64 tl_traced_bits[TL_PID_LIMIT / 64];

/* One ring per CPU, created by user space and sized from its options, so
 * each ring holds the events of one CPU in the order they happened. The
 * inner definition is only the template the kernel checks them against. */
struct tl_ring_tmpl {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, TL_MAX_CPUS);
	__type(key, __u32);
	__array(values, struct tl_ring_tmpl);
} tl_rings SEC(".maps") __weak;

/* Per-CPU counters in .bss (memory-mapped by user space), one cache line
 * per CPU so CPUs do not contend for it. Defined once, in sched.bpf.c: a
 * __weak array would be carried (16 KiB each) by every object. */
struct tl_cpu_slot {
	struct tl_cpu_stats s;
	__u64 pad[6];
};
extern struct tl_cpu_slot tl_stats[TL_MAX_CPUS];

/* ---- filter ---- */
static __always_inline bool tl_group_on(int g)
{
	return tl_groups & (1u << g);
}

/* Word of tgid in tl_traced_bits. The mask is what the verifier checks the
 * index against; the empty asm keeps the compiler from dropping it. */
static __always_inline __u32 tl_pid_word(__u32 tgid)
{
	__u32 w = tgid / 64;

	asm volatile("" : "+r"(w));
	return w & (TL_PID_LIMIT / 64 - 1);
}

/* Set by user space (through the memory-mapped .bss) at the end of a
 * recording: from then on nothing is traced, on every CPU at once, while
 * the probes are detached at leisure; records of programs already past
 * this test carry later timestamps, and user space drops those. Defined
 * once, in sched.bpf.c. */
extern __u32 tl_stopped;

/* threadline itself counts as untraced everywhere: see "The filter" in
 * docs/probes.md for what that keeps of its switches and wakeups. The
 * stop flag is asked first: every program passes through here. */
static __always_inline bool tl_traced_tgid(__u32 tgid)
{
	if (*(volatile __u32 *)&tl_stopped)
		return false;
	if (tl_self_tgid && tgid == tl_self_tgid)
		return false;
	if (tl_trace_all)
		return true;
	return tgid && (tl_traced_bits[tl_pid_word(tgid)] & (1ull << (tgid % 64)));
}

/* Atomic: two CPUs may change bits of the same word at once. */
static __always_inline void tl_trace_tgid(__u32 tgid, bool on)
{
	if (tgid == 0 || tgid >= TL_PID_LIMIT)
		return;
	if (on)
		__sync_fetch_and_or(&tl_traced_bits[tl_pid_word(tgid)],
				    1ull << (tgid % 64));
	else
		__sync_fetch_and_and(&tl_traced_bits[tl_pid_word(tgid)],
				     ~(1ull << (tgid % 64)));
}

static __always_inline bool tl_current_traced(void)
{
	return tl_traced_tgid(bpf_get_current_pid_tgid() >> 32);
}

/* ---- interrupt context ----
 * An event that fires in a hard or soft interrupt is not the doing of the
 * task it interrupted, though that task is `current`: a timer that wakes a
 * sleeper on a busy CPU would otherwise be charged to whatever ran there.
 * The CPU's preempt count says which context it is; BPF cannot name the
 * per-CPU variable (a typed ksym needs CONFIG_KALLSYMS_ALL), but its
 * distance from the per-CPU run queue is in the kernel's BTF, and user
 * space passes it in (tl_pc_from_rq; tl_pc_known false when BTF does not
 * say). The run queue of a CPU is that of the task running on it. */
/* In .bss, set by user space after loading (it reads BTF meanwhile), before
 * attaching; the preempt count's address per CPU is found on first use (0:
 * not yet). Defined once, in sched.bpf.c. */
extern __u32 tl_pc_known;
extern __s64 tl_pc_from_rq;
extern __u64 tl_pc_addrs[TL_MAX_CPUS];

#define TL_PC_SOFTIRQ_OFFSET 0x00000100u /* serving a softirq */
#define TL_PC_HARDIRQ_MASK 0x000f0000u
#define TL_PC_NMI_MASK 0x00f00000u

/* Where this CPU's preempt count is, or 0. Checked once per CPU: the run
 * queue found must say it is this CPU's. */
static __always_inline __u64 tl_pc_addr(__u32 cpu)
{
	struct task_struct *cur;
	struct rq *rq;
	__u64 addr;

	if (!tl_pc_known || cpu >= TL_MAX_CPUS)
		return 0;
	addr = tl_pc_addrs[cpu];
	if (addr)
		return addr;
	cur = (struct task_struct *)bpf_get_current_task();
	if (!bpf_core_field_exists(cur->se.cfs_rq))
		return 0; /* no group scheduling: no way to the run queue */
	rq = BPF_CORE_READ(cur, se.cfs_rq, rq);
	if (!rq || BPF_CORE_READ(rq, cpu) != (int)cpu)
		return 0;
	addr = (__u64)rq + tl_pc_from_rq;
	tl_pc_addrs[cpu] = addr;
	return addr;
}

/* Declared here, used by sched.bpf.c only (see tl_fd_kind below). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* TL_HDR_F_* for an event on `cpu` whose current task is `tid`: F_IRQ |
 * F_HARDIRQ in a hard interrupt or NMI; F_SOFTIRQ in a softirq (with F_IRQ
 * only when current is idle); F_IRQ alone when current is the idle task
 * (which wakes nobody itself: a wakeup queued by another CPU, run from the
 * idle loop) or, where the preempt count cannot be read, as a lower bound. With `cast` the count is a plain load through a
 * read-only cast (as the first member of a struct that starts with an
 * int), not a probe read: ~15 ns less on every waking. */
static __always_inline __u16 tl_irq_flags(__u32 cpu, __u32 tid, bool cast)
{
	__u16 idle = tid == 0 ? TL_HDR_F_IRQ : 0;
	__u64 addr = tl_pc_addr(cpu);
	__u32 pc = 0;

	if (!addr)
		return idle;
	if (cast) {
		struct refcount_struct *r = bpf_rdonly_cast((void *)addr,
			bpf_core_type_id_kernel(struct refcount_struct));

		pc = r->refs.counter;
	} else if (bpf_probe_read_kernel(&pc, sizeof(pc), (void *)addr)) {
		return idle;
	}
	if (pc & (TL_PC_HARDIRQ_MASK | TL_PC_NMI_MASK))
		return TL_HDR_F_IRQ | TL_HDR_F_HARDIRQ;
	/* a softirq may be the current task's own doing: one run at the end
	 * of its bottom-half section (a loopback TCP send delivers the packet
	 * so, waking the receiver) looks the same as one run on the return
	 * from an interrupt; so current stays the waker, and the flag says
	 * where the wakeup ran */
	if (pc & TL_PC_SOFTIRQ_OFFSET)
		return idle | TL_HDR_F_SOFTIRQ;
	return idle;
}

/* ---- ring buffers ---- */
/* The header of every record: `id` is the actor (tgid << 32 | tid, as
 * bpf_get_current_pid_tgid() gives it). */
static __always_inline void tl_hdr_fill(struct tl_hdr *h, __u32 size,
					__u16 type, __u32 cpu, __u64 id)
{
	h->size = size;
	h->type = type;
	h->cpu = cpu;
	h->flags = 0;
	h->ts = bpf_ktime_get_boot_ns();
	h->tgid = id >> 32;
	h->tid = (__u32)id;
}

/* How often (in records per CPU) the fill level of a ring is checked. A
 * query per record costs a helper call on the hottest paths; checking one
 * record in 64 overshoots the wakeup threshold by at most 64 records. */
#define TL_QUERY_EVERY 64

/* Reserves a record on this CPU's ring and fills the header with the actor
 * `id` (tgid << 32 | tid, as bpf_get_current_pid_tgid() gives it). A failed
 * reservation is counted, never silent. The body is zeroed unless `whole`:
 * then the caller writes every byte itself (the hot records, where zeroing
 * first would store each byte twice). */
static __always_inline void *tl_reserve_raw(__u32 size, __u16 type,
					    void **ringp, bool whole, __u64 id)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct tl_hdr *h;
	void *ring;

	ring = bpf_map_lookup_elem(&tl_rings, &cpu);
	h = ring ? bpf_ringbuf_reserve(ring, size, 0) : NULL;
	if (!h) {
		/* lost must be exact: other programs may count on this CPU
		 * from interrupt context */
		if (cpu < TL_MAX_CPUS)
			__sync_fetch_and_add(&tl_stats[cpu].s.lost, 1);
		return NULL;
	}
	if (!whole)
		__builtin_memset(h, 0, size);
	tl_hdr_fill(h, size, type, cpu, id);
	*ringp = ring;
	return h;
}

static __always_inline void *tl_reserve(__u32 size, __u16 type, void **ringp)
{
	return tl_reserve_raw(size, type, ringp, false,
			      bpf_get_current_pid_tgid());
}

/* No wakeup per event: the collector polls every ~50 ms. Only when a ring
 * fills past tl_wakeup_bytes (a quarter) is the consumer woken, so it cannot
 * overflow between polls. Waking on every event costs about 3x on a
 * context-switch benchmark. `emitted` is informative, so it is bumped
 * without an atomic add. */
static __always_inline void tl_submit(void *rec, void *ring)
{
	__u32 cpu = ((struct tl_hdr *)rec)->cpu;
	__u64 flags = BPF_RB_NO_WAKEUP, n = 0;

	if (cpu < TL_MAX_CPUS)
		n = tl_stats[cpu].s.emitted++;
	if (n % TL_QUERY_EVERY == 0 &&
	    bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) > tl_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

/* ---- staging ----
 * A ring buffer reservation and its commit cost about as much as the rest
 * of a scheduler event together (a locked reservation, an atomic commit),
 * and the hottest programs run on every context switch. So they write
 * their records into this CPU's stage (plain stores into .bss) and move
 * the stage to the ring in one bpf_ringbuf_output() once it holds
 * tl_stage_limit bytes: one reservation per ~150 records. User space asks
 * for a flush of every non-empty stage on each drain (tl_flush_stage,
 * run on that CPU), so a record waits at most one poll period.
 *
 * `busy` guards against a program that interrupts another one on the same
 * CPU while it writes the stage (hard interrupts, the flush request): the
 * inner one then reserves its record directly in the ring. Such a record
 * lands in the ring before older staged ones; the collector orders records
 * by timestamp anyway. */
extern struct tl_stage tl_stages[TL_MAX_CPUS];

/* Stage fill level that triggers a flush; 0 turns staging off. User space
 * lowers it for small rings, which must hold several flushes. */
const volatile __u32 tl_stage_limit __weak = TL_STAGE_BYTES - TL_STAGE_ROOM;

#define tl_barrier() asm volatile("" ::: "memory")

/* Claims this CPU's stage; NULL when staging is off or the stage is in
 * use by the program this one interrupted. */
static __always_inline struct tl_stage *tl_stage_claim(__u32 cpu)
{
	struct tl_stage *st;

	if (cpu >= TL_MAX_CPUS || !tl_stage_limit)
		return NULL;
	st = &tl_stages[cpu];
	if (st->busy)
		return NULL;
	st->busy = 1;
	tl_barrier();
	return st;
}

/* Where the next record of a claimed stage goes. The stage never holds
 * more than tl_stage_limit (< TL_STAGE_BYTES) bytes between programs, so
 * the mask changes nothing; it is what the verifier checks the offset
 * against (buf has TL_STAGE_ROOM bytes beyond TL_STAGE_BYTES). */
static __always_inline void *tl_stage_next(struct tl_stage *st)
{
	__u32 off = st->len;

	asm volatile("" : "+r"(off));
	return st->buf + (off & (TL_STAGE_BYTES - 1));
}

/* Moves the whole stage to the ring as one sample, waking the consumer
 * when the ring fills past tl_wakeup_bytes. A failed output loses every
 * staged record, and counts them all. */
static __always_inline void tl_stage_flush(struct tl_stage *st, __u32 cpu)
{
	/* a fresh load: bounded below in the register passed on */
	__u64 flags = BPF_RB_NO_WAKEUP, len = *(volatile __u32 *)&st->len;
	__u32 n = st->n, key = cpu;
	struct tl_cpu_stats *cs;
	void *ring;

	if (cpu >= TL_MAX_CPUS || len == 0)
		return;
	cs = &tl_stats[cpu].s;
	st->len = 0;
	st->n = 0;
	ring = bpf_map_lookup_elem(&tl_rings, &key);
	if (ring && len <= TL_STAGE_BYTES) {
		if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) > tl_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		if (bpf_ringbuf_output(ring, st->buf, len, flags) == 0) {
			cs->emitted += n;
			return;
		}
	}
	__sync_fetch_and_add(&cs->lost, n);
}

/* Adds the record just written at tl_stage_next() and releases the stage. */
static __always_inline void tl_stage_commit(struct tl_stage *st, __u32 cpu,
					    __u32 size)
{
	st->len += size;
	st->n++;
	if (st->len > tl_stage_limit)
		tl_stage_flush(st, cpu);
	tl_barrier();
	st->busy = 0;
}

/* ---- task readers ----
 * Handlers are written once and instantiated twice: for tp_btf (task
 * pointers are BTF-typed, fields are read directly) and for the raw_tp
 * fallback (plain pointers, every read goes through bpf_probe_read). The
 * `btf` argument is a compile-time constant, so each instance keeps only
 * its own branch. */
#define TL_RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

#define TL_TASK_UNINT 0x0002
#define TL_TASK_NOLOAD 0x0400

/* The task's state, cut to the low byte the records carry. TASK_IDLE
 * (uninterruptible and TASK_NOLOAD: an idle kernel thread's wait, in no
 * load average, "I" in ps) is told as a plain sleep (1): it is no D state,
 * and TASK_NOLOAD does not fit in the byte. */
static __always_inline __u32 tl_task_state(bool btf, struct task_struct *t)
{
	__u32 s;

	if (bpf_core_field_exists(t->__state))
		s = TL_RD(btf, t, __state);
	else
		s = BPF_CORE_READ((struct task_struct___old *)t, state);
	if ((s & (TL_TASK_NOLOAD | TL_TASK_UNINT)) == (TL_TASK_NOLOAD | TL_TASK_UNINT))
		return (s & 0xff & ~TL_TASK_UNINT) | 1;
	return s & 0xff;
}

static __always_inline __s32 tl_task_cpu(bool btf, struct task_struct *t)
{
	return TL_RD(btf, t, thread_info.cpu);
}

/* comm is always NUL-terminated within its 16 bytes: a plain copy. With a
 * BTF-typed task it is two direct 8-byte loads (the verifier allows loads
 * of any size inside a char array); dst must be 8-byte aligned, as every
 * comm of tl_abi.h is. */
static __always_inline void tl_read_comm(bool btf, char *dst,
					 struct task_struct *t)
{
	if (btf) {
		const __u64 *src = (const __u64 *)t->comm;

		((__u64 *)dst)[0] = src[0];
		((__u64 *)dst)[1] = src[1];
	} else {
		bpf_probe_read_kernel(dst, TL_COMM_LEN, &t->comm);
	}
}

/* ---- why a task blocks ---- */
/* x86_64 syscalls whose first argument is a file descriptor that the call
 * may block on. */
static __always_inline bool tl_sys_takes_fd(long nr)
{
	switch (nr) {
	case 0: case 1: case 16: case 17: case 18: case 19: case 20: /* read write ioctl pread64 pwrite64 readv writev */
	case 40: case 42: case 43: case 44: case 45: case 46: case 47: /* sendfile connect accept sendto recvfrom sendmsg recvmsg */
	case 48: case 49: case 50: case 72: case 73: case 74: case 75: /* shutdown bind listen fcntl flock fsync fdatasync */
	case 217: case 232: case 233: case 242: case 243: /* getdents64 epoll_wait epoll_ctl mq_timedsend mq_timedreceive */
	case 275: case 276: case 277: case 281: case 285: case 288: /* splice tee sync_file_range epoll_pwait fallocate accept4 */
	case 295: case 296: case 299: case 307: case 327: case 328: /* preadv pwritev recvmmsg sendmmsg preadv2 pwritev2 */
	case 426: case 441: /* io_uring_enter epoll_pwait2 */
		return true;
	}
	return false;
}

static __always_inline __u32 tl_mode_kind(__u32 mode)
{
	switch (mode & TL_S_IFMT) {
	case 0:        return TL_FD_ANON; /* anon inodes have no type bits */
	case 0100000:  return TL_FD_FILE;
	case 0010000:  return TL_FD_PIPE;
	case 0140000:  return TL_FD_SOCKET;
	case 0020000:  return TL_FD_CHR;
	case 0040000:  return TL_FD_DIR;
	case 0060000:  return TL_FD_BLK;
	}
	return TL_FD_OTHER;
}

/* bpf_rdonly_cast (declared above) turns a plain kernel pointer back into
 * a BTF-typed one, read-only: its fields are then plain loads (faults read
 * as zero) instead of helper calls, and the verifier inlines the call into
 * a register move. Only one object may use it: the linker of libbpf 1.1
 * fails on an extern kfunc that several objects call. sched.bpf.c, the hot
 * path, is that object; the others pass cast = false and pay probe reads. */

/* Kind of the object behind fd in task t's file table, from its inode. t
 * is BTF-typed, so the table is read directly. The slot at a variable
 * index is a pointer to a pointer, which the verifier does not type: with
 * `cast` it is read through a read-only cast (a plain load, ~10 ns less on
 * every blocking switch), else with one probe read. */
static __always_inline __u32 tl_fd_kind(struct task_struct *t, __u64 fd,
					bool cast)
{
	struct files_struct *files = t->files;
	struct fdtable *fdt;
	struct file *f = NULL;
	struct inode *ino;

	if (!files)
		return TL_FD_NONE;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return TL_FD_NONE;
	if (cast) {
		/* the slot read as the first member of a struct that starts
		 * with a struct file pointer: a plain load, not a probe read */
		struct kiocb *slot = bpf_rdonly_cast(
			(void *)((unsigned long)fdt->fd + fd * sizeof(f)),
			bpf_core_type_id_kernel(struct kiocb));

		f = slot->ki_filp;
	} else if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd])) {
		return TL_FD_NONE;
	}
	if (!f)
		return TL_FD_NONE;
	if (!cast)
		return tl_mode_kind(BPF_CORE_READ(f, f_inode, i_mode));
	ino = f->f_inode;
	if (!ino)
		return TL_FD_NONE;
	return tl_mode_kind(ino->i_mode);
}

/* Fills b from the user registers saved at kernel entry of task t (a
 * BTF-typed pointer): the syscall it sleeps in and its first arguments. A
 * kernel thread, or a task that entered the kernel by an interrupt or
 * exception, has orig_ax < 0 and gets sys_nr = -1. */
static __always_inline void tl_fill_blocked(struct task_struct *t,
					    struct tl_blocked *b, bool cast)
{
	b->sys_nr = -1;
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs;
	long nr;

	if (t->flags & TL_PF_KTHREAD)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return;
	nr = regs->orig_ax;
	if (nr < 0)
		return;
	b->sys_nr = nr;
	b->args[0] = regs->di;
	b->args[1] = regs->si;
	b->args[2] = regs->dx;
	if (tl_sys_takes_fd(nr))
		b->fd_kind = tl_fd_kind(t, regs->di, cast);
#endif
}

#endif /* TL_COMMON_BPF_H */
