/* feature.h - checks of what a recording needs from the system, each
 * failing with a one-line message that says what to do: privileges, kernel
 * BTF, tracefs (mounted here when missing), single tracepoints. */
#ifndef TL_FEATURE_H
#define TL_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_TRACEFS "/sys/kernel/tracing"

/* Root, or both CAP_BPF and CAP_PERFMON in the effective set. */
int tl_check_privileges(char *err, size_t errlen);
/* /sys/kernel/btf/vmlinux is readable. */
int tl_check_btf(char *err, size_t errlen);
/* tracefs is mounted at TL_TRACEFS; tries to mount it if not. */
int tl_check_tracefs(char *err, size_t errlen);
/* "category/name" exists under TL_TRACEFS/events. */
bool tl_tracepoint_exists(const char *cat_name);

/* The verifier's reason for refusing a program: the last line of its log
 * before the summary lines ("processed N insns", "verification time",
 * "stack depth"), copied into out (empty when there is none). */
void tl_verifier_reason(const char *log, char *out, size_t len);
/* Distance, in the kernel's per-CPU area, from the run queue (`runqueues`)
 * to the preempt count (`__preempt_count`, or `preempt_count` inside
 * `pcpu_hot` on x86 kernels 6.2 to 6.14), read from the kernel's BTF: a
 * BPF program that knows its CPU's run queue then knows where its preempt
 * count is, which tells interrupt context from task context. Returns 0,
 * or -ENOENT when this kernel's BTF does not say. */
int tl_preempt_count_from_rq(int64_t *delta);

#endif
