#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loghist.h"

/* The two text forms share this: slot k's key is k (@width 0, log2 slots) or k x @width
 * (the bin's lower edge in us). */
static int hist_format(const uint64_t *n, int nslots, int width, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (int k = 0; k < nslots; k++) {
		int m;

		if (!n[k])
			continue;
		m = snprintf(buf + used, len - used, "%s%d:%llu", used ? " " : "",
			     width ? k * width : k, (unsigned long long)n[k]);
		if (m < 0 || (size_t)m >= len - used) {
			buf[0] = 0;
			return -ENOSPC;
		}
		used += (size_t)m;
	}
	return (int)used;
}

static int hist_parse(const char *s, double *w, int nslots, int width, char *err, size_t len)
{
	const char *p = s;
	long last = -1;
	double total = 0;
	const char *kname = width ? "bin" : "slot";

	memset(w, 0, (size_t)nslots * sizeof(*w));
	for (;;) {
		char *end;
		long k;
		double v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		errno = 0;
		k = strtol(p, &end, 10);
		if (end == p || *end != ':' || errno || k < 0 || k >= (long)nslots * (width ? width : 1) ||
		    (width && k % width)) {
			if (width)
				snprintf(err, len, "'%.*s' is not US:COUNT with a bin start of 0, %d, "
					 "..., %d us", (int)strcspn(p, " \t"), p, width,
					 (nslots - 1) * width);
			else
				snprintf(err, len, "'%.*s' is not SLOT:COUNT with a slot of 0..%d",
					 (int)strcspn(p, " \t"), p, nslots - 1);
			return -EINVAL;
		}
		if (k <= last) {
			snprintf(err, len, "%s %ld after %s %ld: %ss go up, each once", kname, k, kname,
				 last, kname);
			return -EINVAL;
		}
		p = end + 1;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || (*end && *end != ' ' && *end != '\t') || errno || !isfinite(v) ||
		    v < 0) {
			snprintf(err, len, "%s %ld: count '%.*s' is not a finite number >= 0", kname, k,
				 (int)strcspn(p, " \t"), p);
			return -EINVAL;
		}
		w[width ? k / width : k] = v;
		total += v;
		last = k;
		p = end;
	}
	if (!isfinite(total)) {
		snprintf(err, len, "the counts add up to more than a double holds");
		return -EINVAL;
	}
	if (!(total > 0)) {
		snprintf(err, len, "no count above 0 (expected %s, e.g. \"%s\")",
			 width ? "US:COUNT ..." : "SLOT:COUNT ...", width ? "44:40 46:900" : "12:40 13:900");
		return -EINVAL;
	}
	return 0;
}

int loghist_format(const uint64_t *n, char *buf, size_t len)
{
	return hist_format(n, LOGHIST_SLOTS, 0, buf, len);
}

int loghist_parse(const char *s, double *w, char *err, size_t len)
{
	return hist_parse(s, w, LOGHIST_SLOTS, 0, err, len);
}

int ushist_format(const uint64_t *n, char *buf, size_t len)
{
	return hist_format(n, USHIST_BINS, USHIST_WIDTH_US, buf, len);
}

int ushist_parse(const char *s, double *w, char *err, size_t len)
{
	return hist_parse(s, w, USHIST_BINS, USHIST_WIDTH_US, err, len);
}

int ushist_bin(double ns)
{
	double k = floor(ns / (USHIST_WIDTH_US * 1e3));

	return !(k >= 0) ? 0 : k >= USHIST_BINS ? USHIST_BINS - 1 : (int)k;
}

int ushist_parse_classes(const char *s, double (*w)[USHIST_BINS], int *present, char *err,
			 size_t len)
{
	const char *p = s;
	int c = 0;

	for (int k = 0; k < SLEEP_CLASSES; k++) {
		present[k] = 0;
		memset(w[k], 0, sizeof(w[k]));
	}
	if (!*s)
		return 0;
	for (;;) {
		size_t n = strcspn(p, "|");
		char part[USHIST_TEXT], e[160];

		if (c == SLEEP_CLASSES) {
			snprintf(err, len, "more than %d histograms joined by '|'", SLEEP_CLASSES);
			return -EINVAL;
		}
		if (n >= sizeof(part)) {
			snprintf(err, len, "sleep class %d: histogram too long", c);
			return -EINVAL;
		}
		memcpy(part, p, n);
		part[n] = 0;
		if (strspn(part, " \t") != n) {
			if (ushist_parse(part, w[c], e, sizeof(e))) {
				snprintf(err, len, "sleep class %d: %s", c, e);
				return -EINVAL;
			}
			present[c] = 1;
		}
		c++;
		if (!p[n])
			break;
		p += n + 1;
	}
	if (c != SLEEP_CLASSES) {
		snprintf(err, len, "%d histograms joined by '|', not %d", c, SLEEP_CLASSES);
		return -EINVAL;
	}
	return 0;
}

int ushist_format_classes(const uint64_t (*n)[USHIST_BINS], char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (int c = 0; c < SLEEP_CLASSES; c++) {
		int m;

		if (c) {
			if (used + 1 >= len)
				goto nospc;
			buf[used++] = '|';
			buf[used] = 0;
		}
		m = ushist_format(n[c], buf + used, len - used);
		if (m < 0)
			goto nospc;
		used += (size_t)m;
	}
	return (int)used;
nospc:
	buf[0] = 0;
	return -ENOSPC;
}

int sleep_class(double ns)
{
	return !(ns >= 16e3) ? 0 : ns < 32e3 ? 1 : ns < 64e3 ? 2 : 3;
}

double ushist_mean(const double *w)
{
	double n = 0, sum = 0;

	for (int k = 0; k < USHIST_BINS; k++) {
		n += w[k];
		sum += w[k] * (k + 0.5) * USHIST_WIDTH_US * 1e3;
	}
	return n > 0 ? sum / n : 0;
}

int loghist_slot(double ns)
{
	int e;

	if (!(ns >= 2))
		return 0;	/* [0, 2): slot 0, as the probes' log2 of 0 and 1 */
	frexp(ns, &e);			/* ns = m x 2^e, 0.5 <= m < 1: floor(log2 ns) = e - 1 */
	return e - 1 >= LOGHIST_SLOTS ? LOGHIST_SLOTS - 1 : e - 1;
}

double loghist_lo(int k)
{
	return k > 0 ? ldexp(1, k) : 0;
}

double loghist_hi(int k)
{
	return ldexp(1, k + 1);
}

double loghist_mean(const double *w)
{
	double n = 0, sum = 0;

	for (int k = 0; k < LOGHIST_SLOTS; k++) {
		n += w[k];
		sum += w[k] * (loghist_lo(k) + loghist_hi(k)) / 2;
	}
	return n > 0 ? sum / n : 0;
}
