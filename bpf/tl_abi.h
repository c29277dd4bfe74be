/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tl_abi.h - the one ABI between threadline's BPF programs and user space,
 * and the record layout of a recording file (records are these structs,
 * written as the kernel produced them, plus a few that user space adds).
 *
 * Rules: fixed-size types only, no kernel types; every record starts with
 * struct tl_hdr; enum values never change meaning (add new ones, bump
 * TL_ABI_VERSION when a struct grows). Kernel terms are used here: "tgid" is
 * what users call a PID, "tid"/"pid" in a task is what users call a TID.
 */
#ifndef TL_ABI_H
#define TL_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define TL_ABI_VERSION 1
#define TL_COMM_LEN 16
#define TL_PATH_LEN 128
#define TL_USDT_STR_LEN 32
#define TL_MAX_CPUS 256
#define TL_MAX_TYPES 128 /* every enum tl_type value is below this */

enum tl_type {
	/* scheduler (group "sched") */
	TL_SWITCH = 1,
	TL_WAKING = 2,
	TL_WAKEUP_NEW = 3,
	TL_MIGRATE = 4,
	/* process life (group "proc") */
	TL_FORK = 10,
	TL_NEWTASK = 11,
	TL_EXEC = 12,
	TL_EXIT = 13,
	TL_WAIT = 14,
	TL_RENAME = 15,
	/* syscalls of the group "syscalls" (clone, futex and socket
	 * families, I/O multiplexing waits) */
	TL_SYS_ENTER = 20,
	TL_SYS_EXIT = 21,
	/* signals (group "signal") */
	TL_SIGNAL_GEN = 30,
	TL_SIGNAL_DELIVER = 31,
	/* user-level marks (group "usdt") */
	TL_USDT = 40,
	/* start-of-trace snapshot, one per task (BPF task iterator) */
	TL_TASK_SNAP = 50,
	/* off-CPU stacks (record -g): registers and a copy of the user stack
	 * of a task that blocks. Consumed by `record`, never in a file. */
	TL_STACK_RAW = 60,
	/* inside `record` only: a TL_STACK_RAW unwound as soon as it was
	 * drained (struct tl_stack, id 0, the kernel frames as taken) */
	TL_STACK_UNWOUND = 61,
	/* sends and receives on sockets of one thread, counted in the kernel
	 * (group "net"), written when it exits or the recording ends */
	TL_SOCK_COUNT = 70,
	/* the far end of a socket a traced thread blocks on (group "sched"):
	 * sent once per (process, fd, socket), not with every switch */
	TL_SOCK_PEER = 80,
	/* records added by user space */
	TL_PROC_INFO = 100, /* a process's command line, uid, parent */
	TL_LOSS = 101,      /* cumulative lost events of one CPU */
	TL_PROC_MAPS = 102, /* a process's memory mappings (for naming) */
	TL_STACK = 104,     /* an interned stack: defined once, by id */
	TL_STACK_REF = 105, /* a thread blocked with an earlier stack */
	TL_KSYM = 106,      /* a kernel symbol the stacks need */
	TL_TRAILER = 110,   /* last record of a complete recording */
};

/* Event groups, selectable with --events; bit = 1 << group. */
enum tl_group {
	TL_G_SCHED = 0,
	TL_G_PROC = 1,
	TL_G_FUTEX = 2,
	TL_G_NET = 3,
	TL_G_SIGNAL = 4,
	TL_G_USDT = 5,
	TL_G_SYSCALLS = 6, /* opt-in: syscall tracepoints slow every task */
	TL_G_COUNT = 7,
};

/* Kind of the object behind a file descriptor, read from its inode mode. */
enum tl_fd_kind {
	TL_FD_NONE = 0,   /* no fd argument, or not resolved */
	TL_FD_FILE = 1,   /* regular file */
	TL_FD_PIPE = 2,   /* pipe or FIFO */
	TL_FD_SOCKET = 3,
	TL_FD_CHR = 4,    /* character device, tty */
	TL_FD_ANON = 5,   /* anon inode: epoll, eventfd, timerfd, signalfd */
	TL_FD_DIR = 6,
	TL_FD_BLK = 7,
	TL_FD_OTHER = 8,
};

/* Header flags. TL_HDR_F_IRQ: the event is not the doing of the task that
 * was current (hdr.tgid/tid): it fired in a hard interrupt, or in the idle
 * task (which wakes nobody itself). When the BPF side could read the CPU's
 * preempt count it also says where the event ran: */
