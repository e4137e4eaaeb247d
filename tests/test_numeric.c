/* Numeric corner cases of the simulator (issue 6): zero-cost stages, a ring of one descriptor,
 * NAPI weight and netdev_budget of one, a socket buffer of one byte, a measurement window of
 * one nanosecond, a rate far above the line rate, a weight above the histogram. Each either
 * gives the number its rule predicts (stated beside it) or a clear error; no result is ever NaN
 * or infinite. Deterministic systems: tolerances are the boundary term of the window. */
#include "testutil.h"

static void check_finite(double v, const char *what)
{
	if (!isfinite(v))
		fail_msg("%s is %g", what, v);
}

/* Every double of the results is finite (poll_hist and the counters are integers). */
static void assert_all_finite(const struct sim_results *r)
{
	const double *d;

#define F(x) check_finite((x), #x)
	F(r->seconds), F(r->offered_pps), F(r->offered_bw_bps), F(r->offered_wire_bps);
	F(r->line_pps), F(r->delivered_pps), F(r->delivered_bw_bps), F(r->drop_share);
	for (int s = 0; s < STAGE_COUNT; s++) {
		const struct stage_result *t = &r->stage[s];

		F(t->calls_per_s), F(t->pkts_per_s), F(t->cpu_ns_per_s), F(t->ns_per_pkt);
		F(t->cpu_se_ns_per_s);
		for (int x = 0; x < CTX_COUNT; x++)
			F(t->ctx_ns_per_s[x]);
	}
	for (int k = 0; k < r->cores; k++)
		for (int x = 0; x <= CTX_COUNT; x++)
			F(r->core_util[k][x]);
	for (int i = 0; i < 5; i++)
		F(r->lat_sock[i]), F(r->lat_app[i]);
	F(r->pkts_per_poll), F(r->polls_per_s), F(r->irqs_per_s), F(r->softirqs_per_s);
	F(r->net_rx_actions_per_s), F(r->ksoftirqd_wakeups_per_s), F(r->cs_per_s);
	F(r->time_squeeze_per_s), F(r->total_ip_ns_per_s), F(r->total_rx_ns_per_s);
	F(r->total_rx_se_ns_per_s), F(r->inferred_ns_per_s), F(r->sock_mean_n), F(r->ring_mean_n);
	F(r->sock_block), F(r->sock_mean_wait_ns), F(r->sock_mean_sojourn_ns);
	F(r->sock_accept_pps), F(r->ring_mean_sojourn_ns), F(r->ring_take_pps);
	F(r->batch_seconds);
	for (int m = 0; m < METRIC_COUNT; m++)
		F(r->metric_ns_per_s[m]);
	for (int i = 0; i < r->nbatches; i++)
		for (d = (const double *)&r->batch[i]; d < (const double *)(&r->batch[i] + 1); d++)
			F(*d);
#undef F
}

/* arrivals + in flight at start = delivered + drops + in flight at end (sim.h invariant) */
static void assert_conserved(const struct sim_results *r)
{
	uint64_t out = r->delivered + r->inflight_end;

	for (int d = 0; d < DROP_COUNT; d++)
		out += r->dropped[d];
	assert_int_equal(r->arrivals + r->inflight_start, out);
}

/* A calibration of zeros (testutil.h) on the full local-delivery path: every stage and every
 * core is charged exactly 0 ns, nothing is dropped, and everything offered is delivered. */
static void test_zero_cost_stages(void **state)
{
	struct model_config c;
	static struct sim_results r;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.duration_ns = 100000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	for (int s = 0; s < STAGE_COUNT; s++) {
		assert_true(r.stage[s].cpu_ns_per_s == 0);
		assert_true(r.stage[s].ns_per_pkt == 0);
	}
	for (int k = 0; k < r.cores; k++)
		assert_true(r.core_util[k][CTX_COUNT] == 0);
	assert_true(r.total_rx_ns_per_s == 0 && r.total_ip_ns_per_s == 0);
	assert_int_equal(r.dropped[DROP_RING] + r.dropped[DROP_BACKLOG] + r.dropped[DROP_SOCKET] +
				 r.dropped[DROP_RULE],
			 0);
	/* constant arrivals at 1 Mpps over 0.1 s: 100000 frames, +- 1 at the window's edges */
	assert_near(r.delivered_pps, 1e6, 1 / r.seconds, "delivered pps, zero cost");
	/* no work: a frame reaches the socket and the app the instant it arrives */
	assert_near(r.lat_app[0], 0, 0, "mean NIC -> app latency, zero cost (ns)");
}

