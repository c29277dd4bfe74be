/* test_usdt_notes.c - the public USDT header (probes/threadline_usdt.h)
 * works in any user program: compiled by the system compiler, every mark
 * leaves an ELF note of provider "threadline" with the expected name and
 * argument count, and no argument is a memory operand a USDT attacher
 * cannot read. Checked with `readelf -n`, no root needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

struct note {
	char name[64];
	char args[256];
};

static const char program[] =
	"#include \"probes/threadline_usdt.h\"\n"
	"static long vals[8]; static const char *names[8] = {\"a\",\"b\"};\n"
	"int main(int argc, char **argv) {\n"
	"  (void)argv; int i = argc & 7;\n"
	"  THREADLINE_CORO_SWITCH(vals[i], vals[i + 0] + 1, names[i]);\n"
	"  THREADLINE_QUEUE_PUT(&vals[i], vals[i], names[i]);\n"
	"  THREADLINE_QUEUE_GET(&vals[i], vals[i], \"q\");\n"
	"  THREADLINE_TASK_BEGIN(vals[i], names[i]);\n"
	"  THREADLINE_TASK_END(vals[i]);\n"
	"  THREADLINE_SECTION_ENTER(&vals[i], \"s\");\n"
	"  THREADLINE_SECTION_EXIT(&vals[i]);\n"
	"  THREADLINE_MARK(vals[i], names[i]);\n"
	"  return 0;\n}\n";

static const struct {
	const char *name;
	int nargs;
} expected[] = {
	{ "coro_switch", 3 }, { "queue_put", 3 }, { "queue_get", 3 },
	{ "task_begin", 2 },  { "task_end", 2 },  { "section_enter", 2 },
	{ "section_exit", 2 }, { "mark", 2 },
};

static char dir[] = "/tmp/tl-usdt-XXXXXX";

/* The repository root: tests run from it (tests/run-tests), else $TL_SRC. */
static const char *src_root(void)
{
	const char *s = getenv("TL_SRC");

	return s ? s : ".";
}

static int build_program(void **state)
{
	char cmd[1024], path[256];
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/p.c", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(program, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -O2 -Wall -Wextra -Werror -I%s %s -o %s/p",
		 src_root(), path, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int cleanup(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Parses `readelf -n` output: Provider/Name/Arguments lines of stapsdt. */
static size_t read_notes(const char *bin, struct note *out, size_t max)
{
	char cmd[512], line[512], provider[64] = "";
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "readelf -n %s", bin);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char *v;

		line[strcspn(line, "\n")] = '\0';
		if ((v = strstr(line, "Provider: ")))
			snprintf(provider, sizeof(provider), "%s", v + 10);
		else if ((v = strstr(line, "Name: ")) && !strcmp(provider, "threadline") &&
			 n < max)
			snprintf(out[n++].name, sizeof(out[0].name), "%s", v + 6);
		else if ((v = strstr(line, "Arguments: ")) && n > 0 &&
			 !strcmp(provider, "threadline"))
			snprintf(out[n - 1].args, sizeof(out[0].args), "%s", v + 11);
	}
	assert_int_equal(pclose(p), 0);
	return n;
}

static int count_args(const char *args)
{
	int n = 0;

	for (const char *s = args; *s; s++)
		if (*s == '@')
			n++;
	return n;
}

/* The notes of the program the setup built, at most 32. */
static size_t notes_of_program(struct note *notes)
{
	char bin[256];

	snprintf(bin, sizeof(bin), "%s/p", dir);
	return read_notes(bin, notes, 32);
}

static void test_every_mark_has_its_note(void **state)
{
	struct note notes[32];
	size_t n;

	(void)state;
	n = notes_of_program(notes);
	assert_int_equal(n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(notes[i].name, expected[i].name);
		assert_int_equal(count_args(notes[i].args), expected[i].nargs);
	}
}

static void test_no_argument_in_memory(void **state)
{
	struct note notes[32];
	size_t n;

	(void)state;
	n = notes_of_program(notes);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++)
		if (strchr(notes[i].args, '(')) /* e.g. 8@(%rax,%rbx,8) */
			fail_msg("%s has a memory operand: %s", notes[i].name,
				 notes[i].args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_mark_has_its_note),
		cmocka_unit_test(test_no_argument_in_memory),
	};

	return cmocka_run_group_tests(tests, build_program, cleanup);
}
