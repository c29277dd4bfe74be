/* tp.h - Perfetto's own trace processor (trace_processor_shell) as a test
 * oracle: load a trace, run SQL, get the rows back.
 *
 *   if (!tp_path()) skip();                 // absent: say so, never pass
 *   struct tp_rows r[2];
 *   const char *q[] = { "select tid, name from thread", "select ..." };
 *   tp_query(trace, "include perfetto module sched.states;", q, 2, r);
 *   for (size_t i = 0; i < r[0].nrows; i++)
 *           printf("%s\n", tp_cell(&r[0], i, 1));
 *   tp_free(r, 2);
 *
 * The shell is found through $TP_SHELL, else at ../shared/tools/ next to
 * the project (the build folder's grandparent). A query the shell refuses,
 * or a shell that fails, fails the calling cmocka test. */
#ifndef TL_TEST_TP_H
#define TL_TEST_TP_H

#include <stddef.h>
#include <stdint.h>

struct tp_rows {
	size_t nrows, ncols;
	char **cols;     /* column names */
	char **cells;    /* nrows * ncols, row-major; NULL for SQL NULL */
};

/* Path of an executable trace_processor_shell, or NULL when there is none. */
const char *tp_path(void);

/* Loads trace once and runs prelude (statements with no result, e.g.
 * `include perfetto module ...;`, may be NULL) and then each of the n
 * queries (one statement each, with a result), filling out[0..n-1]. */
void tp_query(const char *trace, const char *prelude, const char *const *sql,
	      size_t n, struct tp_rows *out);

const char *tp_cell(const struct tp_rows *r, size_t row, size_t col);
/* The cell as a number (0 for NULL). */
int64_t tp_int(const struct tp_rows *r, size_t row, size_t col);
/* Index of the column named name; fails the test if there is none. */
size_t tp_col(const struct tp_rows *r, const char *name);
void tp_free(struct tp_rows *r, size_t n);

#endif
