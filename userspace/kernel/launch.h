/* launch.h - start the command `record` traces: resolve it on PATH like a
 * shell, fork it behind a gate (a pipe it waits on) so that nothing it does
 * is missed while the probes are attached, drop it to the invoking user's
 * identity when running under sudo, then let it exec. */
#ifndef TL_LAUNCH_H
#define TL_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who the command runs as (and who owns the recording). */
struct tl_creds {
	bool drop;          /* change identity before exec */
	uid_t uid;
	gid_t gid;
	char user[64];      /* login name for initgroups, "" when unknown */
};

struct tl_launch {
	pid_t pid;
	int gate_fd;        /* write end; one byte lets the child exec */
	int status_fd;      /* read end; the child's error, EOF once exec'd */
	bool exited;
	int status;         /* wait status, once exited */
};

/* The identity of `-u USER` (name or number), or else, when root under
 * sudo, of SUDO_UID/SUDO_GID; c->drop false when neither applies.
 * Returns 0 or -errno with a one-line error. */
int tl_creds_resolve(const char *user, struct tl_creds *c, char *err, size_t errlen);

/* Finds what exec would run for cmd: a path with a '/' as it is, else the
 * first executable regular file of that name on PATH. Returns 0, -ENOENT
 * (not found) or -EACCES (found, not executable). */
int tl_launch_resolve(const char *cmd, char *path, size_t len);

/* Forks the child: it takes creds, then waits at the gate. argv[0] is
 * passed as is; path is what gets exec'd. Returns 0 or -errno. */
int tl_launch_start(struct tl_launch *l, const char *path, char *const argv[],
		    const struct tl_creds *c);
/* Opens the gate and waits until the child has exec'd. Returns 0, or the
 * -errno of the step that failed in the child with a one-line error. */
int tl_launch_release(struct tl_launch *l, char *err, size_t errlen);
/* Closes the gate without opening it: the child exits at once. */
void tl_launch_abort(struct tl_launch *l);
/* Reaps the child if it has exited (never blocks); true once it has. */
bool tl_launch_poll(struct tl_launch *l);
/* Sends sig if the child still runs and waits up to timeout_ms for it. */
bool tl_launch_stop(struct tl_launch *l, int sig, int timeout_ms);
/* What record exits with for the child's wait status: its exit code, or
 * 128 + N when signal N ended it (as a shell does). */
int tl_launch_exit_code(int status);

#endif
