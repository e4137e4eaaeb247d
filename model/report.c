#include <math.h>
#include <string.h>

#include "report.h"
#include "units.h"

static const char *const arrival_names[] = { "constant", "poisson", "onoff" };
static const char *const end_names[] = { "socket", "forward", "consume" };

static const char *si(double v, char *b)
{
	return format_si(v, b, 32);
}

static void sizes_text(const struct model_config *c, char *buf, size_t len)
{
	size_t off = 0;

	if (c->nsizes == 1) {
		snprintf(buf, len, "%u B frames", c->size[0]);
		return;
	}
	off += snprintf(buf, len, "mix ");
	for (int i = 0; i < c->nsizes && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%u:%g", i ? "," : "", c->size[i],
				c->size_weight[i]);
}

static double max_core_util(const struct sim_results *r)
{
	double m = 0;

	for (int k = 0; k < r->cores; k++) {
		double u = r->core_util[k][CTX_COUNT] - r->core_util[k][CTX_BG];

		if (u > m)
			m = u;
	}
	return m;
}

static void table_run(FILE *f, const struct run_record *rr)
{
	const struct model_config *c = rr->cfg;
	const struct sim_results *r = rr->res;
	char a[32], b[32], d[32], sz[256];
	uint64_t drops = 0;

	for (int i = 0; i < DROP_COUNT; i++)
		drops += r->dropped[i];
	sizes_text(c, sz, sizeof(sz));
	fprintf(f, "== %s, variant %s, calibration \"%s\" (%s)%s\n", c->name, rr->variant,
		c->cal.name, c->cal.path,
		c->host_sender_from_cal ? ", with its host's idle exits and sender" :
		c->host_from_cal	? ", with its host's idle exits" : "");
	fprintf(f, "offered    %sbit/s UDP payload = %spps (%sbit/s on the wire), %s, %s arrivals, %d flow(s) over %d queue(s)%s\n",
		si(r->offered_bw_bps, a), si(r->offered_pps, b), si(r->offered_wire_bps, d), sz,
		arrival_names[c->arrivals], c->flows, c->queues,
		r->line_capped ? "; above line rate, the link caps it" : "");
	fprintf(f, "simulated  %.3g s after %.3g s warm-up, seed %llu, path ends at %s, NAPI %s\n",
		r->seconds, (double)c->warmup_ns / 1e9, (unsigned long long)c->seed,
		end_names[c->path_end], c->napi_mode == NAPI_THREADED ? "threaded" : "softirq");
	fprintf(f, "delivered  %sbit/s = %spps; dropped %.3f %% (ring %llu, backlog %llu, socket %llu, rule %llu)\n",
		si(r->delivered_bw_bps, a), si(r->delivered_pps, b), 100 * r->drop_share,
		(unsigned long long)r->dropped[DROP_RING], (unsigned long long)r->dropped[DROP_BACKLOG],
		(unsigned long long)r->dropped[DROP_SOCKET], (unsigned long long)r->dropped[DROP_RULE]);
	{
		/* amortised cost per frame: a per-packet stage over the frames it saw, the others
		 * (irq, softirq, app per call, cs) over the frames the receive path took */
		double frames = r->stage[STAGE_POLL].pkts_per_s + r->stage[STAGE_XDP].pkts_per_s;

		if (r->stage[STAGE_XDP].pkts_per_s > 0)
			frames = r->stage[STAGE_XDP].pkts_per_s;
		fprintf(f, "\n%-16s %11s %11s %13s %9s %9s %9s %9s %10s\n", "stage", "calls/s",
			"frames/s", "CPU ns/s", "% core", "± %", "ns/call", "ns/frame", "drops");
		for (int st = 0; st < STAGE_COUNT; st++) {
			const struct stage_result *s = &r->stage[st];
			double per = stage_table[st].per_packet ? s->pkts_per_s : frames;

			if (s->calls_per_s == 0 && s->pkts_per_s == 0 && s->cpu_ns_per_s == 0)
				continue;
			fprintf(f, "%-16s %11.0f %11.0f %13.0f %9.2f %9.2f %9.1f %9.1f %10llu\n",
				stage_name(st), s->calls_per_s, s->pkts_per_s, s->cpu_ns_per_s,
				s->cpu_ns_per_s / 1e7, s->cpu_se_ns_per_s / 1e7,
				s->calls_per_s > 0 ? s->cpu_ns_per_s / s->calls_per_s : 0,
				per > 0 ? s->cpu_ns_per_s / per : 0, (unsigned long long)s->drops);
		}
		fprintf(f, "%-16s %11s %11.0f %13.0f %9.2f %9.2f %9s %9.1f\n", "receive total", "",
			frames, r->total_rx_ns_per_s, r->total_rx_ns_per_s / 1e7,
			r->total_rx_se_ns_per_s / 1e7, "",
			frames > 0 ? r->total_rx_ns_per_s / frames : 0);
	}
	fprintf(f, "\npaper metrics (CPU ns per second)\n");
	for (int m = 0; m < METRIC_COUNT; m++)
		fprintf(f, "  %-34s %14.0f\n", paper_metric_names[m], r->metric_ns_per_s[m]);
	fprintf(f, "  %-34s %14.0f\n", "total ip processing", r->total_ip_ns_per_s);
	if (r->inferred_ns_per_s >= 0)
		fprintf(f, "  %-34s %14.0f  (CPU the background workload on cpu %d lost)\n",
			"total packet processing (inferred)", r->inferred_ns_per_s, c->bg_cpu);

	fprintf(f, "\n%-5s %7s", "core", "busy%");
	for (int x = 0; x < CTX_COUNT; x++)
		fprintf(f, " %11s", ctx_names[x]);
	fprintf(f, "\n");
	for (int k = 0; k < r->cores; k++) {
		fprintf(f, "%-5d %7.2f", k, 100 * r->core_util[k][CTX_COUNT]);
		for (int x = 0; x < CTX_COUNT; x++)
			fprintf(f, " %11.2f", 100 * r->core_util[k][x]);
		fprintf(f, "\n");
	}

	fprintf(f, "\nlatency (us)    %10s %10s %10s %10s %10s %12s\n", "mean", "p50", "p90",
		"p99", "p99.9", "samples");
	fprintf(f, "  NIC -> %-7s %10.2f %10.2f %10.2f %10.2f %10.2f %12llu\n",
		c->path_end == END_SOCKET ? "socket" : "out", r->lat_sock[0] / 1e3,
		r->lat_sock[1] / 1e3, r->lat_sock[2] / 1e3, r->lat_sock[3] / 1e3,
		r->lat_sock[4] / 1e3, (unsigned long long)r->lat_sock_n);
	if (r->lat_app_n)
		fprintf(f, "  NIC -> app     %10.2f %10.2f %10.2f %10.2f %10.2f %12llu\n",
			r->lat_app[0] / 1e3, r->lat_app[1] / 1e3, r->lat_app[2] / 1e3,
			r->lat_app[3] / 1e3, r->lat_app[4] / 1e3, (unsigned long long)r->lat_app_n);

	fprintf(f, "\nNAPI       %.0f polls/s, %.2f packets/poll; packets per poll:", r->polls_per_s,
		r->pkts_per_poll);
	{
		/* log2 buckets 0, 1, 2-3, 4-7, ... and the full weight apart */
		uint64_t tot = 0;

		for (int i = 0; i <= r->weight; i++)
			tot += r->poll_hist[i];
		for (int lo = 0, hi = 0; lo <= r->weight; lo = hi + 1) {
			uint64_t n = 0;

			hi = lo == 0 ? 0 : (lo * 2 - 1 < r->weight - 1 ? lo * 2 - 1 : r->weight - 1);
			if (lo == r->weight)
				hi = r->weight;
			for (int i = lo; i <= hi; i++)
				n += r->poll_hist[i];
			if (n)
				fprintf(f, " [%d%s%.0d]=%.1f%%", lo, hi > lo ? "-" : "",
					hi > lo ? hi : 0, tot ? 100.0 * n / tot : 0);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "events/s   irq %.0f, softirq runs %.0f, net_rx_action %.0f, ksoftirqd wakeups %.0f, context switches %.0f, time_squeeze %.0f\n",
		r->irqs_per_s, r->softirqs_per_s, r->net_rx_actions_per_s, r->ksoftirqd_wakeups_per_s,
		r->cs_per_s, r->time_squeeze_per_s);
	fprintf(f, "queues     ring mean %.2f frames; socket mean %.2f datagrams, mean wait %.2f us\n",
		r->ring_mean_n, r->sock_mean_n, r->sock_mean_wait_ns / 1e3);
	if (r->app_wakeups_per_s > 0)
		fprintf(f, "app        woken %.0f/s, %.2f us (sd %.2f) from wake-up to running\n",
			r->app_wakeups_per_s, r->app_wake_latency_ns / 1e3,
			r->app_wake_latency_sd_ns / 1e3);
	if (r->napi_wakeups_per_s > 0) {
		double slow = 0;

		for (int i = LOGHIST_SLOW_SLOT; i < LOGHIST_SLOTS; i++)
			slow += (double)r->napi_wake_hist[i];
		fprintf(f, "napi thread woken %.0f/s, %.2f us (sd %.2f) from wake-up to running; "
			   "%.0f/s found the core halted, %.0f/s took %.1f us or more\n",
			r->napi_wakeups_per_s, r->napi_wake_latency_ns / 1e3,
			r->napi_wake_latency_sd_ns / 1e3, r->napi_halted_per_s, slow / r->seconds,
			loghist_lo(LOGHIST_SLOW_SLOT) / 1e3);
	}
	if (r->sender_bursts_per_s > 0)
		fprintf(f, "sender     %.0f bursts/s, asleep before %.0f/s (%.1f %%; two context "
			   "switches each but the %.0f/s that never switched out)\n",
			r->sender_bursts_per_s, r->sender_sleeps_per_s,
			100 * r->sender_sleeps_per_s / r->sender_bursts_per_s, r->sender_spins_per_s);
	fprintf(f, "\n");
}

static void table_summary(FILE *f, const struct run_record *runs, int n)
{
	char a[32], b[32];

	fprintf(f, "== summary\n%-16s %12s %12s %9s %14s %14s %10s %8s\n", "variant", "offered",
		"delivered", "drop %", "rx CPU ns/s", "± se", "p99 us", "max cpu%");
	for (int i = 0; i < n; i++) {
		const struct sim_results *r = runs[i].res;

		fprintf(f, "%-16s %11sb %11sb %9.3f %14.0f %14.0f %10.2f %8.1f\n", runs[i].variant,
			si(r->offered_bw_bps, a), si(r->delivered_bw_bps, b), 100 * r->drop_share,
			r->total_rx_ns_per_s, r->total_rx_se_ns_per_s,
			(r->lat_app_n ? r->lat_app[3] : r->lat_sock[3]) / 1e3,
			100 * max_core_util(r));
	}
	fprintf(f, "\n");
}

static void csv_header(FILE *f, int cores)
{
	fprintf(f, "scenario,variant,calibration,seed,seconds,offered_bps,offered_pps,wire_bps,"
		   "line_capped,arrivals,delivered,delivered_bps,delivered_pps,drop_share");
	for (int i = 0; i < DROP_COUNT; i++)
		fprintf(f, ",drop_%s", drop_names[i]);
	for (int st = 0; st < STAGE_COUNT; st++)
		fprintf(f, ",%s_calls_per_s,%s_pkts_per_s,%s_cpu_ns_per_s,%s_cpu_se_ns_per_s,"
			   "%s_ns_per_pkt",
			stage_name(st), stage_name(st), stage_name(st), stage_name(st),
			stage_name(st));
	fprintf(f, ",poll_time_ns_per_s,skb_prep_time_ns_per_s,ip_time_ns_per_s,"
		   "ip_to_transport_time_ns_per_s,cs_time_ns_per_s,total_ip_ns_per_s,"
		   "rx_total_ns_per_s,rx_total_se_ns_per_s,inferred_ns_per_s");
	fprintf(f, ",lat_sock_mean_ns,lat_sock_p50_ns,lat_sock_p90_ns,lat_sock_p99_ns,"
		   "lat_sock_p999_ns,lat_app_mean_ns,lat_app_p50_ns,lat_app_p90_ns,lat_app_p99_ns,"
		   "lat_app_p999_ns");
	fprintf(f, ",polls_per_s,pkts_per_poll,irqs_per_s,softirqs_per_s,net_rx_actions_per_s,"
		   "ksoftirqd_wakeups_per_s,cs_per_s,time_squeeze_per_s,ring_mean,socket_mean");
	for (int k = 0; k < cores; k++)
		fprintf(f, ",cpu%d_util", k);
	fprintf(f, "\n");
}

/* A CSV field, quoted when it holds a comma, quote or newline (RFC 4180). */
static void csv_str(FILE *f, const char *v)
{
	if (!strpbrk(v, ",\"\n\r")) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (; *v; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	fputc('"', f);
}

static void csv_row(FILE *f, const struct run_record *rr)
{
	const struct model_config *c = rr->cfg;
	const struct sim_results *r = rr->res;

	csv_str(f, c->name);
	fputc(',', f);
	csv_str(f, rr->variant);
	fputc(',', f);
	csv_str(f, c->cal.name);
	fprintf(f, ",%llu,%.6g,%.6g,%.6g,%.6g,%d,%llu,%llu,%.6g,%.6g,%.6g", (unsigned long long)c->seed, r->seconds, r->offered_bw_bps,
		r->offered_pps, r->offered_wire_bps, r->line_capped, (unsigned long long)r->arrivals,
		(unsigned long long)r->delivered, r->delivered_bw_bps, r->delivered_pps,
		r->drop_share);
	for (int i = 0; i < DROP_COUNT; i++)
		fprintf(f, ",%llu", (unsigned long long)r->dropped[i]);
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct stage_result *s = &r->stage[st];

		fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.6g", s->calls_per_s, s->pkts_per_s,
			s->cpu_ns_per_s, s->cpu_se_ns_per_s, s->ns_per_pkt);
	}
	for (int m = 0; m < METRIC_COUNT; m++)
		fprintf(f, ",%.6g", r->metric_ns_per_s[m]);
	fprintf(f, ",%.6g,%.6g,%.6g", r->total_ip_ns_per_s, r->total_rx_ns_per_s,
		r->total_rx_se_ns_per_s);
	if (r->inferred_ns_per_s >= 0)
		fprintf(f, ",%.6g", r->inferred_ns_per_s);
	else
		fprintf(f, ",-1"); /* no background workload (docs/report.md); never "nan" */
	for (int i = 0; i < 5; i++)
		fprintf(f, ",%.6g", r->lat_sock[i]);
	for (int i = 0; i < 5; i++)
		fprintf(f, ",%.6g", r->lat_app[i]);
	fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g", r->polls_per_s,
		r->pkts_per_poll, r->irqs_per_s, r->softirqs_per_s, r->net_rx_actions_per_s,
		r->ksoftirqd_wakeups_per_s, r->cs_per_s, r->time_squeeze_per_s, r->ring_mean_n,
		r->sock_mean_n);
	for (int k = 0; k < r->cores; k++)
		fprintf(f, ",%.6g", r->core_util[k][CTX_COUNT]);
	fprintf(f, "\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.9g", v);
	else
		fprintf(f, "null");
}

