#include <math.h>
#include <string.h>

#include "stats.h"

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

static inline unsigned hist_index(uint64_t v)
{
	unsigned msb, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	msb = 63 - (unsigned)__builtin_clzll(v);
	if (msb > HIST_MAX_EXP)
		return HIST_BUCKETS - 1;
	shift = msb - HIST_SUB_BITS;
	/* bucket group (shift+1) holds [2^msb, 2^(msb+1)) in HIST_SUB steps */
	return (shift + 1) * HIST_SUB + (unsigned)((v >> shift) & (HIST_SUB - 1));
}

static uint64_t hist_upper(unsigned idx)
{
	unsigned group = idx / HIST_SUB, sub = idx % HIST_SUB, shift;

	if (group == 0)
		return idx;
	shift = group - 1;
	return (((uint64_t)(HIST_SUB + sub + 1)) << shift) - 1;
}

void hist_record(struct hist *h, uint64_t v)
{
	h->count++;
	h->sum += (double)v;
	if (v > h->max)
		h->max = v;
	h->bucket[hist_index(v)]++;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (!h->count)
		return 0;
	if (q <= 0)
		q = 0;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t up = hist_upper(i);
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

double hist_mean(const struct hist *h)
{
	return h->count ? h->sum / (double)h->count : 0;
}

void batch_ci(const double *v, int n, double z, double *mean, double *half)
{
	double m = 0, s2 = 0;

	for (int i = 0; i < n; i++)
		m += v[i];
	m /= n > 0 ? n : 1;
	for (int i = 0; i < n; i++)
		s2 += (v[i] - m) * (v[i] - m);
	*mean = m;
	*half = n > 1 ? z * sqrt(s2 / (n - 1) / n) : INFINITY;
}
