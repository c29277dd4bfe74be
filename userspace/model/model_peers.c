/* model_peers.c - the far ends of the sockets threads blocked on
 * (TL_SOCK_PEER), kept per (process, fd) over time: an fd is closed and
 * reused for another socket, and a socket connects, so a block is matched
 * to the record of its (PID, fd) in force when it began. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model_impl.h"

int tl_model_on_sock_peer(struct tl_model *m, const struct tl_sock_peer *r)
{
	struct tl_peer *p = model_push(m, &m->peers, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*p = (struct tl_peer){ .ts = r->h.ts, .pid = r->h.tgid, .fd = r->fd,
			       .ino = r->ino, .peer_pid = r->peer_pid,
			       .family = r->family, .type = r->type,
			       .sport = r->sport, .dport = r->dport,
			       .state = r->state };
	memcpy(p->daddr, r->daddr, sizeof(p->daddr));
	return 0;
}

static int by_pid_fd_ts(const void *a, const void *b)
{
	const struct tl_peer *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->fd != y->fd)
		return x->fd < y->fd ? -1 : 1;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

void tl_model_peers_finish(struct tl_model *m)
{
	/* qsort is not stable: records of one instant keep no order, and
	 * one (pid, fd) never gets two at once */
	if (m->peers.n > 1)
		qsort(m->peers.p, m->peers.n, sizeof(struct tl_peer), by_pid_fd_ts);
}

size_t tl_model_npeers(const struct tl_model *m)
{
	return m->peers.n;
}

const struct tl_peer *tl_model_peer(const struct tl_model *m, size_t i)
{
	return i < m->peers.n ? (const struct tl_peer *)m->peers.p + i : NULL;
}

const struct tl_peer *tl_model_peer_at(const struct tl_model *m, uint32_t pid,
				       uint32_t fd, uint64_t ts)
{
	const struct tl_peer *v = m->peers.p;
	const struct tl_peer key = { .pid = pid, .fd = fd, .ts = ts };
	size_t lo = 0, hi = m->peers.n;

	/* the first record after (pid, fd, ts); the one before it is in force */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (by_pid_fd_ts(&v[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || v[lo - 1].pid != pid || v[lo - 1].fd != fd)
		return NULL;
	return &v[lo - 1];
}
