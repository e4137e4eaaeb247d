/* NAPI and softirq rules, each checked against the kernel code it models (net/core/dev.c
 * net_rx_action and __napi_poll, kernel/softirq.c __do_softirq; docs/model.md). */
#include "testutil.h"

/* Several busy NAPI instances on one core, frames always waiting. */
static void busy_napis(struct model_config *c, int n)
{
	test_config(c);
	c->queues = n;
	c->flows = 64 * n;
	c->arrivals = ARR_CONSTANT;
	c->pps = 50e6;
	c->path_mask = 1u << STAGE_POLL;
	c->path_end = END_CONSUME;
	c->app_enabled = 0;
	c->cal.stage[STAGE_POLL].per_packet_ns = 50;
	c->duration_ns = 200000000ull;
}

/* net_rx_action polls each scheduled instance once per round, in list order, subtracting the
 * work only after each poll returns, and stops when the list is empty or the budget is <= 0
 * (then time_squeeze++). With weight 64 and netdev_budget 300:
 *   1 busy instance:  one poll of 64 per round (the list empties; no squeeze)
 *   4 busy instances: 4 x 64 = 256 per round, no squeeze
 *   5 busy instances: 5 x 64 = 320 per round: the budget overshoots by 20, one squeeze
 *   6 busy instances: still 5 polls (320) per round; the sixth waits for the next round. */
static void budget_case(int napis, double frames, double polls, double squeezes)
{
	struct model_config c;
	static struct sim_results r;
	char what[64];

	busy_napis(&c, napis);
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "frames per net_rx_action, %d busy", napis);
	assert_near(r.stage[STAGE_POLL].pkts_per_s / r.net_rx_actions_per_s, frames, frames * 1e-3,
		    what);
	snprintf(what, sizeof(what), "polls per net_rx_action, %d busy", napis);
	assert_near(r.polls_per_s / r.net_rx_actions_per_s, polls, polls * 1e-3, what);
	snprintf(what, sizeof(what), "time_squeeze per net_rx_action, %d busy", napis);
	assert_near(r.time_squeeze_per_s / r.net_rx_actions_per_s, squeezes, 1e-3, what);
	assert_near(r.pkts_per_poll, 64, 0.01, "frames per poll");
}

static void test_budget_rounds(void **state)
{
	budget_case(1, 64, 1, 0);
	budget_case(4, 256, 4, 0);
	budget_case(5, 320, 5, 1);
	budget_case(6, 320, 5, 1);
}

/* A budget smaller than the weight still lets one whole poll run. */
static void test_budget_below_weight(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_napis(&c, 3);
	c.budget = 10;
	run_ok(&c, &r);
	assert_near(r.stage[STAGE_POLL].pkts_per_s / r.net_rx_actions_per_s, 64, 0.064,
		    "frames per net_rx_action, budget 10");
}

/* __do_softirq restarts NET_RX at most MAX_SOFTIRQ_RESTART (10) times, then wakes ksoftirqd,
 * which then runs the softirqs as a thread: 10 net_rx_action rounds per __do_softirq, and the
 * CPU time moves from softirq to ksoftirqd context. */
static void test_ksoftirqd_handoff(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_napis(&c, 1);
	c.warmup_ns = 0;
	run_ok(&c, &r);
	assert_near(r.net_rx_actions_per_s / r.softirqs_per_s, 10, 0.01,
		    "net_rx_action rounds per __do_softirq");
	assert_near(r.ksoftirqd_wakeups_per_s * r.seconds, 1, 0, "ksoftirqd woken once");
	assert_true(r.core_util[0][CTX_KSOFTIRQD] > 0.99);
	assert_true(r.core_util[0][CTX_SOFTIRQ] < 0.01);
}

/* The 2 ms limit of __do_softirq (2 jiffies at HZ=1000) ends the restarts early when rounds
 * are long: with rounds of exactly 1 ms, the first ends in jiffy start+1 (restart), the second
 * in start+2 (stop and leave the rest to ksoftirqd): 2 rounds per __do_softirq. */
static void test_softirq_time_limit(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_napis(&c, 1);
	c.warmup_ns = 0;
	c.max_softirq_us = 2000;
	c.cal.stage[STAGE_POLL].per_packet_ns = 1e6 / 64; /* one round, one poll = 1 ms */
	c.pps = 1e6;
	run_ok(&c, &r);
	assert_near(r.net_rx_actions_per_s / r.softirqs_per_s, 2, 0.01,
		    "rounds per __do_softirq with 1 ms rounds");
}

/* ksoftirqd competes with threads: against one CPU-bound thread on the same core, fair
 * scheduling of two equal-weight threads gives each half of the CPU. */
static void test_ksoftirqd_fair_share(void **state)
{
	struct model_config c;
	static struct sim_results r;

	busy_napis(&c, 1);
	c.bg_enabled = 1;
	c.bg_cpu = 0;
	run_ok(&c, &r);
	assert_near(r.core_util[0][CTX_KSOFTIRQD], 0.5, 0.02, "ksoftirqd share beside a hog");
	assert_near(r.core_util[0][CTX_BG], 0.5, 0.02, "background share beside ksoftirqd");
	/* the inferred method sees the CPU the hog lost */
	assert_near(r.inferred_ns_per_s, 1e9 * (1 - r.core_util[0][CTX_BG]), 1,
		    "inferred = 1 s - background CPU");
}

