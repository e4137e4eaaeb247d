/* Streaming statistics: histogram quantiles against exact ones, time averages. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "rng.h"
#include "stats.h"
#include "testutil.h"

static void test_hist_exact_small(void **state)
{
	static struct hist h;

	hist_reset(&h);
	for (uint64_t v = 0; v < HIST_SUB; v++)
		hist_record(&h, v);
	/* below 2^HIST_SUB_BITS every value has its own bucket */
	assert_int_equal(hist_quantile(&h, 0.5), HIST_SUB / 2 - 1);
	assert_int_equal(hist_quantile(&h, 1.0), HIST_SUB - 1);
	assert_true(hist_mean(&h) == (HIST_SUB - 1) / 2.0);
}

static void test_hist_exponential_quantiles(void **state)
{
	static struct hist h;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
	const double mean = 10000;

	hist_reset(&h);
	for (int i = 0; i < 1000000; i++)
		hist_record(&h, (uint64_t)gsl_ran_exponential(r, mean));
	/* quantile of Exp(mean) is -mean ln(1-q); bucket width is 1/2^HIST_SUB_BITS relative,
	 * sampling error of a quantile with 1e6 samples is far below that */
	for (double q = 0.5; q < 0.9995; q = q + (1 - q) / 2) {
		double want = -mean * log(1 - q);
		double got = (double)hist_quantile(&h, q);

		assert_near(got, want, want * (1.0 / HIST_SUB + 0.01), "exponential quantile");
	}
	gsl_rng_free(r);
}

static void test_tavg(void **state)
{
	struct tavg a = { 0 };

	tavg_set(&a, 0, 2);
	tavg_set(&a, 10, 4);
	/* 2 for 10 ns then 4 for 30 ns: (20 + 120) / 40 */
	assert_true(fabs(tavg_mean(&a, 40, 0) - 3.5) < 1e-12);
}

static void test_batch_ci(void **state)
{
	double v[] = { 1, 2, 3, 4, 5 }, m, h;

	batch_ci(v, 5, 1.0, &m, &h);
	assert_true(m == 3);
	/* s = sqrt(2.5), half = s / sqrt(5) */
	assert_true(fabs(h - sqrt(2.5 / 5)) < 1e-12);
}

/* The ziggurat sampler against the Exp(1) distribution: the share of draws above x is
 * exp(-x), within 4 binomial standard errors, including the tail past R = 7.697 and the
 * layer edges; the mean is 1 within 4 standard errors (sd of Exp(1) is 1). */
static void test_ziggurat_exponential(void **state)
{
	static const double xs[] = { 0.01, 0.1, 0.5, 1, 2, 3, 5, 7.697, 9 };
	const int n = 2000000;
	int above[9] = { 0 };
	double sum = 0;
	struct zig_exp z;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);

	zig_exp_init(&z);
	for (int i = 0; i < n; i++) {
		double x = zig_exp(&z, r);

		sum += x;
		for (int k = 0; k < 9; k++)
			above[k] += x > xs[k];
	}
	assert_near(sum / n, 1, 4 / sqrt(n), "mean of Exp(1) draws");
	for (int k = 0; k < 9; k++) {
		double p = exp(-xs[k]);

		assert_near((double)above[k] / n, p, 4 * sqrt(p * (1 - p) / n) + 1e-7,
			    "P(X > x) for Exp(1)");
	}
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_exact_small),
		cmocka_unit_test(test_hist_exponential_quantiles),
		cmocka_unit_test(test_tavg),
		cmocka_unit_test(test_batch_ci),
		cmocka_unit_test(test_ziggurat_exponential),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
