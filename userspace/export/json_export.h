/* json_export.h - the model as a Chrome JSON trace (the "trace event
 * format" read by chrome://tracing, Perfetto and many other viewers):
 * process/thread names as metadata, each thread's states and its blocking
 * syscalls as complete ("X") events, parallelism as counters. */
#ifndef TL_JSON_EXPORT_H
#define TL_JSON_EXPORT_H

#include <stdio.h>
#include "recording/recording.h"

struct tl_model;

/* Thread lanes for blocking syscalls: tid | TL_JSON_SYSCALL_LANE, so they
 * never overlap the state events on the thread's own lane. */
#define TL_JSON_SYSCALL_LANE 0x40000000u

/* Writes the whole JSON document. Returns 0 or -errno (write error). */
int tl_json_write(FILE *f, const struct tl_model *m, const struct tl_rec_info *info);

#endif
