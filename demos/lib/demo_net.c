/* demo_net.c - loopback sockets for the server demos: a listening socket on
 * a kernel-chosen port and byte-exact read/write helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demo.h"

int demo_listen_loopback(int backlog, int flags, int *port_out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		goto fail;
	if (port_out)
		*port_out = ntohs(sa.sin_port);
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static int try_connect(const struct sockaddr_in *sa)
{
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* one small request at a time: do not let Nagle add 40 ms delays */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int demo_connect(const char *host, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t t0 = demo_now_ns();
	int fd;

	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -EINVAL;
	for (;;) {
		fd = try_connect(&sa);
		if (fd >= 0 || fd != -ECONNREFUSED || demo_ms_since(t0) > 2000)
			return fd;
		demo_sleep_ms(10);
	}
}

ssize_t demo_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

ssize_t demo_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}
