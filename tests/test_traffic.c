/* Traffic, NIC and cost models: each against the number its definition implies. */
#include "testutil.h"

static void light_config(struct model_config *c)
{
	test_config(c);
	c->path_mask = 1u << STAGE_POLL;
	c->path_end = END_CONSUME;
	c->app_enabled = 0;
	c->duration_ns = 500000000ull;
}

/* --bw counts UDP payload bits like iperf3 -b: 1 Gbit/s of 1518-byte frames is
 * 1e9 / (8 x 1472) frames/s, and the wire carries (1518 + 20) x 8 bits per frame. */
static void test_bw_convention(void **state)
{
	struct model_config c;
	static struct sim_results r;

	light_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 0;
	c.bw_bps = 1e9;
	c.line_rate_bps = 10e9;
	run_ok(&c, &r);
	assert_near(r.offered_pps, 1e9 / (8 * 1472.0), 1e-6, "offered frames/s at 1 Gbit/s");
	assert_near(r.offered_wire_bps, r.offered_pps * 1538 * 8, 1e-3, "wire bits/s");
	assert_near(r.delivered_pps, r.offered_pps, r.offered_pps * 1e-5, "delivered frames/s");
}

/* The link serialises frames: offered above line rate, 64-byte frames arrive at most
 * 10e9 / (84 x 8) = 14.88 M/s on 10 GbE. */
static void test_line_rate_cap(void **state)
{
	struct model_config c;
	static struct sim_results r;

	light_config(&c);
	c.line_rate_bps = 10e9;
	c.size[0] = 64;
	c.pps = 30e6;
	c.arrivals = ARR_POISSON;
	c.duration_ns = 100000000ull;
	run_ok(&c, &r);
	assert_true(r.line_capped);
	assert_near((double)r.arrivals / r.seconds, 10e9 / (84 * 8), 10e9 / (84 * 8) * 1e-4,
		    "arrivals/s capped at line rate");
}

/* Mean rate of each arrival process equals the offered rate (batch-means CI for the random
 * ones); on/off traffic at the same mean rate is burstier: a larger p99 latency. */
static void test_arrival_rates(void **state)
{
	static const enum arrival_kind kinds[] = { ARR_CONSTANT, ARR_POISSON, ARR_ONOFF };
	static struct sim_results r[3];

	for (int k = 0; k < 3; k++) {
		struct model_config c;
		double m, h, v[MAX_BATCHES];

		light_config(&c);
		c.arrivals = kinds[k];
		c.pps = 1e6;
		c.on_us = 100;
		c.off_us = 300;
		c.cal.stage[STAGE_POLL].per_packet_ns = 300;
		run_ok(&c, &r[k]);
		for (int i = 0; i < r[k].nbatches; i++)
			v[i] = r[k].batch[i].arrivals / r[k].batch_seconds;
		batch_ci(v, r[k].nbatches, 3.29, &m, &h);
		/* constant: one frame per batch boundary at most */
		assert_near(m, 1e6, kinds[k] == ARR_CONSTANT ? 1 / r[k].batch_seconds : h,
			    "mean arrival rate");
	}
	assert_true(r[2].lat_sock[3] > r[1].lat_sock[3]);
	assert_true(r[1].lat_sock[3] > r[0].lat_sock[3]);
}

/* Simple IMIX 7:4:1 of 64, 594, 1518 bytes: mean frame 361.83 bytes; per-byte costs add up. */
static void test_imix_and_byte_costs(void **state)
{
	struct model_config c;
	static struct sim_results r;
	const double mean = (7 * 64 + 4 * 594 + 1518) / 12.0;
	double pk, by;

	light_config(&c);
	c.nsizes = 3;
	c.size[0] = 64, c.size[1] = 594, c.size[2] = 1518;
	c.size_weight[0] = 7, c.size_weight[1] = 4, c.size_weight[2] = 1;
	c.pps = 1e6;
	c.cal.stage[STAGE_POLL].per_packet_ns = 50;
	c.cal.stage[STAGE_POLL].per_byte_ns = 0.1;
	run_ok(&c, &r);
	pk = r.stage[STAGE_POLL].pkts_per_s;
	by = (r.stage[STAGE_POLL].cpu_ns_per_s - 50 * pk) / 0.1;
	/* sd of the frame size is 408 B; 4 standard errors of the mean over the run */
	assert_near(by / pk, mean, 4 * 408 / sqrt(pk * r.seconds), "mean frame bytes");
}

