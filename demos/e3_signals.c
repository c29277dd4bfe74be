/* e3_signals.c - E3: signals as notifications between processes. The
 * parent notifies its child with SIGUSR1 five times and SIGUSR2 to stop;
 * the child waits in sigsuspend and a handler runs for each signal. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define NOTES 5

static const struct demo_spec spec = {
	.name = "e3_signals",
	.summary = "one process notifies another with signals; a handler runs",
	.explain =
		"The child 'receiver' installs handlers for SIGUSR1 (a notification)\n"
		"and SIGUSR2 (stop) and waits in sigsuspend. The parent sends\n"
		"SIGUSR1 five times, 80 ms apart, then SIGUSR2.\n"
		"Look for: signal marks from the parent to the receiver (kill), the\n"
		"receiver Sleeping in rt_sigsuspend, woken by each signal, the\n"
		"handler delivery, then back to sleep.",
};

static volatile sig_atomic_t notes, stop;

static void on_signal(int sig)
{
	static const char msg[] = "  receiver: handler ran for SIGUSR1\n";

	if (sig == SIGUSR2) {
		stop = 1;
		return;
	}
	notes++;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		stop = 1;
}

static int receiver(void *arg)
{
	struct sigaction sa;
	sigset_t wait_mask;

	(void)arg;
	demo_watchdog_status(4, "receiver: no stop signal came", 1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* USR1/USR2 stay blocked (inherited) except inside sigsuspend, so no
	 * signal can slip in between the check of `stop` and the wait. */
	sigemptyset(&wait_mask);
	while (!stop)
		sigsuspend(&wait_mask);
	printf("  receiver: %d notifications, then stop\n", (int)notes);
	return notes == NOTES ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	sigset_t block;
	pid_t pid;
	int st;

	demo_start(argc, argv, &spec, &a);
	/* blocked before fork so the child cannot be killed by an early
	 * SIGUSR1 before its handlers are installed */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigprocmask(SIG_BLOCK, &block, NULL);
	demo_phase("signals");
	pid = demo_fork("receiver", receiver, NULL);
	if (pid < 0)
		demo_die(pid, "fork");
	for (int i = 1; i <= NOTES; i++) {
		demo_sleep_ms(demo_ms(&a, 80));
		printf("parent: SIGUSR1 #%d -> %d\n", i, (int)pid);
		kill(pid, SIGUSR1);
	}
	demo_sleep_ms(demo_ms(&a, 80));
	printf("parent: SIGUSR2 (stop) -> %d\n", (int)pid);
	kill(pid, SIGUSR2);
	st = demo_wait(pid);
	demo_phase("end");
	return st == 0 ? 0 : 1;
}
