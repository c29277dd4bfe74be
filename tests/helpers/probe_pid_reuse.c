/* probe_pid_reuse.c - a traced process's pid reused by its sibling: child
 * A exits and is reaped, then the parent sets the kernel's last pid
 * (/proc/sys/kernel/ns_last_pid) so that its next fork, child B, gets A's
 * number, and retries until it does (other processes of the machine may
 * take the number first). A's task is freed an RCU grace period after
 * the reaping, when B already runs: B waits for that, renames itself
 * "reuse-b" and sleeps 20 times, all of which must be recorded.
 *
 * usage: probe_pid_reuse INFO_FILE
 * INFO_FILE receives "pid=N tries=T" (pid=0: the number never came back,
 * or setting the last pid is not allowed here). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRIES 200

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void second_owner(void)
{
	nap_ms(50); /* the first owner's free comes within a grace period */
	prctl(PR_SET_NAME, "reuse-b");
	for (int i = 0; i < 20; i++)
		nap_ms(5);
	_exit(0);
}

static int set_last_pid(pid_t last)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	int n = snprintf(buf, sizeof(buf), "%d", (int)last);
	int ok = fd >= 0 && write(fd, buf, (size_t)n) == n;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* Forks A, reaps it, forks again aiming at A's number; the pid it got. */
static pid_t try_once(void)
{
	pid_t a = fork(), b;

	if (a == 0)
		_exit(0);
	if (a < 0 || waitpid(a, NULL, 0) != a || set_last_pid(a - 1))
		return -1;
	b = fork();
	if (b == 0) {
		if (getpid() == a)
			second_owner();
		_exit(0);
	}
	if (b > 0)
		waitpid(b, NULL, 0);
	return b == a ? a : 0;
}

int main(int argc, char **argv)
{
	pid_t got = 0;
	int tries = 0;
	FILE *f;

	if (argc != 2)
		return 2;
	while (!got && tries++ < TRIES) {
		got = try_once();
		if (got < 0) {
			got = 0;
			break;
		}
	}
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "pid=%d tries=%d\n", (int)got, tries);
	fclose(f);
	return 0;
}
