/* export.h - turning a recording into files other tools read: a native
 * Perfetto trace (protobuf, see perfetto.h) or the Chrome JSON trace event
 * format (json_export.h). Both go through the recording reader and the
 * model, like `report`, so the numbers agree. */
#ifndef TL_EXPORT_H
#define TL_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include "export/perfetto/perfetto.h"

struct tl_export_stats {
	uint64_t records;                /* records read */
	uint64_t bytes;                  /* bytes written */
	bool truncated;                  /* the recording was cut short */
	struct tl_pf_sched_stats sched;
	struct tl_pf_track_stats track;
};

/* Writes the Perfetto trace of `recording` to `out` ("-" = stdout).
 * Returns 0, or -errno with a one-line reason in err. A recording cut
 * short is exported up to where it ends (stats->truncated). */
int tl_export_perfetto_stats(const char *recording, const char *out,
			     struct tl_export_stats *stats, char *err, size_t errlen);
/* Same, with the critical path of thread cp_tid drawn (0: none); -ENOENT
 * with a reason when there is no such thread. */
int tl_export_perfetto_cp(const char *recording, const char *out, uint32_t cp_tid,
			  struct tl_export_stats *stats, char *err, size_t errlen);
int tl_export_perfetto_path(const char *recording, const char *out, char *err,
			    size_t errlen);
/* Same in the Chrome JSON trace event format. */
int tl_export_json_path(const char *recording, const char *out, char *err,
			size_t errlen);

#endif
