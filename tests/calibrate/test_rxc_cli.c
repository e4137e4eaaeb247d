/* run_opts_parse() / probe_opts_parse(): defaults, SI rates, durations, and one error naming the
 * option for each kind of bad input. Rates are UDP payload bits/s; 1.5G = 1.5e9 by the SI rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "inferred.h"
#include "iperf.h"

static int parse(struct run_opts *o, char *err, int argc, ...)
{
	char *argv[32];
	va_list ap;

	argv[0] = "run";
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	return run_opts_parse(argc, argv, o, 2, err, 256);
}

static void defaults_and_rates(void **state)
{
	struct run_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 3, "--rates", "100M,1.5G,800k"), 0);
	assert_int_equal(o.nrates, 3);
	assert_true(o.rates[0] == 100e6);
	assert_true(o.rates[1] == 1.5e9);
	assert_true(o.rates[2] == 800e3);
	assert_true(o.duration_ns == 2000000000ull);
	assert_true(o.warmup_ns == 500000000ull);
	assert_true(o.canary_ns == 150000000ull);
	assert_int_equal(o.napi, NAPI_SOFTIRQ);
	assert_string_equal(o.out, "measurements.csv");
	assert_int_equal(o.payload, 1472);
	assert_int_equal(o.tx_cpu, 0);
	assert_int_equal(o.rx_cpu, 1);
	assert_int_equal(o.napi_cpu, 1);	/* follows --rx-cpu */
	assert_int_equal(o.sample_hz, 1000);	/* cheap enough for a VM */
	assert_false(o.inferred);
	assert_int_equal(o.inferred_cpu, -1);
	assert_null(o.inferred_cmd);
	assert_int_equal(o.generator, GEN_BUILTIN);
	assert_string_equal(generator_name(o.generator), "builtin");
	assert_int_equal(o.probes, PROBES_FULL);
	assert_string_equal(probe_set_name(o.probes), "full");
}

static void all_options(void **state)
{
	struct run_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 20, "--rates", "1G", "--duration", "500ms", "--warmup", "0",
			       "--napi", "threaded", "--out", "x.csv", "--size", "64", "--napi-cpu",
			       "0", "--rcvbuf", "4Mi", "--sample-hz", "2000", "-v"), 0);
	assert_true(o.duration_ns == 500000000ull);
	assert_true(o.warmup_ns == 0);
	assert_int_equal(o.napi, NAPI_THREADED);
	assert_string_equal(o.out, "x.csv");
	assert_int_equal(o.payload, 64);
	assert_int_equal(o.napi_cpu, 0);
	assert_true(o.rcvbuf == 4ull << 20);
	assert_int_equal(o.sample_hz, 2000);
	assert_true(o.verbose);
	assert_string_equal(napi_mode_name(o.napi), "threaded");
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--canary", "0"), 0);
	assert_true(o.canary_ns == 0);
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--canary", "50ms"), 0);
	assert_true(o.canary_ns == 50000000ull);
}

