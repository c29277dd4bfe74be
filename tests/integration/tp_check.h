/* tp_check.h - a recording's Perfetto export as Perfetto's own trace
 * processor reads it, held against the model (every demo test runs it,
 * through th_record_demo):
 *   - no import stat of severity error or data_loss;
 *   - one utid per traced thread and one upid per traced process (one per
 *     generation of a reused TID/PID), each thread in its process, the
 *     names the model gives, each process's parent;
 *   - per thread, time Running / Runnable (R, R+) / Sleeping (S, and the
 *     stopped, traced and parked states the model counts as Sleeping) /
 *     Uninterruptible (D) in `thread_state` equal to the model's within
 *     1 % (plus TPC_SLACK_NS), over the thread's traced life and outside
 *     the stretches the model calls Unknown;
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
 * checker must accept it too) to out (out_len bytes). */
void tpc_export(const struct th_run *r, char *out, size_t out_len);

/* All the checks above on r (fails the test on a mismatch). Returns false,
 * having checked nothing, when there is no trace processor. */
bool tpc_check(const struct th_run *r);

/* The utid Perfetto gave thread t of r's model in the trace at path (fails
 * the test if there is none). */
long tpc_utid(const char *path, const struct tl_thread *t);

#endif
