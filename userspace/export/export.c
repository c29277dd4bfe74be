/* export.c - recording file in, Perfetto or JSON trace file out. The
 * Perfetto export reads the recording once (load/load.h): each record goes
 * both to the model and to the streaming scheduling/process-tree writer;
 * the model's timelines then become the track events. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "export/perfetto/pb.h"
#include "json_export.h"
#include "load/load.h"
#include "model/model.h"

/* written out at about this size; a large message grows it (the sched
 * bundles, some hundreds of KiB) while the whole model is in memory */
#define OUT_BUF (1u << 18)

static int open_out(const char *out, char *err, size_t errlen)
{
	int fd;

	if (!strcmp(out, "-"))
		return dup(STDOUT_FILENO);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot write %s: %s", out, strerror(e));
		return -e;
	}
	return fd;
}

struct run {
	const char *out;
	uint32_t cp_tid;
	struct tl_pf *pf;
	struct pb_writer w;
	bool w_open;
	int fd;
};

/* The header is read: open the output and start the streamed part. */
static int begin(void *arg, const struct tl_rec_info *info, struct tl_load_result *res)
{
	struct run *x = arg;

	x->fd = open_out(x->out, res->msg, sizeof(res->msg));
	if (x->fd < 0)
		return x->fd;
	if (tl_pb_init_fd(&x->w, x->fd, OUT_BUF))
		goto oom;
	x->w_open = true;
	x->pf = tl_pf_new(&x->w, info);
	if (!x->pf)
		goto oom;
	tl_pf_set_critical_path(x->pf, x->cp_tid);
	return 0;
oom:
	snprintf(res->msg, sizeof(res->msg), "out of memory");
	return -ENOMEM;
}

static void record(void *arg, const struct tl_hdr *rec)
{
	struct run *x = arg;

	tl_pf_record(x->pf, rec);
}

static int finish(struct run *x, const struct tl_model *m, struct tl_export_stats *st,
		  char *err, size_t errlen)
{
	int e;

	if (x->cp_tid && !tl_model_find_thread(m, x->cp_tid, 0)) {
		snprintf(err, errlen, "--critical-path: no thread %u in the recording",
			 x->cp_tid);
		return -ENOENT;
	}
	e = tl_pf_finish(x->pf, m);

	tl_pf_stats(x->pf, &st->sched, &st->track);
	st->bytes = pb_total(&x->w);
	if (!e)
		e = tl_pb_close(&x->w);
	x->w_open = false;
	if (e)
		snprintf(err, errlen, "writing %s failed: %s", x->out, strerror(-e));
	return e;
}

static int load_and_write(struct run *x, const char *recording, struct tl_export_stats *st,
			  char *err, size_t errlen)
{
	struct tl_load_hooks h = {
		.blocking_syscalls_only = true,  /* the only ones drawn */
		/* both exports draw each process's own series only */
		.no_trace_series = true,
		.no_tree_series = true,
		/* and stream it, keeping none of its steps */
		.proc_series_streamed = true,
		/* the flows read the wakeup edges once (perfetto_flows.c) */
		.wakeup_edges_read_once = true,
		/* processes and threads come from the records (perfetto_proc.c)
		 * and the model's threads: no fork, exit or signal edge */
		.no_task_edges = true,
		.begin = begin,
		.record = record,
		.arg = x,
	};
	struct tl_load_result *res = calloc(1, sizeof(*res));
	struct tl_model *m = NULL;
	int e;

	if (!res) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	e = tl_load(recording, &h, &m, res);
	st->records = res->records;
	st->truncated = res->status == TL_READ_TRUNCATED;
	if (e)
		snprintf(err, errlen, "%s", res->msg);
	else if (st->truncated)
		fprintf(stderr, "threadline: warning: %s; exporting what was read\n",
			res->msg);
	if (!e)
		e = finish(x, m, st, err, errlen);
	tl_model_free(m);
	free(res);
	return e;
}

int tl_export_perfetto_stats(const char *recording, const char *out,
			     struct tl_export_stats *st, char *err, size_t errlen)
{
	return tl_export_perfetto_cp(recording, out, 0, st, err, errlen);
}

int tl_export_perfetto_cp(const char *recording, const char *out, uint32_t cp_tid,
			  struct tl_export_stats *st, char *err, size_t errlen)
{
	struct run x = { .out = out, .cp_tid = cp_tid, .fd = -1 };
	struct tl_export_stats local;
	int e;

	st = st ? st : &local;
	memset(st, 0, sizeof(*st));
	e = load_and_write(&x, recording, st, err, errlen);
	if (x.w_open)
		tl_pb_close(&x.w);
	tl_pf_free(x.pf);
	if (x.fd >= 0 && close(x.fd) && !e) {
		e = -errno;
		snprintf(err, errlen, "closing %s failed: %s", out, strerror(-e));
	}
	if (e == -ENOENT && x.fd >= 0 && strcmp(out, "-"))
		unlink(out);   /* no such thread: nothing half-written is left */
	return e;
}

int tl_export_perfetto_path(const char *recording, const char *out, char *err,
			    size_t errlen)
{
	return tl_export_perfetto_stats(recording, out, NULL, err, errlen);
}

int tl_export_json_path(const char *recording, const char *out, char *err,
			size_t errlen)
{
	/* what the JSON trace draws: the syscalls a thread blocked in, each
	 * process's own series (streamed), no wakeup, fork, exit or signal
	 * edge */
	struct tl_load_hooks h = { .blocking_syscalls_only = true,
				   .no_trace_series = true, .no_tree_series = true,
				   .proc_series_streamed = true,
				   .no_wakeup_edges = true, .no_task_edges = true };
	struct tl_model *m = NULL;
	struct tl_load_result res;
	FILE *f;
	int e, fd;

	memset(&res, 0, sizeof(res));
	e = tl_load(recording, &h, &m, &res);
	if (e) {
		snprintf(err, errlen, "%s: %s", recording, res.msg);
		return e;
	}
	fd = open_out(out, err, errlen);
	if (fd < 0) {
		tl_model_free(m);
		return fd;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		tl_model_free(m);
		snprintf(err, errlen, "cannot write %s: %s", out, strerror(errno));
		return -ENOMEM;
	}
	e = tl_json_write(f, m, &res.info);
	if (fclose(f) && !e)
		e = -errno;
	if (e)
		snprintf(err, errlen, "writing %s failed: %s", out, strerror(-e));
	tl_model_free(m);
	return e;
}
