/* export_cmd.c - `threadline export`: a recording to a Perfetto trace
 * (default) or a Chrome JSON trace. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "commands.h"
#include "export/export.h"
#include "export/perfetto/perfetto_check.h"

enum fmt { FMT_PERFETTO, FMT_JSON };

struct export_opts {
	const char *input;
	const char *output;
	enum fmt fmt;
	bool stats, check, help;
	uint32_t cp_tid;    /* --critical-path, 0: none */
	char outbuf[4096];
	char err[160];      /* a usage error, said in one line with a hint */
};

enum { OPT_CHECK = 0x100, OPT_USAGE, OPT_CP };

static const struct argp_option options[] = {
	{ "output", 'o', "OUT", 0, "Write to OUT (default: the recording's name "
	  "with .perfetto-trace or .json; - for stdout)", 0 },
	{ "format", 'f', "FORMAT", 0, "perfetto (default) or json", 0 },
	{ "stats", 's', NULL, 0, "Print what was written (perfetto format)", 0 },
	{ "check", OPT_CHECK, NULL, 0, "Read the written Perfetto trace back and "
	  "check it against the rules of Perfetto's importer", 0 },
	{ "critical-path", OPT_CP, "TID", 0, "Also draw the critical path of thread "
	  "TID (as `report --critical-path` prints it) as a track under it, with "
	  "an arrow at each hand-over to another thread", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ 0 }
};

static const char doc[] =
	"Convert a recording for other tools. The Perfetto trace has native CPU "
	"and thread-state tracks with wakeup arrows, processes and threads by "
	"name, a slice for every blocking syscall with what it waited on, "
	"parallelism counters per process, lost-event counts and USDT marks. "
	"Open it at https://ui.perfetto.dev (\"Open trace file\"). The JSON "
	"format is Chrome's trace event format, for tools that read only that."
	"\v"
	"EXAMPLES:\n"
	"  threadline export threadline.tlr\n"
	"        writes threadline.perfetto-trace\n"
	"  threadline export run.tlr -o run.pftrace --stats\n"
	"        choose the name and print sizes and counts\n"
	"  threadline export run.tlr -f json -o run.json\n"
	"        Chrome JSON trace event format\n"
	"  threadline export run.tlr --critical-path 4243\n"
	"        with a track of where thread 4243's time went\n";

/* Keeps a usage error for tl_cmd_export to print, as report and record
 * do: one line, a hint, exit status 2. */
