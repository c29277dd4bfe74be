/* report_cmd.c - `threadline report FILE`: load a recording into the model
 * and print the report (text or JSON). Needs no privileges.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "commands.h"
#include "report/report.h"
#include "load/load.h"

#define DEFAULT_FILE "threadline.tlr"

enum { OPT_JSON = 0x100, OPT_COLOR, OPT_NO_TIMELINE, OPT_USAGE, OPT_CP, OPT_FROM, OPT_TO,
       OPT_DEADLOCKS, OPT_DEADLOCK_MS, OPT_THREADS, OPT_TOP, OPT_PROCS, OPT_STACKS,
       OPT_SYSCALLS };

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0, "Print the report as JSON (for scripts)", 0 },
	{ "width", 'w', "N", 0, "Fit the text into N columns (default: the "
	  "terminal's, else 80)", 0 },
	{ "color", OPT_COLOR, "WHEN", OPTION_ARG_OPTIONAL, "Colour the timeline: "
	  "auto (on a terminal, the default), always or never", 0 },
	{ "pid", 'p', "PID", 0, "Only process PID and its descendants", 0 },
	{ "no-timeline", OPT_NO_TIMELINE, NULL, 0, "Leave out the per-thread "
	  "timelines", 0 },
	{ "critical-path", OPT_CP, "TID", 0, "Where the time of thread TID went: "
	  "its running and waiting, and for each wait another thread ended, what "
	  "that thread did meanwhile (followed back the same way)", 0 },
	{ "from", OPT_FROM, "SEC", 0, "With --critical-path: start SEC seconds "
	  "after the recording's start", 0 },
	{ "to", OPT_TO, "SEC", 0, "With --critical-path: end SEC seconds after "
	  "the recording's start", 0 },
	{ "deadlocks", OPT_DEADLOCKS, NULL, 0, "Print only the deadlocks: cycles "
	  "of threads waiting for each other (locks, children, joins)", 0 },
	{ "deadlock-ms", OPT_DEADLOCK_MS, "MS", 0, "A cycle lasting MS "
	  "milliseconds is a deadlock even if it ended (default 500)", 0 },
	{ "threads", OPT_THREADS, "WHICH", 0, "grouped (the default: three or more "
	  "threads named alike, worker-1..worker-16, make one row) or all", 0 },
	{ "top", OPT_TOP, "N", 0, "Per process, only the N thread rows that waited "
	  "longest (blocked + runnable); 0: all (the default)", 0 },
	{ "procs", OPT_PROCS, "N", 0, "A section for only the N busiest processes "
	  "(time running, waiting for a CPU, for a held lock or for the disk) when more "
	  "are recorded (default 10), or all; with all, alike processes are not "
	  "grouped in the tree either", 0 },
	{ "syscalls", OPT_SYSCALLS, NULL, 0, "In \"Syscalls blocked in\", every "
	  "thread and every syscall and object it blocked on (by default the five "
	  "threads blocked longest, three rows each)", 0 },
	{ "stacks", OPT_STACKS, NULL, 0, "Print the off-CPU stacks of a recording "
	  "made with record -g in the folded format of flame graph tools: one "
	  "line \"process;thread;frame;...;frame NANOSECONDS\" per thread and "
	  "stack, outermost frame first", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ 0 }
};

static const char doc[] =
	"Summarize a recording: the process tree with exit statuses; per thread "
	"the time running, waiting for a CPU and blocked (by reason: futex, "
	"socket, pipe, sleep, child, poll, disk, signal, ipc), context switches, "
	"wakeups, forks, and the objects it waited on most, by name (`mutexA`, "
	"`shards[3].lock`, the GIL), with who held them; per process its locks, "
	"parallelism beside concurrency; the syscalls the threads blocked in "
	"longest, with the fd kind, a socket's far end and who ended the waits; "
	"a timeline per thread; and what lost "
	"events may have hidden. Deadlocks come first. FILE defaults to "
	DEFAULT_FILE "."
	"\v"
	"EXAMPLES:\n"
	"  threadline report run.tlr\n"
	"        the whole report, fitted to the terminal\n"
	"  threadline report run.tlr -p 4242 --no-timeline\n"
	"        only process 4242 and its children, without timelines\n"
	"  threadline report run.tlr --deadlocks\n"
	"        only the deadlocks, with thread and lock names\n"
	"  threadline report run.tlr --json | jq '.processes[].parallelism'\n"
	"        parallelism statistics for a script\n"
	"  threadline report run.tlr --color=always -w 120 | less -R\n"
	"        wide and coloured, in a pager\n"
	"  threadline report run.tlr --syscalls --no-timeline\n"
	"        every syscall each thread blocked in: count, times, fd and\n"
	"        socket peer, and who woke it\n"
	"  threadline report run.tlr --critical-path 4243 --from 1.5 --to 2\n"
	"        what thread 4243 waited for between 1.5 s and 2 s, and why\n"
	"  threadline report run.tlr --stacks | flamegraph.pl --countname=ns > off.svg\n"
	"        an off-CPU flame graph of a recording made with record -g";

struct args {
	const char *file;
	bool json, help, stacks;
	int color; /* -1 auto, 0 never, 1 always */
	struct tl_report_opts ro;
	uint32_t cp_tid;           /* --critical-path */
	double from, to;           /* seconds after the start; to 0: the end */
	char err[160];
};

