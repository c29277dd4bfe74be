/* record_types.c - what the recording format knows about each record type:
 * its size, whether it carries a variable tail, its name; and the CRC-32
 * that guards every block. Free of libbpf and zlib so the fuzzer can build
 * the reader from this file, reader.c and recording.c alone. */
#include "recording.h"

struct type_desc {
	const char *name;
	size_t size;   /* fixed size, or minimum size when variable */
	bool variable;
};

static const struct type_desc types[TL_MAX_TYPES] = {
	[TL_SWITCH] = { "switch", sizeof(struct tl_switch), false },
	[TL_WAKING] = { "waking", sizeof(struct tl_waking), false },
	[TL_WAKEUP_NEW] = { "wakeup_new", sizeof(struct tl_waking), false },
	[TL_MIGRATE] = { "migrate", sizeof(struct tl_migrate), false },
	[TL_FORK] = { "fork", sizeof(struct tl_fork), false },
	[TL_NEWTASK] = { "newtask", sizeof(struct tl_newtask), false },
	[TL_EXEC] = { "exec", sizeof(struct tl_exec), false },
	[TL_EXIT] = { "exit", sizeof(struct tl_exit), false },
	[TL_WAIT] = { "wait", sizeof(struct tl_wait), false },
	[TL_RENAME] = { "rename", sizeof(struct tl_rename), false },
	[TL_SYS_ENTER] = { "sys_enter", sizeof(struct tl_sys_enter), false },
	[TL_SYS_EXIT] = { "sys_exit", sizeof(struct tl_sys_exit), false },
	[TL_SIGNAL_GEN] = { "signal_generate", sizeof(struct tl_signal_gen), false },
	[TL_SIGNAL_DELIVER] = { "signal_deliver", sizeof(struct tl_signal_deliver), false },
	[TL_USDT] = { "usdt", sizeof(struct tl_usdt), false },
	[TL_TASK_SNAP] = { "task_snap", sizeof(struct tl_task_snap), false },
	[TL_PROC_INFO] = { "proc_info", sizeof(struct tl_proc_info), true },
	[TL_LOSS] = { "loss", sizeof(struct tl_loss), false },
	[TL_TRAILER] = { "trailer", sizeof(struct tl_trailer), false },
};

size_t tl_record_min_size(uint16_t type)
{
	return type < TL_MAX_TYPES ? types[type].size : 0;
}

bool tl_record_is_variable(uint16_t type)
{
	return type < TL_MAX_TYPES && types[type].variable;
}

const char *tl_type_name(uint16_t type)
{
	if (type >= TL_MAX_TYPES || !types[type].name)
		return "unknown";
	return types[type].name;
}

size_t tl_record_max_size(uint16_t type)
{
	if (type == TL_PROC_INFO)
		return sizeof(struct tl_proc_info) + TL_PROC_INFO_MAX_CMDLINE;
	return tl_record_min_size(type);
}

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the same values as
 * zlib's crc32(), so any tool can check a block, without linking zlib into
 * the fuzzer. The table is built before main(), so threads never race on it. */
static uint32_t crc_table[256];

__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

uint32_t tl_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