static void json_run(FILE *f, const struct run_record *rr)
{
	const struct model_config *c = rr->cfg;
	const struct sim_results *r = rr->res;
	static const char *const q[5] = { "mean", "p50", "p90", "p99", "p999" };

	fprintf(f, "    {\"variant\": ");
	json_str(f, rr->variant);
	fprintf(f, ", \"seed\": %llu, \"seconds\": ", (unsigned long long)c->seed);
	json_num(f, r->seconds);
	fprintf(f, ",\n     \"offered\": {\"bps\": ");
	json_num(f, r->offered_bw_bps);
	fprintf(f, ", \"pps\": ");
	json_num(f, r->offered_pps);
	fprintf(f, ", \"wire_bps\": ");
	json_num(f, r->offered_wire_bps);
	fprintf(f, ", \"line_capped\": %s},\n", r->line_capped ? "true" : "false");
	fprintf(f, "     \"arrivals\": %llu, \"delivered\": %llu, \"inflight_start\": %llu, "
		   "\"inflight_end\": %llu,\n",
		(unsigned long long)r->arrivals, (unsigned long long)r->delivered,
		(unsigned long long)r->inflight_start, (unsigned long long)r->inflight_end);
	fprintf(f, "     \"delivered_bps\": ");
	json_num(f, r->delivered_bw_bps);
	fprintf(f, ", \"delivered_pps\": ");
	json_num(f, r->delivered_pps);
	fprintf(f, ", \"drop_share\": ");
	json_num(f, r->drop_share);
	fprintf(f, ",\n     \"drops\": {");
	for (int i = 0; i < DROP_COUNT; i++)
		fprintf(f, "%s\"%s\": %llu", i ? ", " : "", drop_names[i],
			(unsigned long long)r->dropped[i]);
	fprintf(f, "},\n     \"stages\": {\n");
	for (int st = 0, first = 1; st < STAGE_COUNT; st++) {
		const struct stage_result *s = &r->stage[st];

		fprintf(f, "%s       \"%s\": {\"calls_per_s\": ", first ? "" : ",\n", stage_name(st));
		first = 0;
		json_num(f, s->calls_per_s);
		fprintf(f, ", \"pkts_per_s\": ");
		json_num(f, s->pkts_per_s);
		fprintf(f, ", \"cpu_ns_per_s\": ");
		json_num(f, s->cpu_ns_per_s);
		fprintf(f, ", \"cpu_se_ns_per_s\": ");
		json_num(f, s->cpu_se_ns_per_s);
		fprintf(f, ", \"ns_per_pkt\": ");
		json_num(f, s->ns_per_pkt);
		fprintf(f, ", \"drops\": %llu, \"by_context\": {", (unsigned long long)s->drops);
		for (int x = 0; x < CTX_COUNT; x++) {
			fprintf(f, "%s\"%s\": ", x ? ", " : "", ctx_names[x]);
			json_num(f, s->ctx_ns_per_s[x]);
		}
		fprintf(f, "}}");
	}
	fprintf(f, "\n     },\n     \"paper_metrics_ns_per_s\": {");
	for (int m = 0; m < METRIC_COUNT; m++) {
		fprintf(f, "%s", m ? ", " : "");
		json_str(f, paper_metric_names[m]);
		fprintf(f, ": ");
		json_num(f, r->metric_ns_per_s[m]);
	}
	fprintf(f, ", \"total ip processing\": ");
	json_num(f, r->total_ip_ns_per_s);
	fprintf(f, ", \"total packet processing (inferred)\": ");
	json_num(f, r->inferred_ns_per_s >= 0 ? r->inferred_ns_per_s : NAN);
	fprintf(f, "},\n     \"rx_total_ns_per_s\": ");
	json_num(f, r->total_rx_ns_per_s);
	fprintf(f, ", \"rx_total_se_ns_per_s\": ");
	json_num(f, r->total_rx_se_ns_per_s);
	fprintf(f, ",\n     \"cores\": [");
	for (int k = 0; k < r->cores; k++) {
		fprintf(f, "%s{\"cpu\": %d, \"util\": ", k ? ", " : "", k);
		json_num(f, r->core_util[k][CTX_COUNT]);
		for (int x = 0; x < CTX_COUNT; x++) {
			fprintf(f, ", \"%s\": ", ctx_names[x]);
			json_num(f, r->core_util[k][x]);
		}
		fprintf(f, "}");
	}
	fprintf(f, "],\n     \"latency_ns\": {\"nic_to_socket\": {");
	for (int i = 0; i < 5; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", q[i]);
		json_num(f, r->lat_sock[i]);
	}
	fprintf(f, "}, \"nic_to_app\": {");
	for (int i = 0; i < 5; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", q[i]);
		json_num(f, r->lat_app[i]);
	}
	fprintf(f, "}},\n     \"napi\": {\"polls_per_s\": ");
	json_num(f, r->polls_per_s);
	fprintf(f, ", \"pkts_per_poll\": ");
	json_num(f, r->pkts_per_poll);
	fprintf(f, ", \"pkts_per_poll_hist\": [");
	for (int i = 0; i <= r->weight; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)r->poll_hist[i]);
	fprintf(f, "]},\n     \"events_per_s\": {\"irq\": ");
	json_num(f, r->irqs_per_s);
	fprintf(f, ", \"softirq\": ");
	json_num(f, r->softirqs_per_s);
	fprintf(f, ", \"net_rx_action\": ");
	json_num(f, r->net_rx_actions_per_s);
	fprintf(f, ", \"ksoftirqd_wakeups\": ");
	json_num(f, r->ksoftirqd_wakeups_per_s);
	fprintf(f, ", \"context_switches\": ");
	json_num(f, r->cs_per_s);
	fprintf(f, ", \"time_squeeze\": ");
	json_num(f, r->time_squeeze_per_s);
	fprintf(f, ", \"remote_wakeups\": ");
	json_num(f, r->remote_wakeups_per_s);
	fprintf(f, ", \"deep_wakeups\": ");
	json_num(f, r->deep_wakeups_per_s);
	fprintf(f, ", \"app_wakeups\": ");
	json_num(f, r->app_wakeups_per_s);
	fprintf(f, ", \"napi_wakeups\": ");
	json_num(f, r->napi_wakeups_per_s);
	fprintf(f, ", \"napi_halted\": ");
	json_num(f, r->napi_halted_per_s);
	fprintf(f, "},\n     \"queues\": {\"ring_mean\": ");
	json_num(f, r->ring_mean_n);
	fprintf(f, ", \"socket_mean\": ");
	json_num(f, r->sock_mean_n);
	fprintf(f, ", \"socket_mean_wait_ns\": ");
	json_num(f, r->sock_mean_wait_ns);
	fprintf(f, ", \"app_wake_latency_ns\": ");
	json_num(f, r->app_wake_latency_ns);
	fprintf(f, ", \"app_wake_latency_sd_ns\": ");
	json_num(f, r->app_wake_latency_sd_ns);
	fprintf(f, "}}");
}