static int parse_sec(struct args *a, const char *opt, const char *arg, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || end == arg || *end || *out < 0 || *out > 1e9)
		return snprintf(a->err, sizeof(a->err), "%s: want seconds after the "
				"recording's start, not '%s'", opt, arg), EINVAL;
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_value(struct args *a, int key, char *arg)
{
	unsigned long v;

	switch (key) {
	case OPT_JSON: a->json = true; return 0;
	case OPT_STACKS: a->stacks = true; return 0;
	case OPT_SYSCALLS: a->ro.syscalls = true; return 0;
	case OPT_NO_TIMELINE: a->ro.timeline = false; return 0;
	case OPT_DEADLOCKS: a->ro.deadlocks_only = true; return 0;
	case OPT_THREADS:
		if (strcmp(arg, "all") && strcmp(arg, "grouped"))
			return snprintf(a->err, sizeof(a->err), "--threads: want all or "
					"grouped, not '%s'", arg), EINVAL;
		a->ro.all_threads = !strcmp(arg, "all");
		return 0;
	case OPT_TOP:
		if (strcmp(arg, "0") && parse_num(arg, 100000, &v))
			return snprintf(a->err, sizeof(a->err), "--top: want a number of "
					"rows, not '%s'", arg), EINVAL;
		a->ro.top = strcmp(arg, "0") ? (unsigned)v : 0;
		return 0;
	case OPT_PROCS:
		a->ro.all_procs = !strcmp(arg, "all");
		if (!a->ro.all_procs && (parse_num(arg, 1000000, &v) || v < 1))
			return snprintf(a->err, sizeof(a->err), "--procs: want a number of "
					"processes or all, not '%s'", arg), EINVAL;
		a->ro.procs = a->ro.all_procs ? 0 : (unsigned)v;
		return 0;
	case OPT_DEADLOCK_MS:
		if (parse_num(arg, 86400000, &v))
			return snprintf(a->err, sizeof(a->err), "--deadlock-ms: want a "
					"number of milliseconds, not '%s'", arg), EINVAL;
		a->ro.deadlock_ns = (uint64_t)v * 1000000ull;
		return 0;
	case 'w':
		if (parse_num(arg, 1000, &v) || v < 60)
			return snprintf(a->err, sizeof(a->err), "--width: want a number "
					"of columns from 60 to 1000, not '%s'", arg), EINVAL;
		a->ro.width = (unsigned)v;
		return 0;
	case 'p':
		if (parse_num(arg, 0x7fffffffUL, &v))
			return snprintf(a->err, sizeof(a->err), "--pid: not a PID: '%s'",
					arg), EINVAL;
		a->ro.pid = (uint32_t)v;
		return 0;
	case OPT_CP:
		if (parse_num(arg, 0x7fffffffUL, &v))
			return snprintf(a->err, sizeof(a->err), "--critical-path: not a "
					"TID: '%s'", arg), EINVAL;
		a->cp_tid = (uint32_t)v;
		return 0;
	case OPT_FROM:
		return parse_sec(a, "--from", arg, &a->from);
	case OPT_TO:
		return parse_sec(a, "--to", arg, &a->to);
	case OPT_COLOR:
		a->color = !arg || !strcmp(arg, "always") ? 1 : !strcmp(arg, "never") ? 0 :
			   !strcmp(arg, "auto") ? -1 : -2;
		if (a->color == -2)
			return snprintf(a->err, sizeof(a->err), "--color: want auto, "
					"always or never, not '%s'", arg), EINVAL;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;

	switch (key) {
	case 'h':
	case OPT_USAGE:
		argp_state_help(state, stdout, key == 'h' ? ARGP_HELP_STD_HELP :
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		a->help = true;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_ARG:
		if (a->file) {
			snprintf(a->err, sizeof(a->err), "one recording at a time "
				 "('%s' and '%s')", a->file, arg);
			return EINVAL;
		}
		a->file = arg;
		return 0;
	default:
		return parse_value(a, key, arg);
	}
}

static unsigned term_width(void)
{
	const char *c = getenv("COLUMNS");
	struct winsize ws;
	unsigned long v;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ws.ws_col >= 60)
		return ws.ws_col > 1000 ? 1000 : ws.ws_col;
	if (c && !parse_num(c, 1000, &v) && v >= 60)
		return (unsigned)v;
	return 80;
}

static bool want_color(int setting)
{
	const char *term = getenv("TERM");

	if (setting >= 0)
		return setting;
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && term && strcmp(term, "dumb");
}

static int critical_path(const struct args *a, const struct tl_model *m)
{
	uint64_t start = tl_model_stats(m)->start;
	uint64_t t0 = start + (uint64_t)(a->from * 1e9);
	uint64_t t1 = a->to > 0 ? start + (uint64_t)(a->to * 1e9) : 0;

	if (a->to > 0 && a->to <= a->from)
		return -EINVAL;
	return tl_report_critical_path(stdout, m, a->cp_tid, t0, t1);
}

static int run(struct args *a, const char *prog)
{
	struct tl_load_result *lr = calloc(1, sizeof(*lr));
	/* no part of the report lists syscalls one by one (their counts are
	 * kept either way): keeping only those a thread blocked in saves 7-14
	 * MiB per million records of a futex-heavy recording */
	struct tl_load_hooks h = { .blocking_syscalls_only = true,
				   /* nor the whole trace's parallelism, nor
				    * wakeups, forks, exits and signals one by
				    * one (their counts are kept) */
				   .no_trace_series = true,
				   .no_wakeup_edges = true,
				   .no_task_edges = true,
				   /* parallelism: whole-life figures only */
				   .series_totals_only = true };
	struct tl_model *m = NULL;
	int err, status = 1;

	if (!lr)
		return 1;
	err = tl_load(a->file, &h, &m, lr);
	if (err) {
		/* the reader's reason already names the file and the offset */
		if (lr->msg[0])
			fprintf(stderr, "%s: %s\n", prog, lr->msg);
		else
			fprintf(stderr, "%s: %s: %s\n", prog, a->file, strerror(-err));
		goto cleanup;
	}
	if (lr->status == TL_READ_TRUNCATED)
		fprintf(stderr, "%s: warning: %s; reporting the %llu records before "
			"byte %llu\n", prog, lr->msg, (unsigned long long)lr->records,
			(unsigned long long)lr->offset);
	a->ro.path = a->file;
	if (a->cp_tid) {
		err = critical_path(a, m);
		if (err == -ENOENT)
			fprintf(stderr, "%s: no thread %u in %s\n", prog, a->cp_tid, a->file);
		else if (err == -EINVAL)
			fprintf(stderr, "%s: thread %u did not live between --from and "
				"--to\n", prog, a->cp_tid);
		else if (err)
			fprintf(stderr, "%s: writing the report: %s\n", prog, strerror(-err));
		status = err ? 1 : 0;
		goto cleanup;
	}
	if (a->stacks && a->ro.pid && !tl_model_find_proc(m, a->ro.pid, 0))
		err = -ENOENT;
	else if (a->stacks)
		err = tl_report_folded(stdout, m, a->ro.pid);
	else
		err = a->json ? tl_report_json(stdout, m, lr, &a->ro) :
				tl_report_text(stdout, m, lr, &a->ro);
	if (a->stacks && !err && !tl_model_nstacks(m))
		fprintf(stderr, "%s: %s has no stacks (record with -g)\n", prog, a->file);
	if (err == -ENOENT)
		fprintf(stderr, "%s: no process %u in %s\n", prog, a->ro.pid, a->file);
	else if (err)
		fprintf(stderr, "%s: writing the report: %s\n", prog, strerror(-err));
	status = err ? 1 : 0;
cleanup:
	tl_model_free(m);
	free(lr);
	return status;
}

int tl_cmd_report(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, "[FILE]", doc,
					  NULL, NULL, NULL };
	struct args a = { .color = -1, .ro = { .timeline = true } };
	int e = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &a);

	if (a.help)
		return 0;
	if (e) {
		/* argp reports its own errors; ours come with a hint */
		if (a.err[0])
			fprintf(stderr, "%s: %s\nTry '%s --help'.\n", argv[0], a.err,
				argv[0]);
		return 2;
	}
	if ((a.from > 0 || a.to > 0) && !a.cp_tid) {
		fprintf(stderr, "%s: --from and --to go with --critical-path\nTry '%s "
			"--help'.\n", argv[0], argv[0]);
		return 2;
	}
	if (!a.file)
		a.file = DEFAULT_FILE;
	if (!a.ro.width)
		a.ro.width = term_width();
	a.ro.color = want_color(a.color);
	fflush(stdout);
	return run(&a, argv[0]);
}
