/* The simulator against closed-form queueing results and its own invariants. Every expected
 * number is a formula (source in docs/model.md, "Validation"); tolerances are 99.9 % batch-means
 * confidence intervals of the run, or boundary terms for deterministic systems. */
#include "testutil.h"

/* Socket + application as M/M/1/K: Poisson arrivals, exponential recvmsg, rcvbuf admitting
 * K datagrams (the one being copied still counts in rmem). */
static void mm1k_config(struct model_config *c, double lambda, double mu, int K)
{
	test_config(c);
	c->arrivals = ARR_POISSON;
	c->pps = lambda;
	c->truesize = 1000;
	c->rcvbuf = (uint64_t)(K - 1) * 1000;
	c->cal.stage[STAGE_APP].per_call_ns = 1e9 / mu;
	c->cal.stage[STAGE_APP].dist = DIST_EXP;
	c->duration_ns = 2000000000ull;
}

static void test_mm1k_blocking_and_occupancy(void **state)
{
	struct model_config c;
	static struct sim_results r;
	const double lambda = 0.9e6, mu = 1e6, rho = lambda / mu;
	const int K = 10;
	/* Kleinrock, Queueing Systems I, eq. 3.45 and 3.46 */
	double pk = (1 - rho) * pow(rho, K) / (1 - pow(rho, K + 1));
	double L = rho / (1 - rho) - (K + 1) * pow(rho, K + 1) / (1 - pow(rho, K + 1));
	double m, h, v[MAX_BATCHES];

	mm1k_config(&c, lambda, mu, K);
	run_ok(&c, &r);
	batch_ratio(&r, offsetof(struct batch, sock_drops), offsetof(struct batch, sock_offered), &m,
		    &h);
	assert_near(m, pk, h, "M/M/1/K blocking probability");
	for (int i = 0; i < r.nbatches; i++)
		v[i] = r.batch[i].sock_area / (r.batch_seconds * 1e9);
	batch_ci(v, r.nbatches, 3.29, &m, &h);
	assert_near(m, L, h, "M/M/1/K mean number in system");
}

static void test_md1_wait(void **state)
{
	struct model_config c;
	static struct sim_results r;
	const double lambda = 0.7e6, D = 1000, rho = lambda * D / 1e9;
	/* Pollaczek-Khinchine for deterministic service: Wq = rho D / (2 (1 - rho)) */
	double wq = rho * D / (2 * (1 - rho)), m, h;

	test_config(&c);
	c.arrivals = ARR_POISSON;
	c.pps = lambda;
	c.rcvbuf = 1ull << 40;
	c.cal.stage[STAGE_APP].per_call_ns = D;
	c.duration_ns = 2000000000ull;
	run_ok(&c, &r);
	batch_ratio(&r, offsetof(struct batch, wait_sum), offsetof(struct batch, wait_n), &m, &h);
	assert_near(m, wq, h, "M/D/1 mean wait in queue (ns)");
}

/* A polled core in overload: every poll takes B = weight frames and costs c_poll + B c_pkt, so
 * throughput is B / (c_poll + B c_pkt); the ring refills at that rate and the rest of the
 * arrivals find no ready descriptor: loss = 1 - refill rate / arrival rate. */
static void overload(enum napi_mode mode)
{
	struct model_config c;
	static struct sim_results r;
	const double c_poll = 2000, c_pkt = 100, B = 64;
	double mu = B / (c_poll + B * c_pkt) * 1e9, lambda = 1.5 * mu;
	double rel = 1e-3; /* boundary: one poll in a window of ~7600 */

	test_config(&c);
	c.napi_mode = mode;
	c.thread_cpu[0] = 1;
	c.n_thread_cpu = 1;
	c.arrivals = ARR_CONSTANT;
	c.pps = lambda;
	c.path_mask = 1u << STAGE_POLL;
	c.path_end = END_CONSUME;
	c.app_enabled = 0;
	c.cal.stage[STAGE_POLL].per_call_ns = c_poll;
	c.cal.stage[STAGE_POLL].per_packet_ns = c_pkt;
	c.duration_ns = 1000000000ull;
	run_ok(&c, &r);
	assert_near(r.delivered_pps, mu, mu * rel, "saturation throughput B/(c_poll+B c_pkt)");
	assert_near((double)r.dropped[DROP_RING] / (double)r.arrivals, 1 - mu / lambda, rel,
		    "ring loss 1 - refill/arrival");
	assert_near(r.pkts_per_poll, B, 0.01, "frames per poll in overload");
}

static void test_overload_softirq(void **state)
{
	overload(NAPI_SOFTIRQ);
}

static void test_overload_threaded(void **state)
{
	overload(NAPI_THREADED);
}