/* Threaded NAPI: the IRQ wakes a kernel thread pinned to another CPU; the poll's CPU time is
 * charged to that thread on that CPU and nothing runs in softirq context. */
static void test_threaded_napi(void **state)
{
	struct model_config c;
	static struct sim_results r;

	test_config(&c);
	c.napi_mode = NAPI_THREADED;
	c.thread_cpu[0] = 1;
	c.app_cpu = 0;
	c.arrivals = ARR_POISSON;
	c.pps = 1e6;
	c.cal.stage[STAGE_POLL].per_packet_ns = 100;
	c.cal.stage[STAGE_APP].per_call_ns = 200;
	c.cal.stage[STAGE_CS].per_call_ns = 1000;
	run_ok(&c, &r);
	assert_true(r.core_util[1][CTX_NAPI_THREAD] > 0);
	assert_near(r.core_util[0][CTX_SOFTIRQ] + r.core_util[1][CTX_SOFTIRQ], 0, 0,
		    "softirq time with threaded NAPI");
	assert_near(r.stage[STAGE_POLL].ctx_ns_per_s[CTX_NAPI_THREAD],
		    r.stage[STAGE_POLL].pkts_per_s * 100, 1, "poll time charged to the thread");
	assert_true(r.cs_per_s > 0); /* the thread sleeps and wakes */
}

/* A socket enqueue that wakes the application sleeping on another core costs the waker
 * transport.per_wake_ns, and transport.deep_wake_ns more if that core has been idle for
 * deep_wake_after_us or longer (docs/model.md, "Waking an idle core"). With one frame every G
 * (constant arrivals, softirq NAPI on core 0, the application on core 1) every frame finds the
 * application asleep, woken about G - 1 us before: all wake-ups are deep when G = 500 us and
 * none when G = 100 us, against a 200 us window, so transport costs per frame exactly
 * 200 + 1000 + 5000 ns and 200 + 1000 ns. With the NAPI thread on the application's own
 * core no wake-up is remote: 200 ns. Tolerance: 2 frames at the window's edges. */
/* Frames at @pps (constant arrivals) through poll (100 ns) and transport (@pkt ns) into a socket
 * read by the application on core 1 (500 ns per call, 300 ns per switch), NAPI in @mode on
 * core 0 (its thread on core 1): the set-up of the wake-up tests below. */
static void socket_config(struct model_config *c, enum napi_mode mode, double pps, double pkt)
{
	test_config(c);
	c->napi_mode = mode;
	c->thread_cpu[0] = 1;
	c->arrivals = ARR_CONSTANT;
	c->pps = pps;
	c->path_mask = (1u << STAGE_POLL) | (1u << STAGE_TRANSPORT);
	c->path_end = END_SOCKET;
	c->app_enabled = 1;
	c->cal.stage[STAGE_POLL].per_packet_ns = 100;
	c->cal.stage[STAGE_TRANSPORT].per_packet_ns = pkt;
	c->cal.stage[STAGE_APP].per_call_ns = 500;
	c->cal.stage[STAGE_CS].per_call_ns = 300;
}

static void wake_case(enum napi_mode mode, double pps, double wakes, double deep)
{
	struct model_config c;
	static struct sim_results r;
	const double pkt = 200, wake = 1000, deep_ns = 5000;
	char what[96];

	socket_config(&c, mode, pps, pkt);
	c.cal.stage[STAGE_TRANSPORT].per_wake_ns = wake;
	c.cal.stage[STAGE_TRANSPORT].deep_wake_ns = deep_ns;
	c.cal.stage[STAGE_TRANSPORT].deep_wake_after_us = 200;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "remote wake-ups/s, %s, %.0f frames/s",
		 mode == NAPI_THREADED ? "threaded" : "softirq", pps);
	assert_near(r.remote_wakeups_per_s, wakes * pps, 2 / r.seconds, what);
	snprintf(what, sizeof(what), "deep wake-ups/s, %.0f frames/s", pps);
	assert_near(r.deep_wakeups_per_s, deep * pps, 2 / r.seconds, what);
	snprintf(what, sizeof(what), "transport ns per frame, %.0f frames/s", pps);
	assert_near(r.stage[STAGE_TRANSPORT].cpu_ns_per_s / r.stage[STAGE_TRANSPORT].pkts_per_s,
		    pkt + wakes * (wake + deep * deep_ns),
		    2 * (pkt + wake + deep_ns) / (r.seconds * r.stage[STAGE_TRANSPORT].pkts_per_s),
		    what);
}

static void test_wake_idle_core(void **state)
{
	wake_case(NAPI_SOFTIRQ, 2000, 1, 1);	/* G = 500 us: deep */
	wake_case(NAPI_SOFTIRQ, 10000, 1, 0);	/* G = 100 us: inside the window */
	wake_case(NAPI_THREADED, 2000, 0, 0);	/* the thread wakes it on its own core */
}

