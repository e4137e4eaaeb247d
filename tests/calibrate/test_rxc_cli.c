/* run_opts_parse() / probe_opts_parse(): defaults, SI rates, durations, and one error naming the
 * option for each kind of bad input. Rates are UDP payload bits/s; 1.5G = 1.5e9 by the SI rule. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"

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
	assert_int_equal(o.napi, NAPI_SOFTIRQ);
	assert_string_equal(o.out, "measurements.csv");
	assert_int_equal(o.payload, 1472);
	assert_int_equal(o.tx_cpu, 0);
	assert_int_equal(o.rx_cpu, 1);
	assert_int_equal(o.napi_cpu, 1);	/* follows --rx-cpu */
	assert_int_equal(o.sample_hz, 1000);	/* cheap enough for a VM */
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
	expect_error(3, "--napi", "busy", NULL, "--napi");
	expect_error(3, "--tx-cpu", "2", NULL, "--tx-cpu");	/* 2 CPUs: 0..1 */
	expect_error(3, "--size", "9000", NULL, "--size");
	expect_error(3, "--sample-hz", "1e9", NULL, "--sample-hz");
	expect_error(2, "--bogus", NULL, NULL, "--bogus: unknown option");
	expect_error(4, "--rates", "1G", "extra", "'extra': unexpected argument");
	expect_error(2, "--passive", NULL, NULL, "--passive");
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
		cmocka_unit_test(help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
