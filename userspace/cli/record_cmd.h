/* record.h - `threadline record`: its options, parsed by a function of its
 * own so the command line is tested without tracing anything, and the run
 * (tl_cmd_record in commands.h). */
#ifndef TL_RECORD_H
#define TL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TL_RECORD_MAX_PIDS 64
#define TL_RECORD_DEFAULT_OUTPUT "threadline.tlr"

struct tl_record_opts {
	const char *output;        /* -o, default TL_RECORD_DEFAULT_OUTPUT */
	uint32_t groups;           /* -e, 1 << enum tl_group; default all */
	bool all;                  /* -a: the whole system */
	bool stacks;               /* -g: off-CPU stacks */
	int npids;                 /* -p */
	pid_t pids[TL_RECORD_MAX_PIDS];
	double duration;           /* -d seconds, 0 = no limit */
	const char *user;          /* -u: run the command as USER */
	const char *perfetto;      /* --perfetto OUT, or NULL */
	int verbose;               /* -v, repeatable */
	bool raw_tp;               /* --raw-tp: raw tracepoints, not tp_btf */
	uint32_t buffer_mb;        /* -b: ring buffer per CPU, MiB (0 = default) */
	char **cmd;                /* the command after the options, or NULL */
	int ncmd;
};

/* What tl_record_parse() tells its caller to do. */
enum tl_parse_result {
	TL_PARSE_RUN = 0,    /* options are good: record */
	TL_PARSE_DONE = 1,   /* help was printed: exit 0 */
	TL_PARSE_USAGE = 2,  /* bad usage: exit 2, err says why (empty when
			      * argp printed its own message) */
};

/* Parses argv (argv[0] names the command in messages). o->cmd points into
 * argv. Never exits. */
enum tl_parse_result tl_record_parse(int argc, char **argv,
				     struct tl_record_opts *o, char *err,
				     size_t errlen);
/* "sched,futex" -> bits; "all" selects every group. Returns 0 or -EINVAL
 * with a one-line error. */
int tl_parse_groups(const char *list, uint32_t *groups, char *err, size_t errlen);
/* Appends "12,345" to o->pids. Returns 0 or -EINVAL with a one-line error. */
int tl_parse_pids(const char *list, struct tl_record_opts *o, char *err,
		  size_t errlen);
/* The ELF file whose USDT probes fire when path is run: path itself, or
 * for a script the interpreter of its "#!" line (followed if that is a
 * script too; the name may be put in buf); NULL when there is none. */
const char *tl_usdt_binary(const char *path, char *buf, size_t len);
/* The name of event group g ("sched", ...), NULL past the last. */
const char *tl_group_name(unsigned g);

#endif
