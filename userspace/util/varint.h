/* varint.h - unsigned integers in 7-bit groups, low first, the high bit
 * saying another byte follows (LEB128): what the model's compact streams
 * (intervals, wakeup edges) are written in. A value below 128 is one byte.
 */
#ifndef TL_UTIL_VARINT_H
#define TL_UTIL_VARINT_H

#include <stdint.h>

#define TL_VARINT_MAX 10 /* bytes of the largest uint64_t */

/* Writes v at p; returns the byte after it. */
static inline uint8_t *tl_put_var(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Reads a value at *pp and moves *pp past it. */
static inline uint64_t tl_get_var(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned sh = 0;

	if (!(*p & 0x80)) { /* most are one byte */
		*pp = p + 1;
		return *p;
	}
	do {
		v |= (uint64_t)(*p & 0x7f) << sh;
		sh += 7;
	} while (*p++ & 0x80 && sh < 64);
	*pp = p;
	return v;
}

#endif