/* A ring of one descriptor, refilled one at a time, under overload. The poll takes a frame and
 * returns its descriptor at once (sim.c poll_packet), then spends p = 2500 ns on it; frames
 * come every g = 1000 ns. The one descriptor is filled again within g < p, so the poll takes a
 * frame every p: throughput mu = 1/p = 400 kpps, ring loss 1 - mu/lambda = 1 - g/p = 0.6
 * (docs/model.md, "ring loss in overload"). */
static void test_ring_of_one(void **state)
{
	struct model_config c;
	static struct sim_results r;
	char err[ERR_LEN];

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.ring = 1;
	c.refill_batch = 1;
	c.path_mask = 1u << STAGE_POLL;
	c.path_end = END_CONSUME;
	c.app_enabled = 0;
	c.cal.stage[STAGE_POLL].per_packet_ns = 2500;
	c.duration_ns = 100000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	assert_near(r.delivered_pps, 1e9 / 2500, 2 / r.seconds, "frames/s through a ring of one");
	assert_near(r.drop_share, 0.6, 2 / (r.seconds * 1e6), "ring loss, ring of one");
	assert_int_equal(r.dropped[DROP_RING], r.arrivals + r.inflight_start - r.delivered -
						       r.inflight_end);
	assert_true(r.ring_mean_n <= 1);

	/* the default refill batch (32) cannot fit a ring of one: a clear error, no run */
	c.refill_batch = 32;
	assert_int_not_equal(sim_simulate(&c, &r, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "nic.refill_batch (32) larger than nic.ring (1)"));
}

/* NAPI weight 1 and netdev_budget 1, frames 1 ms apart, zero cost (net/core/dev.c): the poll
 * that takes the frame uses its whole weight, so it stays scheduled and net_rx_action, its
 * budget spent (1 - 1 = 0), stops with time_squeeze++ and raises NET_RX again; __do_softirq
 * restarts it, and that second poll finds the ring empty and completes. Per frame: 1 IRQ,
 * 1 softirq run, 2 net_rx_action rounds, 2 polls (one of 1 frame, one of 0), 1 squeeze. */
static void test_weight_and_budget_of_one_light(void **state)
{
	struct model_config c;
	static struct sim_results r;
	double f;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1000;
	c.weight = 1;
	c.budget = 1;
	c.path_mask = 1u << STAGE_POLL;
	c.path_end = END_CONSUME;
	c.app_enabled = 0;
	c.duration_ns = 1000000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	f = r.delivered_pps;
	assert_near(f, 1000, 1 / r.seconds, "frames/s");
	assert_near(r.irqs_per_s / f, 1, 2 / (f * r.seconds), "IRQs per frame");
	assert_near(r.softirqs_per_s / f, 1, 2 / (f * r.seconds), "softirq runs per frame");
	assert_near(r.net_rx_actions_per_s / f, 2, 2 / (f * r.seconds), "rounds per frame");
	assert_near(r.polls_per_s / f, 2, 2 / (f * r.seconds), "polls per frame");
	assert_near(r.time_squeeze_per_s / f, 1, 2 / (f * r.seconds), "time_squeeze per frame");
	assert_near(r.pkts_per_poll, 0.5, 1e-3, "frames per poll");
	assert_true(r.poll_hist[0] > 0 && r.poll_hist[1] > 0);
	assert_true(llabs((long long)r.poll_hist[0] - (long long)r.poll_hist[1]) <= 1);
}

/* The same under overload (p = 2500 ns per frame, frames every 1000 ns): a frame is always
 * waiting, so every poll takes exactly one and every round ends on the budget: polls = rounds =
 * squeezes = frames polled, and the core is saturated: frames/s = 1/p. */
