/* session_stop.c - the end of a session: one flag in BPF memory stops
 * every program at once; the links are destroyed in parallel, or handed to
 * a helper process that releases them after the recorder has exited. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "session_impl.h"

static uint64_t tl_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A program that read the flag just before it was set finishes within
 * microseconds (tracepoint programs run with preemption off), so a
 * millisecond later every record stamped before the stop is in its stage
 * or ring. */
uint64_t tl_session_stop(struct tl_session *s)
{
	struct timespec settle = { 0, 1000000 };
	uint64_t end;

	if (!s || !s->skel || !s->skel->bss)
		return tl_boot_ns();
	end = tl_boot_ns();
	__atomic_store_n(&s->skel->bss->tl_stopped, 1, __ATOMIC_SEQ_CST);
	s->stopped = true;
	nanosleep(&settle, NULL);
	return end;
}

/* Whether fd is one of the kernel objects of the probes (a BPF link,
 * program or map, a perf event): what the release helper keeps. */
static bool tl_probe_fd(int fd)
{
	char path[64], what[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, what, sizeof(what) - 1);
	if (n <= 0)
		return false;
	what[n] = '\0';
	return !strncmp(what, "anon_inode:bpf", 14) ||
	       !strcmp(what, "anon_inode:[perf_event]");
}

/* The helper: keeps only the probes' fds (so that nobody waits for the
 * end of a pipe it would hold), waits until `owner` (a pidfd) says the
 * recorder has exited, so that its own exit holds the last references
 * and releases the probes. */
static void __attribute__((noreturn)) tl_release_helper(int owner)
{
	struct pollfd p = { .fd = owner, .events = POLLIN };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);

		if (fd > 2 && fd != owner && fd != null && fd != dirfd(d) &&
		    !tl_probe_fd(fd))
			close(fd);
	}
	if (d)
		closedir(d);
	setsid();
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	_exit(0);
}

void tl_session_release_later(struct tl_session *s)
{
	int owner = (int)syscall(SYS_pidfd_open, getpid(), 0);
	pid_t pid;

	if (!s || !(s->nlinks + s->nulinks) || owner < 0) {
		if (owner >= 0)
			close(owner);
		return;
	}
	pid = fork();
	if (pid == 0) {
		/* the grandchild is nobody's child to wait for */
		if (fork() == 0)
			tl_release_helper(owner);
		_exit(0);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	close(owner);
}

struct tl_detach_job {
	struct bpf_link **links;
	size_t n, first, step;
};

static void *tl_detach_some(void *arg)
{
	struct tl_detach_job *j = arg;

	for (size_t i = j->first; i < j->n; i += j->step)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

/* Unregistering a perf-event tracepoint waits for an RCU grace period
 * (~50 ms here); one after the other, the syscall tracepoints took seconds.
 * Destroyed from several threads at once, the waits overlap. The USDT
 * links go first, one after the other: destroying two at once corrupts
 * the bookkeeping libbpf keeps for all of them (a double free). */
void tl_session_detach(struct tl_session *s)
{
	enum { NT = 16 };
	struct tl_detach_job jobs[NT];
	pthread_t th[NT];
	bool started[NT] = { false };

	if (!s)
		return;
	for (size_t i = 0; i < s->nulinks; i++)
		bpf_link__destroy(s->ulinks[i]);
	s->nulinks = 0;
	for (size_t k = 0; k < NT; k++) {
		jobs[k] = (struct tl_detach_job){ s->links, s->nlinks, k, NT };
		started[k] = k < s->nlinks &&
			     pthread_create(&th[k], NULL, tl_detach_some, &jobs[k]) == 0;
		if (!started[k] && k < s->nlinks)
			tl_detach_some(&jobs[k]);
	}
	for (size_t k = 0; k < NT; k++)
		if (started[k])
			pthread_join(th[k], NULL);
	s->nlinks = 0;
}
