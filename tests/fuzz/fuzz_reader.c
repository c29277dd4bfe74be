/* fuzz_reader.c - libFuzzer target for the recording reader: open from
 * memory and read to the end must never crash, hang or leak, whatever the
 * bytes. Random bytes rarely get past the header checksum, so the first
 * input byte picks a mode: 0 feeds the bytes as they are; 1 puts a valid
 * header in front and wraps the rest in blocks with correct CRCs, so the
 * record checks are reached: raw blocks of format 2, zstd-compressed
 * blocks of format 2 (the input compressed, so the decompressed records
 * are the input's) or format 1's blocks; 2 writes the bytes over a valid
 * recording, raw or compressed, and fixes the CRCs, so damaged but
 * well-framed files (and damaged zstd frames) are reached. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "userspace/recording/recording.h"

/* valid recordings with a few dozen records: [0] raw blocks, [1] zstd */
static uint8_t *seed[2];
static size_t seed_len[2], seed_hdr_len;

static void make_seed(int level)
{
	struct tl_rec_info info;
	struct tl_switch sw;
	struct tl_writer *w;
	char path[64];
	uint32_t hlen;
	FILE *f;
	int k = level != 0;

	snprintf(path, sizeof(path), "/tmp/tl-fuzz-seed.%d", (int)getpid());
	tl_rec_info_init(&info);
	info.ncpus = 4;
	w = tl_writer_open(path, &info, -1, -1);
	if (!w)
		abort();
	tl_writer_set_level(w, level);
	memset(&sw, 0, sizeof(sw));
	sw.h.size = sizeof(sw);
	sw.h.type = TL_SWITCH;
	for (int i = 0; i < 40; i++) {
		sw.h.ts = 1000u + (unsigned)i;
		sw.h.cpu = (uint16_t)(i % 4);
		tl_writer_append(w, &sw.h);
		if (i == 20)
			tl_writer_flush(w);
	}
	tl_writer_close(w, 2000, 0, 0, 0);
	f = fopen(path, "rb");
	seed[k] = malloc(1 << 16);
	seed_len[k] = fread(seed[k], 1, 1 << 16, f);
	fclose(f);
	unlink(path);
	memcpy(&hlen, seed[k] + 12, 4);
	seed_hdr_len = hlen;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	make_seed(0);
	make_seed(TL_WRITER_LEVEL);
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

enum wrap { WRAP_RAW, WRAP_ZSTD, WRAP_V1 };

/* One block of payload; a zstd block stores it compressed, so that the
 * reader decompresses the input's bytes. */
static void put_block(uint8_t *out, size_t *n, const uint8_t *payload, uint32_t plen,
		      uint32_t count, enum wrap how)
{
	uint32_t bh[6] = { TL_BLOCK_MAGIC, plen, 0, count, plen, TL_CODEC_RAW };
	size_t hl = how == WRAP_V1 ? TL_BLOCK_HDR_LEN_V1 : TL_BLOCK_HDR_LEN;
	uint8_t *at = out + *n + hl;

	if (how == WRAP_ZSTD) {
		size_t z = ZSTD_compress(at, ZSTD_compressBound(plen), payload, plen, 1);

		if (ZSTD_isError(z))
			return;
		bh[1] = (uint32_t)z;
		bh[5] = TL_CODEC_ZSTD;
	} else {
		memcpy(at, payload, plen);
	}
	bh[2] = tl_crc32(0, at, bh[1]);
	memcpy(out + *n, bh, hl);
	*n += hl + bh[1];
}

/* Valid header, then the input cut in blocks whose length and record count
 * come from the input too. */
static void wrapped(const uint8_t *data, size_t len, enum wrap how)
{
	/* per block: 3 input bytes, a header, a payload or its zstd bound */
	uint8_t *out = malloc(seed_hdr_len + len * 30 + 256);
	size_t n = seed_hdr_len;
	uint32_t v1 = 1, crc;

	memcpy(out, seed[0], seed_hdr_len);
	if (how == WRAP_V1) { /* the same header as format 1 */
		memcpy(out + 8, &v1, 4);
		crc = tl_crc32(0, out, seed_hdr_len - 8);
		memcpy(out + seed_hdr_len - 4, &crc, 4);
	}
	while (len >= 3) {
		uint32_t count = data[0] % 8 + 1, plen = data[1] * 4u + data[2] % 4;

		data += 3;
		len -= 3;
		if (plen > len)
			plen = (uint32_t)len;
		put_block(out, &n, data, plen, count, how);
		data += plen;
		len -= plen;
	}
	read_through(out, n);
	free(out);
}

/* The valid recording with input bytes written over it at input offsets,
 * then every block's CRC made right again. */
static void damaged(const uint8_t *data, size_t len, int k)
{
	size_t seed_n = seed_len[k];
	uint8_t *out = malloc(seed_n);
	size_t off;

	memcpy(out, seed[k], seed_n);
	for (size_t i = 0; i + 2 < len; i += 3) {
		off = ((size_t)data[i] << 8 | data[i + 1]) % seed_n;
		out[off] = data[i + 2];
	}
	off = seed_hdr_len;
	while (off + TL_BLOCK_HDR_LEN <= seed_n) {
		uint32_t plen;
		uint32_t crc;

		memcpy(&plen, out + off + 4, 4);
		if (plen > seed_n - off - TL_BLOCK_HDR_LEN)
			break;
		crc = tl_crc32(0, out + off + TL_BLOCK_HDR_LEN, plen);
		memcpy(out + off + 8, &crc, 4);
		off += TL_BLOCK_HDR_LEN + plen;
	}
	read_through(out, seed_n);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (len == 0)
		return 0;
	switch (data[0] % 6) {
	case 0: read_through(data + 1, len - 1); break;
	case 1: wrapped(data + 1, len - 1, WRAP_RAW); break;
	case 2: wrapped(data + 1, len - 1, WRAP_ZSTD); break;
	case 3: wrapped(data + 1, len - 1, WRAP_V1); break;
	case 4: damaged(data + 1, len - 1, 0); break;
	default: damaged(data + 1, len - 1, 1); break;
	}
	return 0;
}
