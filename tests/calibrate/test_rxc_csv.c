/* meas_csv_write(): header, one formatted row per record, atomic replacement, nothing left behind
 * on failure. Expected strings are written out by hand from the column list in
 * docs/measurements-csv.md. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "csv.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rxc_csv_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct meas_row row(void)
{
	struct meas_row r = {
		.step = 2, .rate_requested_bps = 5e8, .offered_bps = 499800000,
		.offered_pps = 42443.5, .received_bps = 499000000, .received_pps = 42375, .received_packets = 84763, .udp_indatagrams = 84770,
		.duration_s = 2.0004, .napi_mode = "softirq", .payload_bytes = 1472,
		.stage = "ip", .method = "perf_event", .unit = "poll", .calls = 1000,
		.cpu_ns = 250000, .cpu_ns_raw = 300000, .probe_overhead_ns = 50000,
		.packets = 2000, .polls = 1000, .samples = 17, .net_rx_softirq_ns = 9000000,
		.drops_ring = 1, .drops_backlog = 0, .drops_socket = 3, .drops_kfree = 4,
		.probe_ns_per_event = 120.5,
		.inferred_ns_per_s = 51400,
		.inferred_iter_per_s = 3.6e8,
		.inferred_baseline_iter_per_s = 3.8e8,
		.net_rx_softirq_ns_all = 9500000,
		.tx_thread_ns = 812345678, .rx_thread_ns = 123456789, .napi_thread_ns = 0,
		.inferred_cpu_taken_ns_per_s = 264000000, .variant = "tc-drop", .rx_thread_runs = 36871,
		.rx_wakeups = 36870, .rx_wake_latency_ns = 14250.4, .rx_wake_latency_sd_ns = 6120.6,
		.rx_wake_hist = "12:3 13:36000 16:867",
		.napi_wakeups = 0, .napi_wake_latency_ns = 0, .napi_wake_latency_sd_ns = 0,
		.napi_wake_hist = "",
		.tx_bursts = 101900, .tx_sleeps = 59102, .tx_wake_latency_ns = 21500.4,
		.tx_wake_hist = "12:20000 44:30000 46:9102", .tx_send_ns = 2466000111,
		.tx_wake_by_sleep = "12:20000|44:100|44:29900 46:9102|",
		.canary_rx_ns = 36.214, .canary_app_ns = 48.5, .canary_tx_ns = 36.214,
		.rx_cpu = 1, .napi_cpu = 0, .head_samples = 6, .inferred_other_ns_per_s = 1250000.4,
	};
	return r;
}

static void formats_every_column(void **state)
{
	struct meas_row r = row();
	char buf[1024];
	int cols = 1;

	(void)state;
	assert_true(meas_csv_format(&r, buf, sizeof(buf)) > 0);
	/* ns_per_call = 250000/1000, ns_per_packet = 250000/2000 */
	assert_string_equal(buf, "2,5e+08,4.998e+08,42443.5,4.99e+08,42375,84763,84770,2.000,softirq,1472,ip,"
				 "perf_event,poll,1000,250000,300000,50000,2000,1000,17,250.00,"
				 "125.00,9000000,1,0,3,4,120.50,51400,3.6e+08,3.8e+08,9500000,"
				 "812345678,123456789,0,264000000,tc-drop,36871,36870,14250,6121,"
				 "12:3 13:36000 16:867,0,0,0,,101900,59102,21500,"
				 "12:20000 44:30000 46:9102,2466000111,"
				 "12:20000|44:100|44:29900 46:9102|,36.21,48.50,36.21,1,0,6,1250000");
	for (const char *p = meas_csv_header; *p; p++)
		cols += *p == ',';
	assert_int_equal(cols, 60);
	assert_int_equal(meas_csv_format(&r, buf, 20), -ENOSPC);
}

static void refuses_fields_that_need_quoting(void **state)
{
	struct meas_row r = row();
	char buf[1024];

	(void)state;
	r.stage = "ip,evil";
	assert_true(meas_csv_format(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",?,perf_event,"));
}

static void writes_header_and_rows_atomically(void **state)
{
	struct meas_row rows[3] = { row(), row(), row() };
	char path[128], line[1024];
	int n = 0;
	FILE *f;

	(void)state;
	rows[1].stage = "transport";
	snprintf(path, sizeof(path), "%s/m.csv", dir);
	f = fopen(path, "w");
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(meas_csv_write(path, rows, 3), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = 0;
	assert_string_equal(line, meas_csv_header);
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	assert_int_equal(n, 3);

	/* no temporary left beside it */
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;
	while ((e = readdir(d)))
		files += e->d_name[0] != '.';
	closedir(d);
	assert_int_equal(files, 1);
}

static void fails_cleanly_on_missing_directory(void **state)
{
	struct meas_row r = row();
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/nodir/m.csv", dir);
	assert_int_equal(meas_csv_write(path, &r, 1), -ENOENT);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(meas_csv_write("", &r, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_every_column),
		cmocka_unit_test(refuses_fields_that_need_quoting),
		cmocka_unit_test_setup_teardown(writes_header_and_rows_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(fails_cleanly_on_missing_directory, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
