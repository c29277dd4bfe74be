/* records.h - builds record headers for the unit tests' synthetic streams
 * (header-only: each unit test is one source file). */
#ifndef TL_TEST_RECORDS_H
#define TL_TEST_RECORDS_H

#include <stdint.h>
#include <string.h>
#include "bpf/tl_abi.h"

/* Fills a record header; tid/pid are the task current when it fired. */
static inline void hdr(struct tl_hdr *h, uint16_t type, uint16_t size, uint64_t ts,
		       int cpu, uint32_t tid, uint32_t pid)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->ts = ts;
	h->cpu = (uint16_t)cpu;
	h->tid = tid;
	h->tgid = pid;
}

#endif