/* cpu.idle_exit_us: a thread woken on an idle core runs that much later. One frame every 10 us
 * (constant arrivals, softirq NAPI on core 0, the application on core 1 calling recvmmsg with
 * vlen 64, 500 ns per call, switch 300 ns): without the delay every frame finds the application asleep and wakes it (1
 * wake-up and 1 recv call per frame); with 25 us the frames at t, t + 10 and t + 20 us are all
 * in the socket when the application runs at t + 25 us and it drains them in one call, so
 * wake-ups and calls are exactly 1/3 per frame. Tolerance: 2 wake-ups at the window's edges. */
static void idle_exit_case(double idle_exit_us, double per_frame)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	socket_config(&c, NAPI_SOFTIRQ, 100000, 200);
	c.idle_exit_us = idle_exit_us;
	c.app_batch = 64;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "wake-ups per frame, idle exit %.0f us", idle_exit_us);
	assert_near(r.remote_wakeups_per_s / r.delivered_pps, per_frame,
		    2 / (r.seconds * r.delivered_pps), what);
	snprintf(what, sizeof(what), "recv calls per frame, idle exit %.0f us", idle_exit_us);
	assert_near(r.stage[STAGE_APP].calls_per_s / r.delivered_pps, per_frame,
		    2 / (r.seconds * r.delivered_pps), what);
}

static void test_idle_exit(void **state)
{
	idle_exit_case(0, 1);
	idle_exit_case(25, 1.0 / 3);
}

/* cpu.idle_exit_cv: the idle exit is gamma distributed with mean idle_exit_us. One frame every
 * 100 us wakes the application on idle core 1 (softirq NAPI on core 0); the application runs
 * idle_exit later plus the 300 ns switch to it: with cv 0 every wake-up takes 25.3 us exactly,
 * with cv 0.5 the mean over the window's ~10000 wake-ups is 25.3 us within 3.29 standard errors
 * (0.5 x 25 us / sqrt(n)) and the sd 12.5 us within 3.29 of its own standard error (gamma of
 * shape 4, kurtosis 4.5: sd x sqrt(3.5 / 4n)). */
static void exit_jitter_case(double cv)
{
	struct model_config c;
	static struct sim_results r;
	double n, sd = 0.5 * 25000 * (cv > 0), se_mean, se_sd;
	char what[96];

	socket_config(&c, NAPI_SOFTIRQ, 10000, 200);
	c.idle_exit_us = 25;
	c.idle_exit_cv = cv;
	run_ok(&c, &r);
	n = r.app_wakeups_per_s * r.seconds;
	assert_near(n, 10000 * r.seconds, 2, "application wake-ups");
	se_mean = sd / sqrt(n);
	se_sd = sd * sqrt(3.5 / (4 * n));
	snprintf(what, sizeof(what), "wake-up to running, mean ns, cv %.1f", cv);
	assert_near(r.app_wake_latency_ns, 25300, 3.29 * se_mean + 1, what);
	snprintf(what, sizeof(what), "wake-up to running, sd ns, cv %.1f", cv);
	assert_near(r.app_wake_latency_sd_ns, sd, 3.29 * se_sd + 1, what);
}

static void test_idle_exit_jitter(void **state)
{
	exit_jitter_case(0);
	exit_jitter_case(0.5);
}

/* cpu.idle_exit_deep_us: a core idle for idle_exit_deep_after_us or longer takes that long
 * instead. The application idles ~100 us between frames at 10000 frames/s and ~500 us at
 * 2000/s: with a 200 us threshold, 60 us of deep exit, it runs 25.3 us after each wake-up in
 * the first case and 60.3 us in the second, exactly. */
static void deep_exit_case(double pps, double lat_ns)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	socket_config(&c, NAPI_SOFTIRQ, pps, 200);
	c.idle_exit_us = 25;
	c.idle_exit_deep_us = 60;
	c.idle_exit_deep_after_us = 200;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "wake-up to running, %.0f frames/s", pps);
	assert_near(r.app_wake_latency_ns, lat_ns, 1, what);
	assert_near(r.app_wake_latency_sd_ns, 0, 1, "every wake-up alike");
}

static void test_idle_exit_deep(void **state)
{
	deep_exit_case(10000, 25300);
	deep_exit_case(2000, 60300);
}

/* cpu.idle_exit_hist: the idle exit is drawn from a log2 histogram, uniform within a slot.
 * One frame every 500 us wakes the application on idle core 1 (each exit is under 131 us, so
 * every frame is its own wake-up); the application runs the exit later plus the 300 ns switch.
 * One slot, 16 ([65536, 131072) ns): mean 98304 + 300 ns, sd 65536 / sqrt(12) = 18919 ns (a
 * draw at the slot's middle would give sd 0). Weights 3 on slot 13 ([8192, 16384), mean 12288)
 * and 1 on slot 16: mean 33792 + 300 ns, sd of the mixture 38483 ns. Means within 3.29
 * standard errors over the window's wake-ups, sds within 10 %. */