static void measurements_rows(FILE *f, int step, const struct run_record *rr)
{
	const struct model_config *c = rr->cfg;
	const struct sim_results *r = rr->res;
	double sec = r->seconds, payload = frame_payload(config_mean_frame(c));
	double net_rx = 0, napi_thread = 0, polls = r->polls_per_s * sec;

	for (int st = 0; st < STAGE_COUNT; st++) {
		net_rx += (r->stage[st].ctx_ns_per_s[CTX_SOFTIRQ] +
			   r->stage[st].ctx_ns_per_s[CTX_KSOFTIRQD]) *
			  sec;
		napi_thread += r->stage[st].ctx_ns_per_s[CTX_NAPI_THREAD] * sec;
	}
	char hist[LOGHIST_TEXT], napi_hist[LOGHIST_TEXT];
	/* the application's core and the one polling queue 0 (rxcalibrate's rx_cpu, napi_cpu) */
	int rx_cpu = c->app_enabled && c->app_cpu >= 0 ? c->app_cpu : -1;
	int napi_cpu = c->napi_mode == NAPI_THREADED ? c->thread_cpu[0] : c->irq_cpu[0];
	/* the application thread's CPU: its core's time in the application and in switches */
	double rx_thread = c->app_enabled && c->app_cpu >= 0 && c->app_cpu < r->cores ?
				   (r->core_util[c->app_cpu][CTX_APP] +
				    r->core_util[c->app_cpu][CTX_SCHED]) * sec * 1e9 : 0;

	/* the sender thread (traffic.sender_call_us), as rxcalibrate's columns 34, 48-53: its CPU
	 * with the NET_RX and switches on its core, its bursts and sleeps, the lateness drawn for
	 * them, and its time in sends (their CPU and the NET_RX run on top of them) */
	static char txh[USHIST_TEXT], txc[SLEEP_CLASSES * USHIST_TEXT];
	int snd = r->sender_bursts_per_s > 0 && c->sender_cpu >= 0 && c->sender_cpu < r->cores;
	double snd_rx = snd ? r->core_util[c->sender_cpu][CTX_SOFTIRQ] * sec * 1e9 : 0;
	double tx_thread = snd ? r->sender_cpu_ns_per_s * sec + snd_rx +
					 r->core_util[c->sender_cpu][CTX_SCHED] * sec * 1e9 : 0;

	txh[0] = txc[0] = 0;
	if (snd && r->sender_sleeps_per_s > 0) {
		if (ushist_format(r->sender_late_hist, txh, sizeof(txh)) < 0)
			txh[0] = 0;
		ushist_format_classes(r->sender_late_by_sleep, txc, sizeof(txc));
	}
	if (loghist_format(r->app_wake_hist, hist, sizeof(hist)) < 0)
		hist[0] = 0;
	if (loghist_format(r->napi_wake_hist, napi_hist, sizeof(napi_hist)) < 0)
		napi_hist[0] = 0;
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct stage_result *s = &r->stage[st];
		double calls = s->calls_per_s * sec, pk = s->pkts_per_s * sec, ns = s->cpu_ns_per_s * sec;

		fprintf(f, "%d,%.6g,%.6g,%.6g,%.6g,%.6g,%llu,%llu,%.6g,%s,%.0f,%s,%s,%s,%.0f,%.0f,%.0f,0,"
			   "%.0f,%.0f,0,%.6g,%.6g,%.0f,%llu,%llu,%llu,%llu,0,%.0f,0,0,%.0f,%.0f,%.0f,%.0f,"
			   "%.0f,%s,%.0f,%.0f,%.0f,%s,%.0f,%.0f,%.0f,%.0f,%s,%.0f,%s,%d,%d\n",
			step, c->pps > 0 ? 0 : c->bw_bps, r->offered_bw_bps, r->offered_pps,
			r->delivered_bw_bps, r->delivered_pps, (unsigned long long)r->delivered,
			(unsigned long long)r->delivered, sec,
			c->napi_mode == NAPI_THREADED ? "threaded" : "softirq", payload,
			stage_name(st), calls > 0 || pk > 0 ? "model" : "none",
			stage_unit_name(stage_table[st].unit), calls, ns, ns, pk, polls,
			calls > 0 ? ns / calls : 0, pk > 0 ? ns / pk : 0, net_rx,
			(unsigned long long)r->dropped[DROP_RING],
			(unsigned long long)r->dropped[DROP_BACKLOG],
			(unsigned long long)r->dropped[DROP_SOCKET],
			(unsigned long long)(r->dropped[DROP_RULE] + r->dropped[DROP_SOCKET]),
			r->inferred_ns_per_s > 0 ? r->inferred_ns_per_s : 0, napi_thread,
			r->app_wakeups_per_s * sec, r->app_wakeups_per_s * sec, r->app_wake_latency_ns,
			r->app_wake_latency_sd_ns, hist, r->napi_wakeups_per_s * sec,
			r->napi_wake_latency_ns, r->napi_wake_latency_sd_ns, napi_hist, rx_thread,
			tx_thread,
			r->sender_bursts_per_s * sec, r->sender_sleeps_per_s * sec, txh,
			snd ? r->sender_send_ns_per_s * sec + snd_rx : 0, txc, rx_cpu, napi_cpu);
	}
}