#define TL_HDR_F_IRQ 0x1
#define TL_HDR_F_HARDIRQ 0x2 /* always with F_IRQ: hard interrupt (hrtimer, device, IPI) or NMI */
/* A softirq (timer wheel, network, RCU, ...): on the return from an
 * interrupt, in ksoftirqd, or at the end of the current task's own
 * bottom-half section (a loopback TCP send delivers its packet so, waking
 * the receiver). These look alike, so F_IRQ is not added: the header's
 * task may be the cause. */
#define TL_HDR_F_SOFTIRQ 0x4

/* Common header. tgid/tid are the task current on `cpu` when it fired. */
struct tl_hdr {
	__u16 size;  /* whole record, header included */
	__u16 type;  /* enum tl_type */
	__u16 cpu;
	__u16 flags; /* TL_HDR_F_* */
	__u64 ts;    /* CLOCK_BOOTTIME, ns (bpf_ktime_get_boot_ns) */
	__u32 tgid;
	__u32 tid;
};

/* Syscall context of a blocked task: what it waits in, on what. */
struct tl_blocked {
	__s32 sys_nr;     /* syscall it is in, -1 if none/unknown */
	__u32 fd_kind;    /* enum tl_fd_kind of args[0] when it is an fd */
	__u64 args[3];    /* first three syscall arguments */
};

/* sched_switch. hdr.tgid/tid = prev (the task leaving the CPU). */
struct tl_switch {
	struct tl_hdr h;
	__u32 next_tid;
	__u32 next_tgid;
	__s64 prev_state; /* prev->__state & 0xff: 0 runnable, 1 S, 2 D, ...;
			   * TASK_IDLE (2 | TASK_NOLOAD) as 1 */
	__s32 prev_prio;
	__s32 next_prio;
	__u8 preempt;     /* prev was preempted (involuntary switch) */
	__u8 pad[3];
	/* prev blocks on a glibc mutex (futex wait, value 2): the TID in the
	 * mutex's __owner (futex + 8) at that moment; on a PI futex: the owner
	 * bits of the futex word. 0 = not a lock wait, or not readable. Was
	 * padding before, always zero, so older recordings read as "unknown". */
	__u32 lock_owner;
	struct tl_blocked why; /* filled when prev blocks (prev_state != 0) */
	char prev_comm[TL_COMM_LEN];
	char next_comm[TL_COMM_LEN];
};

/* Sent with a TL_SWITCH whose prev blocks on a socket fd (why.fd_kind ==
 * TL_FD_SOCKET) when the BPF side has not yet told of this (process, fd,
 * socket inode) with this remote end: the file behind an fd changes when
 * it is closed and reused, the remote end when the socket connects.
 * hdr = the blocking thread, hdr.ts = its switch's ts (a block is matched
 * to the latest record of its (tgid, fd) at or before its start). */
struct tl_sock_peer {
	struct tl_hdr h;
	__u32 fd;
	__u32 peer_pid;   /* AF_UNIX: the tgid in the socket's peer credentials
			   * (SO_PEERCRED: who connected, or made the pair); 0
			   * unknown or other families */
	__u64 ino;        /* the socket's inode number: "socket:[ino]" */
	__u16 family;     /* AF_UNIX 1, AF_INET 2, AF_INET6 10, ... */
	__u16 type;       /* SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
	__u16 sport;      /* inet: local port, host order */
	__u16 dport;      /* inet: remote port, host order; 0 = not connected */
	__u8 state;       /* sk state (TCP_ESTABLISHED 1, TCP_LISTEN 10, ...) */
	__u8 pad[7];
	__u8 daddr[16];   /* inet: remote address, network order (AF_INET: the
			   * first 4 bytes) */
};

/* sched_waking / sched_wakeup_new. hdr = waker (current). */
struct tl_waking {
	struct tl_hdr h;
	__u32 tid;        /* wakee */
	__u32 tgid;
	__s32 prio;
	__s32 target_cpu;
	char comm[TL_COMM_LEN];
};

/* sched_migrate_task. hdr = current. */
struct tl_migrate {
	struct tl_hdr h;
	__u32 tid;
	__u32 tgid;
	__s32 orig_cpu;
	__s32 dest_cpu;
};

/* sched_process_fork. hdr = parent (current). */
struct tl_fork {
	struct tl_hdr h;
	__u32 child_tid;
	__u32 child_tgid;
	char parent_comm[TL_COMM_LEN];
	char child_comm[TL_COMM_LEN];
};

/* task_newtask. hdr = creator (current); tid is the new task. */
struct tl_newtask {
	struct tl_hdr h;
	__u32 tid;
	__u32 tgid;
	__u64 clone_flags; /* CLONE_THREAD (0x10000) => thread, else process */
	char comm[TL_COMM_LEN];
};

