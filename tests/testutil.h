/* Shared helpers for the simulator tests: configs built in code, zero-cost calibrations. */
#ifndef RX_TESTUTIL_H
#define RX_TESTUTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "sim.h"

/* A scenario where nothing costs CPU unless a test says so: one queue on cpu 0, app on cpu 1,
 * no moderation, HZ 1000 and time limits far away so only the rule under test acts. */
static inline void test_config(struct model_config *c)
{
	config_defaults(c);
	snprintf(c->name, sizeof(c->name), "test");
	snprintf(c->cal.name, sizeof(c->cal.name), "zero");
	for (int s = 0; s < STAGE_COUNT; s++)
		c->cal.stage[s].present = 1;
	c->cores = 2;
	c->hz = 1000;
	c->itr_us = 0;
	c->line_rate_bps = 1e15;
	c->queues = 1;
	c->irq_cpu[0] = 0;
	c->n_irq_cpu = 1;
	c->app_cpu = 1;
	c->budget_usecs = 1000000;
	c->max_softirq_us = 1000000;
	c->warmup_ns = 10000000;
	c->duration_ns = 1000000000;
	c->seed = 7;
}

static inline void run_ok(const struct model_config *c, struct sim_results *r)
{
	char err[ERR_LEN] = "";
	int ret = sim_simulate(c, r, err, sizeof(err));

	if (ret)
		fail_msg("simulation failed: %s", err);
}

/* |got - want| <= tol, with a message naming what was compared. */
#define assert_near(got, want, tol, what)                                                          \
	do {                                                                                       \
		double g_ = (got), w_ = (want), t_ = (tol);                                        \
		if (!(fabs(g_ - w_) <= t_))                                                        \
			fail_msg("%s: got %.9g, expected %.9g +- %.3g", what, g_, w_, t_);         \
		else                                                                               \
			print_message("  %-44s %.6g (expected %.6g +- %.3g)\n", what, g_, w_, t_); \
	} while (0)

/* Batch-means estimate of a ratio sum(num)/sum(den) per batch with its 99.9 % half-width. */
static inline void batch_ratio(const struct sim_results *r, size_t num_off, size_t den_off,
			       double *mean, double *half)
{
	double v[MAX_BATCHES];
	int n = 0;

	for (int i = 0; i < r->nbatches; i++) {
		const char *b = (const char *)&r->batch[i];
		double num = *(const double *)(b + num_off), den = *(const double *)(b + den_off);

		if (den > 0)
			v[n++] = num / den;
	}
	batch_ci(v, n, 3.29, mean, half);
}

#endif
