/* perfetto_te.c - writes TrackDescriptors, and TrackEvents on a packet
 * sequence per track, so that an event packet is little more than its
 * event: the time since the track's previous event and no track uuid.
 *
 * A track's sequence starts at its first event with one packet that sets
 * SEQ_INCREMENTAL_STATE_CLEARED, TracePacketDefaults (timestamp clock
 * PF_CLOCK_TE, track_event_defaults.track_uuid = the track) and a
 * ClockSnapshot that puts PF_CLOCK_TE, an incremental clock scoped to the
 * sequence, at the event's BOOTTIME. Each later event's timestamp is then a
 * delta on that clock. An event earlier than its track's previous one
 * names BOOTTIME (timestamp_clock_id) and carries its absolute time, which
 * leaves the incremental clock where it was. Event names, annotation names
 * and annotation string values are interned per sequence by the first
 * packet that uses them (an iid means the same string on every sequence);
 * a packet using an iid says SEQ_NEEDS_INCREMENTAL_STATE. The importer
 * rules this relies on are listed in docs/perfetto.md.
 *
 * Events are most of a trace's bytes, so every event packet has its size
 * worked out first and each length goes out as the shortest varint.
 */
#include "perfetto_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/hmap.h"
#include "util/vec.h"

static const char *const arg_names[PF_A_COUNT] = {
	[PF_A_ADDRESS] = "address", [PF_A_FD] = "fd", [PF_A_FD_KIND] = "fd_kind",
	[PF_A_BYTES] = "bytes", [PF_A_RESULT] = "result", [PF_A_REASON] = "reason",
	[PF_A_BLOCKED_NS] = "blocked_ns", [PF_A_WOKEN_BY] = "woken_by",
	[PF_A_VALUE] = "value", [PF_A_ID] = "id", [PF_A_COMMAND] = "command",
	[PF_A_TARGET] = "target", [PF_A_VERSION] = "tool_version",
	[PF_A_HOST] = "host", [PF_A_KERNEL] = "kernel",
	[PF_A_LOST] = "lost_events", [PF_A_SYSCALL] = "syscall",
	[PF_A_STATE] = "state", [PF_A_QUEUE] = "queue", [PF_A_LOCK] = "lock",
	[PF_A_LOCK_KIND] = "lock_kind", [PF_A_HELD_BY] = "held_by",
	[PF_A_STACK] = "stack",
};

/* Strings -> iids, the same iid on every sequence that interns them.
 * Most strings come from a few static tables, so the hash table is
 * fronted by a cache keyed by the string's address (checked by content:
 * an address may hold another string later). */
#define STR_CACHE 64

struct strtab {
	struct tl_vec strs;          /* char *: the string of iid i + 1 at i */
	struct tl_hmap by_hash;      /* string hash -> index in strs */
	struct { const char *p; uint64_t iid; } cache[STR_CACHE];
};

/* Which iids a sequence has interned. */
struct iidset {
	struct tl_vec words;         /* uint64_t: bit iid % 64 of word iid / 64 */
};

/* One track's event sequence. */
struct te_seq {
	uint64_t track;
	uint64_t clock;        /* PF_CLOCK_TE's value: the last delta-timed event */
	struct iidset names;   /* event names interned here */
	struct iidset strs;    /* annotation string values interned here */
	uint32_t id;           /* trusted_packet_sequence_id */
	uint32_t dbg;          /* bit k: annotation name k interned here */
};

struct tl_pf_te {
	struct pb_writer *w;
	struct strtab names, strs;   /* event names; annotation string values */
	uint64_t next_uuid;
	struct tl_vec seqs;          /* struct te_seq */
	struct tl_vec free_seqs;     /* size_t: seqs of tracks that are done */
	struct tl_hmap seq_idx;      /* track uuid -> seqs index */
	size_t last;                 /* seqs index + 1 of the latest event */
	struct tl_pf_te_stats st;
};

/* Track uuids are small, so their varints are short: the low two bits say
 * the kind (1 process, 2 thread, 3 other), the rest is the id; a reused
 * PID/TID's generation sits above its 23 bits. */
