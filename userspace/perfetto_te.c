/* perfetto_te.c - writes TrackEvents and TrackDescriptors on one packet
 * sequence with interned event names.
 *
 * The sequence's first packet sets SEQ_INCREMENTAL_STATE_CLEARED and interns
 * every debug-annotation name; each event name is interned by the first
 * packet that uses it (interned data is read in file order), and every
 * packet using an iid says SEQ_NEEDS_INCREMENTAL_STATE.
 *
 * Events are most of a trace's bytes, so an event packet is not written
 * with the writer's four-byte length slots: its size is worked out first
 * and every length goes out as the shortest varint.
 */
#include "perfetto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const arg_names[PF_A_COUNT] = {
	[PF_A_ADDRESS] = "address", [PF_A_FD] = "fd", [PF_A_FD_KIND] = "fd_kind",
	[PF_A_BYTES] = "bytes", [PF_A_RESULT] = "result", [PF_A_REASON] = "reason",
	[PF_A_BLOCKED_NS] = "blocked_ns", [PF_A_WOKEN_BY] = "woken_by",
	[PF_A_VALUE] = "value", [PF_A_ID] = "id", [PF_A_COMMAND] = "command",
	[PF_A_TARGET] = "target", [PF_A_VERSION] = "tool_version",
	[PF_A_HOST] = "host", [PF_A_KERNEL] = "kernel",
	[PF_A_LOST] = "lost_events", [PF_A_SYSCALL] = "syscall",
	[PF_A_STATE] = "state", [PF_A_QUEUE] = "queue",
};

struct name_slot {
	char *name;    /* NULL = empty */
	uint64_t iid;
};

struct tl_pf_te {
	struct pb_writer *w;
	struct name_slot *slots;
	size_t cap, n;
	uint64_t next_uuid;
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

static void intern_entry(struct pb_writer *w, uint32_t field, uint64_t iid,
			 const char *name)
{
	pb_begin(w, field);
	pb_varint(w, PF_IID, iid);
	pb_string(w, PF_INAME, name);
	pb_end(w);
}

struct tl_pf_te *tl_pf_te_new(struct pb_writer *w, uint64_t ts)
{
	struct tl_pf_te *te = calloc(1, sizeof(*te));

	if (!te)
		return NULL;
	te->w = w;
	te->cap = 256;
	te->slots = calloc(te->cap, sizeof(*te->slots));
	if (!te->slots) {
		free(te);
		return NULL;
	}
	tl_pf_packet_begin(w, ts, PF_SEQ_TRACK, PF_SEQ_CLEARED);
	pb_begin(w, PF_TP_INTERNED_DATA);
	for (unsigned i = 1; i < PF_A_COUNT; i++)
		intern_entry(w, PF_ID_DEBUG_NAMES, i, arg_names[i]);
	pb_end(w);
	tl_pf_packet_end(w);
	return te;
}

void tl_pf_te_free(struct tl_pf_te *te)
{
	if (!te)
		return;
	for (size_t i = 0; i < te->cap; i++)
		free(te->slots[i].name);
	free(te->slots);
	free(te);
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ULL;
	return h;
}

static struct name_slot *find_slot(struct name_slot *slots, size_t cap,
				   const char *name)
{
	size_t i = str_hash(name) & (cap - 1);

	while (slots[i].name && strcmp(slots[i].name, name))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow_names(struct tl_pf_te *te)
{
	size_t cap = te->cap * 2;
	struct name_slot *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < te->cap; i++)
		if (te->slots[i].name)
			*find_slot(ns, cap, te->slots[i].name) = te->slots[i];
	free(te->slots);
	te->slots = ns;
	te->cap = cap;
	return 0;
}

/* The iid of an event name; *fresh says it must be interned now. */
static uint64_t name_iid(struct tl_pf_te *te, const char *name, bool *fresh)
{
	struct name_slot *s = find_slot(te->slots, te->cap, name);

	*fresh = false;
	if (s->name)
		return s->iid;
	if ((te->n + 1) * 2 > te->cap) {
		if (grow_names(te)) {
			te->w->err = te->w->err ? te->w->err : -ENOMEM;
			return 0;
		}
		s = find_slot(te->slots, te->cap, name);
	}
	s->name = strdup(name);
	if (!s->name) {
		te->w->err = te->w->err ? te->w->err : -ENOMEM;
		return 0;
	}
	s->iid = ++te->n;
	*fresh = true;
	return s->iid;
}

/* ---- descriptors ---- */

static void desc_begin(struct tl_pf_te *te, uint64_t uuid)
{
	tl_pf_packet_begin(te->w, 0, PF_SEQ_TRACK, 0);
	pb_begin(te->w, PF_TP_TRACK_DESCRIPTOR);
	pb_varint(te->w, PF_TD_UUID, uuid);
}

static void desc_end(struct tl_pf_te *te)
{
	pb_end(te->w);
	tl_pf_packet_end(te->w);
}

void tl_pf_te_process_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			    const char *name)
{
	desc_begin(te, uuid);
	pb_begin(te->w, PF_TD_PROCESS);
	pb_int32(te->w, PF_PD_PID, (int32_t)pid);
	if (name && *name)
		pb_string(te->w, PF_PD_NAME, name);
	pb_end(te->w);
	desc_end(te);
}

