/* collector.h - drains the per-CPU ring buffers with epoll, orders events
 * from all CPUs by timestamp within a bounded reorder window, and hands them
 * on; turns the kernel's lost counters into TL_LOSS records as they change.
 */
#ifndef TL_COLLECTOR_H
#define TL_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>
#include <signal.h>
#include "session.h"

struct tl_collector;

struct tl_collector_stats {
	uint64_t events;      /* records delivered */
	uint64_t lost;        /* total lost, all CPUs */
	uint64_t reordered;   /* events that arrived out of order and were fixed */
};

/* cb receives every record in timestamp order. */
struct tl_collector *tl_collector_new(struct tl_session *s, tl_record_cb cb,
				      void *ctx);
/* Drains until *stop becomes non-zero, or until `until_ns` (BOOTTIME, 0 =
 * no limit), or until `done()` returns true (e.g. the launched command and
 * all its descendants exited); prints a status line to stderr every second
 * when stderr is a terminal. Returns 0 or -errno. */
int tl_collector_run(struct tl_collector *c, volatile sig_atomic_t *stop,
		     uint64_t until_ns, bool (*done)(void *), void *done_ctx);
/* Raw stacks (TL_STACK_RAW) are handed to fn as soon as they are drained,
 * before the reorder window, while their process is surely alive; fn
 * returns the record to order in their place (NULL: none). fn may call
 * tl_collector_inject(). */
typedef const struct tl_hdr *(*tl_stack_hook)(void *ctx, const struct tl_hdr *raw);
void tl_collector_on_stack(struct tl_collector *c, tl_stack_hook fn, void *ctx);
/* Puts a user-space record (snapshot, process info) into the ordered
 * stream, so it is delivered in timestamp order with the kernel's events. */
int tl_collector_inject(struct tl_collector *c, const struct tl_hdr *rec);
/* Wakes the drain loop as soon as fd is readable (a pidfd: a target has
 * exited), instead of at its next poll. Returns 0 or -errno. */
int tl_collector_watch_fd(struct tl_collector *c, int fd);
/* The recording ends at end_ns (see tl_session_stop): records from the
 * rings stamped later are dropped, neither kept nor counted as lost. */
void tl_collector_stop(struct tl_collector *c, uint64_t end_ns);
/* Final drain: everything left in the buffers, in order. */
int tl_collector_flush(struct tl_collector *c);
void tl_collector_stats(const struct tl_collector *c, struct tl_collector_stats *st);
void tl_collector_free(struct tl_collector *c);

#endif