static void test_weight_and_budget_of_one_busy(void **state)
{
	struct model_config c;
	static struct sim_results r;
	double f;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.weight = 1;
	c.budget = 1;
	c.path_mask = 1u << STAGE_POLL;
	c.path_end = END_CONSUME;
	c.app_enabled = 0;
	c.cal.stage[STAGE_POLL].per_packet_ns = 2500;
	c.duration_ns = 100000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	f = r.stage[STAGE_POLL].pkts_per_s;
	assert_near(f, 4e5, 2 / r.seconds, "frames polled per s, saturated");
	assert_near(r.pkts_per_poll, 1, 0, "frames per poll, weight 1");
	assert_near(r.polls_per_s / f, 1, 2 / (f * r.seconds), "polls per frame");
	assert_near(r.net_rx_actions_per_s / f, 1, 2 / (f * r.seconds), "rounds per frame");
	assert_near(r.time_squeeze_per_s / f, 1, 2 / (f * r.seconds), "time_squeeze per frame");
	assert_int_equal(r.poll_hist[0], 0);
}

/* socket.rcvbuf = 1 byte: a datagram is admitted only when rmem <= 1, i.e. when nothing is
 * charged (docs/model.md: at most floor(1/truesize) + 1 = 1 datagram, the one being copied
 * included). recvmsg takes a = 2500 ns, frames come every 1000 ns: at most one datagram per a
 * reaches the app, the socket never holds more than one, and all other loss is socket loss. */
static void test_rcvbuf_of_one_byte(void **state)
{
	struct model_config c;
	static struct sim_results r;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.rcvbuf = 1;
	c.cal.stage[STAGE_APP].per_call_ns = 2500;
	c.duration_ns = 100000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	assert_true(r.delivered_pps <= 1e9 / 2500 + 2 / r.seconds);
	assert_true(r.delivered_pps > 0);
	assert_true(r.sock_mean_n <= 1);
	assert_int_equal(r.dropped[DROP_RING] + r.dropped[DROP_BACKLOG] + r.dropped[DROP_RULE], 0);
	assert_true(r.dropped[DROP_SOCKET] > 0);
}

/* A window of 1 ns right at the start: at most one arrival, rates of 1e9 per event, nothing
 * divided by zero. */
static void test_one_nanosecond_window(void **state)
{
	struct model_config c;
	static struct sim_results r;

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e6;
	c.warmup_ns = 0;
	c.duration_ns = 1;
	c.cal.stage[STAGE_POLL].per_packet_ns = 100;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	assert_near(r.seconds, 1e-9, 0, "seconds simulated");
	assert_true(r.arrivals <= 1);
	assert_true(r.drop_share >= 0 && r.drop_share <= 1);
}

/* 10^12 packets/s offered on a 10 Gbit/s line: the wire carries at most
 * line / ((1518 + 20) * 8 bits) = 812743.8 frames/s (preamble, SFD and IFG: 20 bytes), which
 * is what arrives; the report says the offer was capped. */
static void test_rate_above_line(void **state)
{
	struct model_config c;
	static struct sim_results r;
	const double line_pps = 10e9 / ((1518 + 20) * 8.0);

	test_config(&c);
	c.arrivals = ARR_CONSTANT;
	c.pps = 1e12;
	c.line_rate_bps = 10e9;
	c.duration_ns = 20000000ull;
	run_ok(&c, &r);
	assert_all_finite(&r);
	assert_conserved(&r);
	assert_true(r.line_capped);
	assert_near(r.line_pps, line_pps, 1e-6 * line_pps, "line rate in frames/s");
	assert_near(r.arrivals / r.seconds, line_pps, 2 / r.seconds, "arrivals/s at the line rate");
}

/* napi.weight above the packets-per-poll histogram (MAX_WEIGHT slots) is refused when the
 * simulation starts; it used to index past poll_hist. MAX_WEIGHT itself runs. */
static void test_weight_above_histogram(void **state)
{
	struct model_config c;
	static struct sim_results r;
	char err[ERR_LEN] = "";

	test_config(&c);
	c.pps = 1e5;
	c.duration_ns = 1000000ull;
	c.weight = MAX_WEIGHT + 1;
	assert_int_equal(sim_simulate(&c, &r, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "napi.weight 4097 above 4096");
	c.weight = MAX_WEIGHT;
	run_ok(&c, &r);
	assert_all_finite(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zero_cost_stages),
		cmocka_unit_test(test_ring_of_one),
		cmocka_unit_test(test_weight_and_budget_of_one_light),
		cmocka_unit_test(test_weight_and_budget_of_one_busy),
		cmocka_unit_test(test_rcvbuf_of_one_byte),
		cmocka_unit_test(test_one_nanosecond_window),
		cmocka_unit_test(test_rate_above_line),
		cmocka_unit_test(test_weight_above_histogram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