uint64_t tl_pf_proc_uuid(uint32_t pid, uint32_t gen)
{
	return ((((uint64_t)gen << 23) | pid) << 2) | 1;
}

uint64_t tl_pf_thread_uuid(uint32_t tid, uint32_t gen)
{
	return ((((uint64_t)gen << 23) | tid) << 2) | 2;
}

uint64_t tl_pf_te_uuid(struct tl_pf_te *te)
{
	return (++te->next_uuid << 2) | 3;
}

struct tl_pf_te *tl_pf_te_new(struct pb_writer *w, uint64_t ts)
{
	struct tl_pf_te *te = calloc(1, sizeof(*te));

	(void)ts;
	if (!te)
		return NULL;
	te->w = w;
	return te;
}

static void strtab_free(struct strtab *t)
{
	for (size_t i = 0; i < t->strs.n; i++)
		free(TL_VEC_AT(&t->strs, char *, i));
	tl_vec_free(&t->strs);
	tl_hmap_free(&t->by_hash);
}

static struct te_seq *seq_at(const struct tl_pf_te *te, size_t i)
{
	return &TL_VEC_AT(&te->seqs, struct te_seq, i);
}

void tl_pf_te_free(struct tl_pf_te *te)
{
	if (!te)
		return;
	strtab_free(&te->names);
	strtab_free(&te->strs);
	for (size_t i = 0; i < te->seqs.n; i++) {
		tl_vec_free(&seq_at(te, i)->names.words);
		tl_vec_free(&seq_at(te, i)->strs.words);
	}
	tl_vec_free(&te->seqs);
	tl_vec_free(&te->free_seqs);
	tl_hmap_free(&te->seq_idx);
	free(te);
}

void tl_pf_te_stats(const struct tl_pf_te *te, struct tl_pf_te_stats *st)
{
	*st = te->st;
}

static void set_error(struct tl_pf_te *te, int err)
{
	if (!te->w->err)
		te->w->err = err;
}

/* ---- string tables and iid sets ---- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static const char *strtab_str(const struct strtab *t, uint64_t iid)
{
	return TL_VEC_AT(&t->strs, const char *, iid - 1);
}

/* Stores a string not yet in t; its iid, 0 when out of memory. */
static uint64_t strtab_add(struct strtab *t, const char *str, uint64_t h)
{
	char *dup = strdup(str);
	char **slot;

	if (!dup || tl_hmap_reserve(&t->by_hash, t->by_hash.n + 1) ||
	    !(slot = tl_vec_push_uninit(&t->strs, sizeof(*slot)))) {
		free(dup);
		return 0;
	}
	*slot = dup;
	tl_hmap_add(&t->by_hash, h, t->strs.n - 1);   /* room reserved */
	return t->strs.n;
}

/* The iid of str (iids start at 1), 0 when out of memory. */
static uint64_t strtab_iid(struct strtab *t, const char *str)
{
	size_t c = ((uintptr_t)str >> 3) % STR_CACHE, pos;
	uint64_t h;
	const uint64_t *v;

	if (t->cache[c].p == str && !strcmp(strtab_str(t, t->cache[c].iid), str))
		return t->cache[c].iid;
	h = str_hash(str);
	pos = tl_hmap_probe_start(&t->by_hash, h);
	while ((v = tl_hmap_probe(&t->by_hash, h, &pos))) {
		if (strcmp(strtab_str(t, *v + 1), str))
			continue;
		t->cache[c].p = str;
		t->cache[c].iid = *v + 1;
		return *v + 1;
	}
	return strtab_add(t, str, h);
}

static bool iidset_has(const struct iidset *s, uint64_t iid)
{
	return iid / 64 < s->words.n &&
	       (TL_VEC_AT(&s->words, uint64_t, iid / 64) >> (iid % 64) & 1);
}

static bool iidset_add(struct iidset *s, uint64_t iid)
{
	struct tl_vec *v = &s->words;

	if (iid / 64 >= v->n && tl_vec_extend(v, sizeof(uint64_t), (iid / 64 + 1) * 2))
		return false;
	TL_VEC_AT(v, uint64_t, iid / 64) |= 1ULL << (iid % 64);
	return true;
}

/* ---- descriptors ---- */