/* sched_process_exec. hdr = the task after exec. */
struct tl_exec {
	struct tl_hdr h;
	__u32 old_tid;    /* a non-leader thread that execs takes the leader's id */
	__u32 pad;
	char comm[TL_COMM_LEN];
	char filename[TL_PATH_LEN];
};

/* sched_process_exit. hdr = the exiting task (current). */
struct tl_exit {
	struct tl_hdr h;
	__s32 exit_code;  /* wait status: (code << 8) | termsig, as waitpid sees */
	__u8 group_dead;  /* last thread of its process */
	__u8 pad[3];
	char comm[TL_COMM_LEN];
};

/* sched_process_wait. hdr = the waiter. */
struct tl_wait {
	struct tl_hdr h;
	__s32 pid;        /* what it waits for: > 0 a pid, -1 any child, ... */
	__u32 pad;
};

/* task_rename. hdr = current; tid is the renamed task (may differ). */
struct tl_rename {
	struct tl_hdr h;
	__u32 tid;
	__u32 tgid;
	char oldcomm[TL_COMM_LEN];
	char newcomm[TL_COMM_LEN];
};

/* A thread's sends and receives on sockets (tracepoints sock_send_length
 * and sock_recv_length: every sendmsg/recvmsg reaching a socket, whatever
 * the syscall: send*, recv*, read, write, each message of sendmmsg and
 * recvmmsg, splice), counted per thread in the kernel since the thread was
 * first traced (or since the previous record of the same thread). Written
 * when the thread exits (hdr.ts just before its TL_EXIT) and, for the
 * threads still alive, at the end of the recording. hdr = the thread. */
struct tl_sock_count {
	struct tl_hdr h;
	__u64 sends;      /* calls, failed ones included */
	__u64 recvs;
	__u64 send_errs;  /* of those, the ones that returned an error */
	__u64 recv_errs;  /* (EAGAIN on a non-blocking socket, ...) */
	__u64 sent_bytes; /* sum of the successful returns */
	__u64 recv_bytes;
};

/* syscalls/sys_enter_* (group "syscalls"). hdr = the calling thread. */
struct tl_sys_enter {
	struct tl_hdr h;
	__s32 nr;         /* x86_64 syscall number */
	__u32 fd_kind;    /* enum tl_fd_kind of args[0] for fd-taking calls */
	__u64 args[6];
};

