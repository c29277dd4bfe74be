/* proc_maps.c - walks the entries of a TL_PROC_MAPS record (the layout is
 * in bpf/tl_abi.h and docs/recording-format.md). The reader only checks a
 * record's size, so every entry is bounds-checked here. */
#include <string.h>
#include "recording.h"

bool tl_proc_maps_next(const struct tl_proc_maps *pm, size_t *pos,
		       struct tl_map_view *out)
{
	const char *base = (const char *)pm;
	size_t off = sizeof(*pm) + *pos, len;

	if (pm->h.size < sizeof(*pm) || off + sizeof(out->e) > pm->h.size)
		return false;
	memcpy(&out->e, base + off, sizeof(out->e));
	len = ((size_t)out->e.path_len + 7) & ~(size_t)7;
	if (off + sizeof(out->e) + len > pm->h.size)
		return false;
	out->path = base + off + sizeof(out->e);
	*pos += sizeof(out->e) + len;
	return true;
}
