/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * floor.bpf.c - the cost floor of threadline's probes: EMPTY programs on the
 * very tracepoints the sched, proc and futex groups use. What a benchmarked
 * workload loses with these attached is the price of merely entering BPF
 * on every event; whatever threadline costs above it is its own work
 * (filtering, filling records, the ring buffer, the collector).
 *
 * The set mirrors probes/catalogue.h for the groups sched, proc and futex
 * (including the two probes threadline keeps for its filter: process fork
 * and free). As there, one program serves every syscall tracepoint, and
 * bench/floor.c attaches it to each.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_switch")
int floor_sched_switch(void *ctx) { return 0; }

SEC("tp_btf/sched_waking")
int floor_sched_waking(void *ctx) { return 0; }

SEC("tp_btf/sched_wakeup_new")
int floor_sched_wakeup_new(void *ctx) { return 0; }

SEC("tp_btf/sched_migrate_task")
int floor_sched_migrate_task(void *ctx) { return 0; }

SEC("tp_btf/sched_process_fork")
int floor_sched_process_fork(void *ctx) { return 0; }

SEC("tp_btf/sched_process_exec")
int floor_sched_process_exec(void *ctx) { return 0; }

SEC("tp_btf/sched_process_exit")
int floor_sched_process_exit(void *ctx) { return 0; }

SEC("tp_btf/task_newtask")
int floor_task_newtask(void *ctx) { return 0; }

SEC("tp_btf/task_rename")
int floor_task_rename(void *ctx) { return 0; }

SEC("tp_btf/sched_process_free")
int floor_sched_process_free(void *ctx) { return 0; }

SEC("tp_btf/sched_process_wait")
int floor_sched_process_wait(void *ctx) { return 0; }

/* Attached by hand to every syscalls/sys_{enter,exit}_X of the list. */
SEC("tracepoint")
int floor_syscall(void *ctx) { return 0; }
