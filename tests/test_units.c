/* Rate, duration and byte parsing: the accepted forms and the rejected ones. */
#include "testutil.h"
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
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
