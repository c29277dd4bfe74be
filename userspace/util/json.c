/* json.c - the JSON string writer (json.h). Runs of bytes that need no
 * escape are written with one fwrite. */
#include "json.h"

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (2..4), or 0. RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)   /* a NUL stops here too */
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* The short escape of c, or 0 when it has none. */
static char short_escape(unsigned char c)
{
	switch (c) {
	case '"': return '"';
	case '\\': return '\\';
	case '\b': return 'b';
	case '\f': return 'f';
	case '\n': return 'n';
	case '\r': return 'r';
	case '\t': return 't';
	default: return 0;
	}
}

/* Bytes from p on that are written as they are. */
static size_t plain_run(const unsigned char *p)
{
	size_t n = 0;

	for (;;) {
		unsigned char c = p[n];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			n++;
		} else if (c >= 0x80) {
			size_t u = utf8_len(p + n);

			if (!u)
				return n;
			n += u;
		} else {
			return n;
		}
	}
}

void tl_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = plain_run(p);
		char e;

		if (n) {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		e = short_escape(*p);
		if (e)
			fprintf(f, "\\%c", e);
		else
			fprintf(f, "\\u%04x", *p);
		p++;
	}
	fputc('"', f);
}
