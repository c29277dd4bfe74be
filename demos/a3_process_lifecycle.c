/* a3_process_lifecycle.c - how processes end: terminated by a signal, left
 * as a zombie until reaped, orphaned and adopted, and a daemon-style child
 * that dies with its parent. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

static const struct demo_spec spec = {
	.name = "a3_process_lifecycle",
	.summary = "terminate(), a zombie, an orphan and a daemon child, one after another",
	.explain =
		"Four short scenes (phases), each with its own child process:\n"
		" terminate: \"worker\" loops until the parent sends SIGTERM.\n"
		" zombie:    \"short-lived\" exits at once (code 3); the parent reaps it\n"
		"            only 300 ms later - a zombie meanwhile.\n"
		" orphan:    \"middle\" forks \"orphan\" and exits; the orphan is adopted\n"
		"            by the main process (a child subreaper, standing in for init).\n"
		" daemon:    \"owner\" starts \"daemon\", which asked the kernel to kill it\n"
		"            (SIGKILL) when its parent dies; \"owner\" exits after 200 ms.\n"
		"Look for: exits by signal with the signal (SIGTERM, SIGKILL); the zombie\n"
		"interval between the exit and the reap; the orphan's new parent.",
};

static struct demo_args args;

/* Waits to be killed; gives up after 10 s so that nothing outlives a demo
 * that went wrong. */
static int loop_main(void *unused)
{
	(void)unused;
	for (int i = 0; i < 500; i++)
		demo_sleep_ms(20);
	return 1;
}

static int exit3_main(void *unused)
{
	(void)unused;
	return 3;
}

static int orphan_main(void *p)
{
	pid_t old_parent = (pid_t)(long)p;

	while (getppid() == old_parent) /* until "middle" has gone */
		demo_sleep_ms(5);
	demo_sleep_ms(demo_ms(&args, 100));
	printf("orphan: my parent was %d, now it is %d\n", (int)old_parent, (int)getppid());
	return 0;
}

static int middle_main(void *unused)
{
	(void)unused;
	if (demo_fork("orphan", orphan_main, (void *)(long)getpid()) < 0)
		return 1;
	demo_sleep_ms(demo_ms(&args, 50));
	return 0; /* leaves its child behind */
}

static int daemon_main(void *p)
{
	pid_t owner = (pid_t)(long)p;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != owner) /* the owner died before prctl took effect */
		return 0;
	return loop_main(NULL);
}

static int owner_main(void *unused)
{
	(void)unused;
	if (demo_fork("daemon", daemon_main, (void *)(long)getpid()) < 0)
		return 1;
	demo_sleep_ms(demo_ms(&args, 200));
	return 0; /* the kernel now kills "daemon" */
}

static void report(const char *who, pid_t pid, int status)
{
	if (status < 0)
		demo_die(status, "waitpid for %s", who);
	if (WIFSIGNALED(status))
		printf("parent: %s (%d) ended by signal %d (%s)\n", who, (int)pid,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		printf("parent: %s (%d) exited with code %d\n", who, (int)pid,
		       WEXITSTATUS(status));
}

static pid_t spawn(const char *name, int (*fn)(void *))
{
	pid_t pid = demo_fork(name, fn, NULL);

	if (pid < 0)
		demo_die(pid, "fork %s", name);
	return pid;
}

static void scene_terminate(void)
{
	pid_t pid;

	demo_phase("terminate");
	pid = spawn("worker", loop_main);
	demo_sleep_ms(demo_ms(&args, 200));
	printf("parent: terminate(): SIGTERM to worker %d\n", (int)pid);
	kill(pid, SIGTERM);
	report("worker", pid, demo_wait(pid));
}

static void scene_zombie(void)
{
	pid_t pid;

	demo_phase("zombie");
	pid = spawn("short-lived", exit3_main);
	demo_sleep_ms(demo_ms(&args, 300));
	printf("parent: reaping short-lived %d, a zombie until now\n", (int)pid);
	report("short-lived", pid, demo_wait(pid));
}

/* Reaps our child `own` and the grandchild we adopted, in whatever order
 * they end: the adopted one is not known by PID. */
static void reap_two(pid_t own, const char *own_name, const char *adopted_name)
{
	int status;
	pid_t pid;

	for (int i = 0; i < 2; i++) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0)
			demo_die(-1, "waitpid");
		report(pid == own ? own_name : adopted_name, pid, status);
	}
}

int main(int argc, char **argv)
{
	demo_start(argc, argv, &spec, &args);
	demo_name_process("parent");
	/* Orphans of our descendants come to us instead of init, so the demo
	 * can wait for them and the whole story stays in one process tree. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	scene_terminate();
	scene_zombie();
	demo_phase("orphan");
	reap_two(spawn("middle", middle_main), "middle", "adopted orphan");
	demo_phase("daemon");
	reap_two(spawn("owner", owner_main), "owner", "adopted daemon");
	demo_phase("end");
	return 0;
}
