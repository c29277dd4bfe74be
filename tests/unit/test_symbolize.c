/* test_symbolize.c - the symbolizer names the addresses a fixture program
 * (tests/fixtures/symfix.c) prints: its memory maps are captured while it
 * runs, exactly as `record` does, and named after it has exited, from the
 * model and the files on disk. Also the primitive kinds told from futex
 * waits. No root needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include "userspace/analysis/symbolize.h"
#include "userspace/kernel/procmaps.h"
#include "userspace/model/model.h"
#include "records.h"

#define NADDR 24
#define MAXREC 16

struct fixture {
	pid_t pid;
	char names[NADDR][32];
	uint64_t addr[NADDR];
	int n;
	uint64_t recs[MAXREC][(sizeof(struct tl_proc_maps) + TL_PROC_MAPS_MAX) / 8];
	int nrec;
};

static int keep(void *ctx, const struct tl_hdr *h)
{
	struct fixture *f = ctx;

	assert_true(f->nrec < MAXREC);
	memcpy(f->recs[f->nrec++], h, h->size);
	return 0;
}

static void fixture_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	*strrchr(buf, '/') = '\0'; /* build/tests/unit */
	*strrchr(buf, '/') = '\0'; /* build/tests */
	strncat(buf, "/fixtures/symfix", len - strlen(buf) - 1);
}

/* Runs the fixture, reads its addresses, captures its maps, ends it. */
static void run_fixture(struct fixture *f)
{
	int in[2], out[2];
	char path[512], line[128];
	FILE *r;

	fixture_path(path, sizeof(path));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	r = fdopen(out[0], "r");
	while (f->n < NADDR && fgets(line, sizeof(line), r)) {
		unsigned long long a;

		if (sscanf(line, "%31s %llx", f->names[f->n], &a) == 2)
			f->addr[f->n++] = a;
		if (!strncmp(line, "stack ", 6))
			break;
	}
	usleep(100000); /* the thread is in its read() */
	assert_int_equal(tl_maps_capture(NULL, f->pid, 1000, 0, keep, f), 0);
	close(in[1]);
	fclose(r);
	waitpid(f->pid, NULL, 0);
}

static uint64_t addr_of(const struct fixture *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name))
			return f->addr[i];
	fail_msg("the fixture printed no %s", name);
	return 0;
}

static struct tl_model *model_of(const struct fixture *f)
{
	struct tl_model *m = tl_model_new(NULL);
	struct tl_proc_info pi = { 0 };

	hdr(&pi.h, TL_PROC_INFO, sizeof(pi), 1000, 0, (uint32_t)f->pid, (uint32_t)f->pid);
	assert_int_equal(tl_model_feed(m, &pi.h), 0);
	for (int i = 0; i < f->nrec; i++)
		assert_int_equal(tl_model_feed(m, (const struct tl_hdr *)f->recs[i]), 0);
	assert_int_equal(tl_model_finish(m, 2000), 0);
	return m;
}

static struct fixture fx;

static void expect(struct tl_symbolizer *s, const struct tl_process *p, const char *what,
		   const char *name, enum tl_obj_kind kind, enum tl_lock_kind lock)
{
	const struct tl_obj_name *o = tl_sym_addr(s, p, 1500, addr_of(&fx, what));

	print_message("%-16s -> %s (%s)\n", what, o->name, tl_lock_kind_name(o->lock));
	assert_string_equal(o->name, name);
	assert_int_equal(o->kind, kind);
	assert_int_equal(o->lock, lock);
}

