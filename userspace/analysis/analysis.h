/* analysis.h - statistics over a finished model: parallelism (threads
 * Running at once) and concurrency (Running or Runnable at once) of a
 * process, a process tree or the whole trace, over its lifetime or a window;
 * and per-process totals used by the report.
 */
#ifndef TL_ANALYSIS_H
#define TL_ANALYSIS_H

#include <stdint.h>
#include "model/model.h"

#define TL_PAR_LEVELS TL_SERIES_LEVELS /* 0..63 exactly, 64 = "64 or more" */

struct tl_par_stats {
	uint64_t t0, t1;            /* the window actually used */
	uint64_t span_ns;           /* t1 - t0 */
	uint64_t known_ns;          /* time with no thread Unknown */
	uint64_t unknown_ns;        /* time with at least one thread Unknown */
	double mean_par, mean_conc; /* time-weighted means over the span */
	uint32_t max_par, max_conc;
	uint64_t par_ns[TL_PAR_LEVELS];  /* time at each parallelism level */
	uint64_t conc_ns[TL_PAR_LEVELS]; /* time at each concurrency level */
};

/* Statistics of series s over [t0, t1] clipped to the series (t0 = t1 = 0:
 * the whole series). Returns 0, or -EINVAL if the window is empty, or if
 * a window is asked of a series kept as totals only (tl_series.sum). */
int tl_series_stats(const struct tl_series *s, uint64_t t0, uint64_t t1,
		    struct tl_par_stats *out);
/* Shorthands over tl_proc_series / tl_proc_tree_series / tl_model_series. */
int tl_proc_par_stats(const struct tl_process *p, uint64_t t0, uint64_t t1,
		      struct tl_par_stats *out);
int tl_tree_par_stats(const struct tl_process *p, uint64_t t0, uint64_t t1,
		      struct tl_par_stats *out);
int tl_model_par_stats(const struct tl_model *m, uint64_t t0, uint64_t t1,
		       struct tl_par_stats *out);
/* Share (0..1) of the span spent at parallelism (or concurrency) level k. */
double tl_par_share(const struct tl_par_stats *s, unsigned k);
double tl_conc_share(const struct tl_par_stats *s, unsigned k);
/* The value of s at ts (the step containing it) into *out; false, *out
 * untouched, outside. */
bool tl_series_at(const struct tl_series *s, uint64_t ts, struct tl_step *out);

/* Whether a futex wait of thread t (an interval of it) was ended by a
 * thread exiting at that moment: the pattern of pthread_join (the kernel
 * wakes the joiner when the joined thread's TID is cleared at exit). */
bool tl_iv_is_join(const struct tl_model *m, const struct tl_interval *iv);

#endif
