/* coro.c - ucontext coroutines and a single-threaded cooperative scheduler
 * (ready list, sorted timer list, epoll for fds). See coro.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "coro.h"
#include "probes/threadline_usdt.h"

#define CORO_STACK (128 * 1024)
#define CORO_MAX_FD 1024

struct coro {
	int id;
	char name[32];
	ucontext_t ctx;
	void *stack;
	coro_fn fn;
	void *arg;
	struct coro *parent;  /* gets control when fn returns */
	struct coro *resumer; /* set by coro_send: where coro_yield goes */
	bool finished;
	bool spawned;
	/* scheduler */
	struct coro *next;    /* ready list or timer list */
	uint64_t wake_ns;     /* on the timer list when nonzero */
	int wait_fd;          /* fd it waits on, -1 if none */
	bool timed_out;
};

static struct coro main_ctx = { .id = 0, .name = "main", .wait_fd = -1 };
static struct coro *cur = &main_ctx;
static int next_id = 1;
static long xfer;       /* the value passed by send/yield */

static struct {
	int epfd;
	struct coro *ready_head, *ready_tail;
	struct coro *timers;              /* sorted by wake_ns */
	int live;                         /* spawned and not yet finished */
	struct coro *fd_waiter[CORO_MAX_FD];
	bool fd_registered[CORO_MAX_FD];
} S = { .epfd = -1 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void coro_init(const char *main_name)
{
	strncpy(main_ctx.name, main_name ? main_name : "main",
		sizeof(main_ctx.name) - 1);
}

/* The one place control changes hands: mark it, then swap. */
static void transfer(struct coro *to)
{
	struct coro *from = cur;

	THREADLINE_CORO_SWITCH(from->id, to->id, to->name);
	cur = to;
	swapcontext(&from->ctx, &to->ctx);
}

static void trampoline(void)
{
	struct coro *self = cur;

	self->fn(self->arg);
	self->finished = true;
	xfer = 0;
	transfer(self->resumer ? self->resumer : self->parent);
	abort(); /* a finished coroutine is never resumed */
}

/* getcontext returns like setjmp; keep it apart so the caller's locals
 * are not at risk. It only fills a template for makecontext here. */
static __attribute__((noinline)) int capture_context(ucontext_t *ctx)
{
	return getcontext(ctx);
}

struct coro *coro_new(const char *name, coro_fn fn, void *arg)
{
	struct coro *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->stack = malloc(CORO_STACK);
	if (!c->stack || capture_context(&c->ctx) < 0) {
		free(c->stack);
		free(c);
		return NULL;
	}
	c->id = next_id++;
	strncpy(c->name, name ? name : "coro", sizeof(c->name) - 1);
	c->fn = fn;
	c->arg = arg;
	c->parent = cur;
	c->wait_fd = -1;
	c->ctx.uc_stack.ss_sp = c->stack;
	c->ctx.uc_stack.ss_size = CORO_STACK;
	c->ctx.uc_link = NULL;
	makecontext(&c->ctx, trampoline, 0);
	return c;
}

void coro_free(struct coro *c)
{
	if (!c || c == &main_ctx || c == cur)
		return;
	free(c->stack);
	free(c);
}

struct coro *coro_current(void) { return cur; }
int coro_id(const struct coro *c) { return c->id; }
const char *coro_name(const struct coro *c) { return c->name; }
bool coro_finished(const struct coro *c) { return c->finished; }

void coro_switch(struct coro *to)
{
	if (to == cur || to->finished)
		return;
	to->resumer = NULL;
	transfer(to);
}

long coro_send(struct coro *c, long v)
{
	if (c == cur || c->finished)
		return 0;
	c->resumer = cur;
	xfer = v;
	transfer(c);
	return xfer;
}

long coro_yield(long v)
{
	struct coro *back = cur->resumer ? cur->resumer : cur->parent;

	xfer = v;
	transfer(back);
	return xfer;
}

/* ---- scheduler ---------------------------------------------------------- */

static void make_ready(struct coro *c)
{
	c->next = NULL;
	if (S.ready_tail)
		S.ready_tail->next = c;
	else
		S.ready_head = c;
	S.ready_tail = c;
}

static struct coro *pop_ready(void)
{
	struct coro *c = S.ready_head;

	if (c) {
		S.ready_head = c->next;
		if (!S.ready_head)
			S.ready_tail = NULL;
		c->next = NULL;
	}
	return c;
}

static void timer_add(struct coro *c, uint64_t wake_ns)
{
	struct coro **p = &S.timers;

	c->wake_ns = wake_ns;
	while (*p && (*p)->wake_ns <= wake_ns)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
}

static void timer_remove(struct coro *c)
{
	for (struct coro **p = &S.timers; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->wake_ns = 0;
	c->next = NULL;
}

struct coro *coro_spawn(const char *name, coro_fn fn, void *arg)
{
	struct coro *c;

	if (S.epfd < 0) {
		S.epfd = epoll_create1(EPOLL_CLOEXEC);
		if (S.epfd < 0)
			return NULL;
	}
	c = coro_new(name, fn, arg);
	if (!c)
		return NULL;
	c->parent = &main_ctx;
	c->spawned = true;
	S.live++;
	make_ready(c);
	return c;
}

/* Moves timers that are due to the ready list. */
static void fire_timers(void)
{
	uint64_t now = now_ns();

	while (S.timers && S.timers->wake_ns <= now) {
		struct coro *c = S.timers;

		timer_remove(c);
		if (c->wait_fd >= 0) {
			S.fd_waiter[c->wait_fd] = NULL;
			c->wait_fd = -1;
			c->timed_out = true;
		}
		make_ready(c);
	}
}

static int poll_timeout_ms(void)
{
	uint64_t now;

	if (S.ready_head)
		return 0;
	if (!S.timers)
		return -1;
	now = now_ns();
	if (S.timers->wake_ns <= now)
		return 0;
	/* round up so a wake-up never comes before the timer is due */
	return (int)((S.timers->wake_ns - now + 999999) / 1000000);
}

/* The only place the thread blocks: nothing is ready, wait for fds/timers. */
static int wait_events(void)
{
	struct epoll_event ev[32];
	int n = epoll_wait(S.epfd, ev, 32, poll_timeout_ms());

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = (int)ev[i].data.u64;
		struct coro *c = S.fd_waiter[fd];

		if (!c)
			continue; /* its waiter timed out already */
		S.fd_waiter[fd] = NULL;
		c->wait_fd = -1;
		if (c->wake_ns)
			timer_remove(c);
		make_ready(c);
	}
	fire_timers();
	return 0;
}

int coro_run(void)
{
	while (S.live > 0) {
		struct coro *c = pop_ready();

		if (!c) {
			int err = wait_events();

			if (err < 0)
				return err;
			continue;
		}
		coro_switch(c);
		if (c->finished) {
			S.live--;
			coro_free(c);
		}
	}
	return 0;
}

void coro_sleep_ms(int ms)
{
	timer_add(cur, now_ns() + (uint64_t)(ms > 0 ? ms : 0) * 1000000ull);
	transfer(&main_ctx);
}

static int arm_fd(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events | EPOLLONESHOT,
				  .data.u64 = (uint64_t)fd };
	int op = S.fd_registered[fd] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (epoll_ctl(S.epfd, op, fd, &ev) < 0)
		return -errno;
	S.fd_registered[fd] = true;
	return 0;
}