static void exit_hist_case(const char *hist, double mean, double sd)
{
	struct model_config c;
	static struct sim_results r;
	char err[160], what[96];
	double n;

	socket_config(&c, NAPI_SOFTIRQ, 2000, 200);
	assert_int_equal(loghist_parse(hist, c.idle_exit_hist, err, sizeof(err)), 0);
	c.has_idle_exit_hist = 1;
	run_ok(&c, &r);
	n = r.app_wakeups_per_s * r.seconds;
	assert_near(n, 2000 * r.seconds, 2, "application wake-ups");
	snprintf(what, sizeof(what), "wake-up to running, mean ns, \"%s\"", hist);
	assert_near(r.app_wake_latency_ns, mean + 300, 3.29 * sd / sqrt(n), what);
	snprintf(what, sizeof(what), "wake-up to running, sd ns, \"%s\"", hist);
	assert_near(r.app_wake_latency_sd_ns, sd, 0.1 * sd, what);
}

static void test_idle_exit_hist(void **state)
{
	exit_hist_case("16:1", 98304, 18919);
	exit_hist_case("13:3 16:1", 33792, 38483);
}

/* cpu.halt_poll_us: the host's adaptive halt polling decides which wake-ups are deep, for the
 * woken thread's delay and the waker's deep_wake_ns alike. One frame every 235.3 us (4250/s)
 * wakes the application on idle core 1, which runs 500 ns, switches twice (300 ns each) and
 * halts; idle exit 12 us shallow, 89 us deep, window at most 200 us, grown x2 from 10 us, cut
 * to 0. After a deep wake-up the core halts 235.3 - 89.3 - 0.8 = 145.2 us, after a shallow one
 * 222.2 us. KVM's rule cycles: a 222 us halt finds the window (160 us) short: deep, and being
 * over 200 us it cuts the window to 0; the next five 145 us halts are deep and grow it to 10,
 * 20, 40, 80 and 160 us; the one after falls within it: shallow. So 6 wake-ups in 7 are deep,
 * the mean delay is (6 x 89.3 + 12.3) / 7 us, and each deep one costs its waker deep_wake_ns.
 * At 2000 frames/s (halts of about 410 us, all over 200 us) the window never opens: all
 * deep; at 10000/s (halts under 100 us once it has grown past them, in the warm-up) none.
 * Tolerance: one cycle (7 wake-ups) at the window's edges. */
static void halt_poll_case(double pps, double deep_frac)
{
	struct model_config c;
	static struct sim_results r;
	const double deep_ns = 5000;
	double n, lat = 12300 + deep_frac * (89300 - 12300);
	char what[96];

	socket_config(&c, NAPI_SOFTIRQ, pps, 200);
	c.idle_exit_us = 12;
	c.idle_exit_deep_us = 89;
	c.halt_poll_us = 200;
	c.cal.stage[STAGE_TRANSPORT].deep_wake_ns = deep_ns;
	c.cal.stage[STAGE_TRANSPORT].deep_wake_after_us = 200;	/* not used: halt polling decides */
	run_ok(&c, &r);
	n = r.app_wakeups_per_s * r.seconds;
	assert_near(n, pps * r.seconds, 2, "application wake-ups");
	snprintf(what, sizeof(what), "deep wake-ups per wake-up, %.0f frames/s", pps);
	assert_near(r.deep_wakeups_per_s / r.app_wakeups_per_s, deep_frac, 7 / n, what);
	snprintf(what, sizeof(what), "wake-up to running, mean ns, %.0f frames/s", pps);
	assert_near(r.app_wake_latency_ns, lat, 7 * (89300 - 12300) / n + 1, what);
	snprintf(what, sizeof(what), "transport ns per frame, %.0f frames/s", pps);
	assert_near(r.stage[STAGE_TRANSPORT].cpu_ns_per_s / r.delivered_pps, 200 + deep_frac * deep_ns,
		    7 * deep_ns / n + 1, what);
}

static void test_halt_poll(void **state)
{
	halt_poll_case(4250, 6.0 / 7);
	halt_poll_case(2000, 1);
	halt_poll_case(10000, 0);
}

/* The threaded NAPI kthread's wake-ups (rxcalibrate's columns 44-47): one frame every 500 us
 * (2000/s) or 100 us (10000/s) wakes the kthread on idle core 1, where the application runs
 * after it; halt polling as in halt_poll_case(). At 2000/s every halt exceeds 200 us: every
 * wake-up finds the core halted and runs 89 us + the 300 ns switch later, all in the slow
 * slots (32.8 us and up); at 10000/s none (12.3 us, no slow one). */
static void napi_wake_case(double pps, double deep)
{
	struct model_config c;
	static struct sim_results r;
	double n, slow = 0;
	char what[96];

	socket_config(&c, NAPI_THREADED, pps, 200);
	c.idle_exit_us = 12;
	c.idle_exit_deep_us = 89;
	c.halt_poll_us = 200;
	run_ok(&c, &r);
	n = r.napi_wakeups_per_s * r.seconds;
	snprintf(what, sizeof(what), "kthread wake-ups, %.0f frames/s", pps);
	assert_near(n, pps * r.seconds, 2, what);
	snprintf(what, sizeof(what), "kthread wake-ups on a halted core, %.0f frames/s", pps);
	assert_near(r.napi_halted_per_s * r.seconds, deep * n, 2, what);
	snprintf(what, sizeof(what), "kthread wake-up to running, mean ns, %.0f frames/s", pps);
	assert_near(r.napi_wake_latency_ns, deep ? 89300 : 12300, 1, what);
	for (int i = LOGHIST_SLOW_SLOT; i < LOGHIST_SLOTS; i++)
		slow += (double)r.napi_wake_hist[i];
	snprintf(what, sizeof(what), "kthread wake-ups of 32.8 us or more, %.0f frames/s", pps);
	assert_near(slow, deep * n, 2, what);
}

