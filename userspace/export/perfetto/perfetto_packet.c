/* perfetto_packet.c - what every part writes the same way: TracePacket
 * framing, the preamble (clocks, system info) and sched_switch's prev_state
 * as Perfetto decodes it. */
#include "perfetto_impl.h"

#include <stdio.h>

void tl_pf_packet_begin(struct pb_writer *w, uint64_t ts, uint32_t seq,
			uint32_t flags)
{
	tl_pb_begin(w, PF_TRACE_PACKET);
	if (ts)
		pb_varint(w, PF_TP_TIMESTAMP, ts);
	if (seq)
		pb_varint(w, PF_TP_SEQ_ID, seq);
	if (flags)
		pb_varint(w, PF_TP_SEQ_FLAGS, flags);
}

static void write_clock(struct pb_writer *w, uint32_t id, uint64_t ts)
{
	tl_pb_begin(w, PF_CS_CLOCKS);
	pb_varint(w, PF_CLK_ID, id);
	pb_varint(w, PF_CLK_TS, ts);
	tl_pb_end(w);
}

/* Both clocks were read at one instant when recording started, so the UI
 * can show wall-clock time; BOOTTIME stays the trace clock, as the ftrace
 * timestamps are BOOTTIME. */
static void write_clock_snapshot(struct pb_writer *w, const struct tl_rec_info *info)
{
	tl_pf_packet_begin(w, info->boot_ns, PF_SEQ_META, 0);
	tl_pb_begin(w, PF_TP_CLOCK_SNAPSHOT);
	write_clock(w, PF_CLOCK_BOOTTIME, info->boot_ns);
	if (info->real_ns)
		write_clock(w, PF_CLOCK_REALTIME, info->real_ns);
	pb_varint(w, PF_CS_PRIMARY, PF_CLOCK_BOOTTIME);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}

/* The importer decodes prev_state bits by kernel version, read from here. */
static void write_system_info(struct pb_writer *w, const struct tl_rec_info *info)
{
	char version[64];

	tl_pf_packet_begin(w, 0, PF_SEQ_META, 0);
	tl_pb_begin(w, PF_TP_SYSTEM_INFO);
	tl_pb_begin(w, PF_SI_UTSNAME);
	tl_pb_string(w, PF_UTS_SYSNAME, "Linux");
	tl_pb_string(w, PF_UTS_RELEASE, info->kernel[0] ? info->kernel : "6.0.0");
	if (info->machine[0])
		tl_pb_string(w, PF_UTS_MACHINE, info->machine);
	tl_pb_end(w);
	snprintf(version, sizeof(version), "threadline %.40s",
		 info->tool_version[0] ? info->tool_version : "unknown");
	tl_pb_string(w, PF_SI_SERVICE_VERSION, version);
	if (info->ncpus)
		pb_varint(w, PF_SI_NUM_CPUS, info->ncpus);
	tl_pb_end(w);
	tl_pf_packet_end(w);
}

void tl_pf_write_preamble(struct pb_writer *w, const struct tl_rec_info *info)
{
	write_system_info(w, info);
	write_clock_snapshot(w, info);
}

int64_t tl_pf_prev_state(int64_t state, bool preempt, bool leader)
{
	if (preempt)
		return 0x100;
	if (state & 0x80)       /* TASK_DEAD: the kernel reports exit_state */
		return leader ? 0x20 : 0x10;
	return state & 0x7f;
}
