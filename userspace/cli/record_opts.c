/* record_opts.c - the command line of `threadline record` (see record.h):
 * argp options with examples, event groups, PID lists, durations, and the
 * rule of exactly one target. Parsing never exits the process, so the
 * unit tests drive it directly. */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record_cmd.h"
#include "bpf/tl_abi.h"

static const char *const group_names[TL_G_COUNT] = {
	[TL_G_SCHED] = "sched", [TL_G_PROC] = "proc", [TL_G_FUTEX] = "futex",
	[TL_G_NET] = "net", [TL_G_SIGNAL] = "signal", [TL_G_USDT] = "usdt",
	[TL_G_SYSCALLS] = "syscalls",
};

#define ALL_GROUPS ((1u << TL_G_COUNT) - 1)
/* every group but the syscall tracepoints, which slow the whole system */
#define DEFAULT_GROUPS (ALL_GROUPS & ~(1u << TL_G_SYSCALLS))

const char *tl_group_name(unsigned g)
{
	return g < TL_G_COUNT ? group_names[g] : NULL;
}

static int group_bit(const char *name, size_t len)
{
	if (len == 3 && !strncmp(name, "all", 3))
		return -2;
	for (unsigned g = 0; g < TL_G_COUNT; g++)
		if (strlen(group_names[g]) == len && !strncmp(name, group_names[g], len))
			return (int)g;
	return -1;
}

int tl_parse_groups(const char *list, uint32_t *groups, char *err, size_t errlen)
{
	const char *p = list, *end;

	*groups = 0;
	do {
		int g;

		end = strchrnul(p, ',');
		g = group_bit(p, (size_t)(end - p));
		if (g == -1) {
			snprintf(err, errlen, "unknown event group '%.*s' (groups: "
				 "sched,proc,futex,net,signal,usdt,syscalls or all)",
				 (int)(end - p), p);
			return -EINVAL;
		}
		*groups |= g == -2 ? ALL_GROUPS : 1u << g;
		p = end + 1;
	} while (*end);
	return 0;
}

static int add_pid(struct tl_record_opts *o, pid_t pid)
{
	for (int i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return 0;
	if (o->npids == TL_RECORD_MAX_PIDS)
		return -E2BIG;
	o->pids[o->npids++] = pid;
	return 0;
}

int tl_parse_pids(const char *list, struct tl_record_opts *o, char *err,
		  size_t errlen)
{
	const char *p = list, *end;

	do {
		char *stop;
		long v;

		end = strchrnul(p, ',');
		errno = 0;
		v = strtol(p, &stop, 10);
		if (stop != end || p == end || errno || v <= 0 || v > INT_MAX ||
		    *p == '+') {
			snprintf(err, errlen, "invalid PID '%.*s' in -p %s",
				 (int)(end - p), p, list);
			return -EINVAL;
		}
		if (add_pid(o, (pid_t)v)) {
			snprintf(err, errlen, "too many PIDs (at most %d)",
				 TL_RECORD_MAX_PIDS);
			return -EINVAL;
		}
		p = end + 1;
	} while (*end);
	return 0;
}

static int parse_buffer(const char *s, uint32_t *out, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || errno || v < 1 || v > 1024 || (v & (v - 1))) {
		snprintf(err, errlen, "invalid buffer size '%s' (MiB: 1, 2, 4 ... 1024)", s);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_duration(const char *s, double *out, char *err, size_t errlen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(d) || d <= 0 || d > 1e7) {
		snprintf(err, errlen, "invalid duration '%s' (seconds, e.g. 10 or 0.5)", s);
		return -EINVAL;
	}
	*out = d;
	return 0;
}

enum { OPT_PERFETTO = 0x100, OPT_USAGE, OPT_RAW_TP };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0, "Write the recording to FILE (default "
	  TL_RECORD_DEFAULT_OUTPUT ")", 0 },
	{ "events", 'e', "GROUPS", 0, "Event groups, comma-separated (see EVENT "
	  "GROUPS below); all = every group, syscalls included (default: every "
	  "group but syscalls)", 0 },
	{ "pid", 'p', "PID[,PID...]", 0, "Attach to running processes: all their "
	  "threads and the children they start", 0 },
	{ "all", 'a', NULL, 0, "Trace the whole system (stop with -d or Ctrl-C)", 0 },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS (fractions allowed)", 0 },
	{ "user", 'u', "USER", 0, "Run the command as USER (default under sudo: the "
	  "user who ran sudo; -u root to stay root)", 0 },
	{ "perfetto", OPT_PERFETTO, "OUT", 0, "Also export the recording as a "
	  "Perfetto trace to OUT", 0 },
	{ "buffer-size", 'b', "MB", 0, "Ring buffer per CPU in MiB, a power of two "
	  "from 1 to 1024 (default 16); larger loses less under bursts", 0 },
	{ "raw-tp", OPT_RAW_TP, NULL, 0, "Use raw tracepoints instead of tp_btf "
	  "(what happens anyway when the kernel refuses tp_btf)", 0 },
	{ "call-graph", 'g', NULL, 0, "Off-CPU stacks: the kernel and user stack "
	  "of every thread each time it blocks (report shows them, report --stacks "
	  "prints them for flame graphs)", 0 },
	{ "verbose", 'v', NULL, 0, "More messages; -vv adds libbpf's log", 0 },
	{ "help", 'h', NULL, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, NULL, 0, "Show a short usage message", -1 },
	{ 0 }
};