static void desc_begin(struct tl_pf_te *te, uint64_t uuid, uint64_t ts)
{
	tl_pf_packet_begin(te->w, ts, PF_SEQ_TRACK, 0);
	tl_pb_begin(te->w, PF_TP_TRACK_DESCRIPTOR);
	pb_varint(te->w, PF_TD_UUID, uuid);
}

static void desc_end(struct tl_pf_te *te)
{
	tl_pb_end(te->w);
	tl_pf_packet_end(te->w);
}

void tl_pf_te_process_order(struct tl_pf_te *te)
{
	desc_begin(te, 0, 0);
	pb_varint(te->w, PF_TD_PROCESS_ORDERING, PF_PROCESS_ORDERING_EXPLICIT);
	desc_end(te);
}

void tl_pf_te_process_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			    const char *name, uint64_t ts, int32_t rank)
{
	desc_begin(te, uuid, ts);
	tl_pb_begin(te->w, PF_TD_PROCESS);
	pb_int32(te->w, PF_PD_PID, (int32_t)pid);
	if (name && *name)
		tl_pb_string(te->w, PF_PD_NAME, name);
	tl_pb_end(te->w);
	pb_int32(te->w, PF_TD_SIBLING_RANK, rank);
	desc_end(te);
}

void tl_pf_te_thread_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			   uint32_t tid, const char *name, uint64_t ts)
{
	desc_begin(te, uuid, ts);
	tl_pb_begin(te->w, PF_TD_THREAD);
	pb_int32(te->w, PF_TDS_PID, (int32_t)pid);
	pb_int64(te->w, PF_TDS_TID, tid);
	if (name && *name)
		tl_pb_string(te->w, PF_TDS_NAME, name);
	tl_pb_end(te->w);
	desc_end(te);
}

void tl_pf_te_named_track(struct tl_pf_te *te, uint64_t uuid, uint64_t parent,
			  const char *name, const char *description, bool counter)
{
	desc_begin(te, uuid, 0);
	if (parent)
		pb_varint(te->w, PF_TD_PARENT, parent);
	tl_pb_string(te->w, PF_TD_NAME, name);
	if (description)
		tl_pb_string(te->w, PF_TD_DESCRIPTION, description);
	if (counter) {
		tl_pb_begin(te->w, PF_TD_COUNTER);
		pb_varint(te->w, PF_CD_UNIT, 2); /* UNIT_COUNT */
		tl_pb_end(te->w);
	}
	desc_end(te);
}

/* ---- sequences ---- */

/* The sequence's first packet: cleared state; defaults (clock PF_CLOCK_TE,
 * the track); a ClockSnapshot with PF_CLOCK_TE (incremental) and BOOTTIME
 * both at the first event's time, so the clocks differ by nothing. */
