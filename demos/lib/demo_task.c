/* demo_task.c - threads and processes named after their role, and phase
 * marks, so a demo's timeline reads like its story. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"
#include "probes/threadline_usdt.h"

#define COMM_LEN 16

static void cut_name(char out[COMM_LEN], const char *name)
{
	snprintf(out, COMM_LEN, "%.15s", name);
}

void demo_name_thread(const char *name)
{
	char buf[COMM_LEN];

	cut_name(buf, name);
	pthread_setname_np(pthread_self(), buf);
}

void demo_name_process(const char *name)
{
	char buf[COMM_LEN];

	cut_name(buf, name);
	prctl(PR_SET_NAME, buf, 0, 0, 0);
}

struct start_info {
	char name[COMM_LEN];
	void *(*fn)(void *);
	void *arg;
};

static void *trampoline(void *p)
{
	struct start_info si = *(struct start_info *)p;

	free(p);
	demo_name_thread(si.name);
	return si.fn(si.arg);
}

static int create(pthread_t *t, const pthread_attr_t *attr, const char *name,
		  void *(*fn)(void *), void *arg)
{
	struct start_info *si = malloc(sizeof(*si));
	int err;

	if (!si)
		return -ENOMEM;
	cut_name(si->name, name);
	si->fn = fn;
	si->arg = arg;
	err = pthread_create(t, attr, trampoline, si);
	if (err) {
		free(si);
		return -err;
	}
	return 0;
}

int demo_thread_create(pthread_t *t, const char *name, void *(*fn)(void *), void *arg)
{
	return create(t, NULL, name, fn, arg);
}

int demo_thread_create_detached(const char *name, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = create(&t, &attr, name, fn, arg);
	pthread_attr_destroy(&attr);
	return err;
}

pid_t demo_fork(const char *name, int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL); /* no duplicated buffered output in the child */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		demo_name_process(name);
		_exit(fn(arg));
	}
	return pid;
}

int demo_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return status;
}

void demo_fork_pair(const char *name_a, int (*fn_a)(void *), const char *name_b,
		    int (*fn_b)(void *), bool ok[2])
{
	pid_t a = demo_fork(name_a, fn_a, NULL);
	pid_t b = a > 0 ? demo_fork(name_b, fn_b, NULL) : -1;

	ok[0] = a > 0 && demo_wait(a) == 0;
	ok[1] = b > 0 && demo_wait(b) == 0;
}

void demo_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		demo_die(-errno, "sched_setaffinity");
}

void demo_phase(const char *name)
{
	static long seq;
	char label[32];

	snprintf(label, sizeof(label), "phase:%s", name);
	seq++;
	THREADLINE_MARK(seq, label);
	printf("[phase %ld] %s\n", seq, name);
}