void report_write(FILE *f, enum report_format fmt, const struct run_record *runs, int n,
		  const struct report_meta *meta)
{
	char a[32];

	switch (fmt) {
	case FMT_TABLE:
		for (int i = 0; i < n; i++)
			table_run(f, &runs[i]);
		if (n > 1)
			table_summary(f, runs, n);
		if (meta->capacity) {
			if (!n)
				fprintf(f, "capacity   no rate meets %s\n", meta->capacity);
			for (int i = 0; i < n; i++)
				fprintf(f, "capacity   %-16s %sbit/s of UDP payload is the largest rate "
					   "meeting %s\n",
					runs[i].variant, si(runs[i].cfg->bw_bps, a), meta->capacity);
		}
		break;
	case FMT_CSV:
		csv_header(f, n ? runs[0].res->cores : 0);
		for (int i = 0; i < n; i++)
			csv_row(f, &runs[i]);
		break;
	case FMT_MEASUREMENTS:
		fprintf(f, "step,rate_requested_bps,offered_bps,offered_pps,received_bps,received_pps,"
			   "received_packets,udp_indatagrams,duration_s,napi_mode,payload_bytes,stage,"
			   "method,unit,calls,cpu_ns,cpu_ns_raw,probe_overhead_ns,packets,polls,samples,"
			   "ns_per_call,ns_per_packet,net_rx_softirq_ns,drops_ring,drops_backlog,"
			   "drops_socket,drops_kfree,probe_ns_per_event,inferred_ns_per_s,"
			   "inferred_iter_per_s,inferred_baseline_iter_per_s,napi_thread_ns,"
			   "rx_thread_runs,rx_wakeups,rx_wake_latency_ns,rx_wake_latency_sd_ns,"
			   "rx_wake_hist,napi_wakeups,napi_wake_latency_ns,napi_wake_latency_sd_ns,"
			   "napi_wake_hist,rx_thread_ns,tx_thread_ns,tx_bursts,tx_sleeps,tx_wake_hist,"
			   "tx_send_ns,tx_wake_by_sleep,rx_cpu,napi_cpu\n");
		for (int i = 0; i < n; i++)
			measurements_rows(f, i + 1, &runs[i]);
		break;
	case FMT_JSON:
		fprintf(f, "{\"tool\": \"rxmodel\", \"schema\": 1, \"scenario\": ");
		json_str(f, n ? runs[0].cfg->name : "");
		fprintf(f, ", \"config\": ");
		json_str(f, meta->config_path ? meta->config_path : "");
		fprintf(f, ", \"calibration\": {\"name\": ");
		json_str(f, n ? runs[0].cfg->cal.name : "");
		fprintf(f, ", \"path\": ");
		json_str(f, n ? runs[0].cfg->cal.path : "");
		fprintf(f, "},\n");
		if (meta->capacity) {
			fprintf(f, " \"capacity\": {\"limits\": ");
			json_str(f, meta->capacity);
			fprintf(f, ", \"bps\": [");
			for (int i = 0; i < n; i++) {
				fprintf(f, "%s{\"variant\": ", i ? ", " : "");
				json_str(f, runs[i].variant);
				fprintf(f, ", \"bps\": ");
				json_num(f, runs[i].cfg->bw_bps);
				fprintf(f, "}");
			}
			fprintf(f, "]},\n");
		}
		fprintf(f, " \"runs\": [\n");
		for (int i = 0; i < n; i++) {
			json_run(f, &runs[i]);
			fprintf(f, "%s\n", i + 1 < n ? "," : "");
		}
		fprintf(f, " ]}\n");
		break;
	}
}