static void write_seq_start(struct pb_writer *w, const struct te_seq *s)
{
	size_t ted = pb_varint_field_size(PF_TED_TRACK_UUID, s->track);
	size_t defs = pb_varint_field_size(PF_DEF_CLOCK_ID, PF_CLOCK_TE) +
		      pb_len_field_size(PF_DEF_TRACK_EVENT, ted);
	size_t clk = pb_varint_field_size(PF_CLK_ID, PF_CLOCK_TE) +
		     pb_varint_field_size(PF_CLK_TS, s->clock) +
		     pb_varint_field_size(PF_CLK_INCREMENTAL, 1);
	size_t boot = pb_varint_field_size(PF_CLK_ID, PF_CLOCK_BOOTTIME) +
		      pb_varint_field_size(PF_CLK_TS, s->clock);
	size_t snap = pb_len_field_size(PF_CS_CLOCKS, clk) +
		      pb_len_field_size(PF_CS_CLOCKS, boot);
	size_t pkt = pb_varint_field_size(PF_TP_SEQ_ID, s->id) +
		     pb_varint_field_size(PF_TP_SEQ_FLAGS, PF_SEQ_CLEARED) +
		     pb_len_field_size(PF_TP_DEFAULTS, defs) +
		     pb_len_field_size(PF_TP_CLOCK_SNAPSHOT, snap);

	if (!pb_room(w, pb_len_field_size(PF_TRACE_PACKET, pkt)))
		return;
	pb_put_len_header_unchecked(w, PF_TRACE_PACKET, pkt);
	pb_put_varint_field_unchecked(w, PF_TP_SEQ_ID, s->id);
	pb_put_varint_field_unchecked(w, PF_TP_SEQ_FLAGS, PF_SEQ_CLEARED);
	pb_put_len_header_unchecked(w, PF_TP_DEFAULTS, defs);
	pb_put_varint_field_unchecked(w, PF_DEF_CLOCK_ID, PF_CLOCK_TE);
	pb_put_len_header_unchecked(w, PF_DEF_TRACK_EVENT, ted);
	pb_put_varint_field_unchecked(w, PF_TED_TRACK_UUID, s->track);
	pb_put_len_header_unchecked(w, PF_TP_CLOCK_SNAPSHOT, snap);
	pb_put_len_header_unchecked(w, PF_CS_CLOCKS, clk);
	pb_put_varint_field_unchecked(w, PF_CLK_ID, PF_CLOCK_TE);
	pb_put_varint_field_unchecked(w, PF_CLK_TS, s->clock);
	pb_put_varint_field_unchecked(w, PF_CLK_INCREMENTAL, 1);
	pb_put_len_header_unchecked(w, PF_CS_CLOCKS, boot);
	pb_put_varint_field_unchecked(w, PF_CLK_ID, PF_CLOCK_BOOTTIME);
	pb_put_varint_field_unchecked(w, PF_CLK_TS, s->clock);
}

/* A new sequence for track, its clock starting at ts. */
static struct te_seq *new_seq(struct tl_pf_te *te, uint64_t track, uint64_t ts)
{
	struct te_seq *s;

	if (tl_hmap_reserve(&te->seq_idx, te->seq_idx.n + 1))
		return NULL;
	if (te->free_seqs.n)
		s = seq_at(te, TL_VEC_AT(&te->free_seqs, size_t, --te->free_seqs.n));
	else
		s = tl_vec_push_uninit(&te->seqs, sizeof(*s));
	if (!s)
		return NULL;
	*s = (struct te_seq){ .track = track, .clock = ts,
			      .id = PF_SEQ_TE_FIRST + (uint32_t)te->st.sequences };
	tl_hmap_put(&te->seq_idx, track, (size_t)(s - seq_at(te, 0))); /* room reserved */
	te->st.sequences++;
	write_seq_start(te->w, s);
	return s;
}

/* The track's sequence, started at ts if the track has none yet. */
static struct te_seq *seq_of(struct tl_pf_te *te, uint64_t track, uint64_t ts)
{
	const uint64_t *k;
	struct te_seq *s;

	if (te->last && seq_at(te, te->last - 1)->track == track)
		return seq_at(te, te->last - 1);
	k = tl_hmap_find(&te->seq_idx, track);
	s = k ? seq_at(te, *k) : new_seq(te, track, ts);
	if (!s) {
		set_error(te, -ENOMEM);
		return NULL;
	}
	te->last = (size_t)(s - seq_at(te, 0)) + 1;
	return s;
}

void tl_pf_te_track_done(struct tl_pf_te *te, uint64_t track)
{
	const uint64_t *k = tl_hmap_find(&te->seq_idx, track);
	size_t i, *slot;
	struct te_seq *s;

	if (!k)
		return;
	i = (size_t)*k;
	slot = tl_vec_push_uninit(&te->free_seqs, sizeof(*slot));
	if (!slot)
		return;   /* then it is kept */
	*slot = i;
	s = seq_at(te, i);
	tl_vec_free(&s->names.words);
	tl_vec_free(&s->strs.words);
	s->track = 0;
	tl_hmap_del(&te->seq_idx, track);
	if (te->last == i + 1)
		te->last = 0;
}

/* ---- event packets ---- */

