#include "rng.h"

#define ZIG_R 7.69711747013104972	 /* start of the tail */
#define ZIG_V 3.949659822581572e-3	 /* area of each layer */
#define ZIG_M 16777216.0		 /* 2^24: abscissa resolution */

void zig_exp_init(struct zig_exp *z)
{
	double de = ZIG_R, tde = ZIG_R, q = ZIG_V / exp(-de);

	z->k[0] = (uint32_t)((de / q) * ZIG_M);
	z->k[1] = 0;
	z->w[0] = q / ZIG_M;
	z->w[255] = de / ZIG_M;
	z->f[0] = 1.0;
	z->f[255] = exp(-de);
	for (int i = 254; i >= 1; i--) {
		de = -log(ZIG_V / de + exp(-de));
		z->k[i + 1] = (uint32_t)((de / tde) * ZIG_M);
		tde = de;
		z->f[i] = exp(-de);
		z->w[i] = de / ZIG_M;
	}
}

static inline double uni(gsl_rng *r)
{
	return gsl_rng_uniform_pos(r);
}

double zig_exp_slow(const struct zig_exp *z, gsl_rng *r, uint32_t u)
{
	for (;;) {
		uint32_t i = u & 255, j = u >> 8;
		double x;

		if (j < z->k[i])
			return j * z->w[i];
		if (i == 0) /* tail: memoryless, so R + Exp(1) */
			return ZIG_R - log(uni(r));
		x = j * z->w[i];
		if (z->f[i] + uni(r) * (z->f[i - 1] - z->f[i]) < exp(-x))
			return x;
		u = (uint32_t)gsl_rng_get(r);
	}
}
