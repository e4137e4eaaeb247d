/* Rate, duration and byte parsing: the accepted forms and the rejected ones. */
#include "testutil.h"
#include "loghist.h"
#include "units.h"

static void test_rates(void **state)
{
	double v;

	assert_int_equal(parse_rate("800M", &v), 0);
	assert_true(v == 800e6);
	assert_int_equal(parse_rate("10G", &v), 0);
	assert_true(v == 10e9);
	assert_int_equal(parse_rate("1.5G", &v), 0);
	assert_true(v == 1.5e9);
	assert_int_equal(parse_rate("14.88Mpps", &v), 0);
	assert_true(fabs(v - 14.88e6) < 1e-3);
	assert_int_equal(parse_rate("2500000", &v), 0);
	assert_true(v == 2.5e6);
	assert_int_equal(parse_rate("100kbps", &v), 0);
	assert_true(v == 1e5);
	v = 42;
	assert_int_equal(parse_rate("10Q", &v), -EINVAL);
	assert_int_equal(parse_rate("", &v), -EINVAL);
	assert_int_equal(parse_rate("G", &v), -EINVAL);
	assert_int_equal(parse_rate(" 1G", &v), -EINVAL);
	assert_int_equal(parse_rate("nan", &v), -EINVAL);
	assert_int_equal(parse_rate("inf", &v), -EINVAL);
	assert_int_equal(parse_rate("-5G", &v), -ERANGE);
	assert_true(v == 42); /* untouched on error */
}

static void test_lists(void **state)
{
	double v[4];

	assert_int_equal(parse_rate_list("100M,1G,10G", v, 4), 3);
	assert_true(v[0] == 100e6 && v[1] == 1e9 && v[2] == 10e9);
	assert_int_equal(parse_rate_list("100M,,1G", v, 4), -EINVAL);
	assert_int_equal(parse_rate_list("1,2,3,4,5", v, 4), -E2BIG);
	assert_int_equal(parse_rate_list("1G,x", v, 4), -EINVAL);
}

static void test_durations(void **state)
{
	uint64_t ns = 5;

	assert_int_equal(parse_duration_ns("1", &ns, 0), 0);
	assert_true(ns == 1000000000ull);
	assert_int_equal(parse_duration_ns("500ms", &ns, 0), 0);
	assert_true(ns == 500000000ull);
	assert_int_equal(parse_duration_ns("50us", &ns, 0), 0);
	assert_true(ns == 50000ull);
	assert_int_equal(parse_duration_ns("0", &ns, 1), 0);
	assert_true(ns == 0);
	assert_int_equal(parse_duration_ns("0", &ns, 0), -ERANGE);
	assert_int_equal(parse_duration_ns("-1s", &ns, 0), -ERANGE);
	assert_int_equal(parse_duration_ns("3h", &ns, 0), -EINVAL);
	/* above LLONG_MAX but inside the accepted 1.8e19 (found by fuzz_units: llround overflowed) */
	assert_int_equal(parse_duration_ns("1e19ns", &ns, 0), 0);
	assert_true(ns == 10000000000000000000ull);
}

/* Log2 histograms as text: format, parse back, the slot bounds and the mean uniform within
 * slots (slot 13: [8192, 16384) ns, mid 12288; slot 0: [0, 2), mid 1). */
