/* demo_catalog.c - the table of bundled demos, one per concurrency model of
 * demos/README.md, with what each one shows. */
#include <string.h>

#include "demo_catalog.h"

static const struct tl_demo demos[] = {
	{ "a1", "a1_fork", "fork: one call, two returns",
	  "one fork parent->child; the parent Sleeping in wait4 until the child exits" },
	{ "a2", "a2_process_parallel", "CPU work split over processes",
	  "serial phase at parallelism 1, process phase at parallelism 2" },
	{ "a3", "a3_process_lifecycle", "daemons, terminate, zombies, orphans",
	  "a child killed by SIGTERM, a zombie interval, an orphan's new parent" },
	{ "a4", "a4_process_pool", "a pre-forked process pool",
	  "exactly N workers reused for every task; sync = one busy, async = N busy" },
	{ "a5", "a5_spawn_cost", "cost of processes vs threads",
	  "creation-to-first-run latency: threads cheapest" },
	{ "b1", "b1_threads", "thread start and join",
	  "clone with CLONE_THREAD; main Sleeping in futex until each thread exits" },
	{ "b2", "b2_daemon_threads", "daemon vs non-daemon threads",
	  "daemon threads end at the process exit instant" },
	{ "b3", "b3_gil", "a global interpreter lock",
	  "with the GIL parallelism stays at 1 and the lock's futex is contended" },
	{ "b4", "b4_io_vs_cpu", "threads for I/O-bound vs CPU-bound work",
	  "I/O-bound threads sleep at the same time; CPU-bound ones do not speed up" },
	{ "b5", "b5_thread_pool", "a thread pool executor",
	  "N workers reused; main Sleeping in futex waiting for results" },
	{ "c1", "c1_race", "a data race on a shared counter",
	  "no lock: a wrong total and no futex waits; with the lock: contention" },
	{ "c2", "c2_mutex_self_deadlock", "a mutex taken twice by one thread",
	  "the thread waits on a lock it owns until the timed lock gives up" },
	{ "c3", "c3_rlock", "a recursive lock", "taken twice by one thread without blocking" },
	{ "c4", "c4_deadlock", "deadlock: two locks in opposite orders",
	  "two threads each Sleeping in futex on the lock the other holds" },
	{ "c5", "c5_philosophers", "dining philosophers",
	  "a cycle of waits on the forks; with --fixed every philosopher eats" },
	{ "c6", "c6_event", "an event flag", "workers Sleeping until main sets it; wakeup arrows" },
	{ "c7", "c7_semaphore", "a semaphore of 5",
	  "never more than 5 threads inside; the rest Sleeping in futex" },
	{ "c8", "c8_condition", "a condition variable",
	  "notify_all wakes every waiter at once, notify one wakes one" },
	{ "d1", "d1_queues", "FIFO, LIFO, priority and bounded queues",
	  "put on a full queue sleeps until a get" },
	{ "d2", "d2_producer_consumer", "producer-consumer with threads",
	  "consumer Sleeping when the queue is empty; wakeups both ways" },
	{ "d3", "d3_process_queue", "producer-consumer between processes",
	  "the writer process wakes the reader process" },
	{ "e1", "e1_pipe", "pipes", "reader Sleeping in read until the writer writes" },
	{ "e2", "e2_fifo", "a named pipe (FIFO)", "two processes meet through a path" },
	{ "e3", "e3_signals", "signals as notifications", "signal sender -> receiver, receiver woken" },
	{ "e4", "e4_mqueue", "POSIX message queues", "receiver Sleeping in mq_timedreceive" },
	{ "e5", "e5_shared_memory", "shared memory under a shared lock",
	  "futex contention across processes on one lock" },
	{ "e6", "e6_manager", "a manager process serving proxies",
	  "each proxy call is a round trip: client in recv, manager woken" },
	{ "e7", "e7_socket_ipc", "sockets as IPC", "socket syscalls on both sides" },
	{ "f1", "f1_generator", "generator-style coroutines",
	  "one thread, no kernel switch between steps, coroutine switches as marks" },
	{ "f2", "f2_greenlet", "explicit coroutine switches", "one thread, user-level switches only" },
	{ "f3", "f3_scheduler", "a coroutine scheduler on epoll",
	  "one thread Sleeping in epoll_wait; total time = the longest task" },
	{ "g1", "g1_blocking", "blocking I/O server", "server Sleeping in accept, then in recv" },
	{ "g2", "g2_nonblocking", "non-blocking I/O with polling",
	  "many calls returning EAGAIN between short sleeps" },
	{ "g3", "g3_multiplexing", "select and epoll",
	  "one thread Sleeping in select/epoll_wait serving every client" },
	{ "g4", "g4_sigio", "signal-driven I/O", "SIGIO delivered before each read" },
	{ "g5", "g5_async_io", "asynchronous I/O (io_uring)",
	  "the submitting thread keeps running while the I/O is in flight" },
	{ "g6", "g6_fork_server", "process-per-connection server", "one child process per connection" },
	{ "g7", "g7_thread_server", "thread-per-connection server", "one thread per connection" },
	{ "g8", "g8_pool_server", "thread-pool server", "N threads, reused" },
	{ "g9", "g9_coroutine_server", "coroutine server", "one thread, many connections" },
	{ "h1", "h1_timeslicing", "more tasks than cores",
	  "every task has Runnable time; parallelism = CPU count" },
	{ "h2", "h2_states", "process states", "Running, Runnable, Sleeping, Uninterruptible" },
	{ "h3", "h3_policies", "scheduling policies and nice",
	  "CPU share follows nice; the FIFO task is not preempted" },
	{ "h4", "h4_concurrency_vs_parallelism", "concurrency vs parallelism",
	  "one core: concurrency 2, parallelism 1; two cores: parallelism 2" },
};

size_t tl_demo_count(void)
{
	return sizeof(demos) / sizeof(demos[0]);
}

const struct tl_demo *tl_demo_at(size_t i)
{
	return i < tl_demo_count() ? &demos[i] : NULL;
}

const struct tl_demo *tl_demo_find(const char *key)
{
	for (size_t i = 0; i < tl_demo_count(); i++) {
		const struct tl_demo *d = &demos[i];
		const char *tail = strchr(d->name, '_');

		if (!strcmp(key, d->id) || !strcmp(key, d->name) ||
		    (tail && !strcmp(key, tail + 1)))
			return d;
	}
	return NULL;
}