__attribute__((format(printf, 2, 3)))
static error_t usage(struct export_opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(o->err, sizeof(o->err), fmt, ap);
	va_end(ap);
	return EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct export_opts *o = state->input;

	switch (key) {
	case 'h':
	case OPT_USAGE:
		argp_state_help(state, stdout, key == 'h' ? ARGP_HELP_STD_HELP :
				ARGP_HELP_USAGE);
		o->help = true;
		state->next = state->argc;
		return 0;
	case 'o': o->output = arg; return 0;
	case 's': o->stats = true; return 0;
	case OPT_CHECK: o->check = true; return 0;
	case OPT_CP: {
		char *end;
		unsigned long v = strtoul(arg, &end, 10);

		if (!*arg || *end || arg[0] == '-' || !v || v > 0x7fffffffUL)
			return usage(o, "--critical-path: not a TID: '%s'", arg);
		o->cp_tid = (uint32_t)v;
		return 0;
	}
	case 'f':
		if (!strcmp(arg, "perfetto") || !strcmp(arg, "proto"))
			o->fmt = FMT_PERFETTO;
		else if (!strcmp(arg, "json"))
			o->fmt = FMT_JSON;
		else
			return usage(o, "unknown format '%s' (perfetto or json)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (o->input)
			return usage(o, "one recording at a time ('%s' is extra)", arg);
		o->input = arg;
		return 0;
	case ARGP_KEY_END:
		if (!o->help && !o->input)
			return usage(o, "which recording? (threadline export FILE)");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

/* run.tlr -> run.perfetto-trace / run.json */
static const char *default_output(struct export_opts *o)
{
	const char *ext = o->fmt == FMT_JSON ? ".json" : ".perfetto-trace";
	size_t n = strlen(o->input);

	if (n > 4 && !strcmp(o->input + n - 4, ".tlr"))
		n -= 4;
	snprintf(o->outbuf, sizeof(o->outbuf), "%.*s%s", (int)n, o->input, ext);
	return o->outbuf;
}

static void print_stats(const struct tl_export_stats *st)
{
	uint64_t ev = st->sched.switches + st->sched.wakings;

	printf("records read        %llu\n", (unsigned long long)st->records);
	printf("bytes written       %llu\n", (unsigned long long)st->bytes);
	printf("switches, wakings   %llu, %llu (%llu bundles, %.2f bytes each)\n",
	       (unsigned long long)st->sched.switches,
	       (unsigned long long)st->sched.wakings,
	       (unsigned long long)st->sched.bundles,
	       ev ? (double)st->sched.bytes / (double)ev : 0.0);
	printf("plain ftrace events %llu (%llu bridges over unrecorded switches)\n",
	       (unsigned long long)st->sched.plain_events,
	       (unsigned long long)st->sched.bridges);
	printf("tracks              %llu processes, %llu threads\n",
	       (unsigned long long)st->track.process_tracks,
	       (unsigned long long)st->track.thread_tracks);
	printf("slices              %llu blocking syscalls, %llu USDT, %llu flows\n",
	       (unsigned long long)st->track.syscall_slices,
	       (unsigned long long)st->track.usdt_slices,
	       (unsigned long long)st->track.flows);
	printf("counter points      %llu\n", (unsigned long long)st->track.counter_points);
	printf("instants            %llu USDT marks, %llu deadlock (one per thread)\n",
	       (unsigned long long)st->track.usdt_instants,
	       (unsigned long long)st->track.deadlock_instants);
}

/* Maps the written file and runs the importer-rule checker over it. */
static int check_file(const char *path)
{
	struct tl_pf_check ck;
	char err[256];
	struct stat sb;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0 || fstat(fd, &sb) || sb.st_size == 0) {
		fprintf(stderr, "threadline export: cannot read %s back\n", path);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 1;
	e = tl_pf_check(p, (size_t)sb.st_size, &ck, err, sizeof(err));
	munmap(p, (size_t)sb.st_size);
	if (e) {
		fprintf(stderr, "threadline export: %s breaks a rule: %s\n", path, err);
		return 1;
	}
	printf("check: %llu packets follow the importer's rules\n",
	       (unsigned long long)ck.packets);
	return 0;
}

int tl_cmd_export(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "RECORDING", doc,
					  NULL, NULL, NULL };
	struct export_opts o = { 0 };
	struct tl_export_stats st;
	char err[512] = "";
	int e;

	e = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &o);
	if (o.help)
		return 0;
	if (e) {
		/* argp reports its own errors; ours come with a hint */
		if (o.err[0])
			fprintf(stderr, "%s: %s\nTry '%s --help'.\n", argv[0], o.err,
				argv[0]);
		return 2;
	}
	if (!o.output)
		o.output = default_output(&o);
	if (o.fmt == FMT_JSON)
		e = tl_export_json_path(o.input, o.output, err, sizeof(err));
	else
		e = tl_export_perfetto_cp(o.input, o.output, o.cp_tid, &st, err,
					  sizeof(err));
	if (e) {
		fprintf(stderr, "threadline export: %s\n", err);
		return 1;
	}
	if (o.stats && o.fmt == FMT_PERFETTO)
		print_stats(&st);
	if (o.check && o.fmt == FMT_PERFETTO && strcmp(o.output, "-"))
		return check_file(o.output);
	if (strcmp(o.output, "-"))
		fprintf(stderr, "threadline export: wrote %s\n", o.output);
	return 0;
}
