/* unpack.c - the reader's background decompressor: one thread that
 * decompresses the block after the one being read (recording_impl.h).
 * Measured on the 5.2 M-record export benchmark, decompressing in line
 * cost the export's thread 0.2-0.25 s of its ~1 s; here it overlaps with
 * building the model. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "recording_impl.h"

enum job_state { IDLE, QUEUED, DONE };

struct tl_unpacker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit;
	enum job_state state;
	uint64_t off;            /* file offset of the block in hand */
	size_t raw_len;
	bool ok;                 /* it gave exactly raw_len bytes */
	struct tl_vec in, out;   /* bytes: stored copy, decompressed */
	ZSTD_DCtx *dctx;
};

static void *unpack_main(void *arg)
{
	struct tl_unpacker *u = arg;

	pthread_mutex_lock(&u->mu);
	for (;;) {
		while (u->state != QUEUED && !u->quit)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->quit)
			break;
		pthread_mutex_unlock(&u->mu);
		size_t k = ZSTD_decompressDCtx(u->dctx, u->out.p, u->raw_len,
					       u->in.p, u->in.n);
		pthread_mutex_lock(&u->mu);
		u->ok = !ZSTD_isError(k) && k == u->raw_len;
		u->state = DONE;
		pthread_cond_broadcast(&u->cv);
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct tl_unpacker *tl_unpacker_new(void)
{
	struct tl_unpacker *u = calloc(1, sizeof(*u));

	if (!u || !(u->dctx = ZSTD_createDCtx()))
		goto fail;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	if (pthread_create(&u->thread, NULL, unpack_main, u) == 0)
		return u;
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
fail:
	if (u)
		ZSTD_freeDCtx(u->dctx);
	free(u);
	return NULL;
}

void tl_unpacker_free(struct tl_unpacker *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->quit = true;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	pthread_join(u->thread, NULL);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	ZSTD_freeDCtx(u->dctx);
	tl_vec_free(&u->in);
	tl_vec_free(&u->out);
	free(u);
}

static enum job_state state_of(struct tl_unpacker *u)
{
	enum job_state st;

	pthread_mutex_lock(&u->mu);
	st = u->state;
	pthread_mutex_unlock(&u->mu);
	return st;
}

/* Only the caller's thread starts and takes, and the worker touches the
 * buffers only while a job is QUEUED, so they need no lock of their own. */
bool tl_unpacker_start(struct tl_unpacker *u, uint64_t off, const void *src,
		       size_t n, size_t raw_len)
{
	if (state_of(u) != IDLE)
		return false;
	if (tl_vec_reserve(&u->in, 1, n) || tl_vec_reserve(&u->out, 1, raw_len))
		return false;
	memcpy(u->in.p, src, n);
	u->in.n = n;
	u->off = off;
	u->raw_len = raw_len;
	pthread_mutex_lock(&u->mu);
	u->state = QUEUED;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	return true;
}

bool tl_unpacker_take(struct tl_unpacker *u, uint64_t off, struct tl_vec *out)
{
	struct tl_vec tmp;
	bool ok;

	pthread_mutex_lock(&u->mu);
	if (u->state == IDLE) {
		pthread_mutex_unlock(&u->mu);
		return false;
	}
	while (u->state != DONE)
		pthread_cond_wait(&u->cv, &u->mu);
	u->state = IDLE;
	ok = u->ok && u->off == off;
	pthread_mutex_unlock(&u->mu);
	if (!ok)
		return false;
	tmp = *out;
	*out = u->out;
	u->out = tmp;
	out->n = u->raw_len;
	return true;
}