/* syscalls/sys_exit_*. hdr = the calling thread. */
struct tl_sys_exit {
	struct tl_hdr h;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* signal_generate. hdr = sender (current). */
struct tl_signal_gen {
	struct tl_hdr h;
	__u32 tid;        /* receiver */
	__u32 tgid;
	__s32 sig;
	__s32 code;       /* si_code */
	__s32 result;     /* TRACE_SIGNAL_* : 0 delivered, 1 ignored, ... */
	__u32 pad;
};

/* signal_deliver. hdr = receiver (current), about to run the handler. */
struct tl_signal_deliver {
	struct tl_hdr h;
	__s32 sig;
	__s32 code;
	__u64 handler;    /* sa_handler: 0 default, 1 ignore, else address */
};

/* Kinds of USDT marks (provider "threadline", see probes/threadline_usdt.h). */
enum tl_usdt_kind {
	TL_USDT_CORO_SWITCH = 1,  /* args: from id, to id; str: to name */
	TL_USDT_QUEUE_PUT = 2,    /* args: queue addr, depth after put; str: queue name */
	TL_USDT_QUEUE_GET = 3,    /* args: queue addr, depth after get; str: queue name */
	TL_USDT_TASK_BEGIN = 4,   /* args: task id; str: task name */
	TL_USDT_TASK_END = 5,     /* args: task id */
	TL_USDT_SECTION_ENTER = 6,/* args: section addr; str: section name */
	TL_USDT_SECTION_EXIT = 7, /* args: section addr */
	TL_USDT_MARK = 8,         /* args: value; str: label */
};

/* A USDT mark. hdr = the thread that hit it. */
struct tl_usdt {
	struct tl_hdr h;
	__u32 kind;       /* enum tl_usdt_kind */
	__u32 pad;
	__u64 args[2];
	char str[TL_USDT_STR_LEN];
};

/* One task alive when tracing started. hdr.ts = snapshot time,
 * hdr.tgid/tid = the task described (not current), hdr.cpu = its last CPU. */
struct tl_task_snap {
	struct tl_hdr h;
	__u32 ppid;       /* real parent's tgid */
	__u32 state;      /* __state & 0xff, 0 = runnable or running;
			   * TASK_IDLE as 1 */
	__u8 on_cpu;      /* running right now */
	__u8 pad[3];
	/* blocked on a glibc mutex or PI futex: its owner, as in struct
	 * tl_switch; filled by user space (the iterator cannot read user
	 * memory). Was padding, zero in older recordings. */
	__u32 lock_owner;
	__u64 start_ns;   /* task start, CLOCK_BOOTTIME */
	struct tl_blocked why;
	char comm[TL_COMM_LEN];
};

/* User space: a process's identity. hdr.tgid = the process; followed by
 * the command line, NUL-separated, up to hdr.size. */
struct tl_proc_info {
	struct tl_hdr h;
	__u32 ppid;
	__u32 uid;
	/* char cmdline[]; */
};
#define TL_PROC_INFO_MAX_CMDLINE 1024

/* User space: a process's memory mappings as /proc/PID/maps showed them,
 * so that addresses (lock words, stacks) can be named offline after the
 * process is gone. hdr.tgid = the process. Followed by `count` entries,
 * each a struct tl_map_entry and its path (path_len bytes, no NUL), padded
 * with NULs to a multiple of 8. A record without TL_MAPS_F_CONT replaces
 * what earlier ones said of the process; with it, it adds to the previous
 * record of the same process (a long list is cut into several records). */
struct tl_proc_maps {
	struct tl_hdr h;
	__u32 count;
	__u32 flags;      /* TL_MAPS_F_* */
	/* struct tl_map_entry entries[]; */
};
#define TL_MAPS_F_CONT 0x1
#define TL_PROC_MAPS_MAX 32768 /* bytes after the fixed part, at most */

#define TL_MAP_R 0x1
#define TL_MAP_W 0x2
#define TL_MAP_X 0x4
#define TL_MAP_SHARED 0x8 /* 's' in maps: MAP_SHARED (shm, a shared file) */
#define TL_MAP_BUILD_ID_MAX 20

struct tl_map_entry {
	__u64 start, end; /* [start, end) */
	__u64 offset;     /* file offset of start */
	__u32 stack_tid;  /* a thread whose stack pointer was in it, else 0 */
	__u16 path_len;   /* bytes of path after this entry; 0 = anonymous */
	__u8 prot;        /* TL_MAP_* */
	__u8 build_id_len;/* 0 = none read */
	__u8 build_id[TL_MAP_BUILD_ID_MAX];
	__u32 pad;
	/* char path[path_len], then NULs to a multiple of 8 */
};

/* ---- off-CPU stacks (record -g) ---- */
/* User registers in the x86_64 DWARF numbering (what libdwfl's unwinder
 * takes): 0 rax, 1 rdx, 2 rcx, 3 rbx, 4 rsi, 5 rdi, 6 rbp, 7 rsp, 8-15
 * r8-r15, 16 rip. */
#define TL_UREGS 17
#define TL_UREG_BP 6
#define TL_UREG_SP 7
#define TL_UREG_IP 16
#define TL_KSTACK_MAX 32    /* kernel frames kept */
#define TL_USTACK_MAX 8192  /* bytes of user stack copied, from rsp up */
#define TL_USTACK_FRAMES 64 /* user frames kept after unwinding */

/* BPF -> record: a traced task blocks (switch-out with prev_state != 0,
 * not preempted). hdr = the task; ts is after its TL_SWITCH's. Followed by
 * ustack_len bytes of its user stack from regs[TL_UREG_SP] up, and NULs to
 * a multiple of 8. `record` unwinds it at once and writes TL_STACK or
 * TL_STACK_REF instead: the raw copy never reaches the file. */
struct tl_stack_raw {
	struct tl_hdr h;
	__u16 nkern;          /* kernel frames in kips, innermost first */
	__u16 flags;          /* TL_RAW_F_* */
	__u32 ustack_len;
	__u64 aspace;         /* identity of the address space (the mm's
			       * address): a new one after exec or PID reuse */
	__u32 again;          /* TL_RAW_F_AGAIN: the tl_stack_again entry's gen */
	__u32 pad;
	__u64 regs[TL_UREGS]; /* user registers saved at kernel entry */
	__u64 kips[TL_KSTACK_MAX];
	/* __u8 ustack[ustack_len]; */
};
#define TL_RAW_F_NO_USER 0x1  /* kernel thread: no user part */
/* The thread blocked again where the tl_stack_again entry `again` says,
 * with the same stack words: its stack is that entry's, so the record
 * stops before regs (no registers, kernel frames or copy). */
#define TL_RAW_F_AGAIN 0x2

/* record -> BPF (the map tl_stack_again, key struct tl_stack_again_key):
 * after unwinding a thread's stack, `record` tells the BPF side what the
 * result depended on; a later block of that thread with the same ip, sp
 * and bp whose stack holds the same words at those offsets is sent as a
 * TL_RAW_F_AGAIN record instead of a new copy. The CFI rules of x86_64
 * code compute each frame from rsp or rbp and the stack words read, so
 * the user frames are the same; the kernel frames are assumed the same
 * (same syscall site, same user state) and taken again every
 * TL_AGAIN_REFRESH-th time. */
#define TL_AGAIN_READS 64
#define TL_AGAIN_REFRESH 64
struct tl_stack_again_key {
	__u32 tid;
	__u32 pad;
	__u64 ip;
};
struct tl_stack_again {
	__u64 aspace;
	__u64 sp, bp;
	__u32 gen;            /* names the stack in `record` (never 0) */
	__u32 hits;           /* counted by the BPF side */
	__u16 nreads;
	__u16 span;           /* bytes from sp that hold every read word */
	__u16 off[TL_AGAIN_READS];  /* offset of each word from sp */
	__u32 pad;
	__u64 val[TL_AGAIN_READS];
};

/* record -> file: one interned stack. The first record with an id defines
 * it (ids count up from 1) and is also the event "hdr.tid blocked with this
 * stack at hdr.ts"; later blocks with the same frames are TL_STACK_REFs.
 * Followed by nkern + nuser u64 addresses: kernel frames innermost first,
 * then user frames innermost first (the first is the blocked pc, the
 * others return addresses). */
struct tl_stack {
	struct tl_hdr h;
	__u32 id;
	__u16 nkern;
	__u16 nuser;
	__u32 flags;          /* TL_STACK_F_* */
	__u32 pad;
	/* __u64 ips[nkern + nuser]; */
};
#define TL_STACK_F_USER_CUT 0x1 /* unwinding stopped before the outermost
				 * frame (copy too short, no CFI, ...) */
#define TL_STACK_MAX_FRAMES (TL_KSTACK_MAX + TL_USTACK_FRAMES)

/* record -> file: hdr.tid blocked at hdr.ts with stack `id`. */
struct tl_stack_ref {
	struct tl_hdr h;
	__u32 id;
	__u32 pad;
};

/* record -> file: the kernel function at addr (/proc/kallsyms of the
 * recording machine), written before the first stack that needs it, so
 * `report` names kernel frames without root. Followed by the name and
 * NULs to a multiple of 8 (at most TL_KSYM_NAME_MAX bytes). */
struct tl_ksym {
	struct tl_hdr h;
	__u64 addr;
	/* char name[]; */
};
#define TL_KSYM_NAME_MAX 256

/* User space: lost events on hdr.cpu, as counted by the BPF side. */
struct tl_loss {
	struct tl_hdr h;
	__u64 lost_total; /* cumulative on this CPU since the start */
	__u64 lost_new;   /* since the previous TL_LOSS of this CPU */
};

#define TL_TRAILER_F_INTERRUPTED 0x1 /* stopped by a signal (Ctrl-C, TERM) */
#define TL_TRAILER_F_TARGET_EXITED 0x2 /* target_status is valid */

/* User space: the last record. hdr.ts = end of tracing. */
struct tl_trailer {
	struct tl_hdr h;
	__u32 flags;
	__s32 target_status;  /* wait status of the launched command */
	__u64 lost_total;
	__u64 records;        /* records before the trailer */
	__u64 counts[TL_MAX_TYPES]; /* records per enum tl_type */
};

/* BPF side: counters in .bss, per CPU, read by user space. */
struct tl_cpu_stats {
	__u64 lost;      /* failed ring buffer reservations */
	__u64 emitted;
};

/* BPF side: the per-CPU staging area in .bss (see bpf/common.bpf.h). The
 * hottest records (scheduler events) are written here one after the other
 * and moved to the CPU's ring buffer many at a time, so one ring sample can
 * hold several whole records. User space only reads `len` (to know whether
 * a flush is worth asking for) and never writes while probes run. */
/* power of two (offsets are masked with it); 16 KiB measured cheapest per
 * record: each move to the ring has a fixed cost */
#define TL_STAGE_BYTES 16384
#define TL_STAGE_ROOM 128   /* at least the largest staged record */
struct tl_stage {
	__u32 len;       /* bytes staged */
	__u32 busy;      /* a program of this CPU is writing the stage */
	__u32 n;         /* records staged */
	__u32 pad[13];   /* the buffer starts on its own cache line */
	__u8 buf[TL_STAGE_BYTES + TL_STAGE_ROOM];
};

#endif /* TL_ABI_H */