/* What an event's packet carries besides the event. */
struct pkt_hdr {
	uint64_t ts;           /* delta on the sequence's clock, or absolute */
	bool absolute;         /* ts is BOOTTIME: the event went back in time */
	uint32_t seq, flags;
	uint64_t iid;          /* the event's name iid, 0: none */
	const char *new_name;  /* event name to intern in this packet */
	uint32_t new_dbg;      /* annotation names to intern in this packet */
	uint32_t new_strs;     /* bit i: intern argument i's string here */
	bool intern;           /* any of the three */
	uint64_t str_iid[PF_MAX_ARGS];  /* argument i's string iid, 0: inline;
					 * set for the event's arguments only */
};

static const char *arg_str(const struct tl_pf_arg *a)
{
	return a->s ? a->s : "";
}

static size_t entry_size(uint64_t iid, const char *name)
{
	return pb_varint_field_size(PF_IID, iid) + pb_len_field_size(PF_INAME, strlen(name));
}

static size_t interned_size(const struct pkt_hdr *h, const struct tl_pf_ev *ev)
{
	size_t n = 0;

	if (h->new_name)
		n += pb_len_field_size(PF_ID_EVENT_NAMES, entry_size(h->iid, h->new_name));
	for (unsigned k = 1; k < PF_A_COUNT; k++)
		if (h->new_dbg >> k & 1)
			n += pb_len_field_size(PF_ID_DEBUG_NAMES, entry_size(k, arg_names[k]));
	for (unsigned i = 0; i < ev->nargs && i < PF_MAX_ARGS; i++)
		if (h->new_strs >> i & 1)
			n += pb_len_field_size(PF_ID_DEBUG_STRINGS,
					    entry_size(h->str_iid[i], arg_str(&ev->args[i])));
	return n;
}

static void put_entry(struct pb_writer *w, uint32_t field, uint64_t iid,
		      const char *name)
{
	pb_put_len_header_unchecked(w, field, entry_size(iid, name));
	pb_put_varint_field_unchecked(w, PF_IID, iid);
	pb_put_bytes_field_unchecked(w, PF_INAME, name, strlen(name));
}

static void put_interned(struct pb_writer *w, const struct pkt_hdr *h,
			 const struct tl_pf_ev *ev, size_t len)
{
	pb_put_len_header_unchecked(w, PF_TP_INTERNED_DATA, len);
	if (h->new_name)
		put_entry(w, PF_ID_EVENT_NAMES, h->iid, h->new_name);
	for (unsigned k = 1; k < PF_A_COUNT; k++)
		if (h->new_dbg >> k & 1)
			put_entry(w, PF_ID_DEBUG_NAMES, k, arg_names[k]);
	for (unsigned i = 0; i < ev->nargs && i < PF_MAX_ARGS; i++)
		if (h->new_strs >> i & 1)
			put_entry(w, PF_ID_DEBUG_STRINGS, h->str_iid[i],
				  arg_str(&ev->args[i]));
}

static size_t arg_body_size(const struct tl_pf_arg *a, uint64_t str_iid)
{
	size_t n = pb_varint_field_size(PF_DA_NAME_IID, a->name);

	switch (a->kind) {
	case PF_ARG_UINT: return n + pb_varint_field_size(PF_DA_UINT, a->u);
	case PF_ARG_INT: return n + pb_varint_field_size(PF_DA_INT, a->u);
	case PF_ARG_PTR: return n + pb_varint_field_size(PF_DA_POINTER, a->u);
	default:
		if (str_iid)
			return n + pb_varint_field_size(PF_DA_STRING_IID, str_iid);
		return n + pb_len_field_size(PF_DA_STRING, strlen(arg_str(a)));
	}
}

static void put_arg(struct pb_writer *w, const struct tl_pf_arg *a, uint64_t str_iid)
{
	pb_put_len_header_unchecked(w, PF_TE_DEBUG, arg_body_size(a, str_iid));
	pb_put_varint_field_unchecked(w, PF_DA_NAME_IID, a->name);
	switch (a->kind) {
	case PF_ARG_UINT: pb_put_varint_field_unchecked(w, PF_DA_UINT, a->u); break;
	case PF_ARG_INT: pb_put_varint_field_unchecked(w, PF_DA_INT, a->u); break;
	case PF_ARG_PTR: pb_put_varint_field_unchecked(w, PF_DA_POINTER, a->u); break;
	default:
		if (str_iid)
			pb_put_varint_field_unchecked(w, PF_DA_STRING_IID, str_iid);
		else
			pb_put_bytes_field_unchecked(w, PF_DA_STRING, arg_str(a), strlen(arg_str(a)));
		break;
	}
}

