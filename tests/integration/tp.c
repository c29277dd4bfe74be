/* tp.c - runs Perfetto's trace_processor_shell for the tests (tp.h).
 *
 * The shell's query output is one block per statement with a result: a
 * header line of quoted column names, one line per row, then an empty
 * line. Strings are quoted without escaping, NULL is "[NULL]" (quoted or
 * not, so a string "[NULL]" reads as NULL), numbers are
 * bare; the tests query no string holding `",` or a newline. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "harness.h"
#include "tp.h"

const char *tp_path(void)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("TP_SHELL");

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	/* <root>/build -> <root>/../shared/tools */
	if ((size_t)snprintf(path, sizeof(path), "%s/../../shared/tools/"
			     "trace_processor_shell", th_build_dir()) >= sizeof(path))
		return NULL;
	return access(path, X_OK) ? NULL : path;
}

/* ---- output parsing ---- */

/* Splits one output line into cells, in place. */
static size_t split(char *line, char **cells, size_t max)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		char *end;

		if (*p == '"') {
			/* a quoted string ends at a quote before a comma or
			 * the end of the line */
			end = p + 1;
			while (*end && !(end[0] == '"' && (end[1] == ',' || !end[1])))
				end++;
			*end = 0;
			if (n < max)
				cells[n] = strcmp(p + 1, "[NULL]") ? p + 1 : NULL;
			n++;
			p = end + 1;
		} else {
			end = p + strcspn(p, ",");
			if (n < max)
				cells[n] = strncmp(p, "[NULL]", 6) ? p : NULL;
			n++;
			p = end;
		}
		if (*p != ',')
			break;
		*p++ = 0;
	}
	return n;
}

static char *dup_or_null(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	assert_non_null(d);
	return d;
}

static void add_row(struct tp_rows *r, char **cells, size_t n, size_t *cap)
{
	if (n != r->ncols)
		fail_msg("trace processor row has %zu cells, header %zu", n, r->ncols);
	if (r->nrows == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		r->cells = realloc(r->cells, *cap * r->ncols * sizeof(*r->cells));
		assert_non_null(r->cells);
	}
	for (size_t i = 0; i < n; i++)
		r->cells[r->nrows * r->ncols + i] = dup_or_null(cells[i]);
	r->nrows++;
}

static void parse(FILE *f, struct tp_rows *out, size_t n)
{
	char *line = NULL, *cells[256];
	size_t len = 0, k = 0, cap = 0;
	bool in_block = false;
	ssize_t got;

	while ((got = getline(&line, &len, f)) >= 0) {
		size_t nc;

		while (got && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = 0;
		if (!got) {
			if (in_block)
				k++;
			in_block = false;
			continue;
		}
		if (k >= n)
			fail_msg("trace processor printed more results than %zu queries", n);
		nc = split(line, cells, 256);
		if (!in_block) {
			memset(&out[k], 0, sizeof(out[k]));
			out[k].ncols = nc;
			out[k].cols = calloc(nc, sizeof(char *));
			assert_non_null(out[k].cols);
			for (size_t i = 0; i < nc; i++)
				out[k].cols[i] = dup_or_null(cells[i]);
			in_block = true;
			cap = 0;
			continue;
		}
		add_row(&out[k], cells, nc, &cap);
	}
	if (in_block)
		k++;
	free(line);
	if (k != n)
		fail_msg("trace processor printed %zu results for %zu queries", k, n);
}

/* ---- running the shell ---- */

static int run_shell(const char *sql_path, const char *trace, const char *out,
		     const char *err)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (o < 0 || e < 0)
			_exit(126);
		dup2(o, 1);
		dup2(e, 2);
		execl(tp_path(), "trace_processor_shell", "-q", sql_path, trace,
		      (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int n = 0;

	if (!f)
		return;
	while (n++ < 30 && fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

void tp_query(const char *trace, const char *prelude, const char *const *sql,
	      size_t n, struct tp_rows *out)
{
	char base[64], sql_path[96], out_path[96], err_path[96];
	FILE *f;
	int fd, rc;

	if (!tp_path())
		fail_msg("no trace processor (set TP_SHELL)");
	snprintf(base, sizeof(base), "/tmp/tl-tp-%d-XXXXXX", getpid());
	fd = mkstemp(base);
	assert_true(fd >= 0);
	close(fd);
	snprintf(sql_path, sizeof(sql_path), "%s.sql", base);
	snprintf(out_path, sizeof(out_path), "%s.out", base);
	snprintf(err_path, sizeof(err_path), "%s.err", base);
	f = fopen(sql_path, "w");
	assert_non_null(f);
	if (prelude)
		fprintf(f, "%s\n", prelude);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s;\n", sql[i]);
	fclose(f);
	rc = run_shell(sql_path, trace, out_path, err_path);
	if (rc) {
		show_file(err_path);
		fail_msg("trace_processor_shell exit %d on %s", rc, trace);
	}
	f = fopen(out_path, "r");
	assert_non_null(f);
	parse(f, out, n);
	fclose(f);
	unlink(sql_path);
	unlink(out_path);
	unlink(err_path);
	unlink(base);
}

const char *tp_cell(const struct tp_rows *r, size_t row, size_t col)
{
	assert_true(row < r->nrows && col < r->ncols);
	return r->cells[row * r->ncols + col];
}

int64_t tp_int(const struct tp_rows *r, size_t row, size_t col)
{
	const char *s = tp_cell(r, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

size_t tp_col(const struct tp_rows *r, const char *name)
{
	for (size_t i = 0; i < r->ncols; i++)
		if (r->cols[i] && !strcmp(r->cols[i], name))
			return i;
	fail_msg("no column %s in the trace processor's result", name);
	return 0;
}

void tp_free(struct tp_rows *r, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < r[k].nrows * r[k].ncols; i++)
			free(r[k].cells[i]);
		for (size_t i = 0; i < r[k].ncols; i++)
			free(r[k].cols[i]);
		free(r[k].cells);
		free(r[k].cols);
		memset(&r[k], 0, sizeof(r[k]));
	}
}
