/* recordee.c - a small program with a known, exact behaviour for the
 * `record` integration test: 3 child processes exiting with 3, 4 and 5;
 * 4 threads named worker-0..3 that contend for one mutex (each holds it
 * while sleeping, so the others must wait in futex); a loopback TCP
 * exchange of 1000 bytes one way and 500 back, all in the main thread so
 * no other thread is created. Writes the mutex address, its fds and its
 * uid to the file named by $TL_RECORDEE_INFO when that is set.
 *
 * usage: recordee [EXIT_CODE]     exit with EXIT_CODE (default 0)
 *        recordee --sleep SECONDS do only that (a long-running target) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NCHILD 3
#define NWORKER 4
#define ROUNDS 5
#define SEND_BYTES 1000
#define REPLY_BYTES 500

static pthread_mutex_t the_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start_line;
static FILE *info;

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0)
		;
}

static void run_children(void)
{
	pid_t pids[NCHILD];
	int status;

	for (int i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (pids[i] == 0)
			_exit(3 + i);
	}
	for (int i = 0; i < NCHILD; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 3 + i)
			die("child status");
	}
}

static void *worker(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "worker-%d", (int)(long)arg);
	pthread_setname_np(pthread_self(), name);
	pthread_barrier_wait(&start_line);
	for (int r = 0; r < ROUNDS; r++) {
		pthread_mutex_lock(&the_lock);
		sleep_ms(3); /* the others pile up on the lock meanwhile */
		pthread_mutex_unlock(&the_lock);
	}
	return NULL;
}

static void run_workers(void)
{
	pthread_t t[NWORKER];

	pthread_barrier_init(&start_line, NULL, NWORKER);
	for (long i = 0; i < NWORKER; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			die("pthread_create");
	for (int i = 0; i < NWORKER; i++)
		pthread_join(t[i], NULL);
}

static void recv_all(int fd, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = recv(fd, buf + got, n - got, 0);

		if (k <= 0)
			die("recv");
		got += (size_t)k;
	}
}

/* Server and client in one thread: connect completes from the listen
 * backlog, and the data fits the socket buffers. */
static void run_tcp(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char buf[SEND_BYTES];
	int srv, cli, conn;

	memset(buf, 'x', sizeof(buf));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv = socket(AF_INET, SOCK_STREAM, 0);
	if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(srv, 4) || getsockname(srv, (struct sockaddr *)&a, &alen))
		die("server socket");
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	conn = accept(srv, NULL, NULL);
	if (conn < 0)
		die("accept");
	if (send(cli, buf, SEND_BYTES, 0) != SEND_BYTES)
		die("send");
	recv_all(conn, buf, SEND_BYTES);
	if (send(conn, buf, REPLY_BYTES, 0) != REPLY_BYTES)
		die("send reply");
	recv_all(cli, buf, REPLY_BYTES);
	if (info)
		fprintf(info, "server_fd=%d\nclient_fd=%d\nconn_fd=%d\n", srv, cli, conn);
	close(conn);
	close(cli);
	close(srv);
}

int main(int argc, char **argv)
{
	const char *path = getenv("TL_RECORDEE_INFO");

	if (path && (info = fopen(path, "w"))) {
		fprintf(info, "pid=%d\nuid=%d\nmutex=%p\n", (int)getpid(), (int)getuid(),
			(void *)&the_lock);
		fflush(info);
	}
	if (argc == 3 && !strcmp(argv[1], "--sleep")) {
		sleep_ms(atol(argv[2]) * 1000);
		return 0;
	}
	run_children();
	run_workers();
	run_tcp();
	if (info)
		fclose(info);
	return argc > 1 ? atoi(argv[1]) : 0;
}