static uint64_t str_iid_of(const struct pkt_hdr *h, unsigned i)
{
	return i < PF_MAX_ARGS ? h->str_iid[i] : 0;
}

/* The TrackEvent: its track comes from the sequence's defaults. */
static size_t event_body_size(const struct pkt_hdr *h, const struct tl_pf_ev *ev)
{
	size_t n = pb_varint_field_size(PF_TE_TYPE, ev->type);

	if (h->iid)
		n += pb_varint_field_size(PF_TE_NAME_IID, h->iid);
	for (unsigned i = 0; i < ev->nargs; i++)
		n += pb_len_field_size(PF_TE_DEBUG, arg_body_size(&ev->args[i],
							       str_iid_of(h, i)));
	if (ev->type == PF_COUNTER)
		n += pb_varint_field_size(PF_TE_COUNTER_VALUE, (uint64_t)ev->value);
	n += ev->nflows * (pb_tag_size(PF_TE_FLOW_IDS) + 8);
	n += ev->nterm * (pb_tag_size(PF_TE_TERM_FLOW_IDS) + 8);
	return n;
}

static void put_event_body(struct pb_writer *w, const struct pkt_hdr *h,
			   const struct tl_pf_ev *ev, size_t len)
{
	pb_put_len_header_unchecked(w, PF_TP_TRACK_EVENT, len);
	pb_put_varint_field_unchecked(w, PF_TE_TYPE, ev->type);
	if (h->iid)
		pb_put_varint_field_unchecked(w, PF_TE_NAME_IID, h->iid);
	for (unsigned i = 0; i < ev->nargs; i++)
		put_arg(w, &ev->args[i], str_iid_of(h, i));
	if (ev->type == PF_COUNTER)
		pb_put_varint_field_unchecked(w, PF_TE_COUNTER_VALUE, (uint64_t)ev->value);
	for (unsigned i = 0; i < ev->nflows; i++)
		pb_put_fixed64_field_unchecked(w, PF_TE_FLOW_IDS, ev->flows[i]);
	for (unsigned i = 0; i < ev->nterm; i++)
		pb_put_fixed64_field_unchecked(w, PF_TE_TERM_FLOW_IDS, ev->term_flows[i]);
}

/* One TracePacket: timestamp, [timestamp_clock_id BOOTTIME], sequence id,
 * [flags], [interned data], the event; all lengths exact. */
static void write_event_packet(struct pb_writer *w, const struct pkt_hdr *h,
			       const struct tl_pf_ev *ev)
{
	size_t body = event_body_size(h, ev);
	bool intern = h->intern;
	size_t interned = intern ? interned_size(h, ev) : 0;
	size_t pkt = pb_varint_field_size(PF_TP_TIMESTAMP, h->ts) +
		     pb_varint_field_size(PF_TP_SEQ_ID, h->seq) +
		     pb_len_field_size(PF_TP_TRACK_EVENT, body);

	if (h->absolute)
		pkt += pb_varint_field_size(PF_TP_CLOCK_ID, PF_CLOCK_BOOTTIME);
	if (h->flags)
		pkt += pb_varint_field_size(PF_TP_SEQ_FLAGS, h->flags);
	if (intern)
		pkt += pb_len_field_size(PF_TP_INTERNED_DATA, interned);
	if (!pb_room(w, pb_len_field_size(PF_TRACE_PACKET, pkt)))
		return;
	pb_put_len_header_unchecked(w, PF_TRACE_PACKET, pkt);
	pb_put_varint_field_unchecked(w, PF_TP_TIMESTAMP, h->ts);
	if (h->absolute)
		pb_put_varint_field_unchecked(w, PF_TP_CLOCK_ID, PF_CLOCK_BOOTTIME);
	pb_put_varint_field_unchecked(w, PF_TP_SEQ_ID, h->seq);
	if (h->flags)
		pb_put_varint_field_unchecked(w, PF_TP_SEQ_FLAGS, h->flags);
	if (intern)
		put_interned(w, h, ev, interned);
	put_event_body(w, h, ev, body);
}

