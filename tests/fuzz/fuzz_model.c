/* fuzz_model.c - libFuzzer target for everything after the reader: the
 * model, the text and JSON reports, the JSON export and the Perfetto export
 * (checked by the importer-rule checker), all in memory. Random bytes would
 * stop at the reader, so the input is turned into a well-framed recording:
 * a valid header, then records of known types and sizes, in time order, on
 * valid CPUs, in blocks with correct CRCs. What is fuzzed is the content of
 * the records; task ids are folded onto a few values so that records meet
 * the same tasks (parents, wakers, forks of each other). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "userspace/export/json_export.h"
#include "userspace/export/perfetto/pb.h"
#include "userspace/export/perfetto/perfetto.h"
#include "userspace/export/perfetto/perfetto_check.h"
#include "userspace/load/load.h"
#include "userspace/report/report.h"

#define NCPUS 2
#define MAX_RECORDS 256

static uint8_t *hdr_bytes;   /* a valid file header */
static size_t hdr_len;

static void make_header(void)
{
	struct tl_rec_info info;
	char path[64];
	uint32_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/tl-fuzz-model.%d", (int)getpid());
	tl_rec_info_init(&info);
	info.ncpus = NCPUS;
	snprintf(info.target, sizeof(info.target), "cmd: fuzz");
	struct tl_writer *w = tl_writer_open(path, &info, -1, -1);
	if (!w || tl_writer_close(w, 1, 0, 0, 0))
		abort();
	f = fopen(path, "rb");
	hdr_bytes = malloc(TL_REC_HEADER_MAX);
	if (!f || !hdr_bytes || fread(hdr_bytes, 1, TL_REC_PREFIX_LEN, f) != TL_REC_PREFIX_LEN)
		abort();
	memcpy(&len, hdr_bytes + 12, 4);
	hdr_len = len;
	if (hdr_len > TL_REC_HEADER_MAX || fseek(f, 0, SEEK_SET) ||
	    fread(hdr_bytes, 1, hdr_len, f) != hdr_len)
		abort();
	fclose(f);
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_header();
	return 0;
}

/* The input, read a byte at a time; zeros once it is used up. */
struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Task ids: mostly a few traced ones, sometimes 0 (idle) or 1. */
static uint32_t task_id(uint32_t v)
{
	v %= 8;
	return v < 2 ? v : 98 + v;
}

static const uint16_t types[] = {
	TL_SWITCH, TL_WAKING, TL_WAKEUP_NEW, TL_MIGRATE, TL_FORK, TL_NEWTASK,
	TL_EXEC, TL_EXIT, TL_WAIT, TL_RENAME, TL_SYS_ENTER, TL_SYS_EXIT,
	TL_SIGNAL_GEN, TL_SIGNAL_DELIVER, TL_USDT, TL_TASK_SNAP, TL_PROC_INFO,
	TL_LOSS, TL_SOCK_PEER, TL_SOCK_COUNT,
};

#define FOLD(field) ((field) = task_id(field))

/* The ids a record names besides its header's. */
static void fold_ids(struct tl_hdr *h)
{
	switch (h->type) {
	case TL_SWITCH: { struct tl_switch *r = (void *)h;
		FOLD(r->next_tid); FOLD(r->next_tgid); break; }
	case TL_WAKING:
	case TL_WAKEUP_NEW: { struct tl_waking *r = (void *)h;
		FOLD(r->tid); FOLD(r->tgid); break; }
	case TL_MIGRATE: { struct tl_migrate *r = (void *)h;
		FOLD(r->tid); FOLD(r->tgid); break; }
	case TL_FORK: { struct tl_fork *r = (void *)h;
		FOLD(r->child_tid); FOLD(r->child_tgid); break; }
	case TL_NEWTASK: { struct tl_newtask *r = (void *)h;
		FOLD(r->tid); FOLD(r->tgid); break; }
	case TL_EXEC: { struct tl_exec *r = (void *)h; FOLD(r->old_tid); break; }
	case TL_RENAME: { struct tl_rename *r = (void *)h;
		FOLD(r->tid); FOLD(r->tgid); break; }
	case TL_SIGNAL_GEN: { struct tl_signal_gen *r = (void *)h;
		FOLD(r->tid); FOLD(r->tgid); break; }
	case TL_TASK_SNAP: { struct tl_task_snap *r = (void *)h; FOLD(r->ppid); break; }
	case TL_PROC_INFO: { struct tl_proc_info *r = (void *)h; FOLD(r->ppid); break; }
	default: break;
	}
}

