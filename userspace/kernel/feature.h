/* feature.h - checks of what a recording needs from the system, each
 * failing with a one-line message that says what to do: privileges, kernel
 * BTF, tracefs (mounted here when missing), single tracepoints. */
#ifndef TL_FEATURE_H
#define TL_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

#define TL_TRACEFS "/sys/kernel/tracing"

/* Root, or both CAP_BPF and CAP_PERFMON in the effective set. */
int tl_check_privileges(char *err, size_t errlen);
/* /sys/kernel/btf/vmlinux is readable. */
int tl_check_btf(char *err, size_t errlen);
/* tracefs is mounted at TL_TRACEFS; tries to mount it if not. */
int tl_check_tracefs(char *err, size_t errlen);
/* "category/name" exists under TL_TRACEFS/events. */
bool tl_tracepoint_exists(const char *cat_name);

#endif