/* Gamma-distributed costs keep their mean: 4 standard errors of the mean of the run. */
static void test_gamma_cost_mean(void **state)
{
	struct model_config c;
	static struct sim_results r;
	double n;

	light_config(&c);
	c.pps = 1e6;
	c.cal.stage[STAGE_POLL].per_packet_ns = 100;
	c.cal.stage[STAGE_POLL].dist = DIST_GAMMA;
	c.cal.stage[STAGE_POLL].cv = 0.8;
	run_ok(&c, &r);
	n = r.stage[STAGE_POLL].pkts_per_s * r.seconds;
	assert_near(r.stage[STAGE_POLL].ns_per_pkt, 100, 4 * 80 / sqrt(n), "gamma cost mean");
}

/* RSS: one flow lands on one queue, so one interrupt core does all the work; many flows
 * spread over both. */
static void test_rss(void **state)
{
	struct model_config c;
	static struct sim_results r;

	light_config(&c);
	c.queues = 2;
	c.irq_cpu[1] = 1;
	c.n_irq_cpu = 2;
	c.pps = 1e6;
	c.cal.stage[STAGE_POLL].per_packet_ns = 200;
	c.flows = 1;
	run_ok(&c, &r);
	assert_true(r.core_util[0][CTX_COUNT] == 0 || r.core_util[1][CTX_COUNT] == 0);
	c.flows = 1000;
	c.arrivals = ARR_CONSTANT;
	run_ok(&c, &r);
	assert_near(r.core_util[0][CTX_COUNT] / (r.core_util[0][CTX_COUNT] + r.core_util[1][CTX_COUNT]),
		    0.5, 0.05, "share of queue 0 with 1000 flows");
}

/* Adaptive ITR stays within its range: at low load it falls to the minimum (one interrupt per
 * frame), under heavy load it climbs to the maximum (interrupts = 1 / itr_max while frames
 * keep coming). */
static void test_adaptive_itr(void **state)
{
	struct model_config c;
	static struct sim_results r;

	light_config(&c);
	c.adaptive_itr = 1;
	c.itr_us = 50;
	c.itr_min_us = 2;
	c.itr_max_us = 126;
	c.arrivals = ARR_CONSTANT;
	c.pps = 10e3;
	c.cal.stage[STAGE_POLL].per_packet_ns = 100;
	run_ok(&c, &r);
	assert_near(r.irqs_per_s, 10e3, 1, "interrupts/s at 10 kpps");
	c.pps = 2e6;
	run_ok(&c, &r);
	assert_near(r.irqs_per_s, 1e6 / 126, 1, "interrupts/s at 2 Mpps");
}

/* The per-CPU backlog (netif_rx, no NAPI ring): a frame is dropped when netdev_max_backlog
 * frames wait; in overload the loss is 1 - service / arrival, counted as backlog drops. */
static void test_backlog_mode(void **state)
{
	struct model_config c;
	static struct sim_results r;
	double mu = 1e9 / 500;

	light_config(&c);
	c.nic_mode = NIC_BACKLOG;
	c.ring = 1000;
	c.arrivals = ARR_CONSTANT;
	c.pps = 2 * mu;
	c.cal.stage[STAGE_POLL].per_packet_ns = 500;
	run_ok(&c, &r);
	assert_int_equal(r.dropped[DROP_RING], 0);
	assert_near((double)r.dropped[DROP_BACKLOG] / (double)r.arrivals, 0.5, 1e-3,
		    "backlog loss in overload");
	assert_near(r.irqs_per_s, 0, 0, "no hard interrupts on the backlog path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bw_convention),
		cmocka_unit_test(test_line_rate_cap),
		cmocka_unit_test(test_arrival_rates),
		cmocka_unit_test(test_imix_and_byte_costs),
		cmocka_unit_test(test_gamma_cost_mean),
		cmocka_unit_test(test_rss),
		cmocka_unit_test(test_adaptive_itr),
		cmocka_unit_test(test_backlog_mode),
	};
	return cmocka_run_group_tests_name("traffic", tests, NULL, NULL);
}
