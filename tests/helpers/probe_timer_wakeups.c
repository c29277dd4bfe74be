/* probe_timer_wakeups.c - timer wakeups on a busy CPU: a child spins on
 * CPU 0 (the hog) while the main thread, on the same CPU, sleeps 300 times
 * for 2 ms. Every wakeup of the sleeper comes from the timer interrupt,
 * which interrupts the hog: none may be charged to it.
 *
 * usage: probe_timer_wakeups INFO_FILE
 * INFO_FILE receives "sleeper=TID hog=PID". */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLEEPS 300

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("sched_setaffinity");
		exit(99);
	}
}

int main(int argc, char **argv)
{
	struct timespec nap = { 0, 2000000 };
	volatile unsigned long spin = 0;
	pid_t hog;
	FILE *f;

	if (argc != 2)
		return 2;
	pin_cpu0();
	hog = fork();
	if (hog < 0)
		return 99;
	if (hog == 0) {
		prctl(PR_SET_NAME, "hog");
		for (;;)
			spin++;
	}
	prctl(PR_SET_NAME, "sleeper");
	for (int i = 0; i < SLEEPS; i++)
		nanosleep(&nap, NULL);
	kill(hog, SIGKILL);
	waitpid(hog, NULL, 0);
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "sleeper=%d hog=%d\n", (int)getpid(), (int)hog);
	fclose(f);
	return 0;
}
