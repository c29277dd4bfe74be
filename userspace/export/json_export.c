/* json_export.c - Chrome JSON trace event format from the model.
 * Times are microseconds with nanosecond decimals, as the format wants. */
#include "json_export.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include "model/model.h"
#include "recording/syscalls.h"
#include "util/json.h"

struct js {
	FILE *f;
	bool first;
	uint32_t pid;          /* the process whose series is written */
};

static void us(FILE *f, uint64_t ns)
{
	fprintf(f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

/* Starts one event object with its common fields. */
static void ev_begin(struct js *j, const char *ph, const char *name,
		     uint32_t pid, uint32_t tid, uint64_t ts)
{
	fputs(j->first ? "\n" : ",\n", j->f);
	j->first = false;
	fprintf(j->f, "{\"ph\":\"%s\",\"name\":", ph);
	tl_json_str(j->f, name);
	fprintf(j->f, ",\"pid\":%u,\"tid\":%u,\"ts\":", pid, tid);
	us(j->f, ts);
}

static void meta(struct js *j, const char *what, uint32_t pid, uint32_t tid,
		 const char *name)
{
	ev_begin(j, "M", what, pid, tid, 0);
	fputs(",\"args\":{\"name\":", j->f);
	tl_json_str(j->f, name);
	fputs("}}", j->f);
}

/* The trace event format's process_labels: shown beside the process
 * name, it carries what the process says about itself (its title). */
static void meta_labels(struct js *j, uint32_t pid, const char *labels)
{
	ev_begin(j, "M", "process_labels", pid, 0, 0);
	fputs(",\"args\":{\"labels\":", j->f);
	tl_json_str(j->f, labels);
	fputs("}}", j->f);
}

static const char *state_label(const struct tl_interval *iv)
{
	switch (iv->state) {
	case TL_ST_RUNNING: return "Running";
	case TL_ST_RUNNABLE: return "Runnable";
	case TL_ST_SLEEPING: return "Sleeping";
	case TL_ST_UNINT: return "Uninterruptible";
	default: return "Unknown";
	}
}

/* Who ended a wait: a task's TID, or an interrupt or timer, which names
 * no task (the one it interrupted did not wake anyone). */
static void woken(struct js *j, const struct tl_interval *iv, bool after_field)
{
	const char *sep = after_field ? "," : "";

	if (iv->waker_irq)
		fprintf(j->f, "%s\"woken_by_interrupt\":true", sep);
	else if (iv->waker)
		fprintf(j->f, "%s\"woken_by\":%u", sep, iv->waker);
}

static void state_event(struct js *j, uint32_t pid, const struct tl_thread *t,
			const struct tl_interval *iv)
{
	char name[64];
	bool blocked = iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT;

	if (blocked && iv->block->why != TL_WHY_NONE)
		snprintf(name, sizeof(name), "%s: %s", state_label(iv),
			 tl_reason_name(iv->block->why));
	else
		snprintf(name, sizeof(name), "%s", state_label(iv));
	ev_begin(j, "X", name, pid, t->tid, iv->start);
	fputs(",\"cat\":\"state\",\"dur\":", j->f);
	us(j->f, iv->end - iv->start);
	fputs(",\"args\":{", j->f);
	if (iv->state == TL_ST_RUNNING)
		fprintf(j->f, "\"cpu\":%d", iv->cpu);
	else if (blocked)
		fprintf(j->f, "\"syscall\":\"%s\",\"object\":\"%#" PRIx64 "\"",
			tl_syscall_label(iv->block->sys_nr),
			iv->block->has_obj ? iv->block->obj : 0);
	if (blocked || (iv->state == TL_ST_RUNNABLE && iv->cause != TL_RUN_PREEMPTED))
		woken(j, iv, blocked);
	fputs("}}", j->f);
}

/* Time thread t spent blocked inside [a, b]. */
static uint64_t blocked_in(const struct tl_thread *t, size_t *k, uint64_t a, uint64_t b)
{
	uint64_t ns = 0;

	while (*k < t->niv && tl_thread_iv(t, *k).end <= a)
		(*k)++;
	for (size_t i = *k; i < t->niv && tl_thread_iv(t, i).start < b; i++) {
		struct tl_interval iv_v = tl_thread_iv(t, i);
		const struct tl_interval *iv = &iv_v;
		uint64_t s = iv->start > a ? iv->start : a, e = iv->end < b ? iv->end : b;

		if ((iv->state == TL_ST_SLEEPING || iv->state == TL_ST_UNINT) && e > s)
			ns += e - s;
	}
	return ns;
}

static void syscall_events(struct js *j, uint32_t pid, const struct tl_thread *t)
{
	size_t k = 0;

	for (size_t i = 0; i < t->nsys; i++) {
		const struct tl_syscall *sc = &t->sys[i];
		uint64_t end = sc->flags & TL_SC_NO_EXIT ? t->end : sc->end;
		uint64_t bl = end > sc->start ? blocked_in(t, &k, sc->start, end) : 0;

		if (!bl)
			continue;
		ev_begin(j, "X", tl_syscall_label(sc->nr), pid,
			 t->tid | TL_JSON_SYSCALL_LANE, sc->start);
		fputs(",\"cat\":\"syscall\",\"dur\":", j->f);
		us(j->f, end - sc->start);
		fprintf(j->f, ",\"args\":{\"arg0\":\"%#" PRIx64 "\",\"blocked_ns\":%"
			PRIu64, sc->args[0], bl);
		if (!(sc->flags & TL_SC_NO_EXIT))
			fprintf(j->f, ",\"result\":%" PRId64, sc->ret);
		fputs("}}", j->f);
	}
}

static void thread_events(struct js *j, const struct tl_thread *t)
{
	uint32_t pid = t->proc ? t->proc->pid : t->tid;
	char lane[64];

	meta(j, "thread_name", pid, t->tid, tl_thread_name(t));
	snprintf(lane, sizeof(lane), "%s %u blocking calls", tl_thread_name(t), t->tid);
	/* the lane of any thread that made a syscall: the model may keep only
	 * those it blocked in (tl_model_opts.blocking_syscalls_only) */
	if (t->nsys || t->sum.syscalls)
		meta(j, "thread_name", pid, t->tid | TL_JSON_SYSCALL_LANE, lane);
	for (size_t i = 0; i < t->niv; i++) {
		struct tl_interval iv = tl_thread_iv(t, i);
		state_event(j, pid, t, &iv);
	}
	syscall_events(j, pid, t);
}

static void series_point(void *arg, const struct tl_step *s)
{
	struct js *j = arg;

	ev_begin(j, "C", "parallelism", j->pid, 0, s->ts);
	fprintf(j->f, ",\"args\":{\"running\":%u,\"runnable\":%u}}",
		s->running, s->runnable);
}

static int process_events(struct js *j, const struct tl_process *p)
{
	meta(j, "process_name", p->pid, 0, tl_proc_label(p));
	if (p->cmdline[0]) /* its command line or title, as read: extra */
		meta_labels(j, p->pid, p->cmdline);
	j->pid = p->pid;
	/* streamed from the threads' intervals: none of its steps is kept */
	return tl_proc_series_each(p, series_point, j);
}

static void header(struct js *j, const struct tl_model *m, const struct tl_rec_info *info)
{
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"command\":", j->f);
	tl_json_str(j->f, info->cmdline);
	fputs(",\"target\":", j->f);
	tl_json_str(j->f, info->target);
	fputs(",\"tool_version\":", j->f);
	tl_json_str(j->f, info->tool_version);
	fprintf(j->f, ",\"lost_events\":%" PRIu64 "},\"traceEvents\":[",
		tl_model_stats(m)->lost_total);
}

int tl_json_write(FILE *f, const struct tl_model *m, const struct tl_rec_info *info)
{
	struct js j = { .f = f, .first = true };

	header(&j, m, info);
	for (size_t i = 0; i < tl_model_nprocs(m); i++)
		if (process_events(&j, tl_model_proc(m, i)))
			return -ENOMEM;
	for (size_t i = 0; i < tl_model_nthreads(m); i++)
		thread_events(&j, tl_model_thread(m, i));
	for (size_t i = 0, total = 0; i < tl_model_nlosses(m); i++) {
		const struct tl_loss_ev *l = tl_model_loss(m, i);

		total += l->lost_new;
		ev_begin(&j, "C", "lost events", 0, 0, l->ts);
		fprintf(f, ",\"args\":{\"total\":%zu}}", total);
	}
	fputs("\n]}\n", f);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
