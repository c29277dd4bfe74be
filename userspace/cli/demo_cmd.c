/* demo_cmd.c - `threadline demo list` and `threadline demo run NAME`: run a
 * bundled demo under the tracer, print the report and write the Perfetto
 * trace, in one step. It composes the record, report and export commands. */
#include <argp.h>
#include <errno.h>
#include <stdbool.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "demo_catalog.h"

static int demo_list(void)
{
	printf("%-4s %-32s %s\n", "ID", "DEMO", "MODEL");
	for (size_t i = 0; i < tl_demo_count(); i++) {
		const struct tl_demo *d = tl_demo_at(i);
		printf("%-4s %-32s %s\n", d->id, d->name, d->title);
	}
	printf("\nRun one with: threadline demo run ID|NAME [-- DEMO-ARGS]\n");
	return 0;
}

/* The demos live beside the tool: <dir of threadline>/demos/<name>. */
static int demo_path(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return -errno;
	self[n] = '\0';
	if ((size_t)snprintf(out, len, "%s/demos/%s", dirname(self), name) >= len)
		return -ENAMETOOLONG;
	return access(out, X_OK) == 0 ? 0 : -errno;
}

struct demo_run {
	const struct tl_demo *demo;
	char bin[PATH_MAX];
	char rec[PATH_MAX];
	char trace[PATH_MAX];
	char **args;
	int nargs;
	bool stacks;           /* -g: off-CPU stacks too */
};

static int demo_record(struct demo_run *r)
{
	char *argv[64];
	int n = 0;

	argv[n++] = "record";
	argv[n++] = "-o";
	argv[n++] = r->rec;
	argv[n++] = "--perfetto";
	argv[n++] = r->trace;
	if (r->stacks)
		argv[n++] = "-g";
	argv[n++] = "--";
	argv[n++] = r->bin;
	for (int i = 0; i < r->nargs && n < 63; i++)
		argv[n++] = r->args[i];
	argv[n] = NULL;
	return tl_cmd_record(n, argv);
}

static int demo_report(struct demo_run *r)
{
	char *argv[] = { "report", r->rec, NULL };

	return tl_cmd_report(2, argv);
}

static int demo_run(int argc, char **argv)
{
	struct demo_run r = { 0 };
	int err, status;

	if (argc > 0 && !strcmp(argv[0], "-g")) {
		r.stacks = true;
		argc--;
		argv++;
	}
	if (argc < 1) {
		fprintf(stderr, "threadline demo run: which demo? (threadline demo list)\n");
		return 2;
	}
	r.demo = tl_demo_find(argv[0]);
	if (!r.demo) {
		fprintf(stderr, "threadline demo run: no demo '%s' (threadline demo list)\n",
			argv[0]);
		return 2;
	}
	err = demo_path(r.demo->name, r.bin, sizeof(r.bin));
	if (err) {
		fprintf(stderr, "threadline demo run: %s: %s (build it with make)\n",
			r.bin, strerror(-err));
		return 1;
	}
	snprintf(r.rec, sizeof(r.rec), "%s.tlr", r.demo->name);
	snprintf(r.trace, sizeof(r.trace), "%s.perfetto-trace", r.demo->name);
	r.args = argv + 1;
	r.nargs = argc - 1;
	if (r.nargs > 0 && strcmp(r.args[0], "--") == 0) {
		r.args++;
		r.nargs--;
	}
	printf("threadline: %s — %s\n\n", r.demo->id, r.demo->title);
	status = demo_record(&r);
	fflush(stdout);
	if (access(r.rec, R_OK) != 0)
		return status ? status : 1;
	printf("\n");
	err = demo_report(&r);
	printf("\nLook for: %s\n", r.demo->look);
	printf("Recording: %s   Perfetto trace: %s (open it at ui.perfetto.dev)\n",
	       r.rec, r.trace);
	return err;
}

static void demo_usage(FILE *f)
{
	fprintf(f,
		"Usage: threadline demo list\n"
		"       threadline demo run [-g] ID|NAME [-- DEMO-ARGS]\n\n"
		"Runs a bundled concurrency demo under the tracer: writes NAME.tlr and\n"
		"NAME.perfetto-trace in the current directory and prints the report;\n"
		"-g records where each thread blocks (off-CPU stacks) too.\n\n"
		"EXAMPLES:\n"
		"  threadline demo list\n"
		"  sudo threadline demo run c4            # two threads deadlock on mutexA/mutexB\n"
		"  sudo threadline demo run b3 -- --mode nogil\n"
		"  sudo threadline demo run -g c4         # and the stacks they block in\n");
}

int tl_cmd_demo(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		demo_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "list"))
		return demo_list();
	if (!strcmp(argv[1], "run"))
		return demo_run(argc - 2, argv + 2);
	fprintf(stderr, "threadline demo: unknown action '%s' (list, run)\n", argv[1]);
	return 2;
}