static void expect_error(int argc, const char *a1, const char *a2, const char *a3,
			 const char *needle)
{
	struct run_opts o;
	char err[256] = "";
	char *argv[5] = { "run", (char *)a1, (char *)a2, (char *)a3, NULL };

	assert_int_equal(run_opts_parse(argc, argv, &o, 2, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not name '%s'", err, needle);
}

static void bad_input_names_the_option(void **state)
{
	(void)state;
	expect_error(1, NULL, NULL, NULL, "--rates: missing");
	expect_error(3, "--rates", "100M,-5M", NULL, "--rates");
	expect_error(3, "--rates", "fast", NULL, "--rates");
	expect_error(3, "--rates", "0", NULL, "--rates");
	expect_error(4, "--rates", "1G", "--duration", "--duration");
	expect_error(3, "--duration", "10ms", NULL, "--duration");
	expect_error(3, "--canary", "5ms", NULL, "--canary");	/* 0 or 10ms..2s */
	expect_error(3, "--canary", "3s", NULL, "--canary");
	expect_error(3, "--canary", "often", NULL, "--canary");
	expect_error(3, "--napi", "busy", NULL, "--napi");
	expect_error(3, "--tx-cpu", "2", NULL, "--tx-cpu");	/* 2 CPUs: 0..1 */
	expect_error(3, "--size", "9000", NULL, "--size");
	expect_error(3, "--sample-hz", "1e9", NULL, "--sample-hz");
	expect_error(2, "--bogus", NULL, NULL, "--bogus: unknown option");
	expect_error(4, "--rates", "1G", "extra", "'extra': unexpected argument");
	expect_error(2, "--passive", NULL, NULL, "--passive");
}

/* --inferred: the workload's CPU follows the NAPI CPU (the sender's in softirq mode, --napi-cpu in
 * threaded mode) unless --inferred-cpu says otherwise; --inferred-cmd is checked up front. */
static void inferred_options(void **state)
{
	struct run_opts o;
	char err[256] = "";
	const char *cmd = "openssl speed -elapsed -seconds 2 -bytes 16384 sha256";

	(void)state;
	assert_int_equal(parse(&o, err, 4, "--rates", "1G", "--inferred"), 0);
	assert_true(o.inferred);
	assert_null(o.inferred_cmd);
	assert_int_equal(o.inferred_cpu, 0);	/* softirq: the sender's CPU (--tx-cpu 0) */
	assert_int_equal(parse(&o, err, 6, "--rates", "1G", "--inferred", "--tx-cpu", "1"), 0);
	assert_int_equal(o.inferred_cpu, 1);
	assert_int_equal(parse(&o, err, 8, "--rates", "1G", "--inferred", "--napi", "threaded",
			       "--napi-cpu", "0"), 0);
	assert_int_equal(o.inferred_cpu, 0);	/* threaded: the NAPI kthread's CPU */
	assert_int_equal(parse(&o, err, 6, "--rates", "1G", "--inferred", "--napi", "threaded"), 0);
	assert_int_equal(o.inferred_cpu, 1);	/* --napi-cpu defaults to --rx-cpu */
	assert_int_equal(parse(&o, err, 6, "--rates", "1G", "--inferred", "--inferred-cpu", "1"), 0);
	assert_int_equal(o.inferred_cpu, 1);
	assert_int_equal(parse(&o, err, 8, "--rates", "1G", "--dev", "eth0", "--inferred",
			       "--inferred-cpu", "0"), 0);
	assert_int_equal(o.inferred_cpu, 0);
	assert_int_equal(parse(&o, err, 6, "--rates", "1G", "--inferred", "--inferred-cmd", cmd), 0);
	assert_string_equal(o.inferred_cmd, cmd);
	assert_int_equal(o.inferred_seconds, 2);
	assert_int_equal(parse(&o, err, 6, "--inferred-cmd",
			       "/usr/bin/openssl speed -bytes 64 -seconds 1 -elapsed -evp aes-128-cbc",
			       "--inferred", "--rates", "1G"), 0);
	assert_int_equal(o.inferred_seconds, 1);
}

static void expect_run_error(const char *needle, int argc, ...)
{
	struct run_opts o;
	char err[256] = "", *argv[32];
	va_list ap;

	argv[0] = "run";
	va_start(ap, argc);
	for (int i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	assert_int_equal(run_opts_parse(argc, argv, &o, 2, err, sizeof(err)), -EINVAL);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not name '%s'", err, needle);
}

static void inferred_bad_input(void **state)
{
	(void)state;
	expect_run_error("--inferred-cpu: needs --inferred", 5, "--rates", "1G", "--inferred-cpu",
			 "0");
	expect_run_error("--inferred-cmd: needs --inferred", 5, "--rates", "1G", "--inferred-cmd",
			 "openssl speed -elapsed -seconds 1 -bytes 16 sha256");
	expect_run_error("--inferred-cpu", 6, "--rates", "1G", "--inferred", "--inferred-cpu", "2");
	expect_run_error("--inferred-cpu", 6, "--rates", "1G", "--inferred", "--inferred-cpu", "x");
	expect_run_error("--inferred-cpu: required with --dev", 6, "--rates", "1G", "--dev", "eth0",
			 "--inferred");
	expect_run_error("--inferred: needs a baseline", 5, "--dev", "eth0", "--passive",
			 "--inferred");
	expect_run_error("--inferred-cmd: missing value", 4, "--rates", "1G", "--inferred-cmd");
	expect_run_error("only 'openssl speed", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "stress-ng --cpu 1");
	expect_run_error("only 'openssl speed", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl rand 16");
	expect_run_error("add -elapsed", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl speed -seconds 1 -bytes 16 sha256");
	expect_run_error("add -seconds", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl speed -elapsed -bytes 16 sha256");
	expect_run_error("add -bytes", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl speed -elapsed -seconds 1 sha256");
	expect_run_error("-seconds '0'", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl speed -elapsed -seconds 0 -bytes 16 sha256");
	expect_run_error("-multi is not supported", 6, "--rates", "1G", "--inferred",
			 "--inferred-cmd",
			 "openssl speed -elapsed -seconds 1 -bytes 16 -multi 2 sha256");
	expect_run_error("without a shell", 6, "--rates", "1G", "--inferred", "--inferred-cmd",
			 "openssl speed -elapsed -seconds 1 -bytes 16 sha256; rm -rf /");
	/* the command must finish inside the measurement window */
	expect_run_error("longer than --duration", 8, "--rates", "1G", "--duration", "1",
			 "--inferred", "--inferred-cmd",
			 "openssl speed -elapsed -seconds 2 -bytes 16 sha256");
}

static void inferred_openssl_output(void **state)
{
	static const char ok[] =
		"You have chosen to measure elapsed time instead of user CPU time.\n"
		"Doing sha256 for 2s on 16384 size blocks: 184000 sha256's in 2.00s\n"
		"version: 3.0.19\n"
		"type          16384 bytes\n"
		"sha256         1507999.74k\n";
	static const char two[] =
		"Doing sha256 for 1s on 16 size blocks: 100 sha256's in 1.00s\n"
		"Doing sha256 for 1s on 64 size blocks: 90 sha256's in 1.00s\n";
	char err[256] = "";
	double v = 0;

	(void)state;
	assert_int_equal(inferred_parse_openssl(ok, &v, err, sizeof(err)), 0);
	assert_true(v == 92000.0);
	assert_int_equal(inferred_parse_openssl(
				 "Doing AES-128-CBC for 1s on 1024 size blocks: 1167449 AES-128-CBC's "
				 "in 0.50s", &v, err, sizeof(err)), 0);
	assert_true(v == 1167449.0 * 2);
	assert_int_equal(inferred_parse_openssl(two, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2 result lines"));
	assert_int_equal(inferred_parse_openssl("speed: Unknown algorithm foo\n", &v, err,
						sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "0 result lines"));
	assert_int_equal(inferred_parse_openssl("Doing sha256 garbage\n", &v, err, sizeof(err)),
			 -EINVAL);
	/* CPU stolen: the workload ran at 75 % of its baseline -> 250 ms per second */
	assert_true(inferred_stolen_ns_per_s(3e8, 4e8) == 2.5e8);
	assert_true(inferred_stolen_ns_per_s(1, 0) == 0);
	assert_true(inferred_stolen_ns_per_s(4.4e8, 4e8) < 0);	/* noise: kept, not hidden */
}

/* --generator: builtin (default) or iperf3, the latter only on the built-in testbed */
static void generator_option(void **state)
{
	struct run_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 5, "--rates", "100M", "--generator", "iperf3"), 0);
	assert_int_equal(o.generator, GEN_IPERF3);
	assert_string_equal(generator_name(o.generator), "iperf3");
	assert_int_equal(parse(&o, err, 5, "--generator", "builtin", "--rates", "100M"), 0);
	assert_int_equal(o.generator, GEN_BUILTIN);
	assert_int_equal(parse(&o, err, 10, "--rates", "100M", "--generator", "iperf3", "--napi",
			       "threaded", "--inferred", "--size", "64"), 0);
	assert_int_equal(o.generator, GEN_IPERF3);
	assert_int_equal(o.napi, NAPI_THREADED);
	/* the external generator of --dev is not ours */
	assert_int_equal(parse(&o, err, 5, "--dev", "eth0", "--rates", "100M"), 0);
	assert_int_equal(o.generator, GEN_BUILTIN);
	expect_run_error("--generator: 'iperf' is neither builtin nor iperf3", 5, "--rates", "1G",
			 "--generator", "iperf");
	expect_run_error("--generator: '' is neither", 5, "--rates", "1G", "--generator", "");
	expect_run_error("--generator: 'IPERF3' is neither", 5, "--rates", "1G", "--generator",
			 "IPERF3");
	expect_run_error("--generator: missing value", 4, "--rates", "1G", "--generator");
	expect_run_error("--generator: iperf3 runs on the built-in testbed", 7, "--rates", "1G",
			 "--dev", "eth0", "--generator", "iperf3");
	expect_run_error("--generator: iperf3 runs on the built-in testbed", 6, "--dev", "eth0",
			 "--passive", "--generator", "iperf3");
}

/* --probes: full (default) or lean; lean lowers the default sampling rate to RXC_LEAN_SAMPLE_HZ
 * (an explicit --sample-hz wins) and needs the built-in sender, whose thread and CPU it uses. */
static void probes_option(void **state)
{
	struct run_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--probes", "lean"), 0);
	assert_int_equal(o.probes, PROBES_LEAN);
	assert_string_equal(probe_set_name(o.probes), "lean");
	assert_int_equal(o.sample_hz, RXC_LEAN_SAMPLE_HZ);
	assert_int_equal(parse(&o, err, 7, "--probes", "lean", "--sample-hz", "1000", "--rates",
			       "1G"), 0);
	assert_int_equal(o.sample_hz, 1000);
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--probes", "full"), 0);
	assert_int_equal(o.probes, PROBES_FULL);
	assert_int_equal(o.sample_hz, RXC_SAMPLE_HZ);
	assert_int_equal(parse(&o, err, 7, "--rates", "1G", "--probes", "lean", "--napi",
			       "threaded"), 0);
	expect_run_error("--probes: 'tiny' is neither full nor lean", 5, "--rates", "1G",
			 "--probes", "tiny");
	expect_run_error("--probes lean: needs the built-in testbed", 7, "--rates", "1G", "--dev",
			 "eth0", "--probes", "lean");
	expect_run_error("--probes lean: needs the built-in sender", 7, "--rates", "1G",
			 "--generator", "iperf3", "--probes", "lean");
	expect_run_error("--net-rx-time-every: times NET_RX spans", 7, "--rates", "1G",
			 "--net-rx-time-every", "4", "--probes", "lean");
	expect_run_error("--probes: makes no sense with --no-probes", 6, "--rates", "1G",
			 "--no-probes", "--probes", "lean");
}

/* --sampler: tick (default) or perf; --sample-hz sets the perf sampler's rate and so implies it,
 * and contradicts an explicit --sampler tick. */
static void sampler_option(void **state)
{
	struct run_opts o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 3, "--rates", "1G"), 0);
	assert_int_equal(o.sampler, SAMPLER_TICK);
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--sampler", "perf"), 0);
	assert_int_equal(o.sampler, SAMPLER_PERF);
	assert_int_equal(o.sample_hz, RXC_SAMPLE_HZ);
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--sampler", "tick"), 0);
	assert_int_equal(o.sampler, SAMPLER_TICK);
	assert_int_equal(parse(&o, err, 5, "--rates", "1G", "--sample-hz", "400"), 0);
	assert_int_equal(o.sampler, SAMPLER_PERF);
	assert_int_equal(o.sample_hz, 400);
	assert_int_equal(parse(&o, err, 7, "--rates", "1G", "--probes", "lean", "--sampler",
			       "perf"), 0);
	assert_int_equal(o.sampler, SAMPLER_PERF);
	assert_int_equal(o.sample_hz, RXC_LEAN_SAMPLE_HZ);
	expect_run_error("--sampler: 'nmi' is neither tick nor perf", 5, "--rates", "1G",
			 "--sampler", "nmi");
	expect_run_error("--sample-hz: the tick sampler runs at the kernel's HZ", 7, "--rates",
			 "1G", "--sampler", "tick", "--sample-hz", "500");
}

/* --variant: the testbed's drop variants, named as rxmodel's variants (baseline by default); only
 * on the built-in testbed with the built-in generator */
static void variant_option(void **state)
{
	static const char *const names[] = { "baseline", "xdp-drop", "netfilter-drop", "tc-drop" };
	struct run_opts o;
	enum tb_variant v;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, err, 3, "--rates", "100M"), 0);
	assert_int_equal(o.variant, TB_BASELINE);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(parse(&o, err, 7, "--rates", "200M", "--napi", "threaded",
				       "--variant", names[i]), 0);
		assert_int_equal(o.variant, (enum tb_variant)i);
		assert_string_equal(tb_variant_name(o.variant), names[i]);
		assert_int_equal(tb_variant_parse(names[i], &v), 0);
		assert_int_equal(v, (enum tb_variant)i);
		assert_non_null(strstr(tb_variant_list(), names[i]));
	}
	assert_int_equal(tb_variant_parse("XDP-drop", &v), -EINVAL);
	/* with the variant's own inferred cross-check: allowed */
	assert_int_equal(parse(&o, err, 6, "--rates", "200M", "--variant", "tc-drop", "--inferred"),
			 0);
	expect_run_error("--variant: 'no-netfilter' is not a testbed variant (baseline, xdp-drop, "
			 "netfilter-drop, tc-drop)", 5, "--rates", "1G", "--variant",
			 "no-netfilter");
	expect_run_error("--variant: '' is not a testbed variant", 5, "--rates", "1G", "--variant",
			 "");
	expect_run_error("--variant: missing value", 4, "--rates", "1G", "--variant");
	expect_run_error("--variant: the drop variants are set up on the built-in testbed", 7,
			 "--rates", "1G", "--dev", "eth0", "--variant", "xdp-drop");
	expect_run_error("--variant: only with the built-in generator", 7, "--rates", "1G",
			 "--generator", "iperf3", "--variant", "netfilter-drop");
	/* netfilter-drop needs the nft program: one message naming it and its package */
	{
		char *path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

		setenv("PATH", "/nonexistent", 1);
		assert_int_equal(testbed_variant_check(TB_NETFILTER_DROP, err, sizeof(err)),
				 -ENOENT);
		assert_non_null(strstr(err, "'nft' not found"));
		assert_non_null(strstr(err, "apt-get install nftables"));
		assert_int_equal(testbed_variant_check(TB_TC_DROP, err, sizeof(err)), 0);
		assert_int_equal(testbed_variant_check(TB_XDP_DROP, err, sizeof(err)), 0);
		if (path)
			setenv("PATH", path, 1);
		free(path);
	}
	/* the baseline needs nothing: --dev and iperf3 keep working with it named */
	assert_int_equal(parse(&o, err, 7, "--rates", "1G", "--generator", "iperf3", "--variant",
			       "baseline"), 0);
	assert_int_equal(parse(&o, err, 7, "--rates", "1G", "--dev", "eth0", "--variant",
			       "baseline"), 0);
}

static bool has_pair(char **argv, const char *opt, const char *val)
{
	for (int i = 0; argv[i]; i++)
		if (!strcmp(argv[i], opt))
			return val ? argv[i + 1] && !strcmp(argv[i + 1], val) : true;
	return false;
}

/* iperf3's command lines: the testbed's addresses only, the step's rate, payload and length */
static void iperf_command_lines(void **state)
{
	struct iperf_args a;

	(void)state;
	assert_int_equal(iperf_args_build(&a, "/usr/bin/iperf3", 100e6, 1472, 3, 0), 0);
	assert_string_equal(a.srv[0], "/usr/bin/iperf3");
	assert_true(has_pair(a.srv, "-s", NULL));
	assert_true(has_pair(a.srv, "-1", NULL));
	assert_true(has_pair(a.srv, "-J", NULL));
	assert_true(has_pair(a.srv, "-B", "198.18.0.2"));
	assert_true(has_pair(a.srv, "-p", "5201"));
	assert_true(has_pair(a.cli, "-c", "198.18.0.2"));
	assert_true(has_pair(a.cli, "-B", "198.18.0.1"));
	assert_true(has_pair(a.cli, "-u", NULL));
	assert_true(has_pair(a.cli, "-b", "100000000"));
	assert_true(has_pair(a.cli, "-l", "1472"));
	assert_true(has_pair(a.cli, "-t", "3"));
	assert_true(has_pair(a.cli, "-J", NULL));
	assert_false(has_pair(a.cli, "-w", NULL));
	assert_int_equal(iperf_args_build(&a, "iperf3", 1.5e9, 64, 1, 4u << 20), 0);
	assert_true(has_pair(a.cli, "-b", "1500000000"));
	assert_true(has_pair(a.cli, "-w", "4194304"));
	assert_int_equal(iperf_args_build(&a, "iperf3", 0, 64, 1, 0), -EINVAL);
	assert_int_equal(iperf_args_build(&a, "iperf3", 1e6, 64, 0, 0), -EINVAL);
	assert_int_equal(iperf_args_build(&a, "", 1e6, 64, 1, 0), -EINVAL);
	/* -t: whole seconds covering warm-up + window with at least 0.25 s to spare */
	assert_int_equal(iperf_seconds(500000000ull, 2000000000ull), 3);
	assert_int_equal(iperf_seconds(0, 2000000000ull), 3);
	assert_int_equal(iperf_seconds(0, 100000000ull), 1);
	assert_int_equal(iperf_seconds(300000000ull, 1000000000ull), 2);
}

static void iperf_json(void **state)
{
	static const char ok[] =
		"{\n\t\"start\":\t{\"connected\":\t[{\"socket\":\t5}], \"test_start\": {\"protocol\": \"UDP\"}},\n"
		"\t\"intervals\":\t[{\"sum\":\t{\"start\": 0, \"end\":\t1.0, \"seconds\": 1.0,"
		" \"bits_per_second\": 1, \"packets\": 1}}],\n"
		"\t\"end\":\t{\n\t\t\"streams\":\t[{\"udp\":\t{\"bits_per_second\":\t5}}],\n"
		"\t\t\"sum\":\t{\"start\":\t0, \"end\":\t3.0, \"seconds\":\t3.0, \"bytes\": 1,"
		" \"bits_per_second\":\t99954278.88, \"lost_packets\":\t0, \"packets\":\t25469,"
		" \"lost_percent\":\t0, \"sender\":\ttrue},\n"
		"\t\t\"sum_sent\":\t{\"start\":\t0, \"end\":\t3.000126, \"seconds\":\t3.000126,"
		" \"bytes\":\t37490368, \"bits_per_second\":\t99970000.5, \"jitter_ms\":\t0,"
		" \"lost_packets\":\t0, \"packets\":\t25469, \"lost_percent\":\t0, \"sender\":\ttrue},\n"
		"\t\t\"sum_received\":\t{\"start\":\t0, \"end\":\t3.0, \"seconds\":\t3.0,"
		" \"bits_per_second\":\t99500000, \"jitter_ms\":\t0.006, \"lost_packets\":\t109,"
		" \"packets\":\t25469, \"lost_percent\":\t0.428, \"sender\":\tfalse},\n"
		"\t\t\"cpu_utilization_percent\":\t{\"host_total\":\t8.8}\n\t}\n}\n";
	static const char old[] =	/* no sum_sent / sum_received */
		"{\"end\": {\"sum\": {\"seconds\": 2.0, \"bits_per_second\": 5e7,"
		" \"lost_packets\": 3, \"packets\": 100, \"lost_percent\": 3.0}}}";
	static const char error[] =
		"{\"start\": {}, \"intervals\": [], \"end\": {},\n"
		" \"error\": \"unable to connect to server: Connection refused\"}";
	struct iperf_result r;
	char err[256] = "";

	(void)state;
	assert_int_equal(iperf_parse_json(ok, &r, err, sizeof(err)), 0);
	assert_true(r.sent_bps == 99970000.5);	/* sum_sent, not the interval or sum */
	assert_true(r.seconds == 3.000126);
	assert_true(r.sent_packets == 25469);
	assert_true(r.lost_packets == 109);		/* the server's count */
	assert_true(r.lost_percent == 0.428);
	assert_true(r.recv_packets == 25469 - 109);
	assert_int_equal(iperf_parse_json(old, &r, err, sizeof(err)), 0);
	assert_true(r.sent_bps == 5e7);
	assert_true(r.lost_packets == 3);
	assert_true(r.recv_packets == 0);		/* unknown */
	assert_int_equal(iperf_parse_json(error, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "iperf3: unable to connect to server: Connection refused"));
	assert_int_equal(iperf_parse_json("", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(iperf_parse_json("{\"start\": {}}", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no \"end\""));
}

static void help(void **state)
{
	struct run_opts o;
	struct probe_opts p;
	char err[256];
	char *argv[] = { "run", "--help", NULL };
	char *pargv[] = { "probe", "--dev", "eth0", NULL };
	char *bad[] = { "probe", "--frob", NULL };

	(void)state;
	assert_int_equal(run_opts_parse(2, argv, &o, 2, err, sizeof(err)), 1);
	argv[0] = "probe";
	assert_int_equal(probe_opts_parse(2, argv, &p, err, sizeof(err)), 1);
	assert_int_equal(probe_opts_parse(3, pargv, &p, err, sizeof(err)), 0);
	assert_string_equal(p.dev, "eth0");
	assert_int_equal(probe_opts_parse(2, bad, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--frob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_and_rates),
		cmocka_unit_test(all_options),
		cmocka_unit_test(bad_input_names_the_option),
		cmocka_unit_test(inferred_options),
		cmocka_unit_test(inferred_bad_input),
		cmocka_unit_test(inferred_openssl_output),
		cmocka_unit_test(generator_option),
		cmocka_unit_test(probes_option),
		cmocka_unit_test(sampler_option),
		cmocka_unit_test(variant_option),
		cmocka_unit_test(iperf_command_lines),
		cmocka_unit_test(iperf_json),
		cmocka_unit_test(help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
