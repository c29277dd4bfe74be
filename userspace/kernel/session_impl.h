/* session_impl.h - what the files of the session share: the session
 * itself and the BPF skeleton (session.c loads and attaches,
 * session_iter.c reads the task iterators, session_stop.c stops,
 * detaches and releases). */
#ifndef TL_SESSION_IMPL_H
#define TL_SESSION_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "session.h"

/* Mirrors the per-CPU slot of bpf/common.bpf.h (the skeleton checks its
 * size). */
struct tl_cpu_slot {
	struct tl_cpu_stats s;
	__u64 pad[6];
};
#include "threadline.skel.h"

#define TL_RING_MB_DEFAULT 16
#define TL_PID_LIMIT (1u << 22) /* as in bpf/common.bpf.h */
#define TL_RING_MB_MAX 1024

struct tl_session {
	struct tl_session_opts opts;
	struct threadline_bpf *skel;
	bool raw_tp;            /* the raw_tp twins are loaded */
	bool forced_raw_tp;     /* by option or environment, not by refusal */
	bool stopped;           /* tl_session_stop: nothing is emitted any more */
	pthread_t side;         /* creates the rings, reads BTF (tl_side_work) */
	bool side_started;
	int pc_err, ring_err;
	int64_t pc_from_rq;
	char ring_msg[256];
	bool no_stage;          /* records go straight to the rings */
	int ncpus;
	uint64_t ring_bytes;
	int ring_fds[TL_MAX_CPUS];
	struct bpf_link **links;
	size_t nlinks, cap;
	/* USDT links, apart: libbpf's USDT bookkeeping, shared by all of
	 * them, is not safe to destroy from several threads at once */
	struct bpf_link **ulinks;
	size_t nulinks, ucap;
	/* what tl_session_attach attached: the catalogue's targets */
	const char **targets;
	size_t ntargets, tcap;
};

#endif
