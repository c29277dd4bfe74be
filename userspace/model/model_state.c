/* model_state.c - a thread's open interval and how it changes: the one place
 * that appends intervals, so the tiling invariant (no gap, no overlap, no
 * empty interval) holds by construction; the Unknown rules for missed
 * events and for loss (docs/model.md, "Unknown").
 */
#include "model_impl.h"


struct tl_interval tl_iv_make(uint8_t state, uint8_t cause, int cpu)
{
	return (struct tl_interval){ .state = state, .cause = cause,
				     .cpu = (int16_t)cpu, .prio = TL_PRIO_UNKNOWN,
				     .block = &tl_block_none };
}

/* Adds a closed interval to its thread's totals. Intervals never change
 * once closed, so this is done here, while the interval is still in the
 * cache, rather than in another pass over them all at the end. */
static void sum_add(struct thr *t, const struct tl_interval *iv)
{
	uint64_t d = iv->end - iv->start;

	t->lv->ns[iv->state] += d;
	if (iv->state != TL_ST_SLEEPING && iv->state != TL_ST_UNINT)
		return;
	if (iv->block->why != TL_WHY_NONE)
		t->lv->ns[TL_ST_COUNT + iv->block->why - 1] += d;
	if (iv->block->why == TL_WHY_FUTEX)
		t->pub.sum.futex_waits++;
	if (iv->block->why == TL_WHY_SOCKET)
		t->socket_blocks++;
}

static bool awake(uint8_t state)
{
	return state == TL_ST_RUNNING || state == TL_ST_RUNNABLE;
}

/* Closes the open interval at ts (dropping it when empty) and opens next. */
void tl_thr_set(struct tl_model *m, struct thr *t, uint64_t ts,
	     const struct tl_interval *next)
{
	if (t->ended)
		return;
	if (awake(next->state) && !awake(t->lv->cur.state))
		t->lv->awake_since = ts;
	if (next->state == TL_ST_SLEEPING || next->state == TL_ST_UNINT)
		t->lv->sys_blocked = true;   /* read only while in_sys */
	if (ts > t->lv->cur.start) {
		struct tl_interval iv = t->lv->cur;
		iv.end = ts;
		if (tl_thr_iv_push(m, t, &iv))
			return;
		sum_add(t, &iv);
	}
	t->lv->cur = *next;
	t->lv->cur.start = ts;
	t->lv->cur.end = 0;
}

/* From `from` on, the thread's state is Unknown until its next definite
 * event; from = the open interval's start re-labels the whole interval. */
void tl_thr_unknown_from(struct tl_model *m, struct thr *t, uint64_t from,
		      uint8_t cause)
{
	if (t->ended || t->lv->cur.state == TL_ST_UNKNOWN)
		return;
	t->lv->pend_wake = false;
	struct tl_interval u = tl_iv_make(TL_ST_UNKNOWN, cause, -1);
	if (from > t->lv->cur.start) {
		tl_thr_set(m, t, from, &u);
		return;
	}
	u.start = t->lv->cur.start;
	t->lv->cur = u;
}

uint64_t tl_thr_awake_since(const struct thr *t)
{
	if (!t->lv)
		return t->pub.end;   /* ended: its open interval began then */
	return awake(t->lv->cur.state) ? t->lv->awake_since : t->lv->cur.start;
}

/* An event says the open interval cannot be what the model believed (an
 * event was missed with no loss counted): it becomes Unknown. */
void tl_thr_inconsistent(struct tl_model *m, struct thr *t)
{
	if (t->ended || t->lv->cur.state == TL_ST_UNKNOWN)
		return;
	m->st.inconsistencies++;
	tl_thr_unknown_from(m, t, t->lv->cur.start, TL_UNK_INCONSISTENT);
}

/* Some kernels leave out the sched_switch event of a switch now and then
 * (seen beside ftrace: both miss the same switch, see docs/model.md). A
 * thread found current on cpu while the model has it Runnable was switched
 * in by such a switch: after the last switch reported on that CPU, which
 * put another task there. Only from then on is its state unknown. */