static void test_napi_wakes(void **state)
{
	napi_wake_case(2000, 1);
	napi_wake_case(10000, 0);
}

/* transport.wake_idle_ns: a wake-up costs wake_idle_ns x min(1, idle / wake_idle_after_us) more
 * for the time the application's core idled. One frame every 50 us, softirq NAPI on core 0, the
 * application on core 1 busy 500 ns per call plus two 300 ns switches, so it idles between
 * 48.9 and 50 us before each wake-up: with a 10 us ramp every wake-up pays all of 3000 ns;
 * with a 1000 us ramp it pays 3000 x idle / 1000 us, between 146.7 and 150 ns. */
static void wake_idle_case(double after_us, double lo, double hi)
{
	struct model_config c;
	static struct sim_results r;
	double per;
	char what[96];

	socket_config(&c, NAPI_SOFTIRQ, 20000, 200);
	c.cal.stage[STAGE_TRANSPORT].per_wake_ns = 1000;
	c.cal.stage[STAGE_TRANSPORT].wake_idle_ns = 3000;
	c.cal.stage[STAGE_TRANSPORT].wake_idle_after_us = after_us;
	run_ok(&c, &r);
	assert_near(r.remote_wakeups_per_s / r.delivered_pps, 1, 2 / (r.seconds * r.delivered_pps),
		    "wake-ups per frame");
	per = r.stage[STAGE_TRANSPORT].cpu_ns_per_s / r.stage[STAGE_TRANSPORT].pkts_per_s;
	snprintf(what, sizeof(what), "transport ns per frame, ramp %.0f us", after_us);
	/* the first and last wake-ups of the window may fall either side of it */
	assert_near(per, 1200 + (lo + hi) / 2,
		    (hi - lo) / 2 + 2 * 4200 / (r.seconds * r.delivered_pps), what);
}

static void test_wake_idle_ramp(void **state)
{
	wake_idle_case(10, 3000, 3000);
	wake_idle_case(1000, 146.7, 150);
}

/* The softirq stage's per_packet_ns is the free of a queued datagram's skb by net_rx_action on
 * the core that received it, after the application copied it on another core
 * (skb_defer_free_flush): 700 ns per delivered frame with the application on core 1, none
 * with it on core 0 (it frees the skb itself) and none when XDP drops every frame. Its cold_ns
 * is net_rx_action's own: 300 ns for each poll's first frame (every frame is polled alone,
 * 50 us after the previous poll, past the 1 us ramp) in all three cases. */
/* Softirq NAPI on core 0 with XDP on the path dropping a share @xdp_drop of one frame every
 * 50 us, the application on core @app_cpu. */
static void placed_config(struct model_config *c, int app_cpu, double xdp_drop)
{
	socket_config(c, NAPI_SOFTIRQ, 20000, 200);
	c->path_mask |= 1u << STAGE_XDP;
	c->app_cpu = app_cpu;
	c->drop[STAGE_XDP] = xdp_drop;
}

static void deferred_free_case(int app_cpu, double xdp_drop, double per_frame)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	placed_config(&c, app_cpu, xdp_drop);
	c.cal.stage[STAGE_SOFTIRQ].per_packet_ns = 700;
	c.cal.stage[STAGE_SOFTIRQ].cold_ns = 300;
	c.cal.stage[STAGE_SOFTIRQ].cold_after_us = 1;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "softirq ns per offered frame, app on core %d, xdp drop %.0f",
		 app_cpu, xdp_drop);
	assert_near(r.stage[STAGE_SOFTIRQ].cpu_ns_per_s / r.offered_pps, per_frame + 300,
		    2 * 700 / (r.seconds * r.offered_pps), what);
}

/* remote_ns: a packet polled after one that went to an application on another core pays it.
 * Softirq NAPI on core 0, one frame every 50 us, poll 100 ns per frame and 500 remote: with the
 * application on core 1 every frame but the run's first pays it (600 ns per frame), on core 0
 * none does (100), and with XDP dropping every other frame (the drop credit alternates) the
 * frames after a delivered one, half of them, do (350). */
static void remote_case(int app_cpu, double xdp_drop, double per_frame)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	placed_config(&c, app_cpu, xdp_drop);
	c.cal.stage[STAGE_POLL].remote_ns = 500;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "poll ns per frame, app on core %d, xdp drop %.1f", app_cpu,
		 xdp_drop);
	assert_near(r.stage[STAGE_POLL].cpu_ns_per_s / r.stage[STAGE_POLL].pkts_per_s, per_frame,
		    2 * 500 / (r.seconds * r.offered_pps), what);
}

