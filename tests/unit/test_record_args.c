/* test_record_args.c - the `threadline record` command line: event groups,
 * PID lists, the one-target rule, bad values, and the exits that happen
 * before anything is traced (no root needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "userspace/cli/commands.h"
#include "userspace/kernel/launch.h"
#include "userspace/cli/record_cmd.h"
#include "bpf/tl_abi.h"

#define ALL ((1u << TL_G_COUNT) - 1)
/* the default: every group but the costly syscall tracepoints */
#define DEFAULT (ALL & ~(1u << TL_G_SYSCALLS))

static struct tl_record_opts o;
static char err[512];

/* Parses a NULL-terminated argument list after "threadline record". */
#define PARSE(...) parse_list((char *[]){ "threadline record", __VA_ARGS__, NULL })

static enum tl_parse_result parse_list(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return tl_record_parse(argc, argv, &o, err, sizeof(err));
}

static void test_command_with_defaults(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--", "./prog", "-x", "1"), TL_PARSE_RUN);
	assert_string_equal(o.output, "threadline.tlr");
	assert_int_equal(o.groups, DEFAULT);
	assert_false(o.all);
	assert_int_equal(o.npids, 0);
	assert_int_equal(o.ncmd, 3);
	assert_string_equal(o.cmd[0], "./prog");
	assert_string_equal(o.cmd[1], "-x");
	assert_string_equal(o.cmd[2], "1");
	assert_null(o.cmd[3]);
	assert_true(o.duration == 0);
	assert_null(o.user);
	assert_null(o.perfetto);
	assert_false(o.stacks);
	assert_int_equal(PARSE("-g", "--", "./prog"), TL_PARSE_RUN);
	assert_true(o.stacks);
	assert_int_equal(PARSE("--call-graph", "-a"), TL_PARSE_RUN);
	assert_true(o.stacks);
}

/* Options after the command are the command's, with or without "--". */
static void test_command_options_stay_with_command(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-o", "a.tlr", "./prog", "-o", "b", "-p", "1"),
			 TL_PARSE_RUN);
	assert_string_equal(o.output, "a.tlr");
	assert_int_equal(o.npids, 0);
	assert_int_equal(o.ncmd, 5);
	assert_string_equal(o.cmd[1], "-o");
	assert_string_equal(o.cmd[4], "1");
}