void tl_thr_missed_switch_in(struct tl_model *m, struct thr *t, int cpu)
{
	if (t->ended || t->lv->cur.state == TL_ST_UNKNOWN)
		return;
	uint64_t from = t->lv->cur.start;
	if (t->lv->cur.state == TL_ST_RUNNABLE && cpu >= 0 &&
	    m->cpu_switch_ts[cpu] > from)
		from = m->cpu_switch_ts[cpu];
	m->st.inconsistencies++;
	tl_thr_unknown_from(m, t, from, TL_UNK_INCONSISTENT);
}

void tl_thr_end(struct tl_model *m, struct thr *t, uint64_t ts)
{
	if (t->ended)
		return;
	struct tl_interval none = tl_iv_make(TL_ST_UNKNOWN, 0, -1);
	tl_thr_set(m, t, ts, &none);
	t->ended = true;
	t->pub.end = ts;
	t->lv->pend_wake = false;
	if (t->lv->in_sys) {
		struct tl_syscall *sc = model_push(m, &t->lv->sys, sizeof(*sc));
		if (sc) {
			*sc = t->lv->cur_sys;
			sc->end = ts;
		}
		t->lv->in_sys = false;
	}
	tl_thr_retire(m, t);
}

void tl_thr_running(struct tl_model *m, struct thr *t, uint64_t ts, int cpu, int32_t prio)
{
	struct tl_interval n = tl_iv_make(TL_ST_RUNNING, 0, cpu);

	n.prio = prio_of(prio);
	tl_thr_set(m, t, ts, &n);
	if (t->lv)
		t->lv->pend_wake = false;
	if (cpu >= 0)
		m->cpu_curr[cpu] = t->pub.tid;
}

/* Whoever the model had on cpu (other than except) is not there any more. */
void tl_model_cpu_vacate(struct tl_model *m, int cpu, uint32_t except_tid)
{
	if (cpu < 0)
		return;
	uint32_t tid = m->cpu_curr[cpu];
	m->cpu_curr[cpu] = 0;
	if (!tid || tid == except_tid)
		return;
	struct thr *x = tl_thr_find(m, tid);
	if (x && x->lv->cur.state == TL_ST_RUNNING && x->lv->cur.cpu == cpu)
		tl_thr_inconsistent(m, x);
}

/* hdr.tid was current on hdr.cpu at hdr.ts: a definite Running. */
void tl_model_observe_current(struct tl_model *m, const struct tl_hdr *h)
{
	int cpu = h->cpu < TL_CPU_SLOTS ? h->cpu : -1;

	if (!h->tid)
		return;
	struct thr *t = tl_thr_get(m, h->tid, h->tgid, h->ts);
	if (!t || t->ended)
		return;
	if (t->lv->cur.state == TL_ST_RUNNING && t->lv->cur.cpu == cpu) {
		if (t->lv->pend_wake && h->ts > t->lv->pend_ts)
			t->lv->pend_wake = false;
		return;
	}
	tl_thr_missed_switch_in(m, t, cpu);
	tl_model_cpu_vacate(m, cpu, h->tid);
	tl_thr_running(m, t, h->ts, cpu, t->lv->cur.prio);
}

void tl_model_on_loss(struct tl_model *m, const struct tl_loss *l)
{
	int cpu = l->h.cpu < TL_CPU_SLOTS ? l->h.cpu : 0;
	struct tl_loss_ev *e = model_push(m, &m->losses, sizeof(*e));

	if (!e)
		return;
	*e = (struct tl_loss_ev){ .ts = l->h.ts, .cpu = l->h.cpu,
		.lost_new = l->lost_new, .lost_total = l->lost_total };
	m->st.loss_records++;
	m->st.lost_total += l->lost_new;
	uint64_t w0 = m->loss_prev_ts[cpu] ? m->loss_prev_ts[cpu] : m->st.start;
	m->loss_prev_ts[cpu] = l->h.ts;
	if (!l->lost_new)
		return;
	if (!m->st.first_loss_ts)
		m->st.first_loss_ts = l->h.ts;
	m->st.last_loss_ts = l->h.ts;
	/* The lost events happened after this CPU's previous loss report:
	 * every state open since then may have changed unseen. */
	struct thr **ts = m->thrs.p;
	for (size_t i = 0; i < m->thrs.n; i++) {
		struct thr *t = ts[i];
		if (t->ended)
			continue;
		uint64_t from = t->lv->cur.start > w0 ? t->lv->cur.start : w0;
		tl_thr_unknown_from(m, t, from, TL_UNK_LOSS);
	}
}
