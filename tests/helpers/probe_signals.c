/* probe_signals.c - known signal traffic for the probe integration test:
 * renames itself "sigmain"; child A installs a SIGUSR1 handler, is sent
 * SIGUSR1 by the parent, runs the handler and exits with 3; child B is
 * killed by SIGTERM (default action). The parent waits for A by its PID
 * and for B with -1 (any child).
 *
 * usage: probe_signals INFO_FILE
 * INFO_FILE receives "parent=P a=A b=B handler=0xADDR". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

static void die(const char *what)
{
	perror(what);
	exit(99);
}

/* Child A: handler ready -> tell the parent -> wait for the signal. */
static void child_a(int ready_fd)
{
	struct sigaction sa;
	sigset_t block, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	if (sigaction(SIGUSR1, &sa, NULL) || sigprocmask(SIG_BLOCK, &block, &old))
		die("sigaction");
	if (write(ready_fd, "a", 1) != 1)
		die("write");
	while (!got)
		sigsuspend(&old);
	_exit(3);
}

static pid_t spawn(void (*fn)(int), int ready_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		fn(ready_fd);
	return pid;
}

static void child_b(int ready_fd)
{
	if (write(ready_fd, "b", 1) != 1)
		die("write");
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int fds[2], st;
	pid_t a, b;
	char c;
	FILE *info;

	if (argc != 2)
		return 2;
	prctl(PR_SET_NAME, "sigmain");
	if (pipe(fds))
		die("pipe");
	a = spawn(child_a, fds[1]);
	b = spawn(child_b, fds[1]);
	if (read(fds[0], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
		die("read");
	info = fopen(argv[1], "w");
	if (!info)
		die(argv[1]);
	fprintf(info, "parent=%d a=%d b=%d handler=%#lx\n", (int)getpid(), (int)a,
		(int)b, (unsigned long)on_usr1);
	fclose(info);
	if (kill(a, SIGUSR1) || waitpid(a, &st, 0) != a)
		die("kill a");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 3)
		return 1;
	if (kill(b, SIGTERM) || wait(&st) != b)
		die("kill b");
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? 0 : 1;
}
