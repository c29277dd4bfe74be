/* protoc_text.h - reads `protoc --decode=perfetto.protos.Trace` text of a
 * threadline trace and rebuilds its track-event slices by hand: each
 * sequence's default track, interned event names and incremental clock,
 * with delta timestamps summed here. A second decoder, independent of the
 * export's own checker, for the tests that compare the two (header-only:
 * unit tests are one source file each).
 *
 *   struct pt_text *t = pt_new(on_slice, ctx);
 *   while (fgets(line, sizeof(line), f)) pt_line(t, line);
 *   pt_free(t);
 */
#ifndef TL_TEST_PROTOC_TEXT_H
#define TL_TEST_PROTOC_TEXT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "userspace/export/perfetto/perfetto_impl.h"

#define PT_NAMES 64
#define PT_NAME_LEN 32

typedef void (*pt_slice_fn)(void *ctx, uint64_t track, const char *name, uint64_t begin,
			    uint64_t end);

struct pt_seq {
	bool clocked;
	uint64_t clock;          /* PF_CLOCK_TE's value */
	int64_t to_boot;         /* BOOTTIME - PF_CLOCK_TE at the snapshot */
	uint64_t track;          /* track_event_defaults.track_uuid */
	char names[PT_NAMES][PT_NAME_LEN];  /* event name iid -> name */
	uint64_t open_ts;        /* the open slice's begin, 0: none */
	char open_name[PT_NAME_LEN];
};

struct pt_pkt {              /* what one packet's text said */
	uint64_t ts, seq, clock_id, type, name_iid, clk_id, clk_ts, snap64, snapboot;
	bool has_ts, snap, te;
	char block[8][32];
	unsigned depth;
};

struct pt_text {
	struct pt_seq *seqs;
	size_t nseqs;
	uint64_t iid;
	struct pt_pkt p;
	pt_slice_fn slice;
	void *ctx;
	bool oom;
	bool bad_clock;           /* an event on a clock that is neither */
};

static inline struct pt_text *pt_new(pt_slice_fn slice, void *ctx)
{
	struct pt_text *t = calloc(1, sizeof(*t));

	if (t) {
		t->slice = slice;
		t->ctx = ctx;
	}
	return t;
}

static inline void pt_free(struct pt_text *t)
{
	if (t)
		free(t->seqs);
	free(t);
}

static inline struct pt_seq *pt_seq(struct pt_text *t, uint64_t id)
{
	if (id >= t->nseqs) {
		size_t n = id + 64;
		struct pt_seq *s = realloc(t->seqs, n * sizeof(*s));

		if (!s) {
			t->oom = true;
			return NULL;
		}
		memset(s + t->nseqs, 0, (n - t->nseqs) * sizeof(*s));
		t->seqs = s;
		t->nseqs = n;
	}
	return &t->seqs[id];
}

static inline const char *pt_in(const struct pt_pkt *p)
{
	return p->depth && p->depth <= 8 ? p->block[p->depth - 1] : "";
}

static inline void pt_name(struct pt_text *t, const char *val)
{
	struct pt_seq *q = pt_seq(t, t->p.seq);

	if (q && t->iid < PT_NAMES)   /* val is "quoted" */
		snprintf(q->names[t->iid], PT_NAME_LEN, "%.*s", (int)strlen(val) - 2, val + 1);
}

static inline void pt_value(struct pt_text *t, const char *key, const char *val)
{
	struct pt_pkt *p = &t->p;
	uint64_t v = strtoull(val, NULL, 10);
	const char *in = pt_in(p);

	if (p->depth == 1) {
		if (!strcmp(key, "timestamp")) { p->ts = v; p->has_ts = true; }
		if (!strcmp(key, "trusted_packet_sequence_id")) p->seq = v;
		if (!strcmp(key, "timestamp_clock_id")) p->clock_id = v;
	} else if (!strcmp(in, "clocks")) {
		if (!strcmp(key, "clock_id")) p->clk_id = v;
		if (!strcmp(key, "timestamp")) p->clk_ts = v;
	} else if (!strcmp(in, "track_event")) {
		if (!strcmp(key, "type"))
			p->type = !strcmp(val, "TYPE_SLICE_BEGIN") ? 1 :
				  !strcmp(val, "TYPE_SLICE_END") ? 2 : 9;
		if (!strcmp(key, "name_iid")) p->name_iid = v;
	} else if (!strcmp(in, "track_event_defaults") && !strcmp(key, "track_uuid")) {
		struct pt_seq *q = pt_seq(t, p->seq);
		if (q)
			q->track = v;
	} else if (!strcmp(in, "event_names")) {
		if (!strcmp(key, "iid")) t->iid = v;
		if (!strcmp(key, "name")) pt_name(t, val);
	}
}

/* A packet's text is over: take its clock snapshot, or its event's time,
 * a delta on the sequence's clock (or BOOTTIME when it says so). */
static inline void pt_packet(struct pt_text *t)
{
	struct pt_pkt *p = &t->p;
	struct pt_seq *q = pt_seq(t, p->seq);
	uint64_t abs;

	if (!q)
		return;
	if (p->snap && p->snap64) {
		q->clocked = true;
		q->clock = p->snap64;
		q->to_boot = (int64_t)(p->snapboot - p->snap64);
		return;
	}
	if (!p->has_ts || !q->clocked || !p->te)
		return;
	if (p->clock_id == PF_CLOCK_BOOTTIME) {
		abs = p->ts;
	} else {
		t->bad_clock |= p->clock_id != 0;
		q->clock += p->ts;    /* the default clock: PF_CLOCK_TE */
		abs = (uint64_t)((int64_t)q->clock + q->to_boot);
	}
	if (p->type == 1 && p->name_iid < PT_NAMES) {
		q->open_ts = abs;
		memcpy(q->open_name, q->names[p->name_iid], PT_NAME_LEN);
	} else if (p->type == 2 && q->open_ts) {
		t->slice(t->ctx, q->track, q->open_name, q->open_ts, abs);
		q->open_ts = 0;
	}
}

static inline void pt_close_block(struct pt_text *t)
{
	struct pt_pkt *p = &t->p;

	if (!strcmp(pt_in(p), "clocks")) {
		if (p->clk_id == PF_CLOCK_TE) p->snap64 = p->clk_ts;
		if (p->clk_id == PF_CLOCK_BOOTTIME) p->snapboot = p->clk_ts;
	}
	if (p->depth && !--p->depth)
		pt_packet(t);
}

static inline void pt_line(struct pt_text *t, char *line)
{
	struct pt_pkt *p = &t->p;
	char *k = line + strspn(line, " "), *colon;
	size_t n = strlen(k);

	if (n && k[n - 1] == '\n')
		k[--n] = 0;
	if (n >= 2 && !strcmp(k + n - 2, " {")) {
		k[n - 2] = 0;
		if (!p->depth)
			memset(p, 0, sizeof(*p));
		p->snap |= !strcmp(k, "clock_snapshot");
		p->te |= !strcmp(k, "track_event");
		if (p->depth < 8)
			snprintf(p->block[p->depth], sizeof(p->block[0]), "%s", k);
		p->depth++;
		p->clk_id = p->clk_ts = 0;
	} else if (!strcmp(k, "}")) {
		pt_close_block(t);
	} else if ((colon = strstr(k, ": "))) {
		*colon = 0;
		pt_value(t, k, colon + 2);
	}
}

#endif
