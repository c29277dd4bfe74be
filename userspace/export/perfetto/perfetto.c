/* perfetto.c - the driver of the Perfetto export: streams records into the
 * process-tree and scheduling parts, and ends with the model's tracks. */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/model.h"

struct tl_pf {
	struct pb_writer *w;
	const struct tl_rec_info *info;
	struct tl_pf_proc *proc;
	struct tl_pf_sched *sched;
	struct tl_pf_sched_stats sched_st;   /* once sched is freed */
	struct tl_pf_track_stats track;
	uint32_t cp_tid;          /* thread whose critical path is drawn, or 0 */
};

struct tl_pf *tl_pf_new(struct pb_writer *w, const struct tl_rec_info *info)
{
	struct tl_pf *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->w = w;
	pf->info = info;
	pf->proc = tl_pf_proc_new(w, !strcmp(info->target, "all"), info->recorder_pid);
	pf->sched = tl_pf_sched_new(w, info->ncpus, 0);
	if (!pf->proc || !pf->sched) {
		tl_pf_free(pf);
		return NULL;
	}
	tl_pf_write_preamble(w, info);
	return pf;
}

void tl_pf_record(struct tl_pf *pf, const struct tl_hdr *rec)
{
	tl_pf_proc_record(pf->proc, rec);
	tl_pf_sched_record(pf->sched, rec);
}

void tl_pf_set_critical_path(struct tl_pf *pf, uint32_t tid)
{
	pf->cp_tid = tid;
}

int tl_pf_finish(struct tl_pf *pf, const struct tl_model *m)
{
	int err;

	tl_pf_proc_flush(pf->proc);
	tl_pf_sched_finish(pf->sched);
	/* what the record stream needed is done with: its room goes to the
	 * tracks (flows, sequences), made while the whole model is there */
	tl_pf_sched_stats(pf->sched, &pf->sched_st);
	tl_pf_sched_free(pf->sched);
	pf->sched = NULL;
	tl_pf_proc_free(pf->proc);
	pf->proc = NULL;
	if (!tl_pb_flush(pf->w))
		tl_pb_trim(pf->w);
	if (m) {
		err = tl_pf_write_tracks(pf->w, m, pf->info, pf->cp_tid, &pf->track);
		if (err)
			return err;
	}
	return pb_error(pf->w);
}

void tl_pf_stats(const struct tl_pf *pf, struct tl_pf_sched_stats *sched,
		 struct tl_pf_track_stats *track)
{
	if (sched && pf->sched)
		tl_pf_sched_stats(pf->sched, sched);
	else if (sched)
		*sched = pf->sched_st;
	if (track)
		*track = pf->track;
}

void tl_pf_free(struct tl_pf *pf)
{
	if (!pf)
		return;
	tl_pf_proc_free(pf->proc);
	tl_pf_sched_free(pf->sched);
	free(pf);
}