/* Interns ev's annotation names and string values on s as needed; false
 * when out of memory. */
static bool intern_args(struct tl_pf_te *te, struct te_seq *s, struct pkt_hdr *h,
			const struct tl_pf_ev *ev)
{
	for (unsigned i = 0; i < ev->nargs; i++) {
		const struct tl_pf_arg *a = &ev->args[i];

		if (i < PF_MAX_ARGS)
			h->str_iid[i] = 0;
		if (a->name > 0 && a->name < PF_A_COUNT && !(s->dbg >> a->name & 1)) {
			h->new_dbg |= 1u << a->name;
			s->dbg |= 1u << a->name;
			h->intern = true;
		}
		if (a->kind != PF_ARG_STR || i >= PF_MAX_ARGS)
			continue;
		h->str_iid[i] = strtab_iid(&te->strs, arg_str(a));
		if (!h->str_iid[i])
			return false;
		if (iidset_has(&s->strs, h->str_iid[i]))
			continue;
		if (!iidset_add(&s->strs, h->str_iid[i]))
			return false;
		h->new_strs |= 1u << i;
		h->intern = true;
	}
	return true;
}

/* Most event packets intern nothing new and carry a delta time: counter
 * points, slice ends, and slice begins once their names and annotation
 * strings are known on the sequence. Such a packet is assembled in one
 * pass (write_short_packet()): its TrackEvent is encoded with each
 * annotation's one-byte length patched after it, then the packet's fields
 * go in front. When the TrackEvent comes to 128 bytes or more (many
 * flows), the caller writes the packet through write_event_packet()
 * instead. Same bytes either way. */
#define SHORT_BODY 127

static uint8_t *put_arg_short(uint8_t *b, const struct tl_pf_arg *a, uint64_t str_iid)
{
	uint8_t *len = b + 1;

	_Static_assert(PF_TE_DEBUG < 16, "a one-byte tag");
	*b = (uint8_t)pb_tag(PF_TE_DEBUG, PB_LEN);
	b = pb_encode_varint_field(b + 2, PF_DA_NAME_IID, a->name);
	switch (a->kind) {
	case PF_ARG_UINT: b = pb_encode_varint_field(b, PF_DA_UINT, a->u); break;
	case PF_ARG_INT: b = pb_encode_varint_field(b, PF_DA_INT, a->u); break;
	case PF_ARG_PTR: b = pb_encode_varint_field(b, PF_DA_POINTER, a->u); break;
	default: b = pb_encode_varint_field(b, PF_DA_STRING_IID, str_iid); break;
	}
	*len = (uint8_t)(b - len - 1);   /* at most 1 + 1 + 1 + 10 bytes */
	return b;
}

/* The TrackEvent of ev into body (room for SHORT_BODY + a margin of one
 * field); its length, or 0 when it does not fit SHORT_BODY. */
static size_t short_body(uint8_t *body, const struct pkt_hdr *h, const struct tl_pf_ev *ev)
{
	uint8_t *b = body, *end = body + SHORT_BODY;

	b = pb_encode_varint_field(b, PF_TE_TYPE, ev->type);
	if (h->iid)
		b = pb_encode_varint_field(b, PF_TE_NAME_IID, h->iid);
	for (unsigned i = 0; i < ev->nargs; i++) {
		if (ev->args[i].kind == PF_ARG_STR && !str_iid_of(h, i))
			return 0;   /* an inline string: any length */
		b = put_arg_short(b, &ev->args[i], str_iid_of(h, i));
		if (b > end)
			return 0;
	}
	if (ev->type == PF_COUNTER)
		b = pb_encode_varint_field(b, PF_TE_COUNTER_VALUE, (uint64_t)ev->value);
	for (unsigned i = 0; i < ev->nflows && b <= end; i++)
		b = pb_encode_fixed64_field(b, PF_TE_FLOW_IDS, ev->flows[i]);
	for (unsigned i = 0; i < ev->nterm && b <= end; i++)
		b = pb_encode_fixed64_field(b, PF_TE_TERM_FLOW_IDS, ev->term_flows[i]);
	return b <= end ? (size_t)(b - body) : 0;
}

