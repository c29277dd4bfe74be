/* fuzz_reader.c - libFuzzer target for the recording reader: open from
 * memory and read to the end must never crash, hang or leak, whatever the
 * bytes. Random bytes rarely get past the header checksum, so the first
 * input byte picks a mode: 0 feeds the bytes as they are; 1 puts a valid
 * header in front and wraps the rest in blocks with correct CRCs, so the
 * record checks are reached; 2 writes the bytes over a valid recording and
 * fixes the CRCs, so damaged but well-framed files are reached. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "userspace/recording/recording.h"

static uint8_t *seed;        /* a valid recording with a few records */
static size_t seed_len, seed_hdr_len;

static void make_seed(void)
{
	struct tl_rec_info info;
	struct tl_switch sw;
	struct tl_writer *w;
	char path[64];
	uint32_t hlen;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/tl-fuzz-seed.%d", (int)getpid());
	tl_rec_info_init(&info);
	info.ncpus = 4;
	w = tl_writer_open(path, &info, -1, -1);
	if (!w)
		abort();
	memset(&sw, 0, sizeof(sw));
	sw.h.size = sizeof(sw);
	sw.h.type = TL_SWITCH;
	for (int i = 0; i < 6; i++) {
		sw.h.ts = 1000u + (unsigned)i;
		sw.h.cpu = (uint16_t)(i % 4);
		tl_writer_append(w, &sw.h);
		if (i == 2)
			tl_writer_flush(w);
	}
	tl_writer_close(w, 2000, 0, 0, 0);
	f = fopen(path, "rb");
	seed = malloc(1 << 16);
	seed_len = fread(seed, 1, 1 << 16, f);
	fclose(f);
	unlink(path);
	memcpy(&hlen, seed + 12, 4);
	seed_hdr_len = hlen;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_seed();
	return 0;
}

static void read_through(const uint8_t *data, size_t len)
{
	char err[512];
	struct tl_reader *r = tl_reader_open_mem(data, len, err, sizeof(err));
	const struct tl_hdr *rec;
	uint64_t sum = 0;

	if (!r)
		return;
	(void)tl_reader_info(r);
	while (tl_reader_next(r, &rec) == TL_READ_OK)
		sum += rec->size + rec->type; /* touch what was handed out */
	(void)tl_reader_error(r);
	(void)tl_reader_trailer(r);
	(void)tl_reader_offset(r);
	tl_reader_close(r);
	if (sum == 1)
		fprintf(stderr, "unlikely\n");
}

static void put_block(uint8_t *out, size_t *n, const uint8_t *payload, uint32_t plen,
		      uint32_t count)
{
	uint32_t bh[4] = { TL_BLOCK_MAGIC, plen, tl_crc32(0, payload, plen), count };

	memcpy(out + *n, bh, sizeof(bh));
	memcpy(out + *n + sizeof(bh), payload, plen);
	*n += sizeof(bh) + plen;
}

/* Valid header, then the input cut in blocks whose length and record count
 * come from the input too. */
static void wrapped(const uint8_t *data, size_t len)
{
	uint8_t *out = malloc(seed_hdr_len + len * 7 + 64); /* 16 per 3 bytes */
	size_t n = seed_hdr_len;

	memcpy(out, seed, seed_hdr_len);
	while (len >= 3) {
		uint32_t count = data[0] % 8 + 1, plen = data[1] * 4u + data[2] % 4;

		data += 3;
		len -= 3;
		if (plen > len)
			plen = (uint32_t)len;
		put_block(out, &n, data, plen, count);
		data += plen;
		len -= plen;
	}
	read_through(out, n);
	free(out);
}

/* The valid recording with input bytes written over it at input offsets,
 * then every block's CRC made right again. */
static void damaged(const uint8_t *data, size_t len)
{
	uint8_t *out = malloc(seed_len);
	size_t off;

	memcpy(out, seed, seed_len);
	for (size_t i = 0; i + 2 < len; i += 3) {
		off = ((size_t)data[i] << 8 | data[i + 1]) % seed_len;
		out[off] = data[i + 2];
	}
	off = seed_hdr_len;
	while (off + TL_BLOCK_HDR_LEN <= seed_len) {
		uint32_t plen;
		uint32_t crc;

		memcpy(&plen, out + off + 4, 4);
		if (plen > seed_len - off - TL_BLOCK_HDR_LEN)
			break;
		crc = tl_crc32(0, out + off + TL_BLOCK_HDR_LEN, plen);
		memcpy(out + off + 8, &crc, 4);
		off += TL_BLOCK_HDR_LEN + plen;
	}
	read_through(out, seed_len);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	switch (data[0] % 3) {
	case 0: read_through(data + 1, len - 1); break;
	case 1: wrapped(data + 1, len - 1); break;
	default: damaged(data + 1, len - 1); break;
	}
	return 0;
}