int coro_wait_fd(int fd, uint32_t events, int timeout_ms)
{
	int err;

	if (fd < 0 || fd >= CORO_MAX_FD || cur == &main_ctx)
		return -EINVAL;
	err = arm_fd(fd, events);
	if (err < 0)
		return err;
	S.fd_waiter[fd] = cur;
	cur->wait_fd = fd;
	cur->timed_out = false;
	if (timeout_ms >= 0)
		timer_add(cur, now_ns() + (uint64_t)timeout_ms * 1000000ull);
	transfer(&main_ctx);
	return cur->timed_out ? -ETIMEDOUT : 0;
}

int coro_accept(int fd, int timeout_ms)
{
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int err;

		if (c >= 0)
			return c;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = coro_wait_fd(fd, EPOLLIN, timeout_ms);
		if (err < 0)
			return err;
	}
}

ssize_t coro_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		int err;

		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		err = coro_wait_fd(fd, EPOLLIN, timeout_ms);
		if (err < 0)
			return err;
	}
}

ssize_t coro_sendall(int fd, const void *buf, size_t len, int timeout_ms)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done,
				 MSG_NOSIGNAL);
		int err;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		err = coro_wait_fd(fd, EPOLLOUT, timeout_ms);
		if (err < 0)
			return err;
	}
	return (ssize_t)len;
}

int coro_close(int fd)
{
	if (fd >= 0 && fd < CORO_MAX_FD) {
		if (S.fd_registered[fd])
			epoll_ctl(S.epfd, EPOLL_CTL_DEL, fd, NULL);
		S.fd_registered[fd] = false;
		S.fd_waiter[fd] = NULL;
	}
	return close(fd) < 0 ? -errno : 0;
}
