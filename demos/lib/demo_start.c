/* demo_start.c - the common command line of the demos, the explanation
 * printed at start and the fatal-error helper. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static const char *prog = "demo";

void demo_die(int errnum, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum < 0 ? -errnum : errnum));
	fputc('\n', stderr);
	exit(1);
}

/* A bad command line: one line on stderr, exit status 2 like getopt tools. */
static void __attribute__((format(printf, 1, 2), noreturn)) bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

void demo_explain(const char *what_to_look_for)
{
	if (!what_to_look_for || !*what_to_look_for)
		return;
	printf("---- %s ----\n%s", prog, what_to_look_for);
	if (what_to_look_for[strlen(what_to_look_for) - 1] != '\n')
		putchar('\n');
	printf("----\n");
}

bool demo_mode_is(const struct demo_args *a, const char *mode)
{
	return a->mode && strcmp(a->mode, mode) == 0;
}

double demo_ms(const struct demo_args *a, double ms)
{
	return ms * (a->scale > 0 ? a->scale : 1.0);
}

int demo_or(int value, int dflt)
{
	return value ? value : dflt;
}

static void usage(const struct demo_spec *spec, FILE *f)
{
	fprintf(f, "usage: %s [options]\n%s\n\noptions:\n", spec->name, spec->summary);
	if (spec->modes) {
		fprintf(f, "  -m, --mode NAME     one of:");
		for (const char *const *m = spec->modes; *m; m++)
			fprintf(f, " %s%s", *m, m == spec->modes ? " (default)" : "");
		fputc('\n', f);
	}
	fprintf(f, "  -s, --seconds S     length of the main phase (default %g)\n"
		   "  -x, --scale X       multiply built-in durations by X (default 1)\n"
		   "  -n, --count N       workers/tasks/threads (0: demo default)\n"
		   "  -k, --clients K     clients of a server demo\n"
		   "  -M, --messages M    messages per client\n"
		   "  -f, --fixed         run the corrected variant\n"
		   "  -q, --quiet         do not print the explanation\n"
		   "  -h, --help          this text\n",
		spec->default_seconds);
}

static double parse_double(const char *opt, const char *s, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < min || v > 3600)
		bad_usage("bad value '%s' for %s (a number from %g to 3600)", s, opt, min);
	return v;
}

static int parse_int(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000)
		bad_usage("bad value '%s' for %s (an integer from 1 to 100000)", s, opt);
	return (int)v;
}

static const char *check_mode(const struct demo_spec *spec, const char *m)
{
	if (!spec->modes)
		bad_usage("this demo has no --mode");
	for (const char *const *p = spec->modes; *p; p++)
		if (strcmp(*p, m) == 0)
			return *p;
	bad_usage("unknown mode '%s' (see --help)", m);
}

static void parse(int argc, char **argv, const struct demo_spec *spec,
		  struct demo_args *a)
{
	static const struct option opts[] = {
		{ "mode", required_argument, 0, 'm' },
		{ "seconds", required_argument, 0, 's' },
		{ "scale", required_argument, 0, 'x' },
		{ "count", required_argument, 0, 'n' },
		{ "clients", required_argument, 0, 'k' },
		{ "messages", required_argument, 0, 'M' },
		{ "fixed", no_argument, 0, 'f' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "m:s:x:n:k:M:fqh", opts, NULL)) != -1) {
		switch (c) {
		case 'm': a->mode = check_mode(spec, optarg); break;
		case 's': a->seconds = parse_double("--seconds", optarg, 0.01); break;
		case 'x': a->scale = parse_double("--scale", optarg, 0.01); break;
		case 'n': a->count = parse_int("--count", optarg); break;
		case 'k': a->clients = parse_int("--clients", optarg); break;
		case 'M': a->messages = parse_int("--messages", optarg); break;
		case 'f': a->fixed = true; break;
		case 'q': a->quiet = true; break;
		case 'h':
			usage(spec, stdout);
			if (spec->explain)
				printf("\n%s\n", spec->explain);
			exit(0);
		default:
			usage(spec, stderr);
			exit(2);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s' (see --help)", argv[optind]);
}

void demo_start(int argc, char **argv, const struct demo_spec *spec,
		struct demo_args *out)
{
	double safety;

	prog = spec->name;
	memset(out, 0, sizeof(*out));
	out->mode = spec->modes ? spec->modes[0] : NULL;
	out->seconds = spec->default_seconds;
	out->scale = 1.0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse(argc, argv, spec, out);
	if (!out->quiet)
		demo_explain(spec->explain);
	/* Generous: a demo ends in seconds; only a real hang reaches this. */
	safety = 20.0 * out->scale + 4.0 * out->seconds;
	demo_watchdog_status(safety, "safety watchdog: the demo did not finish in time",
			     DEMO_EXIT_SAFETY);
}
