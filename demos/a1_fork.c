/* a1_fork.c - fork: one call, two returns. The child sees its parent's PID
 * through getppid(); the parent waits for the child and reads its exit code. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define CHILD_EXIT_CODE 7

static const struct demo_spec spec = {
	.name = "a1_fork",
	.summary = "fork once; the child reports its PID and parent PID, the parent waits",
	.explain =
		"fork() is called once and returns twice: 0 in the new child, the\n"
		"child's PID in the parent. The child (\"child\") sleeps 200 ms, computes\n"
		"100 ms and exits with code 7; the parent (\"parent\") waits for it.\n"
		"Look for: one fork event parent -> child; the child's parent is the\n"
		"parent's PID; the parent Sleeping in wait4 until the child exits;\n"
		"the child's exit code 7.",
};

static struct demo_args args;

static int child_main(void *unused)
{
	(void)unused;
	printf("child:  fork() returned 0; my PID %d, my parent's PID %d\n",
	       (int)getpid(), (int)getppid());
	THREADLINE_TASK_BEGIN(1, "child-work");
	demo_sleep_ms(demo_ms(&args, 200));
	demo_burn_cpu_ms(demo_ms(&args, 100));
	THREADLINE_TASK_END(1);
	printf("child:  exiting with code %d\n", CHILD_EXIT_CODE);
	return CHILD_EXIT_CODE;
}

int main(int argc, char **argv)
{
	pid_t pid;
	int status;

	demo_start(argc, argv, &spec, &args);
	demo_name_process("parent");
	printf("parent: my PID %d, forking\n", (int)getpid());
	pid = demo_fork("child", child_main, NULL);
	if (pid < 0)
		demo_die(pid, "fork");
	printf("parent: fork() returned %d (the child's PID); waiting for it\n", (int)pid);
	status = demo_wait(pid);
	if (status < 0)
		demo_die(status, "waitpid");
	if (WIFEXITED(status))
		printf("parent: child %d exited with code %d\n", (int)pid, WEXITSTATUS(status));
	else
		printf("parent: child %d ended by signal %d\n", (int)pid, WTERMSIG(status));
	return WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_CODE ? 0 : 1;
}