static void test_remote_buffers(void **state)
{
	remote_case(1, 0, 600);
	remote_case(0, 0, 100);
	remote_case(1, 0.5, 350);
}

static void test_deferred_free(void **state)
{
	deferred_free_case(1, 0, 700);
	deferred_free_case(0, 0, 0);
	deferred_free_case(1, 1, 0);
}

/* traffic.sender_cpu: the sender shares core 0 with NET_RX and sends nothing while it runs.
 * Bursts of 4 frames back to back (line rate 1e15) every 100 us, 2 us of receive work per
 * frame: an independent source puts all 4 in the ring at once and one poll takes them (4 per
 * poll), a sender on core 0 sends each after the previous one's NET_RX: 1 frame per poll and
 * per net_rx_action, exactly. */
/* Softirq NAPI on core 0, bursts of 4 frames back to back every 100 us, the sender on
 * @sender_cpu (-1: an independent source), poll 2000 ns per frame and nothing after it: the
 * set-up of the sender and cold-poll tests. */
static void burst_config(struct model_config *c, int sender_cpu)
{
	test_config(c);
	c->napi_mode = NAPI_SOFTIRQ;
	c->arrivals = ARR_CONSTANT;
	c->pps = 40000;
	c->burst = 4;
	c->sender_cpu = sender_cpu;
	c->path_mask = 1u << STAGE_POLL;
	c->path_end = END_CONSUME;
	c->app_enabled = 0;
	c->cal.stage[STAGE_POLL].per_packet_ns = 2000;
}

static void sender_case(int sender_cpu, double frames_per_poll)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	burst_config(&c, sender_cpu);
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "frames per poll, sender cpu %d", sender_cpu);
	assert_near(r.pkts_per_poll, frames_per_poll, 1e-3, what);
	snprintf(what, sizeof(what), "frames per net_rx_action, sender cpu %d", sender_cpu);
	assert_near(r.stage[STAGE_POLL].pkts_per_s / r.net_rx_actions_per_s, frames_per_poll, 1e-3,
		    what);
	assert_near(r.delivered_pps, 40000, 4 / r.seconds, "every frame delivered");
}

static void test_sender_cpu(void **state)
{
	sender_case(-1, 4);
	sender_case(0, 1);
}

/* traffic.sender_wakes: each burst leaves after the sender's own wake-up, drawn from the idle
 * exit; the schedule stays absolute. Bursts of 4 frames every 50 us (80000 frames/s, an
 * independent source, a link too fast to matter), NET_RX on core 0 at once (no interrupt delay),
 * 1 ns per frame polled. Without the delay each burst is one poll of 4 frames. With delays
 * uniform in slot 16, [65.536, 131.072) us, burst k + 1 leaves before burst k when
 * U(k) - U(k+1) > 50 us; the link then sends it right after burst k, at the same instant, and
 * one poll takes both: probability (65.536 - 50)^2 / (2 x 65.536^2) = 0.02810 per burst (two
 * such merges cannot chain: that would need a spread of 100 us). So 4 / (1 - 0.0281) frames
 * per poll, within 3.29 standard errors of that probability over the window's bursts. */
static void test_sender_wakes(void **state)
{
	struct model_config c;
	static struct sim_results r;
	char err[160];
	const double w = 65.536, p = (w - 50) * (w - 50) / (2 * w * w);
	double n, se;

	burst_config(&c, -1);
	c.pps = 80000;
	c.cal.stage[STAGE_POLL].per_packet_ns = 1;
	run_ok(&c, &r);
	assert_near(r.pkts_per_poll, 4, 1e-3, "frames per poll, sender on time");
	assert_int_equal(loghist_parse("16:1", c.idle_exit_hist, err, sizeof(err)), 0);
	c.has_idle_exit_hist = 1;
	c.sender_wakes = 1;
	run_ok(&c, &r);
	n = r.delivered_pps * r.seconds / 4;
	se = sqrt(p * (1 - p) / n);
	assert_near(1 - 4 / r.pkts_per_poll, p, 3.29 * se, "bursts merged into the previous poll");
}

/* traffic.sender_call_us / sender_frame_us: the paced sender as a thread on core 0, whose
 * NAPI it schedules in softirq mode. Bursts of 4 frames every 100 us (40000 frames/s), NET_RX
 * 2 us per frame, no idle exit, free context switches:
 * - 20 us per call + 1 us per frame: a burst takes 20 + 4 x (1 + 2) = 32 us, so the sender is
 *   ahead of its schedule after every burst and sleeps before each next one: one sleep per
 *   burst, two context switches per sleep (to idle and back), every frame delivered, each
 *   polled alone;
 * - 150 us per call: a burst takes 162 us, more than the 100 us period, so the sender never
 *   sleeps and sends 4 frames per 162 us: 24691.4 frames/s, no context switch. */
