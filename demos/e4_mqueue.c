/* e4_mqueue.c - E4: a POSIX message queue between two processes: one
 * sends messages with mq_send, the other waits for them in
 * mq_timedreceive. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

#define MESSAGES 5
#define MSG_SIZE 64

static const struct demo_spec spec = {
	.name = "e4_mqueue",
	.summary = "POSIX message queue: mq_send / mq_timedreceive between processes",
	.explain =
		"The parent creates a message queue; 'mq-receiver' waits for\n"
		"messages, 'mq-sender' sends 5 of them 60 ms apart, then \"quit\".\n"
		"Look for: the receiver Sleeping in mq_timedreceive until each\n"
		"mq_timedsend of the sender, which wakes it (a cross-process wakeup\n"
		"arrow).",
};

static char name[64];
static double gap_ms;

static int receiver(void *arg)
{
	char buf[MSG_SIZE + 1];
	mqd_t mq;

	(void)arg;
	mq = mq_open(name, O_RDONLY);
	if (mq == (mqd_t)-1)
		return 1;
	for (;;) {
		struct timespec dl;
		unsigned prio;
		ssize_t n;

		clock_gettime(CLOCK_REALTIME, &dl); /* mq deadlines are REALTIME */
		dl.tv_sec += 2;
		n = mq_timedreceive(mq, buf, sizeof(buf), &prio, &dl);
		if (n < 0)
			return 1;
		buf[n] = '\0';
		if (!strcmp(buf, "quit"))
			break;
		printf("  mq-receiver %d: \"%s\" (priority %u)\n", (int)getpid(), buf, prio);
	}
	mq_close(mq);
	return 0;
}

static int sender(void *arg)
{
	mqd_t mq;

	(void)arg;
	mq = mq_open(name, O_WRONLY);
	if (mq == (mqd_t)-1)
		return 1;
	for (int i = 1; i <= MESSAGES + 1; i++) {
		char msg[MSG_SIZE];

		if (i <= MESSAGES)
			snprintf(msg, sizeof(msg), "message %d", i);
		else
			strcpy(msg, "quit");
		demo_sleep_ms(gap_ms);
		if (mq_send(mq, msg, strlen(msg), 1) < 0)
			return 1;
	}
	mq_close(mq);
	return 0;
}

int main(int argc, char **argv)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = MSG_SIZE };
	struct demo_args a;
	bool ok[2];
	mqd_t mq;

	demo_start(argc, argv, &spec, &a);
	gap_ms = demo_ms(&a, 60);
	snprintf(name, sizeof(name), "/threadline-e4-%d", (int)getpid());
	mq = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (mq == (mqd_t)-1)
		demo_die(-errno, "mq_open %s", name);
	demo_phase("mqueue");
	demo_fork_pair("mq-receiver", receiver, "mq-sender", sender, ok);
	demo_phase("end");
	mq_close(mq);
	mq_unlink(name);
	printf("receiver %s, sender %s\n", ok[0] ? "ok" : "failed", ok[1] ? "ok" : "failed");
	return ok[0] && ok[1] ? 0 : 1;
}
