/* syscalls.h - x86_64 syscall numbers to names, and the classification of a
 * blocked task's syscall (plus the kind of its fd) into a reason category
 * that the model and the report use ("futex", "socket", "pipe", ...).
 */
#ifndef TL_SYSCALLS_H
#define TL_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>

/* Why a thread was blocked, as a category. Values never change meaning. */
enum tl_reason {
	TL_WHY_NONE = 0,   /* not blocked, or no syscall context */
	TL_WHY_FUTEX = 1,  /* futex: mutex, condition variable, join, semaphore */
	TL_WHY_SOCKET = 2, /* accept/recv/send/connect, or read/write on a socket */
	TL_WHY_PIPE = 3,   /* read/write on a pipe or FIFO */
	TL_WHY_SLEEP = 4,  /* nanosleep, clock_nanosleep */
	TL_WHY_CHILD = 5,  /* wait4, waitid */
	TL_WHY_POLL = 6,   /* select, poll, epoll_wait: I/O multiplexing */
	TL_WHY_DISK = 7,   /* uninterruptible (D) sleep, or I/O on a file/block fd */
	TL_WHY_SIGNAL = 8, /* pause, rt_sigsuspend, rt_sigtimedwait */
	TL_WHY_IPC = 9,    /* POSIX/SysV message queues, semop */
	TL_WHY_OTHER = 10, /* anything else (tty read, stopped, unknown syscall) */
	TL_WHY_COUNT = 11,
};

/* Futex operation kinds (op & 0x7f of futex(2)), as far as they tell what
 * kind of wait it is: glibc mutexes wait with FUTEX_WAIT, condition
 * variables, semaphores and pthread_join with FUTEX_WAIT_BITSET. */
enum tl_futex_kind {
	TL_FUTEX_OTHER = 0,
	TL_FUTEX_WAIT = 1,        /* FUTEX_WAIT (0): plain lock-style wait */
	TL_FUTEX_WAIT_BITSET = 2, /* FUTEX_WAIT_BITSET (9): cond/sem/join style */
	TL_FUTEX_LOCK_PI = 3,     /* FUTEX_LOCK_PI(2) (6, 13): PI mutex */
	TL_FUTEX_WAITV = 4,       /* futex_waitv(2) */
};

/* Name of x86_64 syscall nr ("futex"), or NULL when unknown. */
const char *tl_syscall_name(int32_t nr);
/* Same, but never NULL: "sys_123" in a static buffer for unknown numbers
 * (not thread-safe for unknown ones), "-" for nr < 0. */
const char *tl_syscall_label(int32_t nr);
/* Number of a syscall name, or -1. */
int32_t tl_syscall_nr(const char *name);
/* Category of a block in syscall nr (-1: none) with args[0] of kind fd_kind
 * (enum tl_fd_kind); uninterruptible: the task was in D state. */
enum tl_reason tl_syscall_reason(int32_t nr, uint32_t fd_kind, bool uninterruptible);
/* Short lower-case names: "futex", "socket", "pipe", "sleep", "child",
 * "poll", "disk", "signal", "ipc", "other", "none". */
const char *tl_reason_name(enum tl_reason r);
/* Whether args[0] of syscall nr is a file descriptor. */
bool tl_syscall_takes_fd(int32_t nr);
/* Whether nr is one of the socket family (socket, bind, listen, accept,
 * connect, send*, recv*, shutdown, socketpair, get/setsockopt). */
bool tl_syscall_is_socket(int32_t nr);
/* Whether nr creates a task (clone, clone3, fork, vfork). */
bool tl_syscall_is_clone(int32_t nr);
/* Futex kind of a futex(2) op argument. */
enum tl_futex_kind tl_futex_kind(uint64_t op);
/* Name of an enum tl_fd_kind ("socket", "pipe", "file", ...). */
const char *tl_fd_kind_name(uint32_t fd_kind);

/* A few numbers the model needs by name (x86_64). */
#define TL_NR_READ 0
#define TL_NR_WRITE 1
#define TL_NR_NANOSLEEP 35
#define TL_NR_WAIT4 61
#define TL_NR_FUTEX 202
#define TL_NR_CLOCK_NANOSLEEP 230
#define TL_NR_WAITID 247
#define TL_NR_FUTEX_WAITV 449
#define TL_NR_FUTEX_WAIT 455   /* futex2 */
#define TL_NR_CLONE 56
#define TL_NR_FORK 57
#define TL_NR_VFORK 58
#define TL_NR_CLONE3 435

#endif
