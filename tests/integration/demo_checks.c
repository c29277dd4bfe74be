/* demo_checks.c - shared queries of the demo signature tests (demo_checks.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "demo_checks.h"
#include "tp_check.h"
#include "userspace/recording/syscalls.h"

void dc_run_ok(struct th_run *r, const char *demo)
{
	dc_run_ok_with(r, demo, NULL);
}

void dc_run_ok_with(struct th_run *r, const char *demo, const char *const *rargs)
{
	th_record_demo_with(r, rargs, demo, NULL);
	if (r->record_status != 0 || tl_proc_exit_code(r->root) != 0) {
		th_dump_log(r);
		fail_msg("%s: record status %d, demo exit %d", demo, r->record_status,
			 tl_proc_exit_code(r->root));
	}
}

void dc_record_until(const char *demo, dc_check_fn *check, size_t n)
{
	struct th_run r;
	bool done = false;

	for (int i = 0; i < DC_ATTEMPTS && !done; i++) {
		th_record_demo(&r, demo, NULL);
		done = check(&r, n);
		th_free(&r);
	}
	assert_true(done); /* else the machine was never free enough to measure */
}

int dc_nr(const char *name)
{
	int32_t nr = tl_syscall_nr(name);

	if (nr < 0)
		fail_msg("no x86_64 syscall named %s", name);
	return nr;
}

void dc_phase(const struct th_run *r, const char *name, uint64_t *t0, uint64_t *t1)
{
	char want[TL_USDT_STR_LEN];
	size_t n = tl_model_nmarks(r->m);
	bool found = false;

	snprintf(want, sizeof(want), "phase:%s", name);
	*t0 = 0;
	*t1 = tl_model_stats(r->m)->end;
	for (size_t i = 0; i < n; i++) {
		const struct tl_mark *mk = tl_model_mark(r->m, i);

		if (mk->kind != TL_USDT_MARK || strncmp(mk->str, "phase:", 6))
			continue;
		if (found) {
			*t1 = mk->ts;
			return;
		}
		if (!strcmp(mk->str, want)) {
			*t0 = mk->ts;
			found = true;
		}
	}
	if (!found) {
		th_dump_log(r);
		fail_msg("no USDT mark \"%s\" in the recording (%zu marks)", want, n);
	}
}

const struct tl_thread *dc_thread(const struct th_run *r, const char *name)
{
	const struct tl_thread *t[2];
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nthreads(r->m); i++) {
		const struct tl_thread *x = tl_model_thread(r->m, i);

		if (th_in_tree(x->proc, r->root) && !strcmp(tl_thread_name(x), name) && n++ < 2)
			t[n - 1] = x;
	}
	if (n != 1) {
		th_dump_log(r);
		fail_msg("expected one thread named %s, found %zu", name, n);
	}
	return t[0];
}

const struct tl_process *dc_proc(const struct th_run *r, const char *name)
{
	const struct tl_process *p[2];
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nprocs(r->m); i++) {
		const struct tl_process *x = tl_model_proc(r->m, i);

		if (th_in_tree(x, r->root) && !strcmp(tl_proc_name(x), name) && n++ < 2)
			p[n - 1] = x;
	}
	if (n != 1) {
		th_dump_log(r);
		fail_msg("expected one process named %s, found %zu", name, n);
	}
	return p[0];
}

const struct tl_thread *dc_only_thread(const struct tl_process *p)
{
	assert_int_equal(p->nthreads, 1);
	return p->threads[0];
}

const struct tl_thread *dc_main(const struct th_run *r)
{
	for (size_t i = 0; i < r->root->nthreads; i++)
		if (r->root->threads[i]->tid == r->root->pid)
			return r->root->threads[i];
	fail_msg("process %u has no main thread in the model", r->root->pid);
	return NULL;
}

uint64_t dc_first_run(const struct tl_thread *t)
{
	for (size_t i = 0; i < t->niv; i++)
		if (tl_thread_iv(t, i).state == TL_ST_RUNNING)
			return tl_thread_iv(t, i).start;
	return 0;
}

static bool blocked_by(const struct tl_interval *iv, enum tl_reason why)
{
	return (iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT) &&
	       iv->block->why == why;
}

/* The model hands out intervals by value: a found one is copied here, in
 * a few slots used in turn, so that a test can hold several at once. */
static const struct tl_interval *keep(struct tl_interval iv)
{
	static struct tl_interval slots[8];
	static unsigned next;

	slots[next % 8] = iv;
	return &slots[next++ % 8];
}

const struct tl_interval *dc_last_blocked(const struct tl_thread *t, enum tl_reason why)
{
	for (size_t i = t->niv; i-- > 0;) {
		struct tl_interval iv = tl_thread_iv(t, i);
		if (blocked_by(&iv, why))
			return keep(iv);
	}
	return NULL;
}

const struct tl_interval *dc_longest_blocked(const struct tl_thread *t, enum tl_reason why)
{
	struct tl_interval best = { 0 };
	bool found = false;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);
		if (blocked_by(&iv, why) &&
		    (!found || iv.end - iv.start > best.end - best.start)) {
			best = iv;
			found = true;
		}
	}
	return found ? keep(best) : NULL;
}