/* One record from the input at out (8-byte aligned room for the largest);
 * returns its size. */
static size_t one_record(struct in *in, uint8_t *out, uint64_t *ts)
{
	uint16_t type = types[byte(in) % (sizeof(types) / sizeof(types[0]))];
	size_t size = tl_record_min_size(type);
	struct tl_hdr *h = (struct tl_hdr *)out;

	if (type == TL_PROC_INFO) /* a command line of up to 63 bytes */
		size = (size + byte(in) % 64 + 7) & ~(size_t)7;
	memset(out, 0, size);
	for (size_t i = sizeof(*h); i < size && in->n; i++)
		out[i] = byte(in);
	*ts += byte(in) % 16 * 1000;
	h->size = (uint16_t)size;
	h->type = type;
	h->cpu = byte(in) % NCPUS;
	h->flags = byte(in) % 2 ? TL_HDR_F_IRQ : 0;
	h->ts = *ts;
	h->tid = task_id(byte(in));
	h->tgid = byte(in) % 2 ? h->tid : task_id(byte(in));
	fold_ids(h);
	return size;
}

/* Header, then the records in blocks of up to 32. */
static uint8_t *build(struct in *in, size_t *len)
{
	size_t cap = hdr_len + MAX_RECORDS * (TL_BLOCK_HDR_LEN + 1100);
	uint8_t *buf = malloc(cap);
	uint64_t ts = 1000000000;
	size_t n = hdr_len;

	memcpy(buf, hdr_bytes, hdr_len);
	for (int r = 0; r < MAX_RECORDS && in->n;) {
		size_t at = n, count = 0;
		n += TL_BLOCK_HDR_LEN;
		for (; count < 32 && r < MAX_RECORDS && in->n; count++, r++)
			n += one_record(in, buf + n, &ts);
		uint32_t bh[4] = { TL_BLOCK_MAGIC, (uint32_t)(n - at - TL_BLOCK_HDR_LEN), 0,
				   (uint32_t)count };
		bh[2] = tl_crc32(0, buf + at + TL_BLOCK_HDR_LEN, bh[1]);
		memcpy(buf + at, bh, sizeof(bh));
	}
	*len = n;
	return buf;
}

/* ---- the consumers ---- */

struct pf_run {
	struct pb_writer w;
	struct tl_pf *pf;
};

static int pf_begin(void *arg, const struct tl_rec_info *info, struct tl_load_result *res)
{
	struct pf_run *x = arg;

	(void)res;
	if (tl_pb_init_mem(&x->w, 4096))
		abort();
	x->pf = tl_pf_new(&x->w, info);
	return x->pf ? 0 : -1;
}

static void pf_record(void *arg, const struct tl_hdr *rec)
{
	tl_pf_record(((struct pf_run *)arg)->pf, rec);
}

static void reports(const struct tl_model *m, const struct tl_load_result *lr,
		    uint32_t pid)
{
	struct tl_report_opts o = { .width = 60 + pid % 40, .timeline = true, .pid = pid,
				    .syscalls = pid & 1 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	tl_report_text(f, m, lr, &o);
	tl_report_json(f, m, lr, &o);
	tl_json_write(f, m, &lr->info);
	fclose(f);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	size_t len;
	uint8_t *rec = build(&in, &len);
	struct pf_run x = { 0 };
	struct tl_load_hooks hooks = { .blocking_syscalls_only = true,
		.begin = pf_begin, .record = pf_record, .arg = &x };
	struct tl_load_result lr;
	struct tl_model *m;

	if (tl_load_mem(rec, len, &hooks, &m, &lr) == 0) {
		if (tl_model_check(m, NULL, 0))
			abort(); /* the model broke its own invariants */
		reports(m, &lr, 0);
		for (size_t i = 0; i < tl_model_nprocs(m) && i < 8; i++)
			reports(m, &lr, tl_model_proc(m, i)->pid); /* report -p */
		if (!tl_pf_finish(x.pf, m)) {
			struct tl_pf_check ck;
			char err[256];
			tl_pf_check(pb_data(&x.w), pb_size(&x.w), &ck, err, sizeof(err));
		}
		tl_model_free(m);
	}
	tl_pf_free(x.pf);
	if (x.w.buf)
		tl_pb_close(&x.w);
	free(rec);
	return 0;
}
