/* Rate, duration, size and --search limit parsers, on the input as a NUL-terminated string.
 * Besides crashes, checks the contracts units.h states: a success gives a finite non-negative
 * rate, a duration >= 1 ns unless zero is allowed, a value equal (to rounding) to the number
 * written times its suffix; a failure leaves *out untouched. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"
#include "units.h"

#define SENTINEL_U 0x5a5a5a5a5a5a5a5aULL
#define SENTINEL_D -12345.0

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "%s: contract broken on '%s'\n", what, s);
	abort();
}

/* The number written times its suffix's multiplier, as the parsers are documented to read it. */
static double expected(const char *s, const char *const *sfx, const double *mult)
{
	char *end;
	double v = strtod(s, &end);

	for (int i = 0; sfx[i]; i++)
		if (!strcmp(end, sfx[i]))
			return v * mult[i];
	return NAN;
}

static void check_u64(const char *what, const char *s, uint64_t got, double want)
{
	/* the value is rounded to an integer; doubles above 2^53 are spaced more than 1 apart */
	if (!(fabs((double)got - want) <= 1 + fabs(want) * 1e-15))
		fail(what, s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dur_sfx[] = { "", "s", "ms", "us", "ns", NULL };
	static const double dur_mult[] = { 1e9, 1e9, 1e6, 1e3, 1 };
	static const char *const byte_sfx[] = { "", "B", "Ki", "Mi", "Gi", "K", "k", "M", "G", NULL };
	static const double byte_mult[] = { 1, 1, 1024, 1048576, 1073741824, 1e3, 1e3, 1e6, 1e9 };
	char *s = malloc(size + 1);
	double r = SENTINEL_D, list[8];
	uint64_t u;
	struct pl_limits lim;
	int n;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;

	if (!parse_rate(s, &r)) {
		if (!isfinite(r) || r < 0)
			fail("parse_rate", s);
	} else if (r != SENTINEL_D) {
		fail("parse_rate (out touched on error)", s);
	}

	for (int allow_zero = 0; allow_zero < 2; allow_zero++) {
		u = SENTINEL_U;
		if (!parse_duration_ns(s, &u, allow_zero)) {
			if (!allow_zero && u < 1)
				fail("parse_duration_ns (zero)", s);
			check_u64("parse_duration_ns", s, u, expected(s, dur_sfx, dur_mult));
		} else if (u != SENTINEL_U) {
			fail("parse_duration_ns (out touched on error)", s);
		}
	}

	u = SENTINEL_U;
	if (!parse_bytes(s, &u))
		check_u64("parse_bytes", s, u, expected(s, byte_sfx, byte_mult));
	else if (u != SENTINEL_U)
		fail("parse_bytes (out touched on error)", s);

	n = parse_rate_list(s, list, 8);
	if (n > 8 || n == 0)
		fail("parse_rate_list (count)", s);
	for (int i = 0; i < n; i++)
		if (!isfinite(list[i]) || list[i] < 0)
			fail("parse_rate_list (value)", s);

	if (!pl_limits_parse(s, &lim)) {
		if ((lim.have_drop && !(lim.drop >= 0 && lim.drop <= 1)) ||
		    (lim.have_cpu && !(lim.cpu >= 0 && lim.cpu <= 1)) ||
		    (lim.have_p99 && !(lim.p99_ns >= 1)))
			fail("pl_limits_parse", s);
	}

	if (!parse_rate(s, &r)) {
		char buf[32];

		format_si(r, buf, sizeof(buf));
	}
	free(s);
	return 0;
}
