#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loghist.h"

int loghist_format(const uint64_t *n, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = 0;
	for (int k = 0; k < LOGHIST_SLOTS; k++) {
		int m;

		if (!n[k])
			continue;
		m = snprintf(buf + used, len - used, "%s%d:%llu", used ? " " : "", k,
			     (unsigned long long)n[k]);
		if (m < 0 || (size_t)m >= len - used) {
			buf[0] = 0;
			return -ENOSPC;
		}
		used += (size_t)m;
	}
	return (int)used;
}

int loghist_parse(const char *s, double *w, char *err, size_t len)
{
	const char *p = s;
	int last = -1;
	double total = 0;

	memset(w, 0, LOGHIST_SLOTS * sizeof(*w));
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
		if (end == p || *end != ':' || errno || k < 0 || k >= LOGHIST_SLOTS) {
			snprintf(err, len, "'%.*s' is not SLOT:COUNT with a slot of 0..%d",
				 (int)strcspn(p, " \t"), p, LOGHIST_SLOTS - 1);
			return -EINVAL;
		}
		if (k <= last) {
			snprintf(err, len, "slot %ld after slot %d: slots go up, each once", k, last);
			return -EINVAL;
		}
		p = end + 1;
		errno = 0;
		v = strtod(p, &end);
		if (end == p || (*end && *end != ' ' && *end != '\t') || errno || !isfinite(v) ||
		    v < 0) {
			snprintf(err, len, "slot %ld: count '%.*s' is not a finite number >= 0", k,
				 (int)strcspn(p, " \t"), p);
			return -EINVAL;
		}
		w[k] = v;
		total += v;
		last = (int)k;
		p = end;
	}
	if (!isfinite(total)) {
		snprintf(err, len, "the counts add up to more than a double holds");
		return -EINVAL;
	}
	if (!(total > 0)) {
		snprintf(err, len, "no count above 0 (expected SLOT:COUNT ..., e.g. \"12:40 13:900\")");
		return -EINVAL;
	}
	return 0;
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
