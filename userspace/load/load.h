/* load.h - a recording file in, a finished model out: the one loop that
 * reads records and feeds them to the model, shared by `report`, both
 * exports and the tests. A caller that also streams the records elsewhere
 * (the Perfetto export) hooks into the same pass instead of reading the
 * file twice.
 */
#ifndef TL_LOAD_H
#define TL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "recording/recording.h"

struct tl_load_result {
	struct tl_rec_info info;
	enum tl_read_status status;  /* END, TRUNCATED or CORRUPT */
	char msg[256];               /* one-line reason when not END */
	uint64_t offset;             /* byte offset where reading stopped */
	bool has_trailer;
	struct tl_trailer trailer;
	uint64_t records;            /* records read */
	uint64_t end_ts;             /* where the model was finished */
};

struct tl_load_hooks {
	/* The export draws only the syscalls a thread blocked in. */
	bool blocking_syscalls_only;
	/* Series and edges the caller never asks for (tl_model_opts). */
	bool no_trace_series, no_tree_series, no_wakeup_edges, no_task_edges;
	bool series_totals_only, proc_series_streamed;
	bool wakeup_edges_read_once;     /* how it reads the edges */
	/* Called once the header is read, before any record; a non-zero
	 * return (-errno, with res->msg set) stops the load. */
	int (*begin)(void *arg, const struct tl_rec_info *info,
		     struct tl_load_result *res);
	/* Called with every record, after the model took it. */
	void (*record)(void *arg, const struct tl_hdr *rec);
	void *arg;
};

/* Reads `path`, feeds every record, finishes the model at the trailer's ts
 * (or the last record's). Returns 0 with *out set for a complete or
 * truncated file (res->status says which); -EBADMSG for a corrupt one,
 * -ENOMEM, a hook's error, or -errno when it cannot be opened (*out NULL,
 * res->msg says why). hooks may be NULL. */
int tl_load(const char *path, const struct tl_load_hooks *hooks,
	    struct tl_model **out, struct tl_load_result *res);
/* Same from a recording in memory (the fuzzer); data must outlive the call. */
int tl_load_mem(const void *data, size_t len, const struct tl_load_hooks *hooks,
		struct tl_model **out, struct tl_load_result *res);

#endif
