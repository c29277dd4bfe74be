/* load.c - the read loop: reader → model (and an optional second consumer
 * of the same records). The only place a model meets a file. */
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int feed_all(struct tl_reader *r, struct tl_model *m,
		    const struct tl_load_hooks *h, struct tl_load_result *res)
{
	const struct tl_hdr *rec;
	enum tl_read_status st;

	while ((st = tl_reader_next(r, &rec)) == TL_READ_OK) {
		res->records++;
		if (tl_model_feed(m, rec) == -ENOMEM)
			return -ENOMEM;
		if (h && h->record)
			h->record(h->arg, rec);
	}
	res->status = st;
	res->offset = tl_reader_offset(r);
	if (st != TL_READ_END)
		snprintf(res->msg, sizeof(res->msg), "%s", tl_reader_error(r));
	const struct tl_trailer *tr = tl_reader_trailer(r);
	if (tr) {
		res->has_trailer = true;
		res->trailer = *tr;
	}
	return st == TL_READ_CORRUPT ? -EBADMSG : 0;
}

static struct tl_model *new_model(const struct tl_rec_info *info,
				  const struct tl_load_hooks *h)
{
	struct tl_model_opts o = { 0 };

	o.all_tasks = strcmp(info->target, "all") == 0;
	o.recorder_pid = info->recorder_pid;
	o.blocking_syscalls_only = h && h->blocking_syscalls_only;
	o.no_trace_series = h && h->no_trace_series;
	o.no_tree_series = h && h->no_tree_series;
	o.no_wakeup_edges = h && h->no_wakeup_edges;
	o.no_task_edges = h && h->no_task_edges;
	o.series_totals_only = h && h->series_totals_only;
	o.proc_series_streamed = h && h->proc_series_streamed;
	o.wakeup_edges_read_once = h && h->wakeup_edges_read_once;
	return tl_model_new(&o);
}

static int load(struct tl_reader *r, const struct tl_load_hooks *h,
		struct tl_model **out, struct tl_load_result *res)
{
	struct tl_model *m = NULL;
	int err = 0;

	res->info = *tl_reader_info(r);
	if (h && h->begin)
		err = h->begin(h->arg, &res->info, res);
	if (err)
		goto cleanup;
	err = -ENOMEM;
	m = new_model(&res->info, h);
	if (!m)
		goto cleanup;
	err = feed_all(r, m, h, res);
	if (err)
		goto cleanup;
	err = tl_model_finish(m, res->has_trailer ? res->trailer.h.ts : 0);
	if (err)
		goto cleanup;
	res->end_ts = tl_model_stats(m)->end;
	*out = m;
	m = NULL;
cleanup:
	tl_model_free(m);
	tl_reader_close(r);
	if (err == -ENOMEM && !res->msg[0])
		snprintf(res->msg, sizeof(res->msg), "out of memory");
	return err;
}

int tl_load(const char *path, const struct tl_load_hooks *hooks,
	    struct tl_model **out, struct tl_load_result *res)
{
	memset(res, 0, sizeof(*res));
	*out = NULL;
	errno = 0;
	struct tl_reader *r = tl_reader_open(path, res->msg, sizeof(res->msg));
	if (!r) {
		res->status = TL_READ_CORRUPT;
		return errno && errno != EBADMSG && errno != EINVAL ? -errno : -EBADMSG;
	}
	return load(r, hooks, out, res);
}

int tl_load_mem(const void *data, size_t len, const struct tl_load_hooks *hooks,
		struct tl_model **out, struct tl_load_result *res)
{
	memset(res, 0, sizeof(*res));
	*out = NULL;
	struct tl_reader *r = tl_reader_open_mem(data, len, res->msg, sizeof(res->msg));
	if (!r) {
		res->status = TL_READ_CORRUPT;
		return -EBADMSG;
	}
	return load(r, hooks, out, res);
}
