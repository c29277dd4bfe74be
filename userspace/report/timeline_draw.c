/* timeline_draw.c - a thread's timeline as one row of block characters:
 * the span is cut into equal cells and each cell shows the state the thread
 * spent most of that cell in, so the row reads without colour; colour is
 * added on a terminal.
 */
#include <stdio.h>
#include <string.h>
#include "report.h"

static const char *const glyphs[TL_ST_COUNT] = {
	[TL_ST_UNKNOWN] = "?",
	[TL_ST_RUNNING] = "\xe2\x96\x88",  /* U+2588 full block */
	[TL_ST_RUNNABLE] = "\xe2\x96\x92", /* U+2592 medium shade */
	[TL_ST_SLEEPING] = "\xe2\x96\x91", /* U+2591 light shade */
	[TL_ST_UNINT] = "\xe2\x96\x93",    /* U+2593 dark shade */
};

static const char *const colors[TL_ST_COUNT] = {
	[TL_ST_UNKNOWN] = "\033[35m", [TL_ST_RUNNING] = "\033[32m",
	[TL_ST_RUNNABLE] = "\033[33m", [TL_ST_SLEEPING] = "\033[34m",
	[TL_ST_UNINT] = "\033[31m",
};

const char *tl_timeline_glyph(int cell)
{
	return cell >= 0 && cell < TL_ST_COUNT ? glyphs[cell] : " ";
}

const char *tl_timeline_legend(void)
{
	return "\xe2\x96\x88 running  \xe2\x96\x92 runnable  \xe2\x96\x91 sleeping  "
	       "\xe2\x96\x93 uninterruptible  ? unknown";
}

static int dominant(const uint64_t *ns)
{
	int best = TL_CELL_ABSENT;
	uint64_t max = 0;

	/* ties go to the later state in this order: running wins */
	static const int order[] = { TL_ST_UNKNOWN, TL_ST_SLEEPING, TL_ST_UNINT,
				     TL_ST_RUNNABLE, TL_ST_RUNNING };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (ns[order[i]] && ns[order[i]] >= max) {
			max = ns[order[i]];
			best = order[i];
		}
	return best;
}

void tl_timeline_cells(const struct tl_thread *t, uint64_t t0, uint64_t t1,
		       unsigned cols, int8_t *cells)
{
	size_t k = 0;
	uint64_t span = t1 > t0 ? t1 - t0 : 0;

	for (unsigned c = 0; c < cols; c++) {
		uint64_t a = t0 + span * c / cols, b = t0 + span * (c + 1) / cols;
		uint64_t ns[TL_ST_COUNT] = { 0 };
		while (k < t->niv && tl_thread_iv(t, k).end <= a)
			k++;
		for (size_t j = k; j < t->niv && tl_thread_iv(t, j).start < b; j++) {
			struct tl_interval iv_v = tl_thread_iv(t, j);
			const struct tl_interval *iv = &iv_v;
			uint64_t x = iv->start > a ? iv->start : a;
			uint64_t y = iv->end < b ? iv->end : b;
			if (y > x)
				ns[iv->state] += y - x;
		}
		cells[c] = (int8_t)dominant(ns);
	}
}

size_t tl_timeline_draw(const int8_t *cells, unsigned cols, bool color, char *buf,
			size_t len)
{
	size_t n = 0;
	int last = -2;

	if (!len)
		return 0;
	buf[0] = '\0';
	for (unsigned c = 0; c < cols; c++) {
		const char *col = "";
		if (color && cells[c] != last)
			col = cells[c] >= 0 ? colors[cells[c]] : "\033[0m";
		const char *g = tl_timeline_glyph(cells[c]);
		size_t need = strlen(col) + strlen(g);
		if (n + need + 5 >= len)
			break;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", col, g);
		last = cells[c];
	}
	if (color && last != -2)
		n += (size_t)snprintf(buf + n, len - n, "\033[0m");
	return n;
}

const char *tl_fmt_dur(uint64_t ns, char *buf, size_t len)
{
	double v = (double)ns;

	if (ns == 0)
		snprintf(buf, len, "0");
	else if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.0fus", v / 1e3);
	else if (ns < 10000000)
		snprintf(buf, len, "%.2fms", v / 1e6);
	else if (ns < 100000000)
		snprintf(buf, len, "%.1fms", v / 1e6);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.0fms", v / 1e6);
	else if (ns < 1000000000000ull)
		snprintf(buf, len, "%.2fs", v / 1e9);
	else
		snprintf(buf, len, "%.0fs", v / 1e9);
	return buf;
}

/* Names and command lines come from the traced programs, which choose
 * them: a control character would reach the terminal as a command (set
 * the title, clear the screen). Whitespace becomes a space; every other
 * C0 or C1 control and DEL is shown as \xHH. */
const char *tl_fmt_safe(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return buf;
	for (const unsigned char *p = (const unsigned char *)s; *p && n + 1 < len; p++) {
		bool c1 = *p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f; /* U+0080-U+009F */
		if (*p == '\t' || *p == '\n' || *p == '\r') {
			buf[n++] = ' ';
		} else if (*p < 0x20 || *p == 0x7f || c1) {
			if (n + 4 + 4 * c1 >= len)
				break;
			for (int k = 0; k <= c1; k++)
				n += (size_t)snprintf(buf + n, len - n, "\\x%02x", p[k]);
			p += c1;
		} else {
			buf[n++] = (char)*p;
		}
	}
	buf[n] = '\0';
	return buf;
}

static bool utf8_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

const char *tl_fmt_fit(const char *s, size_t width, char *buf, size_t len)
{
	size_t n = strlen(s), tail, head;
	const char *sp = strrchr(s, ' ');

	if (n <= width || width < 8) {
		snprintf(buf, len, "%.*s", (int)(n < width ? n : width), s);
		return buf;
	}
	tail = sp ? n - (size_t)(sp + 1 - s) : 0;
	if (!tail || tail > width * 2 / 3)
		tail = width / 2;
	head = width - 2 - tail;
	while (head && utf8_cont(s[head]))
		head--;
	while (utf8_cont(s[n - tail]))
		tail--;
	snprintf(buf, len, "%.*s..%s", (int)head, s, s + n - tail);
	return buf;
}

void tl_fmt_item(FILE *f, unsigned width, int *col, int start, int indent, const char *sep,
		 const char *text)
{
	int n = (int)strlen(text), ns = (int)strlen(sep);

	if (*col > start && *col + ns + n > (int)width) {
		fprintf(f, "%s\n%*s", sep[0] == ',' ? "," : "", indent, "");
		*col = indent;
	} else if (*col > start) {
		fputs(sep, f);
		*col += ns;
	}
	fputs(text, f);
	*col += n;
}

void tl_report_span(const struct tl_model *m, const struct tl_process *root,
		    uint64_t *t0, uint64_t *t1)
{
	uint64_t a = UINT64_MAX, b = 0;

	for (size_t i = 0; i < tl_model_nprocs(m); i++) {
		const struct tl_process *p = tl_model_proc(m, i);
		if (!tl_report_under(p, root))
			continue;
		a = p->start < a ? p->start : a;
		b = p->end > b ? p->end : b;
	}
	if (a == UINT64_MAX) {
		a = tl_model_stats(m)->start;
		b = tl_model_stats(m)->end;
	}
	*t0 = a;
	*t1 = b > a ? b : a + 1;
}