/* Writes ev's packet in one pass; false when it is not short (nothing
 * written). The TrackEvent is encoded in place, after room for the
 * packet's tag, a one-byte packet length and the packet's other fields
 * (whose sizes are known); a packet of 128 bytes or more moves its
 * TrackEvent one byte on for the second length byte. */
static bool write_short_packet(struct pb_writer *w, const struct pkt_hdr *h,
			       const struct tl_pf_ev *ev)
{
	size_t head = pb_varint_field_size(PF_TP_TIMESTAMP, h->ts) +
		      pb_varint_field_size(PF_TP_SEQ_ID, h->seq) + 2, blen, plen;
	uint8_t *p, *body;

	if (h->intern || h->absolute)
		return false;
	if (h->flags)
		head += pb_varint_field_size(PF_TP_SEQ_FLAGS, h->flags);
	if (!pb_room(w, 3 + head + SHORT_BODY + 16))
		return true;   /* the writer's error is set */
	p = w->buf + w->len;
	body = p + 2 + head;
	blen = short_body(body, h, ev);
	if (!blen)
		return false;
	plen = head + blen;
	if (plen > 127) {
		memmove(body + 1, body, blen);
		body++;
	}
	p = pb_encode_len_header(p, PF_TRACE_PACKET, plen);
	p = pb_encode_varint_field(p, PF_TP_TIMESTAMP, h->ts);
	p = pb_encode_varint_field(p, PF_TP_SEQ_ID, h->seq);
	if (h->flags)
		p = pb_encode_varint_field(p, PF_TP_SEQ_FLAGS, h->flags);
	p = pb_encode_len_header(p, PF_TP_TRACK_EVENT, blen);   /* 2 bytes */
	w->len = (size_t)(body + blen - w->buf);
	return true;
}

void tl_pf_te_event(struct tl_pf_te *te, const struct tl_pf_ev *ev)
{
	struct te_seq *s = seq_of(te, ev->track, ev->ts);
	struct pkt_hdr h;   /* str_iid[] is filled for ev's arguments only */

	if (!s)
		return;
	h.new_name = NULL;
	h.new_dbg = h.new_strs = 0;
	h.intern = false;
	h.iid = ev->name ? strtab_iid(&te->names, ev->name) : 0;
	if ((ev->name && !h.iid) || !intern_args(te, s, &h, ev)) {
		set_error(te, -ENOMEM);
		return;
	}
	if (h.iid && !iidset_has(&s->names, h.iid)) {
		if (!iidset_add(&s->names, h.iid)) {
			set_error(te, -ENOMEM);
			return;
		}
		h.new_name = ev->name;
		h.intern = true;
	}
	h.seq = s->id;
	/* only packets that use iids depend on the interned state; the
	 * defaults come with the sequence's first packet and stay valid */
	h.flags = h.iid || ev->nargs ? PF_SEQ_NEEDS : 0;
	h.absolute = ev->ts < s->clock;
	h.ts = h.absolute ? ev->ts : ev->ts - s->clock;
	if (!write_short_packet(te->w, &h, ev))
		write_event_packet(te->w, &h, ev);
	if (h.absolute) {
		te->st.absolute_events++;
	} else {
		s->clock = ev->ts;
		te->st.delta_events++;
	}
}

bool tl_pf_te_slice(struct tl_pf_te *te, uint64_t *last, uint64_t track,
		    uint64_t begin, uint64_t end, const char *name,
		    const struct tl_pf_arg *args, unsigned nargs)
{
	struct tl_pf_ev ev = { .track = track };

	if (begin <= *last)
		begin = *last + 1;
	if (begin >= end)
		return false;
	ev.ts = begin;
	ev.type = PF_SLICE_BEGIN;
	ev.name = name;
	ev.args = args;
	ev.nargs = nargs;
	tl_pf_te_event(te, &ev);
	memset(&ev, 0, sizeof(ev));
	ev.ts = end;
	ev.track = track;
	ev.type = PF_SLICE_END;
	tl_pf_te_event(te, &ev);
	*last = end;
	return true;
}