static const char doc[] =
	"Record how a program's processes and threads run: on CPU, waiting for "
	"one, or blocked, and on what.\n\n"
	"Give exactly one target: a command after the options, -p PID, or -a. "
	"A command is held until every probe is attached, so its first "
	"instruction is traced; recording stops when it exits and record exits "
	"with its status. With -p, recording stops when every PID has exited. "
	"Ctrl-C stops recording and keeps a complete file; a "
	"second Ctrl-C quits at once. When recording ends before the command, "
	"the command is sent SIGTERM."
	"\v"
	"EVENT GROUPS:\n"
	"  sched     context switches (and what a thread blocks in), wakeups,\n"
	"            migrations\n"
	"  proc      forks, new threads, exec, exit, wait, renames\n"
	"  futex     the owner of the lock a thread blocks on\n"
	"  net       sends and receives on sockets, counted per thread\n"
	"  signal    signals sent and delivered\n"
	"  usdt      the program's own threadline marks\n"
	"  syscalls  entry and exit of every clone, futex, socket and\n"
	"            poll/select/epoll call (not in the default). Costly: while\n"
	"            it is on, every task of the system takes the slow syscall\n"
	"            path (and for a few seconds after record exits, while\n"
	"            the kernel detaches them); futex-heavy programs run up\n"
	"            to ~3x slower\n\n"
	"EXAMPLES:\n"
	"  threadline record -- ./server --port 8080\n"
	"        record a command and everything it starts\n"
	"  threadline record -o run.tlr -e sched,futex -- make -j4\n"
	"        only scheduling and lock waits, into run.tlr\n"
	"  threadline record -p 1234,1240 -d 10\n"
	"        attach to two running processes for 10 seconds\n"
	"  sudo threadline record -a -d 5\n"
	"        the whole system for 5 seconds\n"
	"  threadline record -g -- ./app\n"
	"        also where each thread blocks (its stacks)\n"
	"  sudo threadline record --perfetto trace.pftrace -- ./app\n"
	"        record (./app runs as you, not root) and export for ui.perfetto.dev\n"
	"\n"
	"Then: threadline report threadline.tlr";

struct parse_state {
	struct tl_record_opts *o;
	char *err;
	size_t errlen;
	bool help;
};

static int parse_value(struct parse_state *ps, int key, char *arg)
{
	struct tl_record_opts *o = ps->o;

	switch (key) {
	case 'o': o->output = arg; return 0;
	case 'e': return tl_parse_groups(arg, &o->groups, ps->err, ps->errlen);
	case 'p': return tl_parse_pids(arg, o, ps->err, ps->errlen);
	case 'd': return parse_duration(arg, &o->duration, ps->err, ps->errlen);
	case 'b': return parse_buffer(arg, &o->buffer_mb, ps->err, ps->errlen);
	case 'u': o->user = arg; return 0;
	case OPT_PERFETTO: o->perfetto = arg; return 0;
	case 'a': o->all = true; return 0;
	case OPT_RAW_TP: o->raw_tp = true; return 0;
	case 'g': o->stacks = true; return 0;
	case 'v': o->verbose++; return 0;
	default: return ARGP_ERR_UNKNOWN;
	}
}

static int check_target(struct parse_state *ps)
{
	const struct tl_record_opts *o = ps->o;
	int n = (o->cmd != NULL) + (o->npids > 0) + o->all;

	if (n == 0)
		snprintf(ps->err, ps->errlen, "nothing to record: give a command "
			 "(after --), -p PID or -a");
	else if (n > 1)
		snprintf(ps->err, ps->errlen, "give only one of a command, -p PID "
			 "and -a");
	else if (o->perfetto && !strcmp(o->perfetto, o->output))
		snprintf(ps->err, ps->errlen, "--perfetto OUT must differ from -o FILE");
	return n == 1 && ps->err[0] == 0 ? 0 : EINVAL;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_state *ps = state->input;
	int e;

	switch (key) {
	case 'h':
	case OPT_USAGE:
		argp_state_help(state, stdout, key == 'h' ? ARGP_HELP_STD_HELP :
				ARGP_HELP_USAGE | ARGP_HELP_EXIT_OK);
		ps->help = true;
		state->next = state->argc; /* ignore the rest */
		return 0;
	case ARGP_KEY_ARG:
		/* the command starts here: the rest is its own arguments */
		ps->o->cmd = &state->argv[state->next - 1];
		ps->o->ncmd = state->argc - state->next + 1;
		state->next = state->argc;
		return 0;
	case ARGP_KEY_END:
		return ps->help ? 0 : check_target(ps);
	default:
		e = parse_value(ps, key, arg);
		return e == ARGP_ERR_UNKNOWN ? e : (e ? EINVAL : 0);
	}
}

enum tl_parse_result tl_record_parse(int argc, char **argv,
				     struct tl_record_opts *o, char *err,
				     size_t errlen)
{
	static const struct argp argp = { options, parse_opt, "[-- COMMAND [ARG...]]",
					  doc, NULL, NULL, NULL };
	struct parse_state ps = { o, err, errlen, false };
	int e;

	memset(o, 0, sizeof(*o));
	o->output = TL_RECORD_DEFAULT_OUTPUT;
	o->groups = DEFAULT_GROUPS;
	err[0] = 0;
	e = argp_parse(&argp, argc, argv, ARGP_IN_ORDER | ARGP_NO_EXIT | ARGP_NO_HELP,
		       NULL, &ps);
	if (ps.help)
		return TL_PARSE_DONE;
	return e ? TL_PARSE_USAGE : TL_PARSE_RUN;
}

