/* h2_states.c - H2: the states of a process. One thread computes
 * (Running), sleeps (Sleeping), waits for the disk (Uninterruptible, D)
 * and, while a competing process takes its CPU, waits for the CPU
 * (Runnable: ready but not running). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo.h"

#define IO_BLOCK (256 * 1024)

static const struct demo_spec spec = {
	.name = "h2_states",
	.summary = "one thread goes through Running, Sleeping, Uninterruptible, Runnable",
	.explain =
		"The 'worker' thread, pinned to one CPU, goes through four phases:\n"
		"running: computes 150 ms;  sleeping: sleeps 150 ms;\n"
		"disk: direct writes + fdatasync of a file in /var/tmp (the thread\n"
		"waits for the device in D state);  preempted: computes 150 ms\n"
		"of CPU while a process 'hog' pinned to the same CPU computes too.\n"
		"Look for: on the worker's track, in order: Running; Sleeping in\n"
		"nanosleep; Uninterruptible (disk) in pwrite64/fdatasync; Runnable\n"
		"slices, preempted by 'hog', interleaved with Running.",
};

static double phase_ms;

static void disk_phase(void)
{
	char path[128];
	void *buf;
	int fd, writes = 0;
	uint64_t t0 = demo_now_ns();

	snprintf(path, sizeof(path), "/var/tmp/threadline-h2-%d.dat", (int)getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_DIRECT | O_CLOEXEC, 0600);
	if (fd < 0) /* no O_DIRECT here: fdatasync still waits for the device */
		fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || posix_memalign(&buf, 4096, IO_BLOCK))
		demo_die(-errno, "cannot open %s", path);
	memset(buf, 'd', IO_BLOCK);
	while (writes < 4 || (demo_ms_since(t0) < phase_ms && writes < 400)) {
		if (pwrite(fd, buf, IO_BLOCK, (off_t)(writes % 16) * IO_BLOCK) != IO_BLOCK)
			demo_die(-errno, "pwrite %s", path);
		fdatasync(fd);
		writes++;
	}
	printf("  disk: %d direct writes + fdatasync in %.0f ms\n", writes,
	       demo_ms_since(t0));
	close(fd);
	unlink(path);
	free(buf);
}

static int hog(void *arg)
{
	demo_pin_cpu(*(int *)arg);
	demo_burn_wall_ms(phase_ms * 2.5);
	return 0;
}

static void preempted_phase(int cpu)
{
	pid_t h = demo_fork("hog", hog, &cpu);
	uint64_t t0;

	if (h < 0)
		demo_die(h, "fork hog");
	demo_sleep_ms(5); /* let the hog get going on our CPU */
	t0 = demo_now_ns();
	demo_burn_cpu_ms(phase_ms);
	printf("  preempted: %.0f ms of CPU took %.0f ms while sharing the CPU\n",
	       phase_ms, demo_ms_since(t0));
	demo_wait(h);
}

int main(int argc, char **argv)
{
	struct demo_args a;
	int cpu = 0;

	demo_start(argc, argv, &spec, &a);
	demo_name_thread("worker");
	phase_ms = demo_ms(&a, 150);
	demo_pin_cpu(cpu);
	demo_phase("running");
	demo_burn_cpu_ms(phase_ms);
	demo_phase("sleeping");
	demo_sleep_ms(phase_ms);
	demo_phase("disk");
	disk_phase();
	demo_phase("preempted");
	preempted_phase(cpu);
	demo_phase("end");
	return 0;
}
