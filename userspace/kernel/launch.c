/* launch.c - the traced command's start: resolve, fork behind a gate,
 * drop privileges, exec (see launch.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "launch.h"

/* What the child reports through the status pipe when a step fails. */
enum child_step { STEP_GROUPS = 1, STEP_SETGID, STEP_SETUID, STEP_EXEC };

struct child_error {
	int step;
	int err;
};

/* ---- identity ---- */

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (*s && !*end && !errno && *s != '-') ? 0 : -EINVAL;
}

static void fill_from_passwd(struct tl_creds *c, const struct passwd *pw)
{
	c->drop = true;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	snprintf(c->user, sizeof(c->user), "%s", pw->pw_name);
}

static int creds_of_user(const char *user, struct tl_creds *c, char *err,
			 size_t errlen)
{
	unsigned long id;
	struct passwd *pw = getpwnam(user);

	if (!pw && parse_id(user, &id) == 0)
		pw = getpwuid((uid_t)id);
	if (!pw) {
		snprintf(err, errlen, "no such user: %s", user);
		return -ENOENT;
	}
	fill_from_passwd(c, pw);
	if (geteuid() == 0)
		return 0;
	if (c->uid != getuid()) {
		snprintf(err, errlen, "running the command as %s needs root", user);
		return -EPERM;
	}
	c->drop = false; /* already that user; only root may change groups */
	return 0;
}

/* sudo leaves the invoking user's ids in SUDO_UID/SUDO_GID. */
static int creds_of_sudo(struct tl_creds *c, char *err, size_t errlen)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	unsigned long uid, gid = 0;
	struct passwd *pw;

	if (geteuid() != 0 || !su)
		return 0;
	if (parse_id(su, &uid) || (sg && parse_id(sg, &gid))) {
		snprintf(err, errlen, "bad SUDO_UID/SUDO_GID in the environment");
		return -EINVAL;
	}
	if (uid == 0)
		return 0;
	pw = getpwuid((uid_t)uid);
	if (pw)
		fill_from_passwd(c, pw);
	c->drop = true;
	c->uid = (uid_t)uid;
	c->gid = sg ? (gid_t)gid : (pw ? pw->pw_gid : (gid_t)uid);
	return 0;
}

int tl_creds_resolve(const char *user, struct tl_creds *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (user)
		return creds_of_user(user, c, err, errlen);
	return creds_of_sudo(c, err, errlen);
}

/* ---- resolving ---- */

/* 0: runnable; -EACCES: there but not runnable; else why it is not there. */
static int check_exec(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == EACCES ? -EPERM : -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return access(path, X_OK) == 0 ? 0 : -EACCES;
}

int tl_launch_resolve(const char *cmd, char *path, size_t len)
{
	const char *p = getenv("PATH"), *end;
	int err = -ENOENT, e;

	if (!*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		snprintf(path, len, "%s", cmd);
		e = check_exec(path);
		if (e == -EPERM)
			return -EACCES; /* a directory on the way is closed */
		return e == -ENOTDIR ? -ENOENT : e;
	}
	if (!p || !*p)
		p = "/usr/local/bin:/usr/bin:/bin";
	for (; p; p = *end ? end + 1 : NULL) {
		end = strchrnul(p, ':');
		snprintf(path, len, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/",
			 cmd);
		e = check_exec(path);
		if (e == 0)
			return 0;
		if (e == -EACCES)
			err = e;
	}
	return err;
}

/* ---- the child ---- */

static void child_fail(int fd, int step, int err)
{
	struct child_error ce = { step, err };

	if (write(fd, &ce, sizeof(ce)) < 0)
		_exit(126);
	_exit(step == STEP_EXEC && err == ENOENT ? 127 : 126);
}

static void child_drop(int fd, const struct tl_creds *c)
{
	int rc;

	if (!c->drop)
		return;
	if (c->user[0])
		rc = initgroups(c->user, c->gid);
	else
		rc = setgroups(1, &c->gid);
	if (rc < 0)
		child_fail(fd, STEP_GROUPS, errno);
	if (setgid(c->gid) < 0)
		child_fail(fd, STEP_SETGID, errno);
	if (setuid(c->uid) < 0)
		child_fail(fd, STEP_SETUID, errno);
}

static __attribute__((noreturn)) void child_run(int gate, int status,
						const char *path, char *const argv[],
						const struct tl_creds *c)
{
	char go;
	ssize_t n;

	child_drop(status, c);
	do
		n = read(gate, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* tracing never started: run nothing */
	close(gate);
	execv(path, argv);
	child_fail(status, STEP_EXEC, errno);
	_exit(127);
}

int tl_launch_start(struct tl_launch *l, const char *path, char *const argv[],
		    const struct tl_creds *c)
{
	int gate[2], status[2];

	memset(l, 0, sizeof(*l));
	l->gate_fd = l->status_fd = -1;
	if (pipe2(gate, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(status, O_CLOEXEC) < 0) {
		int e = -errno;

		close(gate[0]);
		close(gate[1]);
		return e;
	}
	fflush(NULL);
	l->pid = fork();
	if (l->pid == 0) {
		close(gate[1]);
		close(status[0]);
		child_run(gate[0], status[1], path, argv, c);
	}
	close(gate[0]);
	close(status[1]);
	l->gate_fd = gate[1];
	l->status_fd = status[0];
	if (l->pid < 0) {
		int e = -errno;

		tl_launch_abort(l);
		return e;
	}
	return 0;
}

/* ---- the parent ---- */

static const char *step_name(int step)
{
	switch (step) {
	case STEP_GROUPS: return "set the supplementary groups";
	case STEP_SETGID: return "switch group";
	case STEP_SETUID: return "switch user";
	default: return "run the command";
	}
}

int tl_launch_release(struct tl_launch *l, char *err, size_t errlen)
{
	struct child_error ce;
	ssize_t n;

	if (write(l->gate_fd, "g", 1) != 1) {
		snprintf(err, errlen, "cannot start the command: %s", strerror(errno));
		return -EIO;
	}
	close(l->gate_fd);
	l->gate_fd = -1;
	do
		n = read(l->status_fd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	close(l->status_fd);
	l->status_fd = -1;
	if (n != (ssize_t)sizeof(ce))
		return 0; /* EOF: the exec closed the pipe */
	snprintf(err, errlen, "cannot %s: %s", step_name(ce.step), strerror(ce.err));
	return -ce.err;
}

void tl_launch_abort(struct tl_launch *l)
{
	if (l->gate_fd >= 0)
		close(l->gate_fd);
	if (l->status_fd >= 0)
		close(l->status_fd);
	l->gate_fd = l->status_fd = -1;
	if (l->pid > 0 && !l->exited) {
		while (waitpid(l->pid, &l->status, 0) < 0 && errno == EINTR)
			;
		l->exited = true;
	}
}

bool tl_launch_poll(struct tl_launch *l)
{
	if (!l->exited && l->pid > 0 && waitpid(l->pid, &l->status, WNOHANG) == l->pid)
		l->exited = true;
	return l->exited;
}

bool tl_launch_stop(struct tl_launch *l, int sig, int timeout_ms)
{
	struct timespec tick = { 0, 10 * 1000000 };

	if (tl_launch_poll(l))
		return true;
	kill(l->pid, sig);
	for (int waited = 0; waited < timeout_ms; waited += 10) {
		if (tl_launch_poll(l))
			return true;
		nanosleep(&tick, NULL);
	}
	return tl_launch_poll(l);
}

int tl_launch_exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}
