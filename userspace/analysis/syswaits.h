/* syswaits.h - per thread, the syscalls it blocked in: for each syscall
 * and object (fd and its kind, futex, child) how many times, how long in
 * total and at most, the far end of a socket as the kernel told it when
 * the thread blocked (TL_SOCK_PEER), and who ended the waits (the writer
 * of a pipe, the sender on a socket). Derived from the blocked intervals
 * alone (the syscall and arguments read at switch-out): no syscall
 * tracing is needed. */
#ifndef TL_SYSWAITS_H
#define TL_SYSWAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "symbolize.h"

struct tl_syswait {
	int32_t sys_nr;                  /* the syscall (>= 0) */
	enum tl_reason why;              /* its category (tl_block.why) */
	uint32_t fd_kind;                /* enum tl_fd_kind of args[0] */
	bool has_obj;
	uint64_t obj;                    /* fd; futex address (the object's
					  * start when named); wait4's pid */
	const struct tl_obj_name *lock;  /* futex: its name, NULL without a
					  * symbolizer */
	const struct tl_peer *peer;      /* socket: its far end, NULL unknown */
	uint32_t count;                  /* blocked intervals */
	uint64_t total_ns, longest_ns;
	uint64_t longest_ts;             /* start of the longest */
	/* the thread whose wakeup ended most of them (0: none, all from
	 * interrupts or timeouts), how many it ended, its process (0: not
	 * traced) and how many threads ended any */
	uint32_t top_waker, top_waker_n, top_waker_pid, wakers;
	uint32_t irq_wakes;              /* ended from an interrupt or timer */
};

/* The syscall waits of t, one entry per (syscall, object), by total time,
 * longest first. s may be NULL (futexes are then not named). Returns 0 or
 * -ENOMEM; *out is malloc'd (NULL when none). */
int tl_thread_syswaits(const struct tl_model *m, struct tl_symbolizer *s,
		       const struct tl_thread *t, struct tl_syswait **out, size_t *n);

/* The time t blocked in syscalls and how many times: the sums of
 * tl_thread_syswaits's rows, without making them (no names looked up). */
uint64_t tl_thread_syswait_ns(const struct tl_thread *t, uint32_t *count);

/* The object of w as text: "fd 5 tcp 127.0.0.1:8080", "fd 3 pipe",
 * "fd 4 unix peer pid 812", "mutexA (mutex)", "any child", "-". */
const char *tl_syswait_obj(const struct tl_syswait *w, char *buf, size_t len);
/* The far end of a socket as text: "127.0.0.1:8080", "[::1]:80",
 * "listening :8080", "unconnected :5353"; AF_UNIX: "peer pid 812" (its
 * peer credentials: who connected, or made the pair), "" unknown. */
const char *tl_peer_text(const struct tl_peer *p, char *buf, size_t len);
/* "tcp", "udp", "unix", "tcp6", "udp6", "socket". */
const char *tl_peer_proto(const struct tl_peer *p);

#endif
