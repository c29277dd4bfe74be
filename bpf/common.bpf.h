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

#define TL_MAX_TRACED 32768
#define TL_PF_KTHREAD 0x00200000 /* task->flags: kernel thread */
#define TL_SI_USER 0
#define TL_SI_KERNEL 0x80
#define TL_S_IFMT 0170000

char LICENSE[] SEC("license") __weak = "Dual BSD/GPL";

/* ---- knobs, fixed at load time by user space ---- */
const volatile bool tl_trace_all __weak = false;
const volatile __u32 tl_groups __weak = 0;
/* force a consumer wakeup once a ring holds more than this many bytes */
const volatile __u64 tl_wakeup_bytes __weak = 4 << 20;

/* ---- maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TL_MAX_TRACED);
	__type(key, __u32);  /* tgid */
	__type(value, __u8);
} tl_traced SEC(".maps") __weak;

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

static __always_inline bool tl_traced_tgid(__u32 tgid)
{
	if (tl_trace_all)
		return true;
	if (tgid == 0)
		return false;
	return bpf_map_lookup_elem(&tl_traced, &tgid) != NULL;
}

static __always_inline bool tl_current_traced(void)
{
	return tl_traced_tgid(bpf_get_current_pid_tgid() >> 32);
}

/* True when the event cannot be the doing of `current`: it fired in the
 * idle task, which wakes nobody itself (a timer or device interrupt, or a
 * wakeup queued by another CPU, does it). Interrupts that hit a busy CPU
 * would need the per-CPU preempt count, which BPF can only find on kernels
 * built with CONFIG_KALLSYMS_ALL. */
static __always_inline bool tl_in_irq(void)
{
	return (__u32)bpf_get_current_pid_tgid() == 0;
}

/* ---- ring buffers ---- */
static __always_inline void tl_count(__u32 cpu, bool lost)
{
	if (cpu >= TL_MAX_CPUS)
		return;
	/* lost must be exact; emitted is informative and bumped on every
	 * event, so it skips the cost of an atomic add */
	if (lost)
		__sync_fetch_and_add(&tl_stats[cpu].s.lost, 1);
	else
		tl_stats[cpu].s.emitted++;
}

/* Reserves a zeroed record on this CPU's ring and fills the header with
 * current as the actor. A failed reservation is counted, never silent. */
static __always_inline void *tl_reserve(__u32 size, __u16 type, void **ringp)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 id = bpf_get_current_pid_tgid();
	struct tl_hdr *h;
	void *ring;

	ring = bpf_map_lookup_elem(&tl_rings, &cpu);
	if (!ring) {
		tl_count(cpu, true);
		return NULL;
	}
	h = bpf_ringbuf_reserve(ring, size, 0);
	if (!h) {
		tl_count(cpu, true);
		return NULL;
	}
	__builtin_memset(h, 0, size);
	h->size = size;
	h->type = type;
	h->cpu = cpu;
	h->ts = bpf_ktime_get_boot_ns();
	h->tgid = id >> 32;
	h->tid = (__u32)id;
	*ringp = ring;
	return h;
}

/* No wakeup per event: the collector polls every ~50 ms. Only when a ring
 * fills past a quarter is the consumer woken, so it cannot overflow between
 * polls. Waking on every event costs about 3x on a context-switch benchmark. */
static __always_inline void tl_submit(void *rec, void *ring)
{
	__u64 avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);

	tl_count(((struct tl_hdr *)rec)->cpu, false);
	bpf_ringbuf_submit(rec, avail > tl_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
							: BPF_RB_NO_WAKEUP);
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

static __always_inline __u32 tl_task_state(bool btf, struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return TL_RD(btf, t, __state) & 0xff;
	return BPF_CORE_READ((struct task_struct___old *)t, state) & 0xff;
}

static __always_inline __s32 tl_task_cpu(bool btf, struct task_struct *t)
{
	return TL_RD(btf, t, thread_info.cpu);
}

/* comm is always NUL-terminated within its 16 bytes: a plain copy. */
static __always_inline void tl_read_comm(char *dst, struct task_struct *t)
{
	bpf_probe_read_kernel(dst, TL_COMM_LEN, &t->comm);
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

/* Kind of the object behind fd in task t's file table, from its inode. t
 * is BTF-typed, so the table is read directly; the slot at a variable
 * index, and the file it points to, need probe reads. */
static __always_inline __u32 tl_fd_kind(struct task_struct *t, __u64 fd)
{
	struct files_struct *files = t->files;
	struct fdtable *fdt;
	struct file *f = NULL;

	if (!files)
		return TL_FD_NONE;
	fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return TL_FD_NONE;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fdt->fd[fd]) || !f)
		return TL_FD_NONE;
	return tl_mode_kind(BPF_CORE_READ(f, f_inode, i_mode));
}

/* Fills b from the user registers saved at kernel entry of task t (a
 * BTF-typed pointer): the syscall it sleeps in and its first arguments. A
 * kernel thread, or a task that entered the kernel by an interrupt or
 * exception, has orig_ax < 0 and gets sys_nr = -1. */
static __always_inline void tl_fill_blocked(struct task_struct *t,
					    struct tl_blocked *b)
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
		b->fd_kind = tl_fd_kind(t, regs->di);
#endif
}

#endif /* TL_COMMON_BPF_H */
