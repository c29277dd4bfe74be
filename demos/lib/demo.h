/* demo.h - the small helper library every threadline demo links (libdemo.a).
 *
 * A demo is one program per concurrency model. It should read like the story
 * it tells, so the plumbing lives here: option parsing with the common knobs,
 * the explanation printed at start, naming threads and processes after their
 * role, CPU burning and sleeping for fixed amounts, a watchdog for the demos
 * that deadlock on purpose, phase marks, and one loopback echo client shared
 * by every server demo so their traces are comparable.
 *
 * Conventions: functions return 0 (or a count/fd) on success and -errno on
 * failure unless said otherwise; demo_die() is for setup errors a demo cannot
 * continue from. Times are CLOCK_MONOTONIC unless the name says otherwise.
 * Thread and process names are cut to 15 bytes (the kernel's comm length).
 *
 * Typical main():
 *
 *   static const struct demo_spec spec = {
 *       .name = "c4_deadlock",
 *       .summary = "two threads take two locks in opposite orders",
 *       .explain = "What to look for: ...",
 *       .modes = (const char *const[]){ "deadlock", "ordered", NULL },
 *   };
 *   int main(int argc, char **argv) {
 *       struct demo_args a;
 *       demo_start(argc, argv, &spec, &a);   // parses, explains, arms safety net
 *       ...
 *   }
 */
#ifndef DEMO_H
#define DEMO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- start-up: options, explanation, safety watchdog ------------------- */

struct demo_spec {
	const char *name;          /* program name, e.g. "b3_gil" */
	const char *summary;       /* one line for --help */
	const char *explain;       /* printed at start: what it shows, what to look for */
	const char *const *modes;  /* NULL-terminated list for --mode, first = default;
				      NULL if the demo has no modes */
	double default_seconds;    /* default of --seconds (0: the demo has no length knob) */
};

/* The common options. Every demo accepts all of them; each uses what fits.
 *   -m, --mode NAME     one of spec->modes (default: the first)
 *   -s, --seconds S     length of the main phase (default spec->default_seconds)
 *   -x, --scale X       multiply every built-in duration by X (default 1.0)
 *   -n, --count N       size knob: workers, tasks, threads (0: demo default)
 *   -k, --clients K     clients of a server demo (0: demo default)
 *   -M, --messages M    messages per client (0: demo default)
 *   -f, --fixed         the corrected variant (e.g. c5 --fixed)
 *   -q, --quiet         do not print the explanation
 *   -h, --help          usage, summary and explanation
 */
struct demo_args {
	const char *mode;
	double seconds;
	double scale;
	int count;
	int clients;
	int messages;
	bool fixed;
	bool quiet;
};

/* Parses argv (exits 2 with a one-line error on bad input, 0 after --help),
 * makes stdout line-buffered (output survives _exit and pipes), prints the
 * explanation and arms a safety watchdog (demo_watchdog) that ends a demo
 * still running long after it should have finished, with exit status 124. */
void demo_start(int argc, char **argv, const struct demo_spec *spec,
		struct demo_args *out);
/* Prints a short explanation framed so it stands out in a log. */
void demo_explain(const char *what_to_look_for);
/* True if the selected mode is `mode`. */
bool demo_mode_is(const struct demo_args *a, const char *mode);
/* ms scaled by --scale. */
double demo_ms(const struct demo_args *a, double ms);
/* `value` if nonzero, else `dflt` (for --count/--clients/--messages). */
int demo_or(int value, int dflt);

/* Prints "<program>: <message>: <strerror(errnum)>" to stderr and exits 1.
 * errnum may be negative (-errno) or 0 (no strerror part). */