const struct tl_interval *dc_longest_woken_by(const struct tl_thread *t,
					      enum tl_reason why, uint32_t waker)
{
	struct tl_interval best = { 0 };
	bool found = false;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);
		if (blocked_by(&iv, why) && iv.waker == waker &&
		    (!found || iv.end - iv.start > best.end - best.start)) {
			best = iv;
			found = true;
		}
	}
	return found ? keep(best) : NULL;
}

void dc_critical_path_through_waker(const struct th_run *r, const struct tl_thread *t,
				    const struct tl_interval *iv)
{
	struct tpc_cp cp[16];
	uint64_t dur = iv->end - iv->start, on = 0;
	size_t n;

	if (!r->pftrace[0])
		return;
	n = tpc_critical_path(r, t, iv->start, dur, cp, 16);
	for (size_t i = 0; i < n && i < 16; i++) {
		print_message("critical path of %u over its %.1f ms wait: %u for %.1f ms\n",
			      t->tid, dur / 1e6, cp[i].tid, cp[i].ns / 1e6);
		if (cp[i].tid == iv->waker)
			on = cp[i].ns;
	}
	if (on < dur / 2)
		fail_msg("Perfetto's critical path of thread %u over its wait at %llu "
			 "holds its waker %u for %llu of %llu ns", t->tid,
			 (unsigned long long)iv->start, iv->waker,
			 (unsigned long long)on, (unsigned long long)dur);
}

size_t dc_count_blocked(const struct tl_thread *t, enum tl_reason why, bool has_obj,
			uint64_t obj, uint64_t t0, uint64_t t1)
{
	size_t n = 0;

	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;

		if (!blocked_by(iv, why) || (has_obj && iv->block->obj != obj))
			continue;
		if (t1 && (iv->end <= t0 || iv->start >= t1))
			continue;
		n++;
	}
	return n;
}

size_t dc_thread_marks(const struct tl_thread *t, uint32_t kind, const char *label)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmarks; i++)
		if (t->marks[i].kind == kind && (!label || !strcmp(t->marks[i].str, label)))
			n++;
	return n;
}

size_t dc_count_marks(const struct th_run *r, uint32_t kind, const char *label)
{
	size_t n = 0;

	for (size_t i = 0; i < tl_model_nthreads(r->m); i++) {
		const struct tl_thread *t = tl_model_thread(r->m, i);

		if (th_in_tree(t->proc, r->root))
			n += dc_thread_marks(t, kind, label);
	}
	return n;
}

double dc_par_share_free(const struct tl_series *s, uint64_t t0, uint64_t t1,
			 unsigned k, double *counted)
{
	uint64_t at_k = 0, free_ns = 0;

	for (size_t i = 0; i < s->nsteps; i++) {
		struct tl_step st = tl_series_step(s, i);
		uint64_t a = st.ts;
		uint64_t b = i + 1 < s->nsteps ? tl_series_step(s, i + 1).ts : s->end;

		a = a < t0 ? t0 : a;
		b = b > t1 ? t1 : b;
		if (b <= a || st.runnable || st.unknown)
			continue;
		free_ns += b - a;
		if (st.running >= k)
			at_k += b - a;
	}
	*counted = t1 > t0 ? (double)free_ns / (double)(t1 - t0) : 0;
	return free_ns ? (double)at_k / (double)free_ns : 0;
}

const char *dc_futex_name(const struct th_run *r, const struct tl_thread *t,
			  const struct tl_interval *iv, enum tl_lock_kind *kind)
{
	static char name[TL_OBJ_NAME_LEN];
	struct tl_symbolizer *s = tl_symbolizer_new(r->m);
	const struct tl_obj_name *o;

	assert_non_null(s);
	o = tl_sym_futex(s, t->proc, iv->start, iv->block);
	assert_non_null(o);
	snprintf(name, sizeof(name), "%s", o->name);
	if (kind)
		*kind = o->lock;
	tl_symbolizer_free(s);
	print_message("%s (%u) waits on %s\n", tl_thread_name(t), t->tid, name);
	return name;
}

const char *dc_addr_name(const struct th_run *r, uint64_t addr)
{
	static char name[TL_OBJ_NAME_LEN];
	struct tl_symbolizer *s = tl_symbolizer_new(r->m);

	assert_non_null(s);
	snprintf(name, sizeof(name), "%s", tl_sym_addr(s, r->root, r->root->end, addr)->name);
	tl_symbolizer_free(s);
	return name;
}

size_t dc_deadlocks(const struct th_run *r, struct tl_deadlock **d)
{
	size_t n = 0;

	assert_int_equal(tl_model_deadlocks(r->m, TL_DEADLOCK_THRESHOLD_NS, d, &n), 0);
	for (size_t i = 0; i < n; i++)
		print_message("deadlock %zu: %zu threads, %.3f s%s\n", i, (*d)[i].n,
			      (double)((*d)[i].until - (*d)[i].since) / 1e9,
			      (*d)[i].unresolved ? ", unresolved" : "");
	return n;
}
