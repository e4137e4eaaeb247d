/* measurements.csv: one row per (rate step, stage), columns documented in docs/measurements-csv.md.
 * meas_csv_write() writes the whole file at once to a temporary file beside @path and renames it,
 * so a reader sees either the old file or the complete new one. */
#ifndef RXC_CSV_H
#define RXC_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "loghist.h"

struct meas_row {
	int step;			/* 1-based */
	double rate_requested_bps;	/* UDP payload bits/s asked for (0: passive) */
	double offered_bps, offered_pps;	/* what the sender achieved */
	double received_bps, received_pps;	/* what the receiving application got */
	uint64_t received_packets;	/* the receiving application's count in the window */
	uint64_t udp_indatagrams;	/* Udp InDatagrams delta, receiving namespace */
	double duration_s;		/* measurement window */
	const char *napi_mode;		/* softirq | threaded | device */
	int payload_bytes;
	const char *stage, *method, *unit;
	uint64_t calls;
	double cpu_ns;			/* after subtracting probe overhead */
	double cpu_ns_raw;
	double probe_overhead_ns;
	uint64_t packets, polls, samples;
	uint64_t head_samples;		/* of samples: before the stage's drop hook (RXS_HEAD) */
	double net_rx_softirq_ns;	/* our NET_RX time (invocations that polled the device) */
	uint64_t drops_ring, drops_backlog, drops_socket, drops_kfree;
	double probe_ns_per_event;
	/* --inferred (0 without): CPU the pinned workload lost, its rate, its rate without traffic */
	double inferred_ns_per_s, inferred_iter_per_s, inferred_baseline_iter_per_s;
	double net_rx_softirq_ns_all;	/* every NET_RX invocation, all devices */
	/* exact CPU time of the testbed's threads in the window (0: none) */
	double tx_thread_ns, rx_thread_ns, napi_thread_ns;
	/* --inferred, built-in workload: CPU it did not get (1e9 - its CPU ns per second of the
	 * window, from schedstat); 0 otherwise */
	double inferred_cpu_taken_ns_per_s;
	/* --inferred: the CPU time of other tasks on the workload's CPU (neither the workload nor
	 * the testbed's threads, nor idle), ns per second of the window, from sched_switch; a part
	 * of inferred_cpu_taken_ns_per_s the receive path did not take. 0: not counted */
	double inferred_other_ns_per_s;
	const char *variant;		/* testbed variant (rxcalibrate run --variant) */
	/* times the built-in receiver thread slept and was woken during the window (its voluntary
	 * context switches, /proc/<tid>/status), 0: none or unknown */
	double rx_thread_runs;
	/* the built-in receiver's wake-ups seen by the sched_waking/sched_switch probes, and their
	 * latency from the waking to the switch in: mean and standard deviation, ns (0: not
	 * probed) */
	double rx_wakeups, rx_wake_latency_ns, rx_wake_latency_sd_ns;
	/* their latency as a log2 histogram, "SLOT:COUNT ..." (model/loghist.h; "": not probed) */
	char rx_wake_hist[LOGHIST_TEXT];
	/* the same for the threaded NAPI kthread, which veth_xmit wakes (0, "": not threaded or
	 * not probed) */
	double napi_wakeups, napi_wake_latency_ns, napi_wake_latency_sd_ns;
	char napi_wake_hist[LOGHIST_TEXT];
	/* the built-in sender's sendmmsg calls (bursts) and the sleeps before them; how late it
	 * ran after each sleep's deadline (its timer's wake-up): mean ns and a histogram of 2 us
	 * bins (model/loghist.h, ushist; 0, "": no sleep, or another generator) */
	double tx_bursts, tx_sleeps, tx_wake_latency_ns;
	char tx_wake_hist[USHIST_TEXT];
	/* its wall time inside sendmmsg over the window, ns (in softirq mode with the NET_RX
	 * each send runs; 0: another generator) */
	double tx_send_ns;
	/* tx_wake_hist by the sleep's length (sleep_class(): under 16, 32, 64 us, longer), the
	 * four histograms joined by '|' (an empty part for a class without sleeps; "" without
	 * any sleep) */
	char tx_wake_by_sleep[SLEEP_CLASSES * USHIST_TEXT];
	/* the speed canary (canary.h) on the CPU of the receive path (NET_RX in softirq mode, the
	 * NAPI kthread in threaded mode), the receiving application's and the sender's: ns per
	 * iteration, the mean of its runs just before and just after the step (0: not run) */
	double canary_rx_ns, canary_app_ns, canary_tx_ns;
	/* the testbed's receiving application's CPU and the CPU whose NET_RX or NAPI kthread
	 * polls the receiving veth (-1: --dev, unknown): on different CPUs the application's
	 * reads pull each buffer's cache lines away from the CPU that recycles it */
	int rx_cpu, napi_cpu;
};

extern const char meas_csv_header[];

/* Formats one row (no newline) into @buf; returns its length or -ENOSPC. */
int meas_csv_format(const struct meas_row *r, char *buf, size_t len);

/* 0 or -errno; on error nothing is left at @path's directory but what was there before. */
int meas_csv_write(const char *path, const struct meas_row *rows, size_t n);

#endif
