/* The event queue's ordering contract (eventq.h): time order, then scheduling order. */
#include <gsl/gsl_rng.h>

#include "eventq.h"
#include "testutil.h"

static void test_ties_in_schedule_order(void **state)
{
	struct eventq q;
	struct event ev;

	assert_int_equal(eventq_init(&q, 2), 0);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(eventq_push(&q, 1000, 0, i, 0), 0);
	eventq_push(&q, 10, 0, 999, 0);
	assert_int_equal(eventq_pop(&q, &ev), 0);
	assert_int_equal(ev.target, 999);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(eventq_pop(&q, &ev), 0);
		assert_int_equal(ev.target, i);
		if (i == 50) /* scheduled "now" from a handler: runs after those already queued */
			eventq_push(&q, 1000, 0, 1000, 0);
	}
	assert_int_equal(eventq_pop(&q, &ev), 0);
	assert_int_equal(ev.target, 1000);
	assert_int_equal(eventq_pop(&q, &ev), -ENOENT);
	eventq_free(&q);
}

static void test_random_order(void **state)
{
	struct eventq q;
	struct event ev;
	gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
	uint64_t last_t = 0, last_seq = 0;

	eventq_init(&q, 1);
	for (int i = 0; i < 100000; i++)
		eventq_push(&q, gsl_rng_uniform_int(r, 1000), 0, 0, 0);
	for (int i = 0; i < 100000; i++) {
		assert_int_equal(eventq_pop(&q, &ev), 0);
		assert_true(ev.time > last_t || (ev.time == last_t && (i == 0 || ev.seq > last_seq)));
		last_t = ev.time;
		last_seq = ev.seq;
	}
	assert_int_equal(q.len, 0);
	eventq_free(&q);
	gsl_rng_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ties_in_schedule_order),
		cmocka_unit_test(test_random_order),
	};
	return cmocka_run_group_tests_name("eventq", tests, NULL, NULL);
}
