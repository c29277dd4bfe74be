/* procinfo.c - reads process facts from /proc (see procinfo.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procinfo.h"
#include "util/vec.h"

static void proc_path(char *buf, size_t len, pid_t pid, const char *what)
{
	snprintf(buf, len, "/proc/%d/%s", (int)pid, what);
}

bool tl_proc_alive(pid_t pid)
{
	struct tl_proc_status st;

	return tl_proc_read_status(pid, &st) == 0 && st.state != 'Z' &&
	       st.state != 'X';
}

static void parse_status_line(const char *line, struct tl_proc_status *st)
{
	unsigned long a;

	if (sscanf(line, "Tgid: %lu", &a) == 1)
		st->tgid = (pid_t)a;
	else if (sscanf(line, "PPid: %lu", &a) == 1)
		st->ppid = (pid_t)a;
	else if (sscanf(line, "Uid: %lu", &a) == 1)
		st->uid = (uid_t)a;
	else if (sscanf(line, "Gid: %lu", &a) == 1)
		st->gid = (gid_t)a;
	else if (!strncmp(line, "Name:\t", 6))
		sscanf(line + 6, "%15[^\n]", st->name);
	else if (!strncmp(line, "State:\t", 7))
		st->state = line[7];
}

int tl_proc_read_status(pid_t pid, struct tl_proc_status *st)
{
	char path[64], line[256];
	FILE *f;

	memset(st, 0, sizeof(*st));
	if (pid <= 0)
		return -ENOENT;
	proc_path(path, sizeof(path), pid, "status");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		parse_status_line(line, st);
	fclose(f);
	return st->tgid > 0 ? 0 : -ENOENT;
}

int tl_proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	size_t got = 0;
	int fd;

	if (len == 0)
		return -EINVAL;
	proc_path(path, sizeof(path), pid, "cmdline");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return (int)got;
}

int tl_proc_threads(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	proc_path(path, sizeof(path), pid, "task");
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		long tid = strtol(de->d_name, NULL, 10);

		if (tid > 0)
			tids[n++] = (pid_t)tid;
	}
	closedir(d);
	return n;
}

/* One process of the machine and its parent, as /proc/<pid>/stat says. */
struct tl_pp {
	pid_t pid, ppid;
};

/* "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
 * the fields after it are found from its last ')'. */
static pid_t stat_ppid(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd, ppid = -1;
	ssize_t n;

	proc_path(path, sizeof(path), pid, "stat");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Every process of the machine with its parent. Returns the count. */
static int all_parents(struct tl_pp **out)
{
	DIR *d = opendir("/proc");
	struct tl_vec v = { 0 };
	struct tl_pp *e;
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = (pid_t)strtol(de->d_name, NULL, 10), ppid;

		if (pid <= 0 || (ppid = stat_ppid(pid)) < 0)
			continue;
		e = tl_vec_push_uninit(&v, sizeof(*e));
		if (!e) {
			tl_vec_free(&v);
			closedir(d);
			return -ENOMEM;
		}
		*e = (struct tl_pp){ pid, ppid };
	}
	closedir(d);
	*out = v.p;
	return (int)v.n;
}

static bool in_list(const pid_t *v, int n, pid_t pid)
{
	for (int i = 0; i < n; i++)
		if (v[i] == pid)
			return true;
	return false;
}

/* Adds to `found` every process whose parent is a root or already found,
 * pass after pass until one adds nothing (a child may be listed before its
 * parent). Trees are small: plain lists do. */
int tl_proc_descendants(const pid_t *roots, int nroots, pid_t **out)
{
	struct tl_pp *all = NULL;
	pid_t *found;
	int n = all_parents(&all), nf = 0;
	bool more = true;

	if (n < 0)
		return n;
	found = malloc(((size_t)n + 1) * sizeof(*found));
	if (!found) {
		free(all);
		return -ENOMEM;
	}
	while (more) {
		more = false;
		for (int i = 0; i < n; i++) {
			pid_t pid = all[i].pid, pp = all[i].ppid;

			if (in_list(roots, nroots, pid) || in_list(found, nf, pid))
				continue;
			if (in_list(roots, nroots, pp) || in_list(found, nf, pp)) {
				found[nf++] = pid;
				more = true;
			}
		}
	}
	free(all);
	*out = found;
	return nf;
}
