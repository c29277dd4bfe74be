/* e2_fifo.c - E2: a named pipe. Two sibling processes that share no file
 * descriptor meet through a path made with mkfifo. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demo.h"

#define MESSAGES 5

static const struct demo_spec spec = {
	.name = "e2_fifo",
	.summary = "two unrelated processes talk through a named pipe (mkfifo)",
	.explain =
		"The parent makes a FIFO under /tmp and starts two processes that\n"
		"know only its path: 'fifo-reader' opens it for reading (open blocks\n"
		"until a writer comes), 'fifo-writer' opens it for writing and sends\n"
		"5 lines, one every 50 ms.\n"
		"Look for: the reader Sleeping in openat until the writer opens, then\n"
		"Sleeping in read until each write, woken by the writer process.",
};

static char path[PATH_MAX];
static double gap_ms;

static int reader(void *arg)
{
	char buf[128];
	ssize_t n;
	int fd;

	(void)arg;
	demo_watchdog_status(4, "fifo-reader: no writer came", 1);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		printf("  fifo-reader %d read: %s", (int)getpid(), buf);
	}
	close(fd);
	return n < 0;
}

static int writer(void *arg)
{
	int fd;

	(void)arg;
	demo_watchdog_status(4, "fifo-writer: no reader came", 1);
	demo_sleep_ms(gap_ms); /* come late, so the reader waits in open */
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 1;
	for (int i = 1; i <= MESSAGES; i++) {
		char line[64];
		int len = snprintf(line, sizeof(line), "line %d from pid %d\n", i,
				   (int)getpid());

		demo_sleep_ms(gap_ms);
		if (write(fd, line, (size_t)len) != len)
			return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_args a;
	bool ok[2];

	demo_start(argc, argv, &spec, &a);
	gap_ms = demo_ms(&a, 50);
	snprintf(path, sizeof(path), "/tmp/threadline-e2-%d.fifo", (int)getpid());
	if (mkfifo(path, 0600) < 0)
		demo_die(-errno, "mkfifo %s", path);
	printf("FIFO: %s\n", path);
	demo_phase("fifo");
	demo_fork_pair("fifo-reader", reader, "fifo-writer", writer, ok);
	demo_phase("end");
	unlink(path);
	printf("reader %s, writer %s\n", ok[0] ? "ok" : "failed", ok[1] ? "ok" : "failed");
	return ok[0] && ok[1] ? 0 : 1;
}
