/* Config and calibration loading: every kind of bad input gives one message naming the file
 * and line, and a good file overlays the defaults. */
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A calibration whose poll has a `cov` of @n numbers: the 2 x 2 block of per_call and per_packet
 * (@a @b / @c @d) and zeros (tests of the key's checks). */
static const char *cov_cfg(double a, double b, double c, double d, int n)
{
	static char buf[2048];
	size_t k = (size_t)snprintf(buf, sizeof(buf), "calibration: { stages: { poll = { "
				    "per_packet_ns = 1.0;\n  cov = [");

	for (int i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%.1f", i ? ", " : " ",
				      i == 0 ? a : i == 1 ? b : i == TERM_COUNT ? c :
				      i == TERM_COUNT + 1 ? d : 0.0);
	snprintf(buf + k, sizeof(buf) - k, " ]; }; }; };\n");
	return buf;
}

static const char *good_cal =
	"calibration: {\n"
	"  name = \"t\";\n"
	"  stages: {\n"
	"    poll = { per_call_ns = 10.0; per_packet_ns = 50.0; };\n"
	"    ip = { per_packet_ns = 100.0; per_packet_se = 5.0; netfilter_share = 0.5; };\n"
	"  };\n"
	"};\n";

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/rxmodel-test-XXXXXX");
	assert_non_null(mkdtemp(dir));
	write_file("cal.cfg", good_cal);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Loads @text as a scenario; returns the error (or "" when it loaded). */
static const char *load(const char *text, struct model_config *c)
{
	static char err[ERR_LEN];
	const char *p = write_file("s.cfg", text);

	err[0] = 0;
	config_defaults(c);
	if (config_load(c, p, NULL, err, sizeof(err)) == 0 && config_validate(c, err, sizeof(err)))
		return err;
	return err;
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct model_config c;
	const char *err = load(text, &c);

	if (!strstr(err, where) || !strstr(err, what))
		fail_msg("expected an error with '%s' and '%s', got '%s'", where, what, err);
	print_message("  %s\n", err);
}

static void test_good_overlay(void **state)
{
	struct model_config c;
	const char *err = load("calibration = \"cal.cfg\";\n"
			       "nic = { ring = 1024; line_rate = \"25G\"; itr_us = 20; };\n"
			       "traffic = { bw = \"1.5G\"; size = \"imix\"; };\n",
			       &c);

	assert_string_equal(err, "");
	assert_int_equal(c.ring, 1024);
	assert_true(c.line_rate_bps == 25e9);
	assert_true(c.itr_us == 20);
	assert_true(c.bw_bps == 1.5e9);
	assert_int_equal(c.nsizes, 3);
	assert_int_equal(c.weight, 64);	 /* untouched default */
	assert_int_equal(c.budget, 300); /* untouched default */
	assert_true(c.cal.stage[STAGE_POLL].per_packet_ns == 50);
	assert_true(c.cal.stage[STAGE_IP].netfilter_share == 0.5);
}

static void test_bad_scenarios(void **state)
{
	expect_error("calibration = \"cal.cfg\";\nnic = { rings = 5; };\n", "s.cfg:2:",
		     "unknown key 'nic.rings'");
	expect_error("calibration = \"cal.cfg\";\n\nnic = { ring = \"big\"; };\n", "s.cfg:3:",
		     "expected an integer");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { bw = \"10Q\"; };\n", "s.cfg:2:",
		     "not a rate");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { bw = -5.0; };\n", "s.cfg:2:",
		     "must not be negative");
	expect_error("calibration = \"cal.cfg\";\npath = { stages = [\"poll\", \"tcp\"]; };\n",
		     "s.cfg:2:", "unknown stage 'tcp'");
	expect_error("calibration = \"cal.cfg\";\nnic = { ring = 0; };\n", "s.cfg:2:",
		     "out of range");
	expect_error("calibration = \"cal.cfg\";\nnic = { ring = ; };\n", "s.cfg:2:",
		     "syntax error");
	expect_error("calibration = \"missing.cfg\";\n", "missing.cfg", "No such file");
	expect_error("nic = { ring = 64; };\n", "s.cfg", "no calibration");
	expect_error("calibration = \"cal.cfg\";\napp = { cpu = 7; };\n", "s.cfg", "app.cpu 7");
	expect_error("calibration = \"cal.cfg\";\npath = { drop = { ip = 1.5; }; };\n", "s.cfg:2:",
		     "within [0, 1]");
	expect_error("calibration = \"cal.cfg\";\nvariants = ( { name = \"a\"; skip = [\"x\"]; } );\n",
		     "s.cfg:2:", "unknown stage 'x'");
	expect_error("calibration = \"cal.cfg\";\nvariants = ( { name = \"a\"; app_cpu = -1; } );\n",
		     "s.cfg:2:", "out of range");
	/* the deep idle exit and what decides it: a fixed threshold or the host's halt polling */
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_deep_us = 80.0; };\n", "s.cfg:2:",
		     "goes with cpu.idle_exit_deep_after_us or cpu.halt_poll_us");
	expect_error("calibration = \"cal.cfg\";\ncpu = { halt_poll_us = 200.0; };\n", "s.cfg:2:",
		     "goes with cpu.idle_exit_deep_after_us or cpu.halt_poll_us");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_deep_us = 80.0;\n"
		     "  idle_exit_deep_after_us = 200.0; halt_poll_us = 200.0; };\n", "s.cfg:2:",
		     "set one");
	expect_error("calibration = \"cal.cfg\";\ncpu = {\n  halt_poll_grow = -1; };\n", "s.cfg:3:",
		     "out of range");
	expect_error("calibration = \"cal.cfg\";\ncpu = {\n  idle_exit_hist = \"13:2 40:1\"; };\n",
		     "s.cfg:3:", "cpu.idle_exit_hist: '40:1' is not SLOT:COUNT");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_hist = 13.0; };\n", "s.cfg:2:",
		     "expected a string");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_hist = \"13:0\"; };\n", "s.cfg:2:",
		     "no count above 0");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_us = 12.0;\n"
		     "  idle_exit_hist = \"13:5\"; };\n", "s.cfg:2:", "not both");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_us = 12.0; };\n"
		     "traffic = { arrivals = \"poisson\"; sender_wakes = true; };\n", "s.cfg",
		     "needs traffic.arrivals = \"constant\"");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_wakes = true; };\n", "s.cfg", "set cpu.idle_exit_hist or cpu.idle_exit_us");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_call_us = 20.0; };\n", "s.cfg", "set traffic.sender_cpu");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"poisson\";\n"
		     "  sender_cpu = 0; sender_frame_us = 1.0; };\n", "s.cfg",
		     "need traffic.arrivals = \"constant\"");
	expect_error("calibration = \"cal.cfg\";\ncpu = { idle_exit_us = 12.0; };\n"
		     "traffic = { arrivals = \"constant\"; sender_cpu = 0;\n"
		     "  sender_call_us = 20.0; sender_wakes = true; };\n", "s.cfg", "drop sender_wakes");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_call_us = -1.0; };\n", "s.cfg:3:", "sender_call_us");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_wake_hist = \"14:3\"; };\n", "s.cfg", "set traffic.sender_call_us");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_cpu = 0; sender_call_us = 20.0;\n"
		     "  sender_wake_by_sleep = ( \"44:1\", \"\" ); };\n", "s.cfg:4:",
		     "needs 4 strings");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_cpu = 0; sender_call_us = 20.0;\n"
		     "  sender_wake_by_sleep = ( \"44:1\", \"\", \"45:2\", \"\" ); };\n", "s.cfg:4:",
		     "traffic.sender_wake_by_sleep[2]: '45:2' is not US:COUNT");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_wake_by_sleep = ( \"44:1\", \"\", \"\", \"\" ); };\n", "s.cfg",
		     "set traffic.sender_call_us");
	expect_error("calibration = \"cal.cfg\";\ntraffic = { arrivals = \"constant\";\n"
		     "  sender_cpu = 0; sender_call_us = 20.0; sender_wake_hist = \"14:3 2:1\"; };\n",
		     "s.cfg:3:", "traffic.sender_wake_hist");
}