/* A realistic scenario with every mechanism on. */
static void busy_config(struct model_config *c, double pps)
{
	test_config(c);
	c->arrivals = ARR_POISSON;
	c->pps = pps;
	c->itr_us = 20;
	c->ring = 256;
	c->cal.stage[STAGE_IRQ].per_call_ns = 500;
	c->cal.stage[STAGE_SOFTIRQ].per_call_ns = 150;
	c->cal.stage[STAGE_POLL].per_call_ns = 200;
	c->cal.stage[STAGE_POLL].per_packet_ns = 60;
	c->cal.stage[STAGE_IP].per_packet_ns = 170;
	c->cal.stage[STAGE_IP].dist = DIST_GAMMA;
	c->cal.stage[STAGE_IP].cv = 0.5;
	c->cal.stage[STAGE_IP_TO_TRANSPORT].per_packet_ns = 300;
	c->cal.stage[STAGE_TRANSPORT].per_packet_ns = 190;
	c->cal.stage[STAGE_APP].per_call_ns = 600;
	c->cal.stage[STAGE_APP].per_byte_ns = 0.05;
	c->cal.stage[STAGE_CS].per_call_ns = 1400;
	c->duration_ns = 500000000ull;
}

static void test_little(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_config(&c, 1.0e6);
	run_ok(&c, &r);
	/* L = lambda W on each queue; the only error is the boundary (work in flight at the ends) */
	assert_near(r.ring_mean_n, r.ring_take_pps * r.ring_mean_sojourn_ns / 1e9,
		    0.01 * r.ring_mean_n, "Little's law, rx ring");
	assert_near(r.sock_mean_n, r.sock_accept_pps * r.sock_mean_sojourn_ns / 1e9,
		    0.01 * r.sock_mean_n, "Little's law, socket");
}

static void test_conservation(void **state)
{
	const double rates[] = { 0.2e6, 1.0e6, 3e6, 20e6 };
	const char *variants[] = { "baseline", "xdp-drop", "skip-transport", "forward", "gro-off" };

	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			struct model_config c;
			static struct sim_results r;
			char err[ERR_LEN];
			uint64_t out;

			busy_config(&c, rates[i]);
			c.duration_ns = 100000000ull;
			c.drop[STAGE_IP] = 0.1;
			assert_int_equal(config_apply_variant(&c, variants[v], err, sizeof(err)), 0);
			run_ok(&c, &r);
			out = r.delivered + r.inflight_end;
			for (int d = 0; d < DROP_COUNT; d++)
				out += r.dropped[d];
			if (r.arrivals + r.inflight_start != out)
				fail_msg("%s at %g pps: arrivals %llu + in flight %llu != %llu",
					 variants[v], rates[i], (unsigned long long)r.arrivals,
					 (unsigned long long)r.inflight_start,
					 (unsigned long long)out);
		}
}

static void test_determinism(void **state)
{
	struct model_config c;
	static struct sim_results a, b;

	busy_config(&c, 2e6);
	c.duration_ns = 100000000ull;
	run_ok(&c, &a);
	run_ok(&c, &b);
	assert_true(a.arrivals == b.arrivals && a.delivered == b.delivered);
	assert_memory_equal(a.dropped, b.dropped, sizeof(a.dropped));
	assert_true(a.total_rx_ns_per_s == b.total_rx_ns_per_s);
	assert_true(a.lat_app[3] == b.lat_app[3]);
	c.seed++;
	run_ok(&c, &b);
	assert_true(a.arrivals != b.arrivals || a.lat_app[3] != b.lat_app[3]);
}

/* With frames always waiting, the NIC interrupts once per ITR interval: rate = 1 / ITR. */
static void test_itr_rate(void **state)
{
	struct model_config c;
	static struct sim_results r;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.itr_us = 50;
	c.cal.stage[STAGE_POLL].per_packet_ns = 10;
	run_ok(&c, &r);
	assert_near(r.irqs_per_s, 1e6 / 50, 2, "interrupts/s with ITR 50 us");
	/* each interrupt's poll drains the 50 frames that arrived in the interval */
	assert_near(r.pkts_per_poll, 50, 0.01, "frames per poll");
}

/* Drop share at a stage is exact: a firewall rule that drops 25 %. */
static void test_rule_drop_share(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_config(&c, 0.5e6);
	c.drop[STAGE_IP_TO_TRANSPORT] = 0.25;
	run_ok(&c, &r);
	assert_near((double)r.dropped[DROP_RULE] / (double)r.stage[STAGE_IP_TO_TRANSPORT].drops, 1,
		    0, "rule drops are counted at their stage");
	assert_near(r.stage[STAGE_TRANSPORT].pkts_per_s / r.stage[STAGE_IP_TO_TRANSPORT].pkts_per_s,
		    0.75, 1e-4, "share passing the rule");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mm1k_blocking_and_occupancy),
		cmocka_unit_test(test_md1_wait),
		cmocka_unit_test(test_overload_softirq),
		cmocka_unit_test(test_overload_threaded),
		cmocka_unit_test(test_little),
		cmocka_unit_test(test_conservation),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_itr_rate),
		cmocka_unit_test(test_rule_drop_share),
	};
	return cmocka_run_group_tests_name("queueing", tests, NULL, NULL);
}
