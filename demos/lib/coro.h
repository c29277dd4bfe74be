/* coro.h - user-level coroutines on ucontext for the coroutine demos (F1-F3)
 * and the coroutine server (G9).
 *
 * Three ways to pass control, all inside one kernel thread:
 *   - greenlet style: coro_switch(to) jumps to any coroutine;
 *   - generator style: coro_send(c, v) resumes c with a value and returns
 *     what c hands back with coro_yield(v);
 *   - gevent style: coro_spawn() puts a coroutine under a cooperative
 *     scheduler; coro_sleep_ms() and coro_wait_fd() park it on a timer or an
 *     fd, and coro_run() switches among the ready ones, sleeping in
 *     epoll_wait only when none is ready.
 * The kernel sees none of these switches, so every transfer of control is
 * marked with THREADLINE_CORO_SWITCH(from id, to id, to name). The thread's
 * own context is coroutine 0. When a coroutine's function returns, control
 * goes to its parent: the coroutine that created it (the scheduler for
 * spawned ones).
 *
 * One set of coroutines per process, used from one thread: the demos are
 * single-threaded. Functions return 0 (or a count/fd) or -errno.
 */
#ifndef CORO_H
#define CORO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct coro;
typedef void (*coro_fn)(void *arg);

/* Names the calling thread's own context (coroutine 0), e.g. "main". */
void coro_init(const char *main_name);
/* A new coroutine that will run fn(arg) when first switched to. NULL and
 * errno on failure. Its id is the next free number from 1. */
struct coro *coro_new(const char *name, coro_fn fn, void *arg);
/* Frees a coroutine that is not running (finished or never to be resumed). */
void coro_free(struct coro *c);

struct coro *coro_current(void);
int coro_id(const struct coro *c);
const char *coro_name(const struct coro *c);
bool coro_finished(const struct coro *c);

/* Greenlet style: continue `to`; returns when someone switches back. */
void coro_switch(struct coro *to);
/* Generator style: resume c passing v; returns the value c yields, or 0
 * when c's function returns (then coro_finished(c) is true). */
long coro_send(struct coro *c, long v);
/* Inside a coroutine: hand v back to whoever resumed it; returns the value
 * of the next coro_send. */
long coro_yield(long v);

/* ---- the cooperative scheduler (gevent style) --------------------------- */

/* Creates a coroutine owned by the scheduler and makes it ready. It is
 * freed by coro_run() once finished. */
struct coro *coro_spawn(const char *name, coro_fn fn, void *arg);
/* Runs the ready coroutines until every spawned one has finished; sleeps in
 * epoll_wait when all of them wait. Call from coroutine 0. */
int coro_run(void);
/* Inside a spawned coroutine: let the others run for ms milliseconds. */
void coro_sleep_ms(int ms);
/* Inside a spawned coroutine: wait until fd has `events` (EPOLLIN/EPOLLOUT)
 * or timeout_ms passes (< 0: no limit). 0 when ready, -ETIMEDOUT. */
int coro_wait_fd(int fd, uint32_t events, int timeout_ms);
/* Socket I/O that parks the coroutine instead of the thread. The socket
 * must be O_NONBLOCK (accepted ones are). Return as accept4/recv/send, or
 * -errno (-ETIMEDOUT when no progress for timeout_ms). */
int coro_accept(int fd, int timeout_ms);
ssize_t coro_recv(int fd, void *buf, size_t len, int timeout_ms);
ssize_t coro_sendall(int fd, const void *buf, size_t len, int timeout_ms);
/* Closes an fd that coroutines waited on (forgets its epoll registration). */
int coro_close(int fd);

#endif
