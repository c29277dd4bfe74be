/* demo_watchdog.c - ends a demo after a bounded time, so a demo that
 * deadlocks on purpose (or hangs by mistake) always finishes. A timer signal
 * rather than a thread: the watchdog must not add a task to the trace. */
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "demo.h"

#define MSG_MAX 512

static char wd_msg[MSG_MAX];
static size_t wd_len;
static volatile sig_atomic_t wd_status;

static void on_alarm(int sig)
{
	(void)sig;
	/* Only async-signal-safe calls: stdout is line-buffered, so nothing
	 * printed before is lost by _exit. */
	if (wd_len && write(STDOUT_FILENO, wd_msg, wd_len) < 0)
		wd_len = 0;
	_exit(wd_status);
}

static void set_timer(double seconds)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	if (seconds > 0) {
		it.it_value.tv_sec = (time_t)seconds;
		it.it_value.tv_usec = (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6);
		if (!it.it_value.tv_sec && !it.it_value.tv_usec)
			it.it_value.tv_usec = 1;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

void demo_watchdog_status(double seconds, const char *message, int status)
{
	struct sigaction sa;
	size_t n = 0;

	set_timer(0);
	if (message) {
		n = strlen("watchdog: ");
		memcpy(wd_msg, "watchdog: ", n);
		strncpy(wd_msg + n, message, MSG_MAX - n - 2);
		wd_msg[MSG_MAX - 2] = '\0';
		n = strlen(wd_msg);
		wd_msg[n++] = '\n';
	}
	wd_len = n;
	wd_status = status;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	set_timer(seconds);
}

void demo_watchdog(double seconds, const char *message)
{
	demo_watchdog_status(seconds, message, DEMO_EXIT_WATCHDOG);
}

void demo_watchdog_cancel(void)
{
	set_timer(0);
}
