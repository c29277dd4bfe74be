/* main.c - the threadline command: dispatches on its first word to the
 * subcommands of commands.h, which parse their own options. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

#ifndef TL_VERSION
#define TL_VERSION "unknown"
#endif

const char *argp_program_version = "threadline " TL_VERSION;
const char *argp_program_bug_address = NULL;

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *what;
};

static const struct subcommand subcommands[] = {
	{ "record", tl_cmd_record, "record a command, running processes or the system" },
	{ "report", tl_cmd_report, "summarize a recording in the terminal" },
	{ "export", tl_cmd_export, "convert a recording for Perfetto or as JSON" },
	{ "demo", tl_cmd_demo, "list the bundled concurrency demos, run one traced" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: threadline COMMAND [OPTION...] [ARG...]\n\n"
		"Shows how a program's processes and threads run: on CPU, waiting "
		"for one,\nor blocked (on which lock, socket, pipe or child), who "
		"woke them, and how\nmany run at once.\n\nCommands:\n");
	for (size_t i = 0; i < NSUB; i++)
		fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].what);
	fprintf(f, "\nOptions:\n"
		"  -h, --help     this help; `threadline COMMAND --help` for a command's\n"
		"  -V, --version  print the version\n\n"
		"Examples:\n"
		"  sudo threadline record -- ./myprog arg     record (runs as you)\n"
		"  threadline report threadline.tlr           what the threads did\n"
		"  threadline export threadline.tlr            for ui.perfetto.dev\n"
		"  sudo threadline demo run a1_fork           a demo, traced and reported\n");
}

int main(int argc, char **argv)
{
	char name[64];

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	for (size_t i = 0; i < NSUB; i++) {
		if (strcmp(argv[1], subcommands[i].name))
			continue;
		/* messages of the subcommand read "threadline record: ..." */
		snprintf(name, sizeof(name), "threadline %s", subcommands[i].name);
		argv[1] = name;
		return subcommands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "threadline: unknown command '%s' (try threadline --help)\n",
		argv[1]);
	return 2;
}
