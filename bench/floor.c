/*
 * floor.c - loads and attaches bench/floor.bpf.c (empty programs on the
 * scheduler and process tracepoints threadline uses, and the syscall
 * tracepoints of the clone family and futex calls, which the groups proc
 * and futex attached before they went syscall-free; with -s every syscall
 * tracepoint of the catalogue instead, with -n none), says
 * "ready" on stdout, and waits until SIGINT or SIGTERM. bench/overhead runs
 * a workload under it to measure the cost that no tracer built on these
 * hooks can go below.
 */
#include <argp.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"
#include "probes/catalogue.h"

/* The syscalls the groups proc (clone family) and futex had before the
 * default groups went syscall-free (now the group syscalls has them). */
static const char *const syscalls[] = {
	"clone", "clone3", "fork", "vfork",
	"futex", "futex_wait", "futex_wake", "futex_waitv", "futex_requeue",
};
#define NSYSCALLS (sizeof(syscalls) / sizeof(syscalls[0]))
#define NCATALOGUE (sizeof(tl_catalogue) / sizeof(tl_catalogue[0]))
#define MAX_SYS_LINKS (2 * NSYSCALLS + NCATALOGUE)

struct floor_opts {
	int no_syscalls;
	int all_syscalls;
	int verbose;
};

static const char doc[] =
	"Attach empty BPF programs on threadline's scheduler and process "
	"tracepoints and wait until interrupted (the overhead floor).\v"
	"Prints \"ready: N programs attached\" on stdout once attached.\n"
	"EXAMPLES:\n"
	"  floor                 with the clone and futex syscall tracepoints\n"
	"  floor -n              without the syscall tracepoints\n"
	"  floor -s              every syscall tracepoint of the catalogue\n"
	"                        (those of every group, as -e all)\n";

static const struct argp_option options[] = {
	{ "no-syscalls", 'n', NULL, 0, "Leave out the syscall tracepoints", 0 },
	{ "all-syscalls", 's', NULL, 0,
	  "Every syscall tracepoint threadline's catalogue lists", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf debug output", 0 },
	{ 0 },
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct floor_opts *o = state->input;

	switch (key) {
	case 'n':
		o->no_syscalls = 1;
		return 0;
	case 's':
		o->all_syscalls = 1;
		return 0;
	case 'v':
		o->verbose = 1;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static int verbose_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	(void)lvl;
	return vfprintf(stderr, fmt, ap);
}

static int quiet_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	return lvl == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Attaches the syscall program to sys_enter_X and sys_exit_X of every
 * listed syscall; a kernel without one skips it (as threadline does).
 * Returns the number of links made. */
static int attach_syscalls(struct floor_bpf *skel, struct bpf_link **links)
{
	static const char *const dirs[] = { "sys_enter_", "sys_exit_" };
	char name[64];
	int n = 0;

	for (size_t i = 0; i < NSYSCALLS; i++) {
		for (size_t d = 0; d < 2; d++) {
			snprintf(name, sizeof(name), "%s%s", dirs[d], syscalls[i]);
			links[n] = bpf_program__attach_tracepoint(
				skel->progs.floor_syscall, "syscalls", name);
			if (links[n])
				n++;
			else
				fprintf(stderr, "floor: no tracepoint syscalls/%s, skipped\n", name);
		}
	}
	return n;
}

/* The same for every syscall tracepoint of probes/catalogue.h. */
static int attach_catalogue_syscalls(struct floor_bpf *skel, struct bpf_link **links)
{
	int n = 0;

	for (size_t i = 0; i < NCATALOGUE; i++) {
		const struct tl_probe *p = &tl_catalogue[i];

		if (p->kind != TL_PK_TRACEPOINT || strncmp(p->target, "syscalls/", 9))
			continue;
		links[n] = bpf_program__attach_tracepoint(skel->progs.floor_syscall,
							  "syscalls", p->target + 9);
		if (links[n])
			n++;
		else
			fprintf(stderr, "floor: no tracepoint %s, skipped\n", p->target);
	}
	return n;
}

/* Releasing a syscall tracepoint waits for an RCU grace period, one after
 * the other: seconds for the 60 of -s. A child keeps the links and
 * releases them once this process has exited, so the benchmark does not
 * wait for it (as threadline's record does; its next tracer may still
 * wait for the kernel's tracepoint mutex while attaching, never while a
 * workload runs). */
static void release_later(void)
{
	pid_t parent = getpid(), child = fork();

	if (child != 0)
		_exit(0); /* the parent, or no child: exits either way */
	while (getppid() == parent)
		usleep(1000);
}

static int count_auto_links(const struct floor_bpf *skel)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, skel->obj)
		n += p != skel->progs.floor_syscall;
	return n;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	struct bpf_link *links[MAX_SYS_LINKS];
	struct floor_opts o = { 0 };
	struct floor_bpf *skel = NULL;
	int nlinks = 0, err;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	libbpf_set_print(o.verbose ? verbose_print : quiet_print);
	if (geteuid() != 0)
		fprintf(stderr, "floor: not root; loading BPF needs root or CAP_BPF+CAP_PERFMON\n");

	skel = floor_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "floor: cannot load the BPF programs: %s\n", strerror(-err));
		goto cleanup;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot attach: %s\n", strerror(-err));
		goto cleanup;
	}
	if (o.all_syscalls)
		nlinks = attach_catalogue_syscalls(skel, links);
	else if (!o.no_syscalls)
		nlinks = attach_syscalls(skel, links);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready: %d programs attached (%d syscall tracepoints)\n",
	       count_auto_links(skel) + nlinks, nlinks);
	fflush(stdout);
	while (!stop)
		pause();
	if (nlinks)
		release_later();
cleanup:
	while (nlinks > 0)
		bpf_link__destroy(links[--nlinks]);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