void tl_pf_te_thread_track(struct tl_pf_te *te, uint64_t uuid, uint32_t pid,
			   uint32_t tid, const char *name)
{
	desc_begin(te, uuid);
	pb_begin(te->w, PF_TD_THREAD);
	pb_int32(te->w, PF_TDS_PID, (int32_t)pid);
	pb_int64(te->w, PF_TDS_TID, tid);
	if (name && *name)
		pb_string(te->w, PF_TDS_NAME, name);
	pb_end(te->w);
	desc_end(te);
}

void tl_pf_te_named_track(struct tl_pf_te *te, uint64_t uuid, uint64_t parent,
			  const char *name, const char *description, bool counter)
{
	desc_begin(te, uuid);
	if (parent)
		pb_varint(te->w, PF_TD_PARENT, parent);
	pb_string(te->w, PF_TD_NAME, name);
	if (description)
		pb_string(te->w, PF_TD_DESCRIPTION, description);
	if (counter) {
		pb_begin(te->w, PF_TD_COUNTER);
		pb_varint(te->w, PF_CD_UNIT, 2); /* UNIT_COUNT */
		pb_end(te->w);
	}
	desc_end(te);
}

/* ---- events ---- */

static void write_arg(struct pb_writer *w, const struct tl_pf_arg *a)
{
	pb_begin(w, PF_TE_DEBUG);
	pb_varint(w, PF_DA_NAME_IID, a->name);
	switch (a->kind) {
	case PF_ARG_UINT: pb_varint(w, PF_DA_UINT, a->u); break;
	case PF_ARG_INT: pb_varint(w, PF_DA_INT, a->u); break;
	case PF_ARG_PTR: pb_varint(w, PF_DA_POINTER, a->u); break;
	default: pb_string(w, PF_DA_STRING, a->s ? a->s : ""); break;
	}
	pb_end(w);
}

static void write_event_body(struct pb_writer *w, const struct tl_pf_ev *ev,
			     uint64_t iid)
{
	pb_begin(w, PF_TP_TRACK_EVENT);
	pb_varint(w, PF_TE_TYPE, ev->type);
	pb_varint(w, PF_TE_TRACK_UUID, ev->track);
	if (iid)
		pb_varint(w, PF_TE_NAME_IID, iid);
	for (unsigned i = 0; i < ev->nargs; i++)
		write_arg(w, &ev->args[i]);
	if (ev->type == PF_COUNTER)
		pb_int64(w, PF_TE_COUNTER_VALUE, ev->value);
	for (unsigned i = 0; i < ev->nflows; i++)
		pb_fixed64(w, PF_TE_FLOW_IDS, ev->flows[i]);
	for (unsigned i = 0; i < ev->nterm; i++)
		pb_fixed64(w, PF_TE_TERM_FLOW_IDS, ev->term_flows[i]);
	pb_end(w);
}

/* ---- exact-size event packets ---- */

static size_t tag_size(uint32_t field)
{
	return pb_varint_size((uint64_t)field << 3);
}

static size_t varint_field_size(uint32_t field, uint64_t v)
{
	return tag_size(field) + pb_varint_size(v);
}

static size_t len_field_size(uint32_t field, size_t len)
{
	return tag_size(field) + pb_varint_size(len) + len;
}

static size_t arg_body_size(const struct tl_pf_arg *a)
{
	size_t n = varint_field_size(PF_DA_NAME_IID, a->name);

	switch (a->kind) {
	case PF_ARG_UINT: return n + varint_field_size(PF_DA_UINT, a->u);
	case PF_ARG_INT: return n + varint_field_size(PF_DA_INT, a->u);
	case PF_ARG_PTR: return n + varint_field_size(PF_DA_POINTER, a->u);
	default: return n + len_field_size(PF_DA_STRING, strlen(a->s ? a->s : ""));
	}
}

static size_t event_body_size(const struct tl_pf_ev *ev, uint64_t iid)
{
	size_t n = varint_field_size(PF_TE_TYPE, ev->type) +
		   varint_field_size(PF_TE_TRACK_UUID, ev->track);

	if (iid)
		n += varint_field_size(PF_TE_NAME_IID, iid);
	for (unsigned i = 0; i < ev->nargs; i++)
		n += len_field_size(PF_TE_DEBUG, arg_body_size(&ev->args[i]));
	if (ev->type == PF_COUNTER)
		n += varint_field_size(PF_TE_COUNTER_VALUE, (uint64_t)ev->value);
	n += (ev->nflows + ev->nterm) * (tag_size(PF_TE_FLOW_IDS) + 8);
	return n;
}

