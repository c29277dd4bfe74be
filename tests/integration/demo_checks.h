/* demo_checks.h - small queries the demo signature tests share on top of the
 * harness: recording a demo that must succeed (or again while the machine is
 * too busy to measure), syscall numbers by name, phase windows from the
 * demos' USDT phase marks, named threads, interval lookups, and the
 * names the product's symbolizer gives futex addresses (`mutexA`) and the
 * deadlocks its wait-for graph finds. */
#ifndef TL_DEMO_CHECKS_H
#define TL_DEMO_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "harness.h"
#include "userspace/analysis/symbolize.h"
#include "userspace/analysis/waitfor.h"

/* Records demo (no arguments); fails the test, showing the record log,
 * unless both `threadline record` and the demo exited with status 0. */
void dc_run_ok(struct th_run *r, const char *demo);
/* The same with record options (e.g. TH_WITH_SYSCALLS). */
void dc_run_ok_with(struct th_run *r, const char *demo, const char *const *rargs);

/* Asserts what it can of one recording; false when the machine was too busy
 * for its measurement (n: the demo's size knob, as the test chose it). */
typedef bool dc_check_fn(const struct th_run *r, size_t n);
/* Records demo (no arguments) until check returns true, DC_ATTEMPTS times at
 * most; fails the test if the machine was never free enough to measure. */
void dc_record_until(const char *demo, dc_check_fn *check, size_t n);

/* Number of the x86_64 syscall `name`. Fails the test for an unknown name,
 * so a misspelt one cannot turn a count into a vacuous zero. */
int dc_nr(const char *name);

/* [t0, t1) of the demo phase `name`: from the USDT mark "phase:<name>" to
 * the next phase mark (or the trace end). Fails the test if it is absent. */
void dc_phase(const struct th_run *r, const char *name, uint64_t *t0, uint64_t *t1);

/* The one thread of r.root's tree named exactly `name` (fails otherwise). */
const struct tl_thread *dc_thread(const struct th_run *r, const char *name);
/* The one process of r.root's tree named exactly `name` (fails otherwise). */
const struct tl_process *dc_proc(const struct th_run *r, const char *name);
/* The one thread of process p (fails unless p has exactly one). */
const struct tl_thread *dc_only_thread(const struct tl_process *p);
/* r.root's main thread (TID = PID). */
const struct tl_thread *dc_main(const struct th_run *r);

/* Start of t's first Running interval, 0 if it never ran. */
uint64_t dc_first_run(const struct tl_thread *t);
/* t's last blocked interval (Sleeping/Unint) with reason why, or NULL. */
const struct tl_interval *dc_last_blocked(const struct tl_thread *t, enum tl_reason why);
/* Longest blocked interval of t with reason why, or NULL. */
const struct tl_interval *dc_longest_blocked(const struct tl_thread *t, enum tl_reason why);
/* Number of t's blocked intervals with reason why, optionally on object obj
 * (has_obj false: any object), overlapping [t0, t1) (t1 = 0: whole life). */
size_t dc_count_blocked(const struct tl_thread *t, enum tl_reason why, bool has_obj,
			uint64_t obj, uint64_t t0, uint64_t t1);
/* Number of USDT marks of kind made by threads of r.root's tree whose
 * string is label (NULL: any string). */
size_t dc_count_marks(const struct th_run *r, uint32_t kind, const char *label);
/* Same, restricted to one thread. */
size_t dc_thread_marks(const struct tl_thread *t, uint32_t kind, const char *label);

/* Parallelism of series s over [t0, t1) as far as the machine allowed it:
 * the share of time with >= k threads Running, counted only over the time
 * when none of the series' threads was Runnable (waiting for a CPU that
 * another program held - the test machine is shared and noisy). *counted
 * receives that time as a share of the window, so a test can insist that
 * enough of it was measurable. */
double dc_par_share_free(const struct tl_series *s, uint64_t t0, uint64_t t1,
			 unsigned k, double *counted);
/* Below this share of measurable time a parallelism check says nothing: the
 * test records the demo again, up to DC_ATTEMPTS times in all. */
#define DC_MIN_MEASURABLE 0.15
#define DC_ATTEMPTS 3

/* t's longest blocked interval (Sleeping/Unint) with reason why that a
 * wakeup by thread waker ended, or NULL. */
const struct tl_interval *dc_longest_woken_by(const struct tl_thread *t,
					      enum tl_reason why, uint32_t waker);
/* Perfetto's own critical path (the stdlib's sched.thread_executing_span,
 * what the UI's critical path shows) of thread t over its blocked interval
 * iv runs through iv's waker for at least half of iv. Does nothing when
 * the run has no trace processor (th_free reports the test SKIPPED). */
void dc_critical_path_through_waker(const struct th_run *r, const struct tl_thread *t,
				    const struct tl_interval *iv);

/* The name the symbolizer gives the futex object of t's blocked interval
 * iv (a static buffer), and its kind. */
const char *dc_futex_name(const struct th_run *r, const struct tl_thread *t,
			  const struct tl_interval *iv, enum tl_lock_kind *kind);
/* The name of address addr of r.root (a static buffer). */
const char *dc_addr_name(const struct th_run *r, uint64_t addr);
/* The deadlocks of the recording (malloc'd, the caller frees *d). */
size_t dc_deadlocks(const struct th_run *r, struct tl_deadlock **d);

#endif
