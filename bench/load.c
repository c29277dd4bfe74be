/*
 * load.c - a scheduler load of known rate for bench/maxrate: PAIRS pairs of
 * threads hand a token back and forth through a futex, paced to RATE
 * handoffs per second in total (0 = as fast as they can). Every handoff is a
 * futex wake, a futex wait, a wakeup and a context switch, the events
 * threadline's sched and futex groups record, so stepping RATE up steps up
 * the event rate the tracer has to sustain.
 */
#include <argp.h>
#include <sched.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 64
#define NSEC 1000000000ull
/* Pacing sleeps only when this far ahead of schedule: a sleep per handoff
 * would cost more than the handoff itself. */
#define PACE_SLACK_NS 200000ull

struct load_opts {
	int pairs;
	double rate;     /* handoffs per second, all pairs together; 0 = max */
	double seconds;
	int pin;         /* pin both threads of pair i to the i-th allowed CPU */
};

struct pair {
	_Atomic uint32_t turn;       /* 0: side A may go, 1: side B, 2: stop */
	_Atomic uint64_t handoffs;
	uint64_t interval_ns;        /* time per round trip for side A, 0 = none */
};

struct worker {
	struct pair *p;
	uint32_t side;
	int cpu;                     /* -1: not pinned */
};

static atomic_int stop;

static const char doc[] =
	"Pairs of threads handing a token through a futex at a paced rate.\v"
	"Prints the achieved rate on stdout when done.\n"
	"EXAMPLES:\n"
	"  load -p 2 -r 100000 -d 2    two pairs, 100k handoffs/s for 2 s\n"
	"  load -p 1 -r 0 -d 1         one pair, unpaced\n";

static const struct argp_option options[] = {
	{ "pairs", 'p', "N", 0, "Pairs of threads (1-64, default 1)", 0 },
	{ "rate", 'r', "HZ", 0, "Handoffs per second in total, 0 = unpaced (default 0)", 0 },
	{ "duration", 'd', "SEC", 0, "Run time in seconds (default 2)", 0 },
	{ "pin", 'c', NULL, 0, "Pin both threads of a pair to one CPU, so that "
	  "every handoff is a context switch", 0 },
	{ 0 },
};

static double parse_num(struct argp_state *st, const char *arg, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || v < lo || v > hi)
		argp_error(st, "'%s' is not a number in [%g, %g]", arg, lo, hi);
	return v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct load_opts *o = st->input;

	switch (key) {
	case 'p': o->pairs = (int)parse_num(st, arg, 1, MAX_PAIRS); return 0;
	case 'r': o->rate = parse_num(st, arg, 0, 1e9); return 0;
	case 'd': o->seconds = parse_num(st, arg, 0.01, 3600); return 0;
	case 'c': o->pin = 1; return 0;
	case ARGP_KEY_ARG: argp_error(st, "unexpected argument '%s'", arg); return 0;
	default: return ARGP_ERR_UNKNOWN;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static void futex_wait(_Atomic uint32_t *w, uint32_t seen)
{
	syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w, int n)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* Sleeps when side A is more than the slack ahead of its schedule. */
static void pace(uint64_t *deadline, uint64_t interval)
{
	struct timespec ts;
	uint64_t now;

	if (!interval)
		return;
	*deadline += interval;
	now = now_ns();
	if (*deadline <= now + PACE_SLACK_NS)
		return;
	ts.tv_sec = (time_t)(*deadline / NSEC);
	ts.tv_nsec = (long)(*deadline % NSEC);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void pin_to(int cpu)
{
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		fprintf(stderr, "load: cannot pin to CPU %d: %s\n", cpu, strerror(err));
}

/* The CPUs this process may run on (taskset is honoured); at least one. */
static int allowed_cpus(int *cpus)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE; c++)
			if (CPU_ISSET(c, &set))
				cpus[n++] = c;
	if (n == 0)
		cpus[n++] = 0;
	return n;
}

static void *run_side(void *arg)
{
	struct worker *w = arg;
	struct pair *p = w->p;
	uint64_t deadline = now_ns();
	uint32_t v;

	if (w->cpu >= 0)
		pin_to(w->cpu);
	for (;;) {
		while ((v = atomic_load(&p->turn)) != w->side) {
			if (v == 2)
				return NULL;
			futex_wait(&p->turn, v);
		}
		if (w->side == 0)
			pace(&deadline, p->interval_ns);
		if (atomic_load(&stop))
			return NULL;
		atomic_store(&p->turn, !w->side);
		futex_wake(&p->turn, 1);
		atomic_fetch_add(&p->handoffs, 1);
	}
}

static void stop_pairs(struct pair *pairs, int n)
{
	atomic_store(&stop, 1);
	for (int i = 0; i < n; i++) {
		atomic_store(&pairs[i].turn, 2);
		futex_wake(&pairs[i].turn, INT_MAX);
	}
}

int main(int argc, char **argv)
{
	static const struct argp argp = { options, parse_opt, NULL, doc, NULL, NULL, NULL };
	static struct pair pairs[MAX_PAIRS];
	static struct worker workers[2 * MAX_PAIRS];
	pthread_t tids[2 * MAX_PAIRS];
	struct load_opts o = { .pairs = 1, .rate = 0, .seconds = 2 };
	uint64_t t0, total = 0;
	double secs;
	int cpus[CPU_SETSIZE], ncpus;
	int n, err;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	ncpus = allowed_cpus(cpus);
	/* side A does one handoff per round trip: 2 handoffs per interval */
	for (int i = 0; i < o.pairs; i++)
		pairs[i].interval_ns = o.rate > 0 ?
			(uint64_t)(2.0 * o.pairs * NSEC / o.rate) : 0;
	t0 = now_ns();
	for (n = 0; n < 2 * o.pairs; n++) {
		workers[n] = (struct worker){ &pairs[n / 2], (uint32_t)(n % 2),
			o.pin ? cpus[(n / 2) % ncpus] : -1 };
		err = pthread_create(&tids[n], NULL, run_side, &workers[n]);
		if (err) {
			fprintf(stderr, "load: cannot create a thread: %s\n", strerror(err));
			break;
		}
	}
	if (n == 2 * o.pairs)
		usleep((useconds_t)(o.seconds * 1e6));
	stop_pairs(pairs, o.pairs);
	for (int i = 0; i < n; i++)
		pthread_join(tids[i], NULL);
	secs = (double)(now_ns() - t0) / NSEC;
	for (int i = 0; i < o.pairs; i++)
		total += atomic_load(&pairs[i].handoffs);
	printf("load: %d pairs, %llu handoffs in %.3f s = %.0f handoffs/s\n",
	       o.pairs, (unsigned long long)total, secs, (double)total / secs);
	return n == 2 * o.pairs ? 0 : 1;
}
