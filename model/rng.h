/* Fast exponential variates for arrival processes: the ziggurat method of Marsaglia and Tsang
 * ("The Ziggurat Method for Generating Random Variables", J. Stat. Software 5(8), 2000) with 256
 * layers, over a GSL generator that returns 32 random bits per call (taus2, mt19937).
 * The low 8 bits of a draw pick the layer and the high 24 bits the abscissa, so the two are
 * independent. About 98.9 % of draws need one multiply and one compare; the rest fall back to
 * the exact tail and wedge tests, so the distribution is exactly Exp(1) up to the 24-bit grid. */
#ifndef RX_RNG_H
#define RX_RNG_H

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>

struct zig_exp {
	uint32_t k[256];
	double w[256];
	double f[256];
};

void zig_exp_init(struct zig_exp *z);
double zig_exp_slow(const struct zig_exp *z, gsl_rng *r, uint32_t u);

/* An Exp(1) variate; multiply by the mean. */
static inline double zig_exp(const struct zig_exp *z, gsl_rng *r)
{
	uint32_t u = (uint32_t)gsl_rng_get(r);
	uint32_t i = u & 255, j = u >> 8;

	if (j < z->k[i])
		return j * z->w[i];
	return zig_exp_slow(z, r, u);
}

#endif