static void put_varint_field(struct pb_writer *w, uint32_t field, uint64_t v)
{
	pb_put_varint_unchecked(w, (uint64_t)field << 3 | PB_VARINT);
	pb_put_varint_unchecked(w, v);
}

static void put_len_header(struct pb_writer *w, uint32_t field, size_t len)
{
	pb_put_varint_unchecked(w, (uint64_t)field << 3 | PB_LEN);
	pb_put_varint_unchecked(w, len);
}

static void put_fixed64_field(struct pb_writer *w, uint32_t field, uint64_t v)
{
	pb_put_varint_unchecked(w, (uint64_t)field << 3 | PB_FIXED64);
	for (int i = 0; i < 8; i++)
		w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_arg(struct pb_writer *w, const struct tl_pf_arg *a)
{
	const char *str = a->s ? a->s : "";

	put_len_header(w, PF_TE_DEBUG, arg_body_size(a));
	put_varint_field(w, PF_DA_NAME_IID, a->name);
	switch (a->kind) {
	case PF_ARG_UINT: put_varint_field(w, PF_DA_UINT, a->u); break;
	case PF_ARG_INT: put_varint_field(w, PF_DA_INT, a->u); break;
	case PF_ARG_PTR: put_varint_field(w, PF_DA_POINTER, a->u); break;
	default:
		put_len_header(w, PF_DA_STRING, strlen(str));
		memcpy(w->buf + w->len, str, strlen(str));
		w->len += strlen(str);
		break;
	}
}

/* One TracePacket holding ev: the same fields write_event_body() writes,
 * in the same order, with exact lengths. */
static void write_event_packet(struct pb_writer *w, const struct tl_pf_ev *ev,
			       uint64_t iid, uint32_t flags)
{
	size_t body = event_body_size(ev, iid);
	size_t pkt = len_field_size(PF_TP_TRACK_EVENT, body) +
		     varint_field_size(PF_TP_SEQ_ID, PF_SEQ_TRACK);

	if (ev->ts)
		pkt += varint_field_size(PF_TP_TIMESTAMP, ev->ts);
	if (flags)
		pkt += varint_field_size(PF_TP_SEQ_FLAGS, flags);
	if (!pb_room(w, len_field_size(PF_TRACE_PACKET, pkt)))
		return;
	put_len_header(w, PF_TRACE_PACKET, pkt);
	if (ev->ts)
		put_varint_field(w, PF_TP_TIMESTAMP, ev->ts);
	put_varint_field(w, PF_TP_SEQ_ID, PF_SEQ_TRACK);
	if (flags)
		put_varint_field(w, PF_TP_SEQ_FLAGS, flags);
	put_len_header(w, PF_TP_TRACK_EVENT, body);
	put_varint_field(w, PF_TE_TYPE, ev->type);
	put_varint_field(w, PF_TE_TRACK_UUID, ev->track);
	if (iid)
		put_varint_field(w, PF_TE_NAME_IID, iid);
	for (unsigned i = 0; i < ev->nargs; i++)
		put_arg(w, &ev->args[i]);
	if (ev->type == PF_COUNTER)
		put_varint_field(w, PF_TE_COUNTER_VALUE, (uint64_t)ev->value);
	for (unsigned i = 0; i < ev->nflows; i++)
		put_fixed64_field(w, PF_TE_FLOW_IDS, ev->flows[i]);
	for (unsigned i = 0; i < ev->nterm; i++)
		put_fixed64_field(w, PF_TE_TERM_FLOW_IDS, ev->term_flows[i]);
}

void tl_pf_te_event(struct tl_pf_te *te, const struct tl_pf_ev *ev)
{
	bool fresh = false;
	uint64_t iid = ev->name ? name_iid(te, ev->name, &fresh) : 0;
	/* only packets that use iids depend on the sequence's state */
	uint32_t flags = iid || ev->nargs ? PF_SEQ_NEEDS : 0;

	if (!fresh) {
		write_event_packet(te->w, ev, iid, flags);
		return;
	}
	tl_pf_packet_begin(te->w, ev->ts, PF_SEQ_TRACK, flags);
	pb_begin(te->w, PF_TP_INTERNED_DATA);
	intern_entry(te->w, PF_ID_EVENT_NAMES, iid, ev->name);
	pb_end(te->w);
	write_event_body(te->w, ev, iid);
	tl_pf_packet_end(te->w);
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
