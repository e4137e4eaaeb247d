#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static int si_mult(const char **p, double *mult)
{
	switch (**p) {
	case 'k':
	case 'K':
		*mult = 1e3;
		break;
	case 'M':
		*mult = 1e6;
		break;
	case 'G':
	case 'g':
		*mult = 1e9;
		break;
	case 'T':
		*mult = 1e12;
		break;
	default:
		*mult = 1;
		return 0;
	}
	(*p)++;
	return 0;
}

int parse_rate(const char *s, double *out)
{
	char *end;
	double v, mult;
	const char *p;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	p = end;
	si_mult(&p, &mult);
	if (*p && strcasecmp(p, "bps") && strcasecmp(p, "bit/s") && strcasecmp(p, "b/s") &&
	    strcasecmp(p, "pps") && strcmp(p, "/s"))
		return -EINVAL;
	v *= mult;
	if (v < 0 || !isfinite(v))
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *out, int allow_zero)
{
	char *end;
	double v, mult = 1e9;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	if (!*end || !strcmp(end, "s"))
		mult = 1e9;
	else if (!strcmp(end, "ms"))
		mult = 1e6;
	else if (!strcmp(end, "us"))
		mult = 1e3;
	else if (!strcmp(end, "ns"))
		mult = 1;
	else
		return -EINVAL;
	v *= mult;
	if (v < 0 || (!allow_zero && v < 1) || v > 1.8e19)
		return -ERANGE;
	*out = (uint64_t)(v + 0.5); /* v <= 1.8e19: above LLONG_MAX, in range of uint64_t */
	return 0;
}

int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	double v, mult = 1;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	if (!strcmp(end, "Ki"))
		mult = 1024;
	else if (!strcmp(end, "Mi"))
		mult = 1024.0 * 1024;
	else if (!strcmp(end, "Gi"))
		mult = 1024.0 * 1024 * 1024;
	else if (!strcmp(end, "K") || !strcmp(end, "k"))
		mult = 1e3;
	else if (!strcmp(end, "M"))
		mult = 1e6;
	else if (!strcmp(end, "G"))
		mult = 1e9;
	else if (*end && strcmp(end, "B"))
		return -EINVAL;
	v *= mult;
	if (v < 0 || v > 1.8e19)
		return -ERANGE;
	*out = (uint64_t)(v + 0.5); /* v <= 1.8e19: above LLONG_MAX, in range of uint64_t */
	return 0;
}

int parse_rate_list(const char *s, double *out, int max)
{
	char buf[64];
	int n = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int err;

		if (len == 0 || len >= sizeof(buf))
			return -EINVAL;
		if (n >= max)
			return -E2BIG;
		memcpy(buf, p, len);
		buf[len] = 0;
		err = parse_rate(buf, &out[n]);
		if (err)
			return err;
		n++;
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

const char *format_si(double v, char *buf, int len)
{
	static const char sfx[] = { 0, 'k', 'M', 'G', 'T' };
	int i = 0;

	while (fabs(v) >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.4g", v);
	else
		snprintf(buf, len, "%.4g%c", v, sfx[i]);
	return buf;
}
