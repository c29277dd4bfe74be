/* procinfo.h - what /proc says about a process: its command line, parent,
 * owner, executable and threads, and whether it exists. Used by `record`
 * to check -p targets and to put command lines into the recording.
 * (User terms: a PID names a process, a TID one of its threads.) */
#ifndef TL_PROCINFO_H
#define TL_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tl_proc_status {
	pid_t tgid;      /* the process the id belongs to (itself for a PID) */
	pid_t ppid;
	uid_t uid;       /* real uid */
	gid_t gid;       /* real gid */
	char name[16];   /* comm */
	char state;      /* R, S, D, Z (exited, not yet reaped), ... */
};

/* Whether pid exists and has not exited (a zombie has). */
bool tl_proc_alive(pid_t pid);
/* Reads /proc/<pid>/status. Returns 0 or -errno (-ENOENT: gone). */
int tl_proc_read_status(pid_t pid, struct tl_proc_status *st);
/* Reads the NUL-separated command line into buf (at most len bytes, the
 * last one kept NUL). Returns its length, 0 for a kernel thread or a
 * zombie, or -errno. */
int tl_proc_cmdline(pid_t pid, char *buf, size_t len);
/* TIDs of the process's threads, at most max. Returns the count or -errno. */
int tl_proc_threads(pid_t pid, pid_t *tids, int max);
/* Every process now descending from one of roots[0..nroots) (children,
 * grandchildren, ...; not the roots), from the parents /proc gives, in
 * *out (malloc'd, the caller frees). Returns the count or -errno. */
int tl_proc_descendants(const pid_t *roots, int nroots, pid_t **out);

#endif
