/* probe_exec.c - a multithreaded process whose second thread calls exec,
 * so the kernel gives that thread the leader's id, for the probe
 * integration test.
 *
 * usage: probe_exec INFO_FILE     start a thread that execs "probe_exec -"
 *        probe_exec -             (after the exec) exit with 0
 * INFO_FILE receives "pid=P tid=T" (T = the exec'ing thread). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *info_path;

static void *execer(void *arg)
{
	char *argv[] = { "probe_exec", "-", NULL };
	FILE *info = fopen(info_path, "w");

	(void)arg;
	if (!info)
		exit(99);
	fprintf(info, "pid=%d tid=%ld\n", (int)getpid(), (long)syscall(SYS_gettid));
	fclose(info);
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(98);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "-"))
		return 0;
	info_path = argv[1];
	if (pthread_create(&t, NULL, execer, NULL))
		return 97;
	for (;;)
		pause(); /* the exec ends this thread */
}
