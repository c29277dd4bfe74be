/* export.c - recording file in, Perfetto or JSON trace file out. The
 * Perfetto export reads the recording once: each record goes both to the
 * streaming scheduling/process-tree writer and to the model, whose
 * timelines then become the track events. */
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "json_export.h"
#include "model.h"

#define OUT_BUF (1u << 20)

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
	struct tl_reader *r;
	struct tl_model *m;
	struct tl_pf *pf;
	struct pb_writer w;
	bool w_open;
	int fd;
};

/* Streams every record into both consumers; returns the end timestamp. */
static int feed(struct run *x, struct tl_export_stats *st, uint64_t *end,
		char *err, size_t errlen)
{
	const struct tl_hdr *rec;
	enum tl_read_status rs;
	const struct tl_trailer *tr;

	*end = 0;
	while ((rs = tl_reader_next(x->r, &rec)) == TL_READ_OK) {
		st->records++;
		if (tl_model_feed(x->m, rec) == -ENOMEM) {
			snprintf(err, errlen, "out of memory building the model");
			return -ENOMEM;
		}
		tl_pf_record(x->pf, rec);
		*end = rec->ts;
	}
	if (rs == TL_READ_CORRUPT) {
		snprintf(err, errlen, "%s", tl_reader_error(x->r));
		return -EBADMSG;
	}
	st->truncated = rs == TL_READ_TRUNCATED;
	if (st->truncated)
		fprintf(stderr, "threadline: warning: %s; exporting what was read\n",
			tl_reader_error(x->r));
	tr = tl_reader_trailer(x->r);
	if (tr && tr->h.ts > *end)
		*end = tr->h.ts;
	return 0;
}

static int setup(struct run *x, const char *recording, const char *out,
		 char *err, size_t errlen)
{
	const struct tl_rec_info *info;
	struct tl_model_opts o = { 0 };

	x->r = tl_reader_open(recording, err, errlen);
	if (!x->r)
		return -EINVAL;
	info = tl_reader_info(x->r);
	o.all_tasks = !strcmp(info->target, "all");
	o.blocking_syscalls_only = true;  /* the only ones drawn */
	x->fd = open_out(out, err, errlen);
	if (x->fd < 0)
		return x->fd;
	x->m = tl_model_new(&o);
	if (!x->m || pb_init_fd(&x->w, x->fd, OUT_BUF))
		goto oom;
	x->w_open = true;
	x->pf = tl_pf_new(&x->w, info);
	if (!x->pf)
		goto oom;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static int finish(struct run *x, uint64_t end, struct tl_export_stats *st,
		  const char *out, char *err, size_t errlen)
{
	int e = tl_model_finish(x->m, end);

	if (!e)
		e = tl_pf_finish(x->pf, x->m);
	tl_pf_stats(x->pf, &st->sched, &st->track);
	st->bytes = pb_total(&x->w);
	if (!e)
		e = pb_close(&x->w);
	x->w_open = false;
	if (e)
		snprintf(err, errlen, "writing %s failed: %s", out, strerror(-e));
	return e;
}

int tl_export_perfetto_stats(const char *recording, const char *out,
			     struct tl_export_stats *st, char *err, size_t errlen)
{
	struct run x = { .fd = -1 };
	struct tl_export_stats local;
	uint64_t end;
	int e;

	st = st ? st : &local;
	memset(st, 0, sizeof(*st));
	e = setup(&x, recording, out, err, errlen);
	if (!e)
		e = feed(&x, st, &end, err, errlen);
	if (!e)
		e = finish(&x, end, st, out, err, errlen);
	if (x.w_open)
		pb_close(&x.w);
	tl_pf_free(x.pf);
	tl_model_free(x.m);
	if (x.r)
		tl_reader_close(x.r);
	if (x.fd >= 0 && close(x.fd) && !e) {
		e = -errno;
		snprintf(err, errlen, "closing %s failed: %s", out, strerror(-e));
	}
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
	struct tl_model *m = NULL;
	struct tl_load_result res;
	FILE *f;
	int e, fd;

	memset(&res, 0, sizeof(res));
	e = tl_model_load(recording, &m, &res);
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