static void sender_thread_case(double call_us, double sleeps_per_burst, double cs_per_burst,
			       double fps)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	burst_config(&c, 0);
	c.sender_call_us = call_us;
	c.sender_frame_us = 1;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "sender's bursts per second, %.0f us per call", call_us);
	assert_near(r.sender_bursts_per_s, fps / 4, 2 / r.seconds, what);
	snprintf(what, sizeof(what), "sleeps per burst, %.0f us per call", call_us);
	assert_near(r.sender_sleeps_per_s / r.sender_bursts_per_s, sleeps_per_burst,
		    2 / (r.seconds * r.sender_bursts_per_s), what);
	snprintf(what, sizeof(what), "context switches per burst, %.0f us per call", call_us);
	assert_near(r.cs_per_s / r.sender_bursts_per_s, cs_per_burst,
		    4 / (r.seconds * r.sender_bursts_per_s), what);
	snprintf(what, sizeof(what), "frames delivered per second, %.0f us per call", call_us);
	assert_near(r.delivered_pps, fps, 8 / r.seconds, what);
	assert_near(r.pkts_per_poll, 1, 1e-3, "frames per poll, NET_RX in the sender's context");
}

static void test_sender_thread(void **state)
{
	struct model_config c;
	static struct sim_results r;
	char err[160];
	const double p = (132.0 - 68) / 66;
	char hist[400] = "";
	double n, se;

	sender_thread_case(20, 1, 2, 40000);
	sender_thread_case(150, 0, 0, 4e6 / 162);
	/* traffic.sender_wake_hist: the 32 us burst starts a draw D, uniform in [66, 132) us (33
	 * bins of 2 us, equal counts), after its deadline; it ends before the next deadline, and
	 * the sender sleeps again, only when D < 68 us. Otherwise the next burst leaves at once,
	 * D + 32 - 100 < 64 us late, and ends 4 us before the deadline after it at the latest:
	 * the sleep after it is certain. So each
	 * sleep starts 1 + p bursts, p = P(D >= 68 us) = 0.9697: 1 / (1 + p) sleeps per burst,
	 * within 3.29 standard errors of p over the sleeps. */
	burst_config(&c, 0);
	c.sender_call_us = 20;
	c.sender_frame_us = 1;
	for (int us = 66; us < 132; us += 2)
		snprintf(hist + strlen(hist), sizeof(hist) - strlen(hist), "%d:1 ", us);
	assert_int_equal(ushist_parse(hist, c.sender_wake_hist, err, sizeof(err)), 0);
	c.has_sender_wake_hist = 1;
	run_ok(&c, &r);
	n = r.sender_sleeps_per_s * r.seconds;
	se = sqrt(p * (1 - p) / n) / ((1 + p) * (1 + p));
	assert_near(r.sender_sleeps_per_s / r.sender_bursts_per_s, 1 / (1 + p), 3.29 * se,
		    "sleeps per burst, woken 66-132 us late");
	assert_near(r.cs_per_s, 2 * r.sender_sleeps_per_s, 2 / r.seconds,
		    "two switches per sleep (one at each window edge may fall outside)");

	/* traffic.sender_wake_by_sleep: woken 60-62 us late in general but 80-82 us after a sleep
	 * under 16 us. A burst after a 60-62 us wake-up ends 92-94 us after its deadline: a sleep
	 * of 6-8 us, after which the sender is 80-82 + 32 - 100 = 12-14 us late and sends the next
	 * burst at once; that one ends 44-46 us after its own deadline, 54-56 us before the next
	 * one: a 54-56 us sleep (the general lateness again). 2 sleeps per 3 bursts; with one
	 * lateness for every sleep, one per burst. */
	burst_config(&c, 0);
	c.sender_call_us = 20;
	c.sender_frame_us = 1;
	assert_int_equal(ushist_parse("60:1", c.sender_wake_hist, err, sizeof(err)), 0);
	c.has_sender_wake_hist = 1;
	run_ok(&c, &r);
	assert_near(r.sender_sleeps_per_s / r.sender_bursts_per_s, 1,
		    2 / (r.seconds * r.sender_bursts_per_s), "sleeps per burst, one lateness");
	assert_int_equal(ushist_parse("80:1", c.sender_wake_by_sleep[0], err, sizeof(err)), 0);
	c.has_sender_wake_by_sleep[0] = 1;
	run_ok(&c, &r);
	assert_near(r.sender_sleeps_per_s / r.sender_bursts_per_s, 2.0 / 3,
		    3 / (r.seconds * r.sender_bursts_per_s), "sleeps per burst, by the sleep's length");

	/* A sleep under 16 us with a lateness under 32.8 us never switches out. Woken 60-62 us
	 * late in general, 10-12 us after sleeps under 16 us, context switches at 1 us each: a
	 * burst after a 60-62 us wake-up ends 92-94 us after its deadline, a 6-8 us sleep that
	 * spins until 10-12 us past the next deadline (no switch), a burst ending 42-44 us past
	 * it, then a 56-58 us sleep that switches out (the switch back to the sender inside its
	 * lateness). So every burst follows a sleep, half of them spins, and the context switches
	 * are two per sleep that switched out, at 1 us each. */
	burst_config(&c, 0);
	c.sender_call_us = 20;
	c.sender_frame_us = 1;
	c.cal.stage[STAGE_CS].per_call_ns = 1000;
	assert_int_equal(ushist_parse("60:1", c.sender_wake_hist, err, sizeof(err)), 0);
	c.has_sender_wake_hist = 1;
	assert_int_equal(ushist_parse("10:1", c.sender_wake_by_sleep[0], err, sizeof(err)), 0);
	c.has_sender_wake_by_sleep[0] = 1;
	run_ok(&c, &r);
	assert_near(r.sender_sleeps_per_s / r.sender_bursts_per_s, 1,
		    2 / (r.seconds * r.sender_bursts_per_s), "sleeps per burst, spins included");
	assert_near(r.sender_spins_per_s / r.sender_sleeps_per_s, 0.5,
		    2 / (r.seconds * r.sender_sleeps_per_s), "spins per sleep");
	assert_near(r.cs_per_s, 2 * (r.sender_sleeps_per_s - r.sender_spins_per_s), 3 / r.seconds,
		    "context switches: two per sleep that switched out");
	assert_near(r.stage[STAGE_CS].cpu_ns_per_s, 1000 * r.cs_per_s, 1,
		    "context switch time, 1 us each");
}