/* The calibration's host group: loaded, refused with its line when inconsistent, and put into a
 * scenario by config_apply_host(): the idle exits always (the histogram replaces idle_exit_us,
 * halt_poll_us replaces idle_exit_deep_after_us), the sender's lines only when the scenario has
 * a sender thread on a core (traffic.sender_cpu); a calibration without the group is refused. */
static void test_calibration_host(void **state)
{
	struct calibration cal;
	struct model_config c;
	char err[ERR_LEN];
	const char *p;

	(void)state;
	write_file("hcal.cfg", "calibration: { stages: { poll = { per_packet_ns = 50.0; }; };\n"
			       "  host: { idle_exit_hist = \"12:3 13:1\"; idle_exit_deep_us = 70.0;\n"
			       "    halt_poll_us = 130.0; sender_call_us = 5.5; sender_frame_us = 1.5;\n"
			       "    sender_wake_hist = \"4:10 6:30\";\n"
			       "    sender_wake_by_sleep = ( \"4:1\", \"\", \"6:2\", \"\" ); }; };\n");
	assert_string_equal(load("calibration = \"hcal.cfg\";\n"
				 "cpu = { idle_exit_us = 20.0; idle_exit_cv = 0.5; idle_exit_deep_us = 40.0;\n"
				 "  idle_exit_deep_after_us = 500.0; };\n"
				 "traffic = { arrivals = \"constant\"; sender_cpu = 0; sender_call_us = 9.0;\n"
				 "  sender_frame_us = 1.0; };\n",
				 &c), "");
	assert_true(c.cal.host.present && c.cal.host.has_sender_cost);
	assert_int_equal(config_apply_host(&c, err, sizeof(err)), 0);
	assert_true(c.host_from_cal && c.has_idle_exit_hist && c.idle_exit_us == 0 &&
		    c.idle_exit_cv == 0);
	assert_true(c.idle_exit_hist[12] == 3 && c.idle_exit_hist[13] == 1);
	assert_true(c.idle_exit_deep_us == 70 && c.halt_poll_us == 130 &&
		    c.idle_exit_deep_after_us == 0);
	assert_true(c.sender_call_us == 5.5 && c.sender_frame_us == 1.5 && c.has_sender_wake_hist);
	assert_true(c.has_sender_wake_by_sleep[0] && !c.has_sender_wake_by_sleep[1] &&
		    c.has_sender_wake_by_sleep[2] && c.sender_wake_by_sleep[2][3] == 2);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	/* no sender thread in the scenario: its lines stay out */
	assert_string_equal(load("calibration = \"hcal.cfg\";\n", &c), "");
	assert_int_equal(config_apply_host(&c, err, sizeof(err)), 0);
	assert_true(c.has_idle_exit_hist && c.sender_call_us == 0 && !c.has_sender_wake_hist);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	/* a sender that is not a thread (traffic.sender_wakes): its lines stay the scenario's */
	assert_string_equal(load("calibration = \"hcal.cfg\";\n"
				 "cpu = { idle_exit_us = 20.0; };\n"
				 "traffic = { arrivals = \"constant\"; sender_wakes = true; };\n", &c), "");
	assert_int_equal(config_apply_host(&c, err, sizeof(err)), 0);
	assert_true(c.host_from_cal && !c.host_sender_from_cal && c.sender_call_us == 0 &&
		    !c.has_sender_wake_hist && c.has_idle_exit_hist);
	assert_int_equal(config_validate(&c, err, sizeof(err)), 0);
	/* without the group */
	assert_string_equal(load("calibration = \"cal.cfg\";\n", &c), "");
	assert_int_equal(config_apply_host(&c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cal.cfg: no host group"));
	/* refused, with the line */
	p = write_file("h1.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; }; };\n"
				 "  host: { sender_call_us = 5.0; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "h1.cfg:2:"));
	assert_non_null(strstr(err, "sender_call_us and sender_frame_us go together"));
	p = write_file("h1b.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; }; };\n"
				  "  host: { sender_wake_hist = \"4:10\"; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "h1b.cfg:2:"));
	assert_non_null(strstr(err, "sender_wake_hist is the sender thread's wake-up"));
	p = write_file("h2.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; }; };\n"
				 "  host: { halt_poll_us = 100.0; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "halt_poll_us decides which wake-ups take idle_exit_deep_us"));
	p = write_file("h3.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; }; };\n"
				 "  host: {\n idle_exit_us = 10.0; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "h3.cfg:3:"));
	assert_non_null(strstr(err, "unknown key"));
	p = write_file("h4.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; }; };\n"
				 "  host: { idle_exit_hist = \"12:x\"; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "h4.cfg:2:"));
}

static void test_bad_calibrations(void **state)
{
	struct calibration cal;
	char err[ERR_LEN];
	const char *p;

	p = write_file("c1.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; };\n"
				 "  tcp = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c1.cfg:2:"));
	assert_non_null(strstr(err, "another stage set"));
	p = write_file("c2.cfg", "calibration: { stages: { poll = { per_packet_ns = -1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "must not be negative"));
	p = write_file("c3.cfg", "calibration: { stages: { ip = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no 'poll' stage"));
	p = write_file("c5.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				 "  cold_ns = 50.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c5.cfg:"));
	assert_non_null(strstr(err, "cold_ns needs cold_after_us > 0"));
	p = write_file("c6.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; };\n"
				 "  app = { per_call_ns = 1.0; cold_ns = 5.0; cold_after_us = 100.0; };"
				 " }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6.cfg:2:"));
	assert_non_null(strstr(err, "stages a poll runs"));
	p = write_file("c6f.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				  "  cold_ns = 50.0; cold_after_us = 100.0; cold_from_us = 85.0; };\n"
				  "  app = { per_call_ns = 1.0; cold_from_us = -1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6f.cfg:3:"));
	p = write_file("c6g.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				  "  cold_ns = 50.0; cold_after_us = 100.0; cold_from_us = 85.0; };\n"
				  "  app = { per_call_ns = 1.0; cold_from_us = 5.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6g.cfg:3:"));
	assert_non_null(strstr(err, "stages a poll runs"));
	p = write_file("c6i.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				  "  cold_ns = 50.0; cold_after_us = 100.0; cold_from_us = 85.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_true(cal.stage[STAGE_POLL].cold_from_us == 85.0);
	p = write_file("c6b.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				  "  remote_ns = 600.0; remote_se = 20.0; };\n"
				  "  softirq = { per_packet_ns = 1.0; remote_ns = 5.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6b.cfg:3:"));
	assert_non_null(strstr(err, "remote_ns belongs to the stages a poll runs"));
	p = write_file("c6c.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0;\n"
				  "  remote_ns = 600.0; remote_se = 20.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_true(cal.stage[STAGE_POLL].remote_ns == 600.0 && cal.stage[STAGE_POLL].remote_se == 20.0);
	/* head_share: a share, in the stages a rule drops in */
	p = write_file("c6h1.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; };\n"
				   "  ip = { per_packet_ns = 100.0; head_share = 0.4; head_share_se = 0.02; };"
				   " }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_true(cal.stage[STAGE_IP].has_head && cal.stage[STAGE_IP].head_share == 0.4 &&
		    cal.stage[STAGE_IP].head_share_se == 0.02 && !cal.stage[STAGE_POLL].has_head);
	p = write_file("c6h2.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; };\n"
				   "  ip = { per_packet_ns = 100.0; head_share = 1.5; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6h2.cfg:2:"));
	assert_non_null(strstr(err, "head_share must be within [0, 1]"));
	p = write_file("c6h3.cfg", "calibration: { stages: { poll = { per_packet_ns = 1.0; };\n"
				   "  app = { per_call_ns = 1.0; head_share = 0.5; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "head_share belongs to the stages a rule can drop"));
	/* provenance rates_requested_bps: the fit's rates once each; a non-number refused */
	p = write_file("c6r.cfg", "calibration: { provenance: { rates_requested_bps = [ 5e7, 1e8,\n"
				  "  5e7, 2e8 ]; }; stages: { poll = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_int_equal(cal.nfit_rates, 3);
	assert_true(cal.fit_rates[0] == 5e7 && cal.fit_rates[1] == 1e8 && cal.fit_rates[2] == 2e8);
	p = write_file("c6s.cfg", "calibration: { provenance: { rates_requested_bps = [ 5e7,\n"
				  "  \"fast\" ]; }; stages: { poll = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6s.cfg:2:"));
	/* cov: 64 numbers, symmetric, no negative variance; each refused with its line */
	p = write_file("c6d.cfg", cov_cfg(4, -6, -6, 9, TERM_COUNT * TERM_COUNT));
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_true(cal.stage[STAGE_POLL].has_cov && cal.stage[STAGE_POLL].cov[0][1] == -6.0 &&
		    cal.stage[STAGE_POLL].cov[1][0] == -6.0 && cal.stage[STAGE_POLL].cov[1][1] == 9.0);
	p = write_file("c6e.cfg", cov_cfg(4, -6, -6, 9, 3));
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c6e.cfg:2:"));
	assert_non_null(strstr(err, "expected an array of 64 numbers"));
	p = write_file("c6g.cfg", cov_cfg(4, -6, 6, 9, TERM_COUNT * TERM_COUNT));
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not symmetric (elements 2,1 and 1,2)"));
	p = write_file("c6i.cfg", cov_cfg(4, -7, -7, 9, TERM_COUNT * TERM_COUNT));
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "element 2,1 is larger than the variances allow"));
	p = write_file("c6h.cfg", cov_cfg(-4, 0, 0, 9, TERM_COUNT * TERM_COUNT));
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "variance 1 is negative"));
	p = write_file("c7.cfg", "calibration: { provenance: { cpu = \"x\";\n"
				 "  canary_rx_ns = -2.0; };\n stages: { poll = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "c7.cfg:2:"));
	assert_non_null(strstr(err, "must not be negative"));
	p = write_file("c8.cfg", "calibration: { provenance: { canary_rx_ns = 44.5; canary_app_ns = 50;\n"
				 "  canary_tx_ns = 60.25; canary_steps = 5; };\n"
				 " stages: { poll = { per_packet_ns = 1.0; }; }; };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), 0);
	assert_true(cal.canary_ns[0] == 44.5 && cal.canary_ns[1] == 50 && cal.canary_ns[2] == 60.25);
	p = write_file("c4.cfg", "stages: { };\n");
	assert_int_equal(calibration_load(&cal, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a calibration file"));
}

static void test_variants(void **state)
{
	struct model_config c;
	char err[ERR_LEN];

	assert_string_equal(load("calibration = \"cal.cfg\";\ncpu = { cores = 2; };\n"
				 "app = { enabled = true; cpu = 1; };\n"
				 "variants = ( { name = \"fw\"; drop = { ip = 0.5; }; },\n"
				 "  { name = \"local\"; app_cpu = 0; },\n"
				 "  { name = \"kthread\"; napi_cpu = 0; } );\n",
				 &c),
			    "");
	assert_int_equal(config_apply_variant(&c, "fw", err, sizeof(err)), 0);
	assert_true(c.drop[STAGE_IP] == 0.5);
	assert_int_equal(c.app_cpu, 1);	/* a variant without app_cpu leaves it */
	assert_int_equal(config_apply_variant(&c, "local", err, sizeof(err)), 0);
	assert_int_equal(c.app_cpu, 0);
	/* napi_cpu moves threaded kthreads; this scenario's NAPI is not threaded: refused */
	assert_int_equal(config_apply_variant(&c, "kthread", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "napi_cpu moves threaded NAPI kthreads"));
	c.napi_mode = NAPI_THREADED;
	c.thread_cpu[0] = 1;
	assert_int_equal(config_apply_variant(&c, "kthread", err, sizeof(err)), 0);
	assert_int_equal(c.thread_cpu[0], 0);
	assert_int_equal(config_apply_variant(&c, "no-netfilter", err, sizeof(err)), 0);
	assert_true(c.cal.stage[STAGE_IP].per_packet_ns == 50);
	assert_int_equal(config_apply_variant(&c, "gro-off", err, sizeof(err)), 0);
	assert_false(c.path_mask & (1u << STAGE_GRO));
	assert_int_equal(config_apply_variant(&c, "nope", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown variant"));
	assert_non_null(strstr(err, "fw"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_overlay),
		cmocka_unit_test(test_bad_scenarios),
		cmocka_unit_test(test_bad_calibrations),
		cmocka_unit_test(test_calibration_host),
		cmocka_unit_test(test_variants),
	};
	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