static void test_groups(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-e", "sched,futex", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.groups, (1u << TL_G_SCHED) | (1u << TL_G_FUTEX));
	assert_int_equal(PARSE("--events=net", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.groups, 1u << TL_G_NET);
	assert_int_equal(PARSE("-e", "usdt,signal,proc", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.groups, (1u << TL_G_USDT) | (1u << TL_G_SIGNAL) |
			 (1u << TL_G_PROC));
	assert_int_equal(PARSE("-e", "all", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.groups, ALL);
	assert_true(o.groups & (1u << TL_G_SYSCALLS));
	assert_int_equal(PARSE("-e", "sched,syscalls", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.groups, (1u << TL_G_SCHED) | (1u << TL_G_SYSCALLS));
	assert_string_equal(tl_group_name(TL_G_SYSCALLS), "syscalls");
	assert_string_equal(tl_group_name(TL_G_FUTEX), "futex");
	assert_null(tl_group_name(TL_G_COUNT));
}

static void test_bad_groups(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-e", "sched,locks", "-a"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "unknown event group 'locks'"));
	assert_null(strchr(err, '\n'));
	assert_int_equal(PARSE("-e", "sched,", "-a"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "unknown event group ''"));
	assert_int_equal(PARSE("-e", "", "-a"), TL_PARSE_USAGE);
	assert_int_equal(PARSE("-e", "Sched", "-a"), TL_PARSE_USAGE);
	assert_int_equal(PARSE("-e", "schedx", "-a"), TL_PARSE_USAGE);
}

static void test_pid_lists(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-p", "12,345", "-p", "12", "--pid=7"), TL_PARSE_RUN);
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[1], 345);
	assert_int_equal(o.pids[2], 7);
	assert_null(o.cmd);
	assert_int_equal(PARSE("-p2147483647"), TL_PARSE_RUN);
	assert_int_equal(o.pids[0], 2147483647);
}

static void test_bad_pids(void **state)
{
	static const char *bad[] = { "abc", "0", "-5", "1,,2", "1,", ",1", "12x",
				     "2147483648", "99999999999999999999", "+3", "" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		if (PARSE("-p", (char *)bad[i]) != TL_PARSE_USAGE)
			fail_msg("-p '%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "invalid PID"));
	}
}

static void test_one_target(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-o", "x"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "nothing to record"));
	assert_int_equal(PARSE("-p", "1", "-a"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "only one"));
	assert_int_equal(PARSE("-p", "1", "--", "ls"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "only one"));
	assert_int_equal(PARSE("--all", "ls"), TL_PARSE_USAGE);
	assert_int_equal(PARSE("-a"), TL_PARSE_RUN);
	assert_true(o.all);
}

static void test_duration(void **state)
{
	static const char *bad[] = { "0", "-1", "abc", "1s", "", "nan", "inf", "1e9" };

	(void)state;
	assert_int_equal(PARSE("-d", "2.5", "-a"), TL_PARSE_RUN);
	assert_true(o.duration > 2.49 && o.duration < 2.51);
	assert_int_equal(PARSE("--duration=10", "-a"), TL_PARSE_RUN);
	assert_true(o.duration == 10);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE("-d", (char *)bad[i], "-a") != TL_PARSE_USAGE)
			fail_msg("-d '%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "invalid duration"));
	}
}

static void test_buffer_size(void **state)
{
	static const char *bad[] = { "0", "3", "2048", "-4", "x", "", "16M" };

	(void)state;
	assert_int_equal(PARSE("-a"), TL_PARSE_RUN);
	assert_int_equal(o.buffer_mb, 0); /* the session's default */
	assert_int_equal(PARSE("-b", "64", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.buffer_mb, 64);
	assert_int_equal(PARSE("--buffer-size=1", "-a"), TL_PARSE_RUN);
	assert_int_equal(o.buffer_mb, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE("-b", (char *)bad[i], "-a") != TL_PARSE_USAGE)
			fail_msg("-b '%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "invalid buffer size"));
	}
}

static void test_other_options(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-v", "-v", "-u", "alice", "--perfetto", "t.pftrace",
			       "-o", "r.tlr", "--", "ls"), TL_PARSE_RUN);
	assert_int_equal(o.verbose, 2);
	assert_string_equal(o.user, "alice");
	assert_string_equal(o.perfetto, "t.pftrace");
	assert_string_equal(o.output, "r.tlr");
	assert_int_equal(PARSE("--perfetto", "same", "-o", "same", "-a"), TL_PARSE_USAGE);
	assert_non_null(strstr(err, "must differ"));
	err[0] = 'x';
	assert_int_equal(PARSE("--bogus", "-a"), TL_PARSE_USAGE);
	assert_int_equal(err[0], 0); /* argp said it */
	assert_int_equal(PARSE("-o"), TL_PARSE_USAGE);
}

static void test_help(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--help"), TL_PARSE_DONE);
	assert_int_equal(PARSE("-a", "-h"), TL_PARSE_DONE);
}

/* A file that exists but cannot be run (mode 0644). */
static const char *plain_file(void)
{
	static char path[64];
	FILE *f;

	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/tl-args-test.%d", (int)getpid());
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("#!/bin/sh\n", f);
		fclose(f);
		assert_int_equal(chmod(path, 0644), 0);
	}
	return path;
}

/* The exits that come before any tracing, through the real entry point. */
static void test_early_exits(void **state)
{
	(void)state;
	assert_int_equal(tl_cmd_record(4, (char *[]){ "record", "-e", "nope", "-a", NULL }), 2);
	assert_int_equal(tl_cmd_record(3, (char *[]){ "record", "-p", "999999999", NULL }), 1);
	assert_int_equal(tl_cmd_record(3, (char *[]){ "record", "--",
				    "tl-no-such-command-here", NULL }), 127);
	assert_int_equal(tl_cmd_record(3, (char *[]){ "record", "--",
				    "/nonexistent/dir/prog", NULL }), 127);
	assert_int_equal(tl_cmd_record(3, (char *[]){ "record", "--",
				    (char *)plain_file(), NULL }), 126);
	assert_int_equal(tl_cmd_record(5, (char *[]){ "record", "-u",
				    "tl-no-such-user", "--", "ls", NULL }), 2);
	assert_int_equal(tl_cmd_record(2, (char *[]){ "record", "--help", NULL }), 0);
}

/* Refused before anything is traced, and the link's target never made. */
static void test_symlink_output_refused(void **state)
{
	char link[64], target[64];

	(void)state;
	snprintf(link, sizeof(link), "/tmp/tl-args-link.%d", (int)getpid());
	snprintf(target, sizeof(target), "/tmp/tl-args-target.%d", (int)getpid());
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(tl_cmd_record(5, (char *[]){ "record", "-o", link, "--", "true",
				    NULL }), 1);
	assert_int_equal(access(target, F_OK), -1);
	unlink(link);
	assert_int_equal(tl_cmd_record(5, (char *[]){ "record", "-o", "/tmp", "--", "true",
				    NULL }), 1);
}

static void test_resolve_on_path(void **state)
{
	char path[4096];

	(void)state;
	assert_int_equal(tl_launch_resolve("sh", path, sizeof(path)), 0);
	assert_int_equal(access(path, X_OK), 0);
	assert_non_null(strstr(path, "/sh"));
	assert_int_equal(tl_launch_resolve("tl-no-such-command-here", path,
					   sizeof(path)), -ENOENT);
	assert_int_equal(tl_launch_resolve(plain_file(), path, sizeof(path)), -EACCES);
	assert_int_equal(tl_launch_resolve("/etc", path, sizeof(path)), -EACCES);
	assert_int_equal(tl_launch_resolve("", path, sizeof(path)), -ENOENT);
	assert_int_equal(tl_launch_exit_code(3 << 8), 3);
	assert_int_equal(tl_launch_exit_code(9), 137);
}

static void test_creds(void **state)
{
	struct tl_creds c;
	char e[256];

	(void)state;
	assert_int_equal(tl_creds_resolve("root", &c, e, sizeof(e)) == 0,
			 geteuid() == 0);
	if (geteuid() == 0) {
		assert_true(c.drop);
		assert_int_equal(c.uid, 0);
		assert_string_equal(c.user, "root");
		setenv("SUDO_UID", "4242", 1);
		setenv("SUDO_GID", "4343", 1);
		assert_int_equal(tl_creds_resolve(NULL, &c, e, sizeof(e)), 0);
		assert_true(c.drop);
		assert_int_equal(c.uid, 4242);
		assert_int_equal(c.gid, 4343);
		setenv("SUDO_UID", "x1", 1);
		assert_int_equal(tl_creds_resolve(NULL, &c, e, sizeof(e)), -EINVAL);
		unsetenv("SUDO_UID");
		unsetenv("SUDO_GID");
	}
	assert_int_equal(tl_creds_resolve(NULL, &c, e, sizeof(e)), 0);
	assert_false(c.drop);
	assert_int_equal(tl_creds_resolve("tl-no-such-user", &c, e, sizeof(e)), -ENOENT);
	assert_non_null(strstr(e, "no such user: tl-no-such-user"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_with_defaults),
		cmocka_unit_test(test_command_options_stay_with_command),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_bad_groups),
		cmocka_unit_test(test_pid_lists),
		cmocka_unit_test(test_bad_pids),
		cmocka_unit_test(test_one_target),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_other_options),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_early_exits),
		cmocka_unit_test(test_symlink_output_refused),
		cmocka_unit_test(test_resolve_on_path),
		cmocka_unit_test(test_creds),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	unlink(plain_file());
	return rc;
}
