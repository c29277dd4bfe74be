/* syswaits.c - the syscalls each thread blocked in (syswaits.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "syswaits.h"
#include "util/vec.h"

#define TL_AF_UNIX 1
#define TL_AF_INET 2
#define TL_AF_INET6 10
#define TL_TCP_LISTEN 10
#define TL_SOCK_STREAM 1
#define TL_SOCK_DGRAM 2

/* One blocked interval in a syscall. */
struct sample {
	int32_t nr;
	uint32_t fd_kind;
	enum tl_reason why;
	bool has_obj;
	uint64_t key;                    /* the object: fd, futex base, pid */
	const struct tl_peer *peer;
	const struct tl_obj_name *lock;
	uint64_t start, dur;
	uint32_t waker, waker_pid;
	bool irq;
};

static uint32_t pid_of(const struct tl_model *m, uint32_t tid, uint64_t ts)
{
	const struct tl_thread *w = tid ? tl_model_find_thread(m, tid, ts) : NULL;

	return w ? w->proc->pid : 0;
}

static void fill(const struct tl_model *m, struct tl_symbolizer *s,
		 const struct tl_thread *t, const struct tl_interval *iv, struct sample *x)
{
	const struct tl_block *b = iv->block;

	*x = (struct sample){ .nr = b->sys_nr, .fd_kind = b->fd_kind, .why = b->why,
			      .has_obj = b->has_obj, .key = b->has_obj ? b->obj : 0,
			      .start = iv->start, .dur = iv->end - iv->start,
			      .irq = iv->waker_irq };
	if (!iv->waker_irq && iv->waker) {
		x->waker = iv->waker;
		x->waker_pid = pid_of(m, iv->waker, iv->end);
	}
	if (b->why == TL_WHY_FUTEX && s) {
		x->lock = tl_sym_futex(s, t->proc, iv->start, b);
		if (x->lock)
			x->key = x->lock->base; /* one row per object */
	}
	if (b->fd_kind == TL_FD_SOCKET && tl_syscall_takes_fd(b->sys_nr))
		x->peer = tl_model_peer_at(m, t->proc->pid, (uint32_t)b->args[0],
					   iv->start);
}

static bool in_syscall(const struct tl_interval *iv)
{
	return (iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT) &&
	       iv->block->sys_nr >= 0;
}

uint64_t tl_thread_syswait_ns(const struct tl_thread *t, uint32_t *count)
{
	uint64_t ns = 0;

	*count = 0;
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);

		if (!in_syscall(&iv))
			continue;
		ns += iv.end - iv.start;
		(*count)++;
	}
	return ns;
}

static int collect(const struct tl_model *m, struct tl_symbolizer *s,
		   const struct tl_thread *t, struct tl_vec *v)
{
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);
		struct sample *x;

		if (!in_syscall(&iv))
			continue;
		if (!(x = tl_vec_push_uninit(v, sizeof(*x))))
			return -ENOMEM;
		fill(m, s, t, &iv, x);
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Samples of one row are adjacent after this sort. */
static int by_key(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	int c;

	if ((c = cmp_u64((uint32_t)x->nr, (uint32_t)y->nr)) ||
	    (c = cmp_u64(x->why, y->why)) || (c = cmp_u64(x->fd_kind, y->fd_kind)) ||
	    (c = cmp_u64(x->has_obj, y->has_obj)) || (c = cmp_u64(x->key, y->key)))
		return c;
	return cmp_u64((uintptr_t)x->peer, (uintptr_t)y->peer);
}

static bool same_row(const struct sample *x, const struct sample *y)
{
	return x->nr == y->nr && x->why == y->why && x->fd_kind == y->fd_kind &&
	       x->has_obj == y->has_obj && x->key == y->key && x->peer == y->peer;
}

static int by_u32(const void *a, const void *b)
{
	return cmp_u64(*(const uint32_t *)a, *(const uint32_t *)b);
}

/* The waker that ended most of v[0..n) (tmp: room for n), with its pid. */
static void top_waker(const struct sample *v, size_t n, uint32_t *tmp, struct tl_syswait *w)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i].waker)
			tmp[k++] = v[i].waker;
	if (k > 1)
		qsort(tmp, k, sizeof(*tmp), by_u32);
	for (size_t i = 0, j; i < k; i = j) {
		for (j = i; j < k && tmp[j] == tmp[i]; j++)
			;
		w->wakers++;
		if (j - i > w->top_waker_n) {
			w->top_waker = tmp[i];
			w->top_waker_n = (uint32_t)(j - i);
		}
	}
	for (size_t i = 0; i < n && w->top_waker; i++)
		if (v[i].waker == w->top_waker) {
			w->top_waker_pid = v[i].waker_pid;
			break;
		}
}

static void group(const struct sample *v, size_t n, uint32_t *tmp, struct tl_syswait *w)
{
	*w = (struct tl_syswait){ .sys_nr = v[0].nr, .why = v[0].why,
				  .fd_kind = v[0].fd_kind, .has_obj = v[0].has_obj,
				  .obj = v[0].key, .lock = v[0].lock, .peer = v[0].peer,
				  .count = (uint32_t)n };
	for (size_t i = 0; i < n; i++) {
		w->total_ns += v[i].dur;
		w->irq_wakes += v[i].irq;
		if (v[i].dur > w->longest_ns || !i) {
			w->longest_ns = v[i].dur;
			w->longest_ts = v[i].start;
		}
	}
	top_waker(v, n, tmp, w);
}