static void test_loghist(void **state)
{
	uint64_t n[LOGHIST_SLOTS] = { 0 };
	double w[LOGHIST_SLOTS];
	char buf[64], err[160];

	n[0] = 2;
	n[13] = 3;
	n[31] = 18446744073709551615ull;
	assert_int_equal(loghist_format(n, buf, sizeof(buf)), 32);
	assert_string_equal(buf, "0:2 13:3 31:18446744073709551615");
	assert_int_equal(loghist_format(n, buf, 10), -ENOSPC);
	assert_string_equal(buf, "");
	memset(n, 0, sizeof(n));
	assert_int_equal(loghist_format(n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	assert_int_equal(loghist_parse(" 13:3  16:1.5 ", w, err, sizeof(err)), 0);
	assert_true(w[13] == 3 && w[16] == 1.5 && w[12] == 0);
	assert_true(loghist_lo(13) == 8192 && loghist_hi(13) == 16384 && loghist_lo(0) == 0);
	assert_true(fabs(loghist_mean(w) - (3 * 12288 + 1.5 * 98304) / 4.5) < 1e-9);
	assert_int_equal(loghist_parse("0:1", w, err, sizeof(err)), 0);
	assert_true(loghist_mean(w) == 1);

	assert_int_equal(loghist_parse("32:1", w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'32:1' is not SLOT:COUNT"));
	assert_int_equal(loghist_parse("13:1 12:1", w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "slots go up"));
	assert_int_equal(loghist_parse("13:x", w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "count 'x'"));
	assert_int_equal(loghist_parse("13:-1", w, err, sizeof(err)), -EINVAL);
	assert_int_equal(loghist_parse("13:1e999", w, err, sizeof(err)), -EINVAL);
	assert_int_equal(loghist_parse("13:1e308 20:1e308", w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "add up to more"));
	assert_int_equal(loghist_parse("13", w, err, sizeof(err)), -EINVAL);
	assert_int_equal(loghist_parse("13:0", w, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no count above 0"));
	assert_int_equal(loghist_parse("", w, err, sizeof(err)), -EINVAL);

	/* the linear form: 2 us bins keyed by their lower edge in us, the last one open */
	{
		uint64_t u[USHIST_BINS] = { 0 };
		double uw[USHIST_BINS];
		char ubuf[64];

		u[0] = 1;
		u[22] = 5;
		u[255] = 2;
		assert_int_equal(ushist_format(u, ubuf, sizeof(ubuf)), 14);
		assert_string_equal(ubuf, "0:1 44:5 510:2");
		assert_true(ushist_bin(0) == 0 && ushist_bin(1999) == 0 && ushist_bin(2000) == 1 &&
			    ushist_bin(45000) == 22 && ushist_bin(1e9) == 255 && ushist_bin(-5) == 0);
		assert_int_equal(ushist_parse(ubuf, uw, err, sizeof(err)), 0);
		assert_true(uw[0] == 1 && uw[22] == 5 && uw[255] == 2 && uw[1] == 0);
		assert_true(fabs(ushist_mean(uw) - (1000 + 5 * 45000 + 2 * 511000) / 8.0) < 1e-9);
		assert_int_equal(ushist_parse("45:1", uw, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "'45:1' is not US:COUNT with a bin start of 0, 2, ..., 510"));
		assert_int_equal(ushist_parse("512:1", uw, err, sizeof(err)), -EINVAL);
		assert_int_equal(ushist_parse("44:1 44:2", uw, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "bins go up"));
		assert_int_equal(ushist_parse("44:0", uw, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "no count above 0"));
	}
	/* by the sleep's length: classes under 16, 32, 64 us and longer, joined by '|' */
	{
		static double cw[SLEEP_CLASSES][USHIST_BINS];
		int present[SLEEP_CLASSES];

		assert_true(sleep_class(0) == 0 && sleep_class(15999) == 0 && sleep_class(16000) == 1 &&
			    sleep_class(63999) == 2 && sleep_class(64000) == 3 && sleep_class(1e9) == 3);
		assert_int_equal(ushist_parse_classes("8:3||44:1 46:2|", cw, present, err,
						      sizeof(err)), 0);
		assert_true(present[0] && !present[1] && present[2] && !present[3]);
		assert_true(cw[0][4] == 3 && cw[2][22] == 1 && cw[2][23] == 2);
		assert_int_equal(ushist_parse_classes("", cw, present, err, sizeof(err)), 0);
		assert_true(!present[0] && !present[2]);
		assert_int_equal(ushist_parse_classes("8:3|", cw, present, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "2 histograms joined by '|', not 4"));
		assert_int_equal(ushist_parse_classes("|||9:1", cw, present, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "sleep class 3: '9:1'"));
		assert_int_equal(ushist_parse_classes("||||", cw, present, err, sizeof(err)), -EINVAL);
	}
}

static void test_bytes(void **state)
{
	uint64_t b;

	assert_int_equal(parse_bytes("212992", &b), 0);
	assert_true(b == 212992);
	assert_int_equal(parse_bytes("4Ki", &b), 0);
	assert_true(b == 4096);
	assert_int_equal(parse_bytes("1M", &b), 0);
	assert_true(b == 1000000);
	assert_int_equal(parse_bytes("1X", &b), -EINVAL);
	assert_int_equal(parse_bytes("1.5e19", &b), 0);
	assert_true(b == 15000000000000000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_loghist),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