static void test_names_after_exit(void **state)
{
	struct tl_model *m;
	const struct tl_process *p;
	struct tl_symbolizer *s;
	const struct tl_obj_name *o;
	char want[96];

	(void)state;
	run_fixture(&fx);
	assert_true(fx.nrec >= 1);
	m = model_of(&fx);
	p = tl_model_find_proc(m, (uint32_t)fx.pid, 0);
	assert_non_null(p);
	assert_true(p->nmaps == 1 && p->maps[0].n > 5);
	s = tl_symbolizer_new(m);
	expect(s, p, "stats_lock", "stats_lock", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "pool.lock", "pool.lock", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "pool.ready", "pool.ready", TL_OBJ_VAR, TL_LK_CONDVAR);
	expect(s, p, "shards[3].lock", "shards[3].lock", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "file_lock", "file_lock", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "once", "once", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "slots", "slots", TL_OBJ_VAR, TL_LK_SEMAPHORE);
	expect(s, p, "table_lock", "table_lock", TL_OBJ_VAR, TL_LK_RWLOCK);
	expect(s, p, "start_line", "start_line", TL_OBJ_VAR, TL_LK_BARRIER);
	expect(s, p, "lib_lock", "lib_locks[1].m (libsymfix.so)", TL_OBJ_VAR, TL_LK_MUTEX);
	expect(s, p, "lib_table", "lib_table+0x40 (libsymfix_nodbg.so)", TL_OBJ_SYMBOL,
	       TL_LK_OTHER);
	o = tl_sym_addr(s, p, 1500, addr_of(&fx, "heap"));
	assert_int_equal(o->kind, TL_OBJ_HEAP);
	assert_true(!strncmp(o->name, "heap 0x", 7));
	o = tl_sym_addr(s, p, 1500, addr_of(&fx, "stack"));
	print_message("%-16s -> %s\n", "stack", o->name);
	assert_int_equal(o->kind, TL_OBJ_STACK);
	assert_true(o->tid > (uint32_t)fx.pid);
	assert_true(!strncmp(o->name, "stack of thread ", 16));
	snprintf(want, sizeof(want), "shared memory /dev/shm/symfix-%d+0x40", (int)fx.pid);
	expect(s, p, "shm", want, TL_OBJ_SHARED, TL_LK_OTHER);
	o = tl_sym_addr(s, p, 1500, addr_of(&fx, "anon_shared"));
	assert_int_equal(o->kind, TL_OBJ_SHARED);
	assert_true(!strncmp(o->name, "shared anonymous memory 0x", 26));
	assert_non_null(strstr(o->name, "+0x10"));
	/* in libc: its debug file (by build id) or its symbol table names it */
	o = tl_sym_addr(s, p, 1500, addr_of(&fx, "libc_stdout"));
	print_message("%-16s -> %s\n", "libc_stdout", o->name);
	assert_true(!strncmp(o->name, "_IO_2_1_stdout_", 15));
	assert_non_null(strstr(o->name, " (libc.so.6)"));
	/* an address no mapping covers is only a number */
	o = tl_sym_addr(s, p, 1500, 0x10);
	assert_int_equal(o->kind, TL_OBJ_UNKNOWN);
	assert_string_equal(o->name, "0x10");
	tl_symbolizer_free(s);
	tl_model_free(m);
}

/* st_value of the dynamic symbol sym of the ELF file path, 0 if none;
 * *dyn tells whether the file is position-independent. */
static uint64_t dynsym(const char *path, const char *sym, bool *dyn)
{
	int fd = open(path, O_RDONLY);
	uint64_t v = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *e;

	if (fd < 0)
		return 0;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	*dyn = e && gelf_getehdr(e, &eh) && eh.e_type == ET_DYN;
	while (e && !v && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Sym s;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++)
			if (gelf_getsym(d, (int)i, &s) &&
			    !strcmp(elf_strptr(e, sh.sh_link, s.st_name), sym))
				v = s.st_value;
	}
	if (e)
		elf_end(e);
	close(fd);
	return v;
}

/* Names the GIL of a running python (exe), whose _PyRuntime is in file
 * `elf` (the executable, or libpython), gil_off into it; skips when absent. */