/* Cold polls (docs/model.md): a poll's first frame pays cold_ns x min(1, gap / cold_after_us)
 * more in each stage with a cold cost, the gap running from the core's previous poll end.
 * Bursts of 4 frames back to back every 100 us, poll 2000 ns per frame + 1000 ns cold:
 * - one poll per burst (an independent source), 1 us ramp: every poll is cold, its later
 *   frames warm: 2000 + 1000 / 4 = 2250 ns per frame;
 * - the sender on core 0 (one frame per poll, each sent when the previous NET_RX ends): only
 *   the first poll of a burst follows a gap, the next ones start where the last one ended:
 *   2250 ns per frame again;
 * - one poll per burst, 1000 us ramp: the gap is 100 us less the 8-9 us the poll runs, so the
 *   cold share is 0.091 at most: 2000 + 1000 x [0.0909, 0.0920] / 4 = 2022.7..2023.0 ns;
 * - polled by a NAPI kthread (the same gaps), the ramp of 100 us starting at 50 us
 *   (cold_from_us, the threaded fit's onset): a share of [0.409, 0.420], 2102.2..2105.0 ns;
 *   starting at 95 us, past every gap: nothing cold, 2000 ns;
 * - NET_RX polls ignore the onset (their ramp starts at 0): a share of [0.909, 0.920],
 *   2227.2..2230.0 ns. */
static void cold_case(int sender_cpu, double after_us, double from_us, double lo, double hi)
{
	struct model_config c;
	static struct sim_results r;
	char what[96];

	burst_config(&c, sender_cpu);
	if (from_us > 0 && sender_cpu == -2) {
		c.napi_mode = NAPI_THREADED;
		c.sender_cpu = sender_cpu = -1;
	}
	c.cal.stage[STAGE_POLL].cold_ns = 1000;
	c.cal.stage[STAGE_POLL].cold_after_us = after_us;
	c.cal.stage[STAGE_POLL].cold_from_us = from_us;
	run_ok(&c, &r);
	snprintf(what, sizeof(what), "poll ns per frame, %s, sender cpu %d, ramp %.0f us from %.0f "
		 "us", c.napi_mode == NAPI_THREADED ? "kthread" : "NET_RX", sender_cpu, after_us,
		 from_us);
	assert_near(r.stage[STAGE_POLL].cpu_ns_per_s / r.stage[STAGE_POLL].pkts_per_s,
		    (lo + hi) / 2, (hi - lo) / 2 + 2 * 3000 / (r.seconds * r.delivered_pps), what);
}

static void test_cold_polls(void **state)
{
	cold_case(-1, 1, 0, 2250, 2250);
	cold_case(0, 1, 0, 2250, 2250);
	cold_case(-1, 1000, 0, 2022.7, 2023.0);
	cold_case(-2, 100, 50, 2102.2, 2105.0);	/* -2: NAPI kthread, independent source */
	cold_case(-2, 100, 95, 2000, 2000);
	cold_case(-1, 100, 50, 2227.2, 2230.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_rounds),
		cmocka_unit_test(test_budget_below_weight),
		cmocka_unit_test(test_ksoftirqd_handoff),
		cmocka_unit_test(test_softirq_time_limit),
		cmocka_unit_test(test_ksoftirqd_fair_share),
		cmocka_unit_test(test_threaded_napi),
		cmocka_unit_test(test_wake_idle_core),
		cmocka_unit_test(test_idle_exit),
		cmocka_unit_test(test_idle_exit_jitter),
		cmocka_unit_test(test_idle_exit_deep),
		cmocka_unit_test(test_halt_poll),
		cmocka_unit_test(test_napi_wakes),
		cmocka_unit_test(test_idle_exit_hist),
		cmocka_unit_test(test_wake_idle_ramp),
		cmocka_unit_test(test_deferred_free),
		cmocka_unit_test(test_remote_buffers),
		cmocka_unit_test(test_sender_cpu),
		cmocka_unit_test(test_sender_wakes),
		cmocka_unit_test(test_sender_thread),
		cmocka_unit_test(test_cold_polls),
	};
	return cmocka_run_group_tests_name("napi", tests, NULL, NULL);
}
