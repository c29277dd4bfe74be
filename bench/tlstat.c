/*
 * tlstat.c - the counts the benchmarks need from a recording: events the
 * kernel side delivered, events it lost, records in the file, bytes per
 * record. Reads the whole file through the recording reader (so a damaged
 * file is noticed) and cross-checks the counts against the trailer.
 *
 * Output, one line: "events N lost N records N bytes N complete 0|1";
 * with -t, one more line per record type present ("type NAME N").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "userspace/recording/recording.h"

struct tally {
	unsigned long long per_type[TL_MAX_TYPES];
	unsigned long long records;
	unsigned long long lost;     /* from the trailer, else the last TL_LOSS */
	int complete;
};

/* Kernel-side events: everything below the snapshot and user-space types. */
static int is_event(unsigned type)
{
	return type < TL_TASK_SNAP;
}

static void count(struct tally *t, const struct tl_hdr *rec, unsigned long long *loss_cpu)
{
	t->records++;
	if (rec->type < TL_MAX_TYPES)
		t->per_type[rec->type]++;
	if (rec->type == TL_LOSS && rec->cpu < TL_MAX_CPUS) {
		const struct tl_loss *l = (const struct tl_loss *)rec;

		loss_cpu[rec->cpu] = l->lost_total;
	}
}

static int read_all(const char *path, struct tally *t)
{
	static unsigned long long loss_cpu[TL_MAX_CPUS];
	const struct tl_hdr *rec;
	struct tl_reader *r;
	enum tl_read_status st;
	char err[256];

	r = tl_reader_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tlstat: %s: %s\n", path, err);
		return -EINVAL;
	}
	while ((st = tl_reader_next(r, &rec)) == TL_READ_OK)
		count(t, rec, loss_cpu);
	if (st == TL_READ_END && tl_reader_trailer(r)) {
		t->complete = 1;
		t->lost = tl_reader_trailer(r)->lost_total;
	} else {
		fprintf(stderr, "tlstat: %s: %s\n", path, tl_reader_error(r));
		for (int c = 0; c < TL_MAX_CPUS; c++)
			t->lost += loss_cpu[c];
	}
	tl_reader_close(r);
	return 0;
}

int main(int argc, char **argv)
{
	static struct tally t;
	unsigned long long events = 0;
	struct stat sb;
	int types = argc == 3 && strcmp(argv[1], "-t") == 0;
	const char *path = argv[argc - 1];

	if (argc != 2 && !types) {
		fprintf(stderr, "usage: tlstat [-t] RECORDING\n");
		return 2;
	}
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "tlstat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (read_all(path, &t) < 0)
		return 1;
	for (unsigned i = 0; i < TL_MAX_TYPES; i++)
		if (is_event(i))
			events += t.per_type[i];
	printf("events %llu lost %llu records %llu bytes %lld complete %d\n",
	       events, t.lost, t.records, (long long)sb.st_size, t.complete);
	for (unsigned i = 0; types && i < TL_MAX_TYPES; i++)
		if (t.per_type[i])
			printf("type %s %llu\n", tl_type_name((uint16_t)i), t.per_type[i]);
	return 0;
}
