/* tp_check.h - a recording's Perfetto export as Perfetto's own trace
 * processor reads it, held against the model (every demo test runs it,
 * through th_record_demo):
 *   - no import stat of severity error or data_loss;
 *   - one utid per traced thread and one upid per traced process (one per
 *     generation of a reused TID/PID), each thread in its process, the
 *     names the model gives, each process's parent, and a sort hint that
 *     puts the traced processes first in the UI's process list;
 *   - per thread, time Running / Runnable (R, R+) / Sleeping (S, and the
 *     stopped, traced and parked states the model counts as Sleeping) /
 *     Uninterruptible (D) in `thread_state` equal to the model's within
 *     1 % (plus TPC_SLACK_NS), over the thread's traced life from its
 *     first scheduler event (Perfetto has no state before it; the model
 *     has the start snapshot's) and outside the stretches the model calls
 *     Unknown;
 *   - `waker_utid` on the Runnable row each wakeup of the model starts,
 *     naming the model's waker, and `irq_context` = 1 where the model says
 *     the wakeup came from an interrupt;
 *   - blocking slices on thread tracks and the parallelism counters. */
#ifndef TL_TEST_TP_CHECK_H
#define TL_TEST_TP_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "harness.h"

/* Edges of a thread's life that the model and Perfetto see differently
 * (the first event's instant, the last switch-out), per state. */
#define TPC_SLACK_NS 200000ull

/* Exports r's recording with `threadline export --check` (the in-process
 * checker must accept it too) to path. */
void tpc_export(const struct th_run *r, const char *path);

/* Exports r's recording to path and runs all the checks above on it, and
 * on the root process's parallelism (tpc_parallelism against the model's
 * series). Fails the test on a mismatch. Returns false, having done
 * nothing, when there is no trace processor. */
bool tpc_check(const struct th_run *r, const char *path);

/* Length of [a, b) inside t's life and outside its Unknown intervals
 * (events missing from the recording: a trace can only guess there, and
 * the report does not count them). */
uint64_t tpc_known_ns(const struct tl_thread *t, uint64_t a, uint64_t b);

/* The utid Perfetto gave thread t of r's model in r's export (fails the
 * test if there is none). */
long tpc_utid(const struct th_run *r, const struct tl_thread *t);

/* Perfetto's critical path of thread t over [ts, ts + dur): the stdlib's
 * sched.thread_executing_span (what the UI's critical path shows). Fills
 * up to max threads on it (TIDs) with the time each holds it; returns how
 * many threads it names. */
struct tpc_cp { uint32_t tid; uint64_t ns; };
size_t tpc_critical_path(const struct th_run *r, const struct tl_thread *t,
			 uint64_t ts, uint64_t dur, struct tpc_cp *out, size_t max);

/* Perfetto's parallelism of process p over its life: time with k of its
 * threads Running (each clipped to its traced life), k < max, counted by
 * the stdlib's intervals.overlap over thread_state. */
void tpc_parallelism(const struct th_run *r, const struct tl_process *p,
		     uint64_t *ns_at, size_t max);

#endif