static void check_gil(const char *exe, const char *elf, uint64_t gil_off)
{
	struct tl_model *m;
	struct tl_symbolizer *s;
	const struct tl_process *p;
	const struct tl_obj_name *o;
	uint64_t rt, base = 0;
	int in[2];
	bool dyn = false;

	rt = dynsym(elf, "_PyRuntime", &dyn);
	if (!rt || access(exe, X_OK))
		skip();
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pipe(in), 0);
	fx.pid = fork();
	if (fx.pid == 0) {
		dup2(in[0], 0);
		close(in[1]);
		execl(exe, exe, "-c", "import sys; sys.stdin.read()", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	usleep(300000);
	assert_int_equal(tl_maps_capture(NULL, fx.pid, 1000, 0, keep, &fx), 0);
	close(in[1]);
	waitpid(fx.pid, NULL, 0);
	m = model_of(&fx);
	p = tl_model_find_proc(m, (uint32_t)fx.pid, 0);
	for (size_t i = 0; dyn && i < p->maps[0].n; i++)
		if (!strcmp(p->maps[0].maps[i].path, elf) && !p->maps[0].maps[i].offset) {
			base = p->maps[0].maps[i].start;
			break;
		}
	s = tl_symbolizer_new(m);
	o = tl_sym_addr(s, p, 1500, base + rt + gil_off + 0x50);
	print_message("%s: _PyRuntime+0x%llx -> %s\n", elf,
		      (unsigned long long)(gil_off + 0x50), o->name);
	assert_int_equal(o->kind, TL_OBJ_GIL);
	assert_string_equal(o->name, "the GIL (mutex)");
	assert_int_equal(o->lock, TL_LK_MUTEX);
	o = tl_sym_addr(s, p, 1500, base + rt + gil_off + 0x48);
	assert_string_equal(o->name, "the GIL (cond)");
	o = tl_sym_addr(s, p, 1500, base + rt + 0x10);
	assert_int_not_equal(o->kind, TL_OBJ_GIL);
	tl_symbolizer_free(s);
	tl_model_free(m);
}

/* The machine's python3.11 (Debian's: no DWARF, so the symbol and the
 * version's layout name it). */
static void test_cpython_gil(void **state)
{
	(void)state;
	check_gil("/usr/bin/python3.11", "/usr/bin/python3.11", 0x168);
}

/* A python built with DWARF in libpython (pyenv's 3.12 when installed):
 * the variable path through _PyRuntime's gil state names it. */
static void test_cpython_gil_dwarf(void **state)
{
	(void)state;
	check_gil("/root/.pyenv/versions/3.12.1/bin/python3.12",
		  "/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0", 0x12e78);
}

/* The kind of a futex wait with no typed name: from operation and value. */
static void test_kinds_from_futex(void **state)
{
	static const struct {
		uint64_t op, val;
		enum tl_futex_kind fk;
		enum tl_lock_kind want;
	} cases[] = {
		{ 128, 2, TL_FUTEX_WAIT, TL_LK_MUTEX },           /* lll_lock_wait */
		{ 137, 2, TL_FUTEX_WAIT_BITSET, TL_LK_MUTEX },    /* timed lock */
		{ 134, 0, TL_FUTEX_LOCK_PI, TL_LK_MUTEX },
		{ 137, 0, TL_FUTEX_WAIT_BITSET, TL_LK_WAIT_OR_SIGNAL },
		{ 128, 1, TL_FUTEX_WAIT, TL_LK_OTHER },
	};
	struct tl_model *m = tl_model_new(NULL);
	struct tl_proc_info pi = { 0 };
	struct tl_symbolizer *s;

	(void)state;
	hdr(&pi.h, TL_PROC_INFO, sizeof(pi), 1000, 0, 77, 77);
	assert_int_equal(tl_model_feed(m, &pi.h), 0);
	assert_int_equal(tl_model_finish(m, 2000), 0);
	s = tl_symbolizer_new(m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tl_block b = { .why = TL_WHY_FUTEX, .sys_nr = 202, .has_obj = true,
				      .obj = 0x1000 + i * 8, .futex = cases[i].fk,
				      .args = { 0x1000 + i * 8, cases[i].op, cases[i].val } };
		const struct tl_obj_name *o = tl_sym_futex(s, tl_model_find_proc(m, 77, 0),
							   1500, &b);

		assert_non_null(o);
		assert_int_equal(o->lock, cases[i].want);
	}
	tl_symbolizer_free(s);
	tl_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_after_exit),
		cmocka_unit_test(test_kinds_from_futex),
		cmocka_unit_test(test_cpython_gil),
		cmocka_unit_test(test_cpython_gil_dwarf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
