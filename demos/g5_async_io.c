/* g5_async_io.c - G5: asynchronous I/O with io_uring. The thread submits
 * I/O requests, goes on computing while the kernel performs them, and
 * reaps the completions when it looks: it does not block to wait.
 * Phase file: direct (O_DIRECT) reads of a file under /var/tmp.
 * Phase server: an echo server whose accept/recv/send are all requests
 * on the ring. */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

#define FILE_BLOCKS 16
#define BLOCK (256 * 1024)
#define MAX_CONNS 64
#define BUF 4096

static const struct demo_spec spec = {
	.name = "g5_async_io",
	.summary = "asynchronous I/O with io_uring: submit, keep computing, reap",
	.explain =
		"Phase file: the main thread submits 16 direct reads of 256 KiB\n"
		"from a file in /var/tmp in one io_uring_enter, then computes in\n"
		"small slices, checking the completion ring between slices.\n"
		"Phase server: an echo server whose accept, recv and send are all\n"
		"submitted to the ring; between submissions the thread computes.\n"
		"Look for: the submitting thread Running (computing) while its I/O\n"
		"is in flight, instead of Sleeping in read/recv; any kernel helper\n"
		"threads the ring uses (iou-wrk-*) appear in the process.",
	.modes = (const char *const[]){ "both", "file", "server", NULL },
};

static long work_slices;

/* Something useful to do while the I/O is in flight. */
static void other_work(void)
{
	demo_burn_rounds(20000);
	work_slices++;
}

/* ---- phase file --------------------------------------------------------- */

static int make_file(char *path, size_t len)
{
	char *buf = malloc(BLOCK);
	int fd;

	snprintf(path, len, "/var/tmp/threadline-g5-%d.dat", (int)getpid());
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 || !buf)
		demo_die(-errno, "cannot create %s", path);
	memset(buf, 'x', BLOCK);
	for (int i = 0; i < FILE_BLOCKS; i++)
		if (write(fd, buf, BLOCK) != BLOCK)
			demo_die(-errno, "write %s", path);
	fsync(fd);
	close(fd);
	free(buf);
	return 0;
}

static int file_phase(struct io_uring *ring, const char *path)
{
	void *buf[FILE_BLOCKS];
	int fd, done = 0;
	uint64_t t0;

	fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0) /* a file system without O_DIRECT: the page cache will do */
		fd = open(path, O_RDONLY | O_CLOEXEC);
	for (int i = 0; i < FILE_BLOCKS; i++) {
		if (posix_memalign(&buf[i], 4096, BLOCK))
			demo_die(-ENOMEM, "buffers");
		io_uring_prep_read(io_uring_get_sqe(ring), fd, buf[i], BLOCK,
				   (uint64_t)i * BLOCK);
	}
	/* the phase starts here: opening the file and faulting in the
	 * buffers may wait for the disk, and the phase is about not waiting */
	demo_phase("file");
	t0 = demo_now_ns();
	work_slices = 0;
	io_uring_submit(ring);
	while (done < FILE_BLOCKS && demo_ms_since(t0) < ECHO_IO_TIMEOUT_MS) {
		struct io_uring_cqe *cqe;

		if (io_uring_peek_cqe(ring, &cqe) == 0) {
			done += cqe->res == BLOCK;
			io_uring_cqe_seen(ring, cqe);
			continue;
		}
		other_work();
	}
	printf("file: %d of %d reads done in %.1f ms; %ld slices of work meanwhile\n",
	       done, FILE_BLOCKS, demo_ms_since(t0), work_slices);
	for (int i = 0; i < FILE_BLOCKS; i++)
		free(buf[i]);
	close(fd);
	return done == FILE_BLOCKS ? 0 : 1;
}

/* ---- phase server ------------------------------------------------------- */

enum op { OP_ACCEPT = 1, OP_RECV = 2, OP_SEND = 3 };

struct conn {
	int fd;
	int len, sent;
	char buf[BUF];
};

static struct conn conns[MAX_CONNS];

static void submit(struct io_uring *ring, enum op op, int i, int lfd)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct conn *c = &conns[i];

	if (op == OP_ACCEPT)
		io_uring_prep_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	else if (op == OP_RECV)
		io_uring_prep_recv(sqe, c->fd, c->buf, BUF, 0);
	else
		io_uring_prep_send(sqe, c->fd, c->buf + c->sent,
				   (size_t)(c->len - c->sent), MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, (uint64_t)op << 32 | (uint32_t)i);
}

/* Handles one completion; returns 1 when a connection closed. */
static int complete(struct io_uring *ring, struct io_uring_cqe *cqe, int lfd,
		    int *accepted, int k, long *echoed)
{
	enum op op = (enum op)(cqe->user_data >> 32);
	int i = (int)(uint32_t)cqe->user_data, res = cqe->res;
	struct conn *c = &conns[i];

	if (op == OP_ACCEPT) {
		if (res < 0 || *accepted >= MAX_CONNS)
			return 0;
		conns[*accepted].fd = res;
		submit(ring, OP_RECV, (*accepted)++, lfd);
		if (*accepted < k)
			submit(ring, OP_ACCEPT, 0, lfd);
		return 0;
	}
	if (res <= 0) {
		close(c->fd);
		return 1;
	}
	if (op == OP_RECV) {
		c->len = res;
		c->sent = 0;
		submit(ring, OP_SEND, i, lfd);
	} else if ((c->sent += res) < c->len) {
		submit(ring, OP_SEND, i, lfd);
	} else {
		(*echoed)++;
		submit(ring, OP_RECV, i, lfd);
	}
	return 0;
}

static int server_phase(struct io_uring *ring, const struct demo_args *a)
{
	struct echo_run r;
	int accepted = 0, closed = 0;
	long echoed = 0;
	uint64_t idle_since;

	echo_run_start(&r, a, 0);
	work_slices = 0;
	submit(ring, OP_ACCEPT, 0, r.lfd);
	idle_since = demo_now_ns();
	while (closed < r.k && demo_ms_since(idle_since) < ECHO_IO_TIMEOUT_MS) {
		struct io_uring_cqe *cqe;

		io_uring_submit(ring);
		if (io_uring_peek_cqe(ring, &cqe) == 0) {
			closed += complete(ring, cqe, r.lfd, &accepted, r.k, &echoed);
			io_uring_cqe_seen(ring, cqe);
			idle_since = demo_now_ns();
			continue;
		}
		other_work();
	}
	printf("server: %ld requests echoed through the ring; %ld slices of work meanwhile\n",
	       echoed, work_slices);
	return echo_run_finish(&r);
}

int main(int argc, char **argv)
{
	struct io_uring ring;
	struct demo_args a;
	int err, rc = 0;

	demo_start(argc, argv, &spec, &a);
	err = io_uring_queue_init(64, &ring, 0);
	if (err < 0)
		demo_die(err, "io_uring_queue_init (io_uring disabled?)");
	if (!demo_mode_is(&a, "server")) {
		char path[128];

		/* make and remove the file outside the phase: fsync and unlink
		 * wait for the disk, and the phase is about not waiting */
		make_file(path, sizeof(path));
		rc |= file_phase(&ring, path);
		demo_phase("file-done");
		unlink(path);
	}
	if (!demo_mode_is(&a, "file")) {
		demo_phase("server");
		rc |= server_phase(&ring, &a);
	}
	demo_phase("end");
	io_uring_queue_exit(&ring);
	return rc;
}
