/* tmpdir.h - a test program's private folder under /tmp, made by the
 * group setup and removed, with everything in it, by the group teardown:
 *
 *   #define TMPDIR_NAME "tl-rec-test"
 *   #include "tests/common/tmpdir.h"
 *   ... tmpdir_path(path, sizeof(path), "a.tlr") ...
 *   return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
 */
#ifndef TL_TEST_TMPDIR_H
#define TL_TEST_TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef TMPDIR_NAME
#error "define TMPDIR_NAME before including tmpdir.h"
#endif

static char tmpdir[64];

static int tmpdir_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/%s.%d", TMPDIR_NAME, (int)getpid());
	return mkdir(tmpdir, 0700);
}

static int tmpdir_teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* buf = the folder's path joined with name. */
static inline void tmpdir_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

#endif