void demo_die(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* ---- watchdog ---------------------------------------------------------- */

#define DEMO_EXIT_WATCHDOG 0    /* deliberate: the deadlock story was told */
#define DEMO_EXIT_SAFETY 124    /* the safety net fired: something hung */

/* After `seconds` (from now) prints `message` on stdout and ends the whole
 * process with exit status DEMO_EXIT_WATCHDOG. Uses SIGALRM (ITIMER_REAL):
 * a later call replaces an earlier one; demos must not use SIGALRM themselves.
 * Adds no thread, so single-threaded demos stay single-threaded. Not inherited
 * by fork()ed children. */
void demo_watchdog(double seconds, const char *message);
/* Same with an explicit exit status. */
void demo_watchdog_status(double seconds, const char *message, int status);
/* Disarms the watchdog. */
void demo_watchdog_cancel(void);

/* ---- time, sleeping, burning CPU --------------------------------------- */

uint64_t demo_now_ns(void);              /* CLOCK_MONOTONIC */
double demo_ms_since(uint64_t t0_ns);    /* ms elapsed since demo_now_ns() value */
uint64_t demo_thread_cpu_ns(void);       /* CPU time used by the calling thread */
/* Sleeps ms (nanosleep, restarted after signals): the thread is Sleeping. */
void demo_sleep_ms(double ms);
/* Busy-computes until the calling thread has used `ms` of CPU time: a fixed
 * amount of work, so preemption makes it take longer in wall time. */
void demo_burn_cpu_ms(double ms);
/* Busy-computes until `ms` of wall time have passed (Running or Runnable). */
void demo_burn_wall_ms(double ms);
/* Busy-computes `n` rounds of a small hash, returns the result (so the work
 * cannot be optimised away). About 1-3 ns per round. */
uint64_t demo_burn_rounds(uint64_t n);
/* Number of online CPUs (>= 1). */
int demo_cpu_count(void);

/* ---- names, threads, processes ----------------------------------------- */

/* Names the calling thread (its comm; what the trace shows). */
void demo_name_thread(const char *name);
/* Names the calling process: prctl(PR_SET_NAME) on its calling thread. Call it
 * first thing in a fork()ed child, before creating threads. */
void demo_name_process(const char *name);
/* pthread_create whose thread names itself `name` before running fn, so it
 * never runs under its creator's name. Returns 0 or -errno. */
int demo_thread_create(pthread_t *t, const char *name, void *(*fn)(void *),
		       void *arg);
/* Same, detached (no join possible). */
int demo_thread_create_detached(const char *name, void *(*fn)(void *), void *arg);
/* fork(); the child names itself `name`, runs fn(arg) and _exit()s with its
 * return value. Returns the child's PID or -errno (parent only). */
pid_t demo_fork(const char *name, int (*fn)(void *), void *arg);
/* waitpid() retried on EINTR; returns the wait status or -errno. */
int demo_wait(pid_t pid);
/* Forks process name_a (as demo_fork) and, if that worked, name_b, then waits
 * for both. ok[i]: process i started and exited with status 0. */
void demo_fork_pair(const char *name_a, int (*fn_a)(void *), const char *name_b,
		    int (*fn_b)(void *), bool ok[2]);
/* Restricts the calling thread to CPU `cpu` (sched_setaffinity); exits
 * through demo_die if that is refused. */
void demo_pin_cpu(int cpu);

/* ---- phase marks ------------------------------------------------------- */

/* Marks the start of a named phase with a USDT mark (THREADLINE_MARK with
 * label "phase:<name>" and value = phase number from 1) and prints it. A
 * phase lasts until the next phase mark; demo_phase("end") closes the last.
 * The trace then says which interval was the "serial" or "gil" phase. */
void demo_phase(const char *name);

/* ---- loopback networking (server demos) -------------------------------- */

/* Binds a TCP listening socket on 127.0.0.1, port 0 (kernel-chosen), with
 * SO_REUSEADDR, and listens with `backlog`. Stores the port; returns the fd
 * or -errno. flags may include SOCK_NONBLOCK / SOCK_CLOEXEC. */
int demo_listen_loopback(int backlog, int flags, int *port_out);
/* Connects a TCP socket to host:port (retrying for up to 2 s while the
 * server is not yet listening). Returns the fd or -errno. */
int demo_connect(const char *host, int port);
/* Writes/reads exactly len bytes (restarting on EINTR and short transfers).
 * Return len, 0 on EOF (read only), or -errno (-EAGAIN on a socket timeout). */
ssize_t demo_write_all(int fd, const void *buf, size_t len);
ssize_t demo_read_all(int fd, void *buf, size_t len);

struct demo_client_stats {
	int clients;            /* K */
	int messages;           /* M per client */
	uint64_t ok;            /* requests echoed correctly */
	uint64_t failed;        /* requests that timed out, failed or came back wrong */
	uint64_t lat_min_ns, lat_p50_ns, lat_p99_ns, lat_max_ns;
	double lat_mean_ns;
	uint64_t wall_ns;       /* first connect to last reply */
};

/* The shared echo client: K threads named "client-<i>", each connects to
 * host:port, sends M messages of msg_len bytes (distinct contents) one at a
 * time and waits for each echo (2 s receive timeout), then closes. Fills per
 * request latency statistics. Blocks until every client ends; bounded by the
 * timeouts. Returns 0 if every request succeeded, -EIO if some failed, or
 * -errno if the clients could not be started. */
int demo_echo_clients(const char *host, int port, int k_clients, int m_messages,
		      size_t msg_len, struct demo_client_stats *out);
/* What demo_echo_clients_spawn runs: demo_echo_clients' arguments, plus a
 * head start for the server and a server fd the child does not keep. */
struct demo_echo_spawn {
	const char *host;
	int port;
	int k_clients, m_messages;
	size_t msg_len;
	double delay_ms;    /* the clients wait this long before connecting */
	int close_fd;       /* closed in the child (the listening socket); -1: none */
};
/* demo_echo_clients in a child process named "echo-clients" (so the server
 * process holds only server threads). Returns the child's PID; *stats_fd
 * receives the read end of a pipe carrying the statistics. -errno on failure. */
pid_t demo_echo_clients_spawn(const struct demo_echo_spawn *s, int *stats_fd);
/* Waits for that child and reads its statistics. Returns as demo_echo_clients,
 * or -EPIPE if the child sent none. *wait_status (if not NULL) receives the
 * child's wait status (demo_wait). */
int demo_echo_clients_reap(pid_t pid, int stats_fd, struct demo_client_stats *out,
			   int *wait_status);
/* One line: "clients K x M: ok N, failed N, latency min/p50/p99/max us". */
void demo_print_client_stats(const struct demo_client_stats *s);

#endif
