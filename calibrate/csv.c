#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "csv.h"
#include "fault.h"
#include "sweep.h"

const char meas_csv_header[] =
	"step,rate_requested_bps,offered_bps,offered_pps,received_bps,received_pps,received_packets,"
	"udp_indatagrams,duration_s,"
	"napi_mode,payload_bytes,stage,method,unit,calls,cpu_ns,cpu_ns_raw,probe_overhead_ns,"
	"packets,polls,samples,ns_per_call,ns_per_packet,net_rx_softirq_ns,drops_ring,"
	"drops_backlog,drops_socket,drops_kfree,probe_ns_per_event,inferred_ns_per_s,"
	"inferred_iter_per_s,inferred_baseline_iter_per_s,net_rx_softirq_ns_all,tx_thread_ns,"
	"rx_thread_ns,napi_thread_ns,inferred_cpu_taken_ns_per_s,variant,rx_thread_runs,"
	"rx_wakeups,rx_wake_latency_ns,rx_wake_latency_sd_ns,rx_wake_hist,napi_wakeups,"
	"napi_wake_latency_ns,napi_wake_latency_sd_ns,napi_wake_hist,tx_bursts,tx_sleeps,"
	"tx_wake_latency_ns,tx_wake_hist,tx_send_ns,tx_wake_by_sleep,canary_rx_ns,canary_app_ns,"
	"canary_tx_ns,rx_cpu,napi_cpu,head_samples,inferred_other_ns_per_s";

static const char *safe(const char *s)
{
	/* CSV fields here are identifiers; refuse anything that would need quoting */
	return s && !strpbrk(s, ",\"\n\r") ? s : "?";
}

/* a histogram's text is digits, colons and spaces */
static const char *safe_hist(const char *s)
{
	return strspn(s, "0123456789: ") == strlen(s) ? s : "";
}

/* histograms joined by '|' */
static const char *safe_classes(const char *s)
{
	return strspn(s, "0123456789: |") == strlen(s) ? s : "";
}

int meas_csv_format(const struct meas_row *r, char *buf, size_t len)
{
	double per_call = r->calls ? r->cpu_ns / (double)r->calls : 0;
	double per_pkt = r->packets ? r->cpu_ns / (double)r->packets : 0;
	int n = snprintf(buf, len,
			 "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%llu,%llu,%.3f,%s,%d,%s,%s,%s,%llu,%.0f,%.0f,%.0f,"
			 "%llu,%llu,%llu,%.2f,%.2f,%.0f,%llu,%llu,%llu,%llu,%.2f,%.0f,%.6g,%.6g,"
			 "%.0f,%.0f,%.0f,%.0f,%.0f,%s,%.0f,%.0f,%.0f,%.0f,%s,%.0f,%.0f,%.0f,%s,"
			 "%.0f,%.0f,%.0f,%s,%.0f,%s,%.2f,%.2f,%.2f,%d,%d,%llu,%.0f",
			 r->step, r->rate_requested_bps, r->offered_bps, r->offered_pps,
			 r->received_bps, r->received_pps, (unsigned long long)r->received_packets,
			 (unsigned long long)r->udp_indatagrams, r->duration_s, safe(r->napi_mode),
			 r->payload_bytes, safe(r->stage), safe(r->method), safe(r->unit),
			 (unsigned long long)r->calls, r->cpu_ns, r->cpu_ns_raw,
			 r->probe_overhead_ns, (unsigned long long)r->packets,
			 (unsigned long long)r->polls, (unsigned long long)r->samples, per_call,
			 per_pkt, r->net_rx_softirq_ns, (unsigned long long)r->drops_ring,
			 (unsigned long long)r->drops_backlog, (unsigned long long)r->drops_socket,
			 (unsigned long long)r->drops_kfree, r->probe_ns_per_event,
			 r->inferred_ns_per_s, r->inferred_iter_per_s,
			 r->inferred_baseline_iter_per_s, r->net_rx_softirq_ns_all, r->tx_thread_ns,
			 r->rx_thread_ns, r->napi_thread_ns, r->inferred_cpu_taken_ns_per_s,
			 safe(r->variant ? r->variant : "baseline"), r->rx_thread_runs, r->rx_wakeups,
			 r->rx_wake_latency_ns, r->rx_wake_latency_sd_ns, safe_hist(r->rx_wake_hist),
			 r->napi_wakeups, r->napi_wake_latency_ns, r->napi_wake_latency_sd_ns,
			 safe_hist(r->napi_wake_hist), r->tx_bursts, r->tx_sleeps,
			 r->tx_wake_latency_ns, safe_hist(r->tx_wake_hist), r->tx_send_ns,
			 safe_classes(r->tx_wake_by_sleep), r->canary_rx_ns, r->canary_app_ns,
			 r->canary_tx_ns, r->rx_cpu, r->napi_cpu,
			 (unsigned long long)r->head_samples, r->inferred_other_ns_per_s);

	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? -ENOSPC : n;
}

int meas_csv_write(const char *path, const struct meas_row *rows, size_t n)
{
	struct afile a;
	char line[4 * LOGHIST_TEXT + (SLEEP_CLASSES + 1) * USHIST_TEXT];
	int err = afile_open(&a, path);

	if (err)
		return err;
	if (fprintf(a.f, "%s\n", meas_csv_header) < 0)
		err = errno ? -errno : -EIO;	/* ENOSPC, EDQUOT ... */
	for (size_t i = 0; i < n && !err; i++) {
		int l = meas_csv_format(&rows[i], line, sizeof(line));

		if (l < 0)
			err = l;
		else if (fprintf(a.f, "%s\n", line) < 0)
			err = errno ? -errno : -EIO;
	}
	rxc_fault_pause("write");
	if (!err && rxc_stop)
		err = -EINTR;	/* a signal while writing: nothing written, as for one before */
	if (err) {
		afile_abort(&a);
		return err;
	}
	return afile_commit(&a);
}
