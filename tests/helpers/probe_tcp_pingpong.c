/* probe_tcp_pingpong.c - 200 one-byte round trips between two processes
 * over a loopback TCP connection. Each send delivers its packet in the
 * softirq run at the end of the sender's own bottom-half section, which
 * wakes the receiver: the sender is the waker, though the wakeup runs in
 * a softirq.
 *
 * usage: probe_tcp_pingpong INFO_FILE
 * INFO_FILE receives "server=PID client=PID". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 200

static void die(const char *what)
{
	perror(what);
	exit(99);
}

static void bounce(int fd, int first)
{
	char c = 'x';
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < ROUNDS; i++) {
		if (first && write(fd, &c, 1) != 1)
			die("write");
		if (read(fd, &c, 1) != 1)
			die("read");
		if (!first && write(fd, &c, 1) != 1)
			die("write");
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int ls, fd;
	pid_t client;
	FILE *f;

	if (argc != 2)
		return 2;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&a, &len))
		die("listen");
	client = fork();
	if (client < 0)
		die("fork");
	if (client == 0) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		bounce(fd, 1);
		_exit(0);
	}
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	bounce(fd, 0);
	waitpid(client, NULL, 0);
	f = fopen(argv[1], "w");
	if (!f)
		return 1;
	fprintf(f, "server=%d client=%d\n", (int)getpid(), (int)client);
	fclose(f);
	return 0;
}