static int by_total(const void *a, const void *b)
{
	const struct tl_syswait *x = a, *y = b;

	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	if (x->sys_nr != y->sys_nr)
		return x->sys_nr < y->sys_nr ? -1 : 1;
	return cmp_u64(x->obj, y->obj);
}

static int summarize(struct tl_vec *s, struct tl_syswait **out, size_t *nout)
{
	struct sample *v = s->p;
	size_t nw = 0, ng = 0;

	if (s->n > 1)
		qsort(v, s->n, sizeof(*v), by_key);
	/* one row per syscall and object, not per wait */
	for (size_t i = 0; i < s->n; i++)
		ng += !i || !same_row(&v[i], &v[i - 1]);
	uint32_t *tmp = malloc(s->n * sizeof(*tmp));
	struct tl_syswait *w = calloc(ng, sizeof(*w));
	if (!tmp || !w) {
		free(tmp);
		free(w);
		return -ENOMEM;
	}
	for (size_t i = 0, j; i < s->n; i = j) {
		for (j = i; j < s->n && same_row(&v[j], &v[i]); j++)
			;
		group(&v[i], j - i, tmp, &w[nw++]);
	}
	free(tmp);
	if (nw > 1)
		qsort(w, nw, sizeof(*w), by_total);
	*out = w;
	*nout = nw;
	return 0;
}

int tl_thread_syswaits(const struct tl_model *m, struct tl_symbolizer *s,
		       const struct tl_thread *t, struct tl_syswait **out, size_t *n)
{
	struct tl_vec v = { 0 };
	int r = collect(m, s, t, &v);

	*out = NULL;
	*n = 0;
	if (!r && v.n)
		r = summarize(&v, out, n);
	tl_vec_free(&v);
	return r;
}

const char *tl_peer_proto(const struct tl_peer *p)
{
	bool v6 = p->family == TL_AF_INET6;

	if (p->family == TL_AF_UNIX)
		return "unix";
	if (p->family != TL_AF_INET && !v6)
		return "socket";
	if (p->type == TL_SOCK_STREAM)
		return v6 ? "tcp6" : "tcp";
	if (p->type == TL_SOCK_DGRAM)
		return v6 ? "udp6" : "udp";
	return v6 ? "inet6" : "inet";
}

const char *tl_peer_text(const struct tl_peer *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	bool v6 = p->family == TL_AF_INET6;

	if (p->family == TL_AF_UNIX) {
		if (p->peer_pid)
			snprintf(buf, len, "peer pid %u", p->peer_pid);
		else
			snprintf(buf, len, "%s", "");
	} else if (p->family != TL_AF_INET && !v6) {
		snprintf(buf, len, "family %u", p->family);
	} else if (p->state == TL_TCP_LISTEN && p->type == TL_SOCK_STREAM) {
		snprintf(buf, len, "listening :%u", p->sport);
	} else if (!p->dport) {
		snprintf(buf, len, "unconnected :%u", p->sport);
	} else {
		inet_ntop(v6 ? AF_INET6 : AF_INET, p->daddr, a, sizeof(a));
		snprintf(buf, len, v6 ? "[%s]:%u" : "%s:%u", a, p->dport);
	}
	return buf;
}

/* An fd's kind in words, told better by the syscall where it can. */
static const char *fd_text(const struct tl_syswait *w)
{
	const char *name = tl_syscall_name(w->sys_nr);

	if (w->fd_kind == TL_FD_ANON && name && !strncmp(name, "epoll_", 6))
		return "epoll";
	if (w->fd_kind == TL_FD_CHR)
		return "tty/chr";
	return tl_fd_kind_name(w->fd_kind);
}

const char *tl_syswait_obj(const struct tl_syswait *w, char *buf, size_t len)
{
	char peer[96];

	if (w->lock)
		snprintf(buf, len, "%s (%s)", w->lock->name, tl_lock_kind_name(w->lock->lock));
	else if (w->why == TL_WHY_FUTEX && w->has_obj)
		snprintf(buf, len, "futex 0x%llx", (unsigned long long)w->obj);
	else if (w->why == TL_WHY_CHILD && w->has_obj)
		snprintf(buf, len, (int64_t)w->obj == -1 ? "any child" : "child %lld",
			 (long long)w->obj);
	else if (w->peer && *tl_peer_text(w->peer, peer, sizeof(peer)))
		snprintf(buf, len, "fd %llu %s %s", (unsigned long long)w->obj,
			 tl_peer_proto(w->peer), peer);
	else if (w->peer)
		snprintf(buf, len, "fd %llu %s", (unsigned long long)w->obj,
			 tl_peer_proto(w->peer));
	else if (w->fd_kind != TL_FD_NONE && tl_syscall_takes_fd(w->sys_nr))
		snprintf(buf, len, "fd %llu %s", (unsigned long long)w->obj, fd_text(w));
	else
		snprintf(buf, len, "-");
	return buf;
}
