/* probe_migrate.c - a thread that runs on CPU 0 and then moves itself to
 * CPU 1 with sched_setaffinity, for the probe integration test.
 *
 * usage: probe_migrate INFO_FILE
 * INFO_FILE receives "tid=T". Exits 3 on a machine with one CPU. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static const char *info_path;

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Stays on the CPU for a while, so the move is not folded into a wakeup. */
static void spin_ms(long ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static void *mover(void *arg)
{
	FILE *info = fopen(info_path, "w");

	(void)arg;
	if (!info)
		return (void *)99;
	fprintf(info, "tid=%ld\n", (long)syscall(SYS_gettid));
	fclose(info);
	if (pin(0))
		return (void *)98;
	spin_ms(20);
	if (pin(1))
		return (void *)97;
	spin_ms(20);
	return sched_getcpu() == 1 ? NULL : (void *)96;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *ret;

	if (argc != 2)
		return 2;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 3;
	info_path = argv[1];
	if (pthread_create(&t, NULL, mover, NULL) || pthread_join(t, &ret))
		return 95;
	return ret ? (int)(long)ret : 0;
}
