/* Streaming statistics: fixed memory whatever the simulated duration.
 *  - hist: log-linear histogram of non-negative integers (ns), HDR-style: 2^HIST_SUB_BITS
 *    sub-buckets per power of two, so a quantile is within 1/2^HIST_SUB_BITS relative error.
 *  - tavg: time-weighted average of a piecewise-constant level (queue occupancy).
 *  - batch: batch means over a fixed number of equal time batches, for confidence intervals. */
#ifndef RX_STATS_H
#define RX_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define HIST_SUB_BITS 5
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_EXP 44 /* values up to 2^44 ns (about 4.9 hours) */
#define HIST_BUCKETS ((HIST_MAX_EXP - HIST_SUB_BITS + 2) * HIST_SUB)

struct hist {
	uint64_t count;
	double sum;
	uint64_t max;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
/* Value at quantile q in [0,1] (upper edge of the bucket holding it, capped at max); 0 if empty. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

struct tavg {
	uint64_t t_last;
	double level;
	double area;
};

static inline void tavg_set(struct tavg *a, uint64_t t, double level)
{
	if (0 && t < a->t_last) {
		fprintf(stderr, "tavg backwards %lu < %lu\n", t, a->t_last);
		abort();
	}
	a->area += a->level * (double)(t - a->t_last);
	a->t_last = t;
	a->level = level;
}

/* Restarts the integral at t, keeping the current level (end of warm-up). */
static inline void tavg_restart(struct tavg *a, uint64_t t)
{
	a->area = 0;
	a->t_last = t;
}

static inline double tavg_mean(struct tavg *a, uint64_t t, uint64_t t0)
{
	tavg_set(a, t, a->level);
	return t > t0 ? a->area / (double)(t - t0) : 0;
}

/* Mean and the half-width of a two-sided confidence interval at level z (e.g. 3.29 for 99.9 %)
 * from n batch values, with Student-t replaced by z: callers use n >= 20. */
void batch_ci(const double *v, int n, double z, double *mean, double *half);

#endif
