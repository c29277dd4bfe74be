/* a5_spawn_cost.c - what it costs to start a thread, a forked process and a
 * posix_spawn()ed program: time from the creating call to the new task's
 * first instruction, K times each. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo.h"

#define CHILD_ENV "A5_SPAWN_CHILD_SLOT"
#define MAX_K 1000

extern char **environ;

static const struct demo_spec spec = {
	.name = "a5_spawn_cost",
	.summary = "start K threads, K forked children and K posix_spawn children; time each",
	.explain =
		"Starts K (--count, default 30) of each, one at a time, and times the\n"
		"creating call until the new task runs its first line of code:\n"
		" threads: pthread_create (\"thread-<i>\"),\n"
		" fork:    fork (\"forked-<i>\"), which copies the page tables,\n"
		" spawn:   posix_spawn (clone with CLONE_VM|CLONE_VFORK, then exec of\n"
		"          this program; measured until the new program's main()).\n"
		"Look for: per-child creation -> first-run latency in the trace (new\n"
		"task event to its first switch-in), in the same order as printed here:\n"
		"threads cheapest, then fork; spawn adds a whole exec.",
	.modes = (const char *const[]){ "all", "threads", "fork", "spawn", NULL },
};

static struct demo_args args;
static uint64_t *slot; /* shared with children: each writes its start time */
static uint64_t t_create;

static void *thread_main(void *unused)
{
	(void)unused;
	*slot = demo_now_ns();
	return NULL;
}

static int fork_main(void *unused)
{
	(void)unused;
	*slot = demo_now_ns();
	return 0;
}

/* The posix_spawn()ed copy of this program: writes its time and exits. */
static void spawned_child(const char *fd_str)
{
	uint64_t now = demo_now_ns();
	int fd = atoi(fd_str);

	demo_name_process("spawned");
	if (pwrite(fd, &now, sizeof(now), 0) != sizeof(now))
		_exit(1);
	_exit(0);
}

static double start_thread(int i)
{
	char name[32];
	pthread_t t;
	int err;

	snprintf(name, sizeof(name), "thread-%d", i);
	t_create = demo_now_ns();
	err = demo_thread_create(&t, name, thread_main, NULL);
	if (err)
		demo_die(err, "pthread_create");
	pthread_join(t, NULL);
	return (double)(*slot - t_create) / 1e3;
}

static double start_fork(int i)
{
	char name[32];
	pid_t pid;

	snprintf(name, sizeof(name), "forked-%d", i);
	t_create = demo_now_ns();
	pid = demo_fork(name, fork_main, NULL);
	if (pid < 0)
		demo_die(pid, "fork");
	demo_wait(pid);
	return (double)(*slot - t_create) / 1e3;
}

static int slot_fd = -1;
static char self_path[4096];

static double start_spawn(int i)
{
	char fd_str[16], env[64], *argv[] = { "spawned", NULL }, *envp[] = { env, NULL };
	pid_t pid;
	int err;

	(void)i;
	snprintf(fd_str, sizeof(fd_str), "%d", slot_fd);
	snprintf(env, sizeof(env), CHILD_ENV "=%s", fd_str);
	t_create = demo_now_ns();
	err = posix_spawn(&pid, self_path, NULL, NULL, argv, envp);
	if (err)
		demo_die(err, "posix_spawn");
	demo_wait(pid);
	return (double)(*slot - t_create) / 1e3;
}

static void measure(const char *kind, double (*start)(int), int k)
{
	double sum = 0, min = 1e18, max = 0, us;

	demo_phase(kind);
	for (int i = 1; i <= k; i++) {
		*slot = 0;
		us = start(i);
		sum += us;
		min = us < min ? us : min;
		max = us > max ? us : max;
	}
	printf("%-8s x%d: creation -> first run  mean %7.1f us  min %7.1f  max %7.1f\n",
	       kind, k, sum / k, min, max);
}

/* The slot is a shared file mapping so that a spawned program (which shares
 * no memory with us) can write into it by fd. */
static void make_slot(void)
{
	slot_fd = memfd_create("a5-slot", 0);
	if (slot_fd < 0 || ftruncate(slot_fd, 4096) < 0)
		demo_die(errno, "memfd");
	slot = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, slot_fd, 0);
	if (slot == MAP_FAILED)
		demo_die(errno, "mmap");
}

int main(int argc, char **argv)
{
	const char *child = getenv(CHILD_ENV);
	int k;

	if (child)
		spawned_child(child);
	demo_start(argc, argv, &spec, &args);
	k = demo_or(args.count, 30);
	if (k > MAX_K)
		demo_die(0, "--count at most %d", MAX_K);
	make_slot();
	/* the real path, so the spawned program's comm is ours, not "exe" */
	if (readlink("/proc/self/exe", self_path, sizeof(self_path) - 1) < 0)
		demo_die(errno, "readlink /proc/self/exe");
	if (demo_mode_is(&args, "all") || demo_mode_is(&args, "threads"))
		measure("threads", start_thread, k);
	if (demo_mode_is(&args, "all") || demo_mode_is(&args, "fork"))
		measure("fork", start_fork, k);
	if (demo_mode_is(&args, "all") || demo_mode_is(&args, "spawn"))
		measure("spawn", start_spawn, k);
	demo_phase("end");
	return 0;
}
