/* model_load.c - build a model from a recording file through the reader.
 * The only part of the model that does I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "model.h"

static bool is_all(const char *target)
{
	return strcmp(target, "all") == 0;
}

static int feed_all(struct tl_reader *r, struct tl_model *m, struct tl_load_result *res)
{
	const struct tl_hdr *rec;
	enum tl_read_status st;

	while ((st = tl_reader_next(r, &rec)) == TL_READ_OK) {
		res->records++;
		int err = tl_model_feed(m, rec);
		if (err == -ENOMEM)
			return err;
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

static int load(struct tl_reader *r, struct tl_model **out, struct tl_load_result *res)
{
	struct tl_model_opts o = { 0 };
	struct tl_model *m = NULL;
	int err = -ENOMEM;

	res->info = *tl_reader_info(r);
	o.all_tasks = is_all(res->info.target);
	m = tl_model_new(&o);
	if (!m)
		goto cleanup;
	err = feed_all(r, m, res);
	if (err)
		goto cleanup;
	err = tl_model_finish(m, res->has_trailer ? res->trailer.h.ts : 0);
	if (err)
		goto cleanup;
	*out = m;
	m = NULL;
cleanup:
	tl_model_free(m);
	tl_reader_close(r);
	if (err == -ENOMEM && !res->msg[0])
		snprintf(res->msg, sizeof(res->msg), "out of memory");
	return err;
}

int tl_model_load(const char *path, struct tl_model **out, struct tl_load_result *res)
{
	memset(res, 0, sizeof(*res));
	*out = NULL;
	errno = 0;
	struct tl_reader *r = tl_reader_open(path, res->msg, sizeof(res->msg));
	if (!r) {
		res->status = TL_READ_CORRUPT;
		return errno && errno != EBADMSG && errno != EINVAL ? -errno : -EBADMSG;
	}
	return load(r, out, res);
}

int tl_model_load_mem(const void *data, size_t len, struct tl_model **out,
		      struct tl_load_result *res)
{
	memset(res, 0, sizeof(*res));
	*out = NULL;
	struct tl_reader *r = tl_reader_open_mem(data, len, res->msg, sizeof(res->msg));
	if (!r) {
		res->status = TL_READ_CORRUPT;
		return -EBADMSG;
	}
	return load(r, out, res);
}
