/* rxcalibrate fit: weighted, non-negative least squares per stage (see fit.h, docs/fit.md). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <gsl/gsl_vector.h>

#include "config.h"
#include "fit.h"
#include "sysinfo.h"
#include "testbed.h"

static const char *const coef_name[COEF_COUNT] = { "per_call", "per_packet", "per_byte",
						    "deep_wake", "per_wake", "wake_idle", "cold",
						    "remote" };

/* Below this ratio of smallest to largest singular value (columns scaled to unit norm) a set of
 * regressors is taken as collinear: exact proportionality gives ~1e-16, real near-collinearity
 * (polls of 1.02 packets) stays above and shows up as a large standard error instead. */
#define FIT_RANK_TOL 1e-7

static void set_err(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void gsl_quiet(void)
{
	static bool done;

	if (!done) {
		gsl_set_error_handler_off();
		done = true;
	}
}

/* ---- reading measurements.csv ------------------------------------------------------------ */

enum col {
	C_STEP, C_STAGE, C_METHOD, C_PAYLOAD, C_CALLS, C_CPU, C_PACKETS, C_SAMPLES, C_OFFERED_BPS,
	/* optional */
	C_RATE_REQ, C_OFFERED_PPS, C_DURATION, C_NAPI, C_UNIT, C_DROPS_KFREE, C_VARIANT, C_RX_THREAD,
	C_POLLS, C_NET_RX, C_RX_RUNS, C_WAKEUPS, C_WAKE_LAT, C_WAKE_HIST, C_NAPI_THREAD,
	C_NAPI_WAKEUPS, C_NAPI_WAKE_LAT, C_NAPI_WAKE_HIST, C_TX_THREAD, C_TX_BURSTS, C_TX_SLEEPS,
	C_TX_WAKE_HIST, C_TX_SEND, C_TX_BY_SLEEP, C_CANARY_RX, C_CANARY_APP, C_CANARY_TX, C_RX_CPU,
	C_NAPI_CPU, C_HEAD, C_NCOLS
};
#define C_NREQUIRED C_RATE_REQ

static const char *const col_name[C_NCOLS] = {
	[C_STEP] = "step", [C_STAGE] = "stage", [C_METHOD] = "method",
	[C_PAYLOAD] = "payload_bytes", [C_CALLS] = "calls", [C_CPU] = "cpu_ns",
	[C_PACKETS] = "packets", [C_SAMPLES] = "samples", [C_OFFERED_BPS] = "offered_bps",
	[C_RATE_REQ] = "rate_requested_bps", [C_OFFERED_PPS] = "offered_pps",
	[C_DURATION] = "duration_s", [C_NAPI] = "napi_mode", [C_UNIT] = "unit",
	[C_DROPS_KFREE] = "drops_kfree", [C_VARIANT] = "variant", [C_RX_THREAD] = "rx_thread_ns",
	[C_POLLS] = "polls", [C_NET_RX] = "net_rx_softirq_ns", [C_RX_RUNS] = "rx_thread_runs",
	[C_WAKEUPS] = "rx_wakeups", [C_WAKE_LAT] = "rx_wake_latency_ns",
	[C_WAKE_HIST] = "rx_wake_hist", [C_NAPI_THREAD] = "napi_thread_ns",
	[C_NAPI_WAKEUPS] = "napi_wakeups", [C_NAPI_WAKE_LAT] = "napi_wake_latency_ns",
	[C_NAPI_WAKE_HIST] = "napi_wake_hist", [C_TX_THREAD] = "tx_thread_ns",
	[C_TX_BURSTS] = "tx_bursts", [C_TX_SLEEPS] = "tx_sleeps", [C_TX_WAKE_HIST] = "tx_wake_hist",
	[C_TX_SEND] = "tx_send_ns", [C_TX_BY_SLEEP] = "tx_wake_by_sleep",
	[C_CANARY_RX] = "canary_rx_ns", [C_CANARY_APP] = "canary_app_ns",
	[C_CANARY_TX] = "canary_tx_ns", [C_RX_CPU] = "rx_cpu", [C_NAPI_CPU] = "napi_cpu",
	[C_HEAD] = "head_samples",
};

#define MAX_FIELDS 64

static int split(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = 0;
	for (;;) {
		char *c = strchr(p, ',');

		if (n == max)
			return max + 1;
		f[n++] = p;
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return n;
}

/* A CPU number column: -1 (unknown) to 4095. */
static int cpu_field(const char *path, int line, const char *col, const char *s, int *out,
		     char *err, size_t len)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < -1 || v > 4095) {
		set_err(err, len, "%s:%d: column '%s': '%s' is not a CPU number (-1: unknown, or 0 "
			"to 4095)", path, line, col, s);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int num_field(const char *path, int line, const char *col, const char *s, double *out,
		     char *err, size_t len)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno == ERANGE || !isfinite(v) || v < 0) {
		set_err(err, len, "%s:%d: column '%s': '%s' is not a finite non-negative number",
			path, line, col, s);
		return -EINVAL;
	}
	/* squares of counts and times must neither overflow nor underflow in the fit's sums */
	if (v != 0 && (v < 1e-50 || v > 1e50)) {
		set_err(err, len, "%s:%d: column '%s': '%s' is outside what the fit handles (0, or "
			"1e-50 to 1e50)", path, line, col, s);
		return -ERANGE;
	}
	*out = v;
	return 0;
}

int fit_canary_reference(const struct fit_data *d, double ref[CANARY_ROLES])
{
	double *v = malloc((size_t)(d->nsteps ? d->nsteps : 1) * sizeof(*v));
	int n = 0;

	if (!v)
		return 0;
	for (int r = 0; r < CANARY_ROLES; r++) {
		n = 0;
		for (int i = 0; i < d->nsteps; i++) {
			const double *c = d->step[i].canary_ns;

			if (c[0] > 0 && c[1] > 0 && c[2] > 0)
				v[n++] = c[r];
		}
		if (!n)
			break;
		gsl_sort(v, 1, (size_t)n);
		ref[r] = gsl_stats_median_from_sorted_data(v, 1, (size_t)n);
	}
	free(v);
	return n;
}

bool fit_canary_slowed(const double *c, const double *ref, double tol_pct)
{
	for (int r = 0; r < CANARY_ROLES; r++)
		if (c[r] > ref[r] * (1 + tol_pct / 100))
			return true;
	return false;
}

int fit_drop_slowed(struct fit_data *d, const double ref[CANARY_ROLES], double tol)
{
	int k = 0, n = d->nsteps;

	for (int i = 0; i < n; i++) {
		if (fit_canary_slowed(d->step[i].canary_ns, ref, tol))
			continue;
		if (k != i) {
			d->step[k] = d->step[i];
			for (int s = 0; s < STAGE_COUNT; s++)
				d->obs[s][k] = d->obs[s][i];
		}
		k++;
	}
	d->nsteps = k;
	return n - k;
}

int fit_read_csv(const char *path, struct fit_data *d, char *err, size_t len)
{
	int idx[C_NCOLS], ncols, lineno = 1, ret = 0, nrows = 0;
	bool seen[STAGE_COUNT][FIT_MAX_STEPS];
	char *line = NULL, *f[MAX_FIELDS + 1], missing[256] = "";
	size_t cap = 0;
	FILE *fp;

	memset(d, 0, sizeof(*d));
	memset(seen, 0, sizeof(seen));
	snprintf(d->path, sizeof(d->path), "%s", path);
	fp = fopen(path, "r");
	if (!fp) {
		ret = -errno;
		set_err(err, len, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (getline(&line, &cap, fp) < 0) {
		set_err(err, len, "%s:1: empty file, expected the measurements.csv header", path);
		ret = -EINVAL;
		goto out;
	}
	ncols = split(line, f, MAX_FIELDS);
	if (ncols > MAX_FIELDS) {
		set_err(err, len, "%s:1: more than %d columns: not a measurements.csv", path,
			MAX_FIELDS);
		ret = -EINVAL;
		goto out;
	}
	for (int c = 0; c < C_NCOLS; c++) {
		idx[c] = -1;
		for (int i = 0; i < ncols; i++)
			if (!strcmp(f[i], col_name[c]))
				idx[c] = i;
		if (idx[c] < 0 && c < C_NREQUIRED)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? ", " : "", col_name[c]);
	}
	if (missing[0]) {
		set_err(err, len,
			"%s:1: missing column%s %s (measurements.csv columns: docs/measurements-csv.md)",
			path, strchr(missing, ',') ? "s" : "", missing);
		ret = -EINVAL;
		goto out;
	}
	while (getline(&line, &cap, fp) >= 0) {
		double v[C_NCOLS] = { 0 };
		int n, st, k, rx_cpu, napi_cpu;
		struct fit_step *sp;
		struct fit_obs *ob;
		const char *unit;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == 0)
			continue;
		n = split(line, f, MAX_FIELDS);
		if (n != ncols) {
			set_err(err, len, "%s:%d: %d fields, the header has %d", path, lineno, n,
				ncols);
			ret = -EINVAL;
			goto out;
		}
		for (int c = 0; c < C_NCOLS; c++) {
			if (idx[c] < 0 || c == C_STAGE || c == C_METHOD || c == C_NAPI || c == C_UNIT ||
			    c == C_VARIANT || c == C_WAKE_HIST || c == C_NAPI_WAKE_HIST ||
			    c == C_TX_WAKE_HIST || c == C_TX_BY_SLEEP || c == C_RX_CPU ||
			    c == C_NAPI_CPU)
				continue;
			if ((ret = num_field(path, lineno, col_name[c], f[idx[c]], &v[c], err, len)))
				goto out;
		}
		if (v[C_PAYLOAD] > 65535 || v[C_PAYLOAD] != floor(v[C_PAYLOAD])) {
			set_err(err, len, "%s:%d: column 'payload_bytes': '%s' is not a UDP payload "
				"size (0 to 65535 bytes)", path, lineno, f[idx[C_PAYLOAD]]);
			ret = -EINVAL;
			goto out;
		}
		if (v[C_STEP] < 1 || v[C_STEP] != floor(v[C_STEP]) || v[C_STEP] > 1e9) {
			set_err(err, len, "%s:%d: column 'step': '%s' is not a step number (1, 2, ...)",
				path, lineno, f[idx[C_STEP]]);
			ret = -EINVAL;
			goto out;
		}
		st = stage_lookup(f[idx[C_STAGE]]);
		if (st < 0) {
			set_err(err, len,
				"%s:%d: unknown stage '%s' (measurements from another stage set? this "
				"rxcalibrate knows irq, softirq, poll, xdp, gro, skb_prep, ip, "
				"ip_to_transport, transport, forward, tx, app, cs)",
				path, lineno, f[idx[C_STAGE]]);
			ret = -EINVAL;
			goto out;
		}
		unit = stage_unit_name(stage_table[st].unit);
		if (idx[C_UNIT] >= 0 && strcmp(f[idx[C_UNIT]], unit)) {
			set_err(err, len,
				"%s:%d: stage '%s' counted in unit '%s', this rxcalibrate's vocabulary "
				"says '%s' (measurements from another stage set?)",
				path, lineno, stage_table[st].name, f[idx[C_UNIT]], unit);
			ret = -EINVAL;
			goto out;
		}
		rx_cpu = napi_cpu = -1;
		if ((idx[C_RX_CPU] >= 0 &&
		     (ret = cpu_field(path, lineno, col_name[C_RX_CPU], f[idx[C_RX_CPU]], &rx_cpu,
				      err, len))) ||
		    (idx[C_NAPI_CPU] >= 0 &&
		     (ret = cpu_field(path, lineno, col_name[C_NAPI_CPU], f[idx[C_NAPI_CPU]],
				      &napi_cpu, err, len))))
			goto out;
		for (k = 0; k < d->nsteps; k++)
			if (d->step[k].step == (int)v[C_STEP])
				break;
		if (k == d->nsteps) {
			if (d->nsteps == FIT_MAX_STEPS) {
				set_err(err, len, "%s:%d: more than %d rate steps", path, lineno,
					FIT_MAX_STEPS);
				ret = -E2BIG;
				goto out;
			}
			sp = &d->step[d->nsteps++];
			sp->step = (int)v[C_STEP];
			sp->rate_requested_bps = v[C_RATE_REQ];
			sp->offered_bps = v[C_OFFERED_BPS];
			sp->offered_pps = v[C_OFFERED_PPS];
			sp->duration_s = v[C_DURATION];
			sp->payload_bytes = (int)v[C_PAYLOAD];
			snprintf(sp->napi_mode, sizeof(sp->napi_mode), "%s",
				 idx[C_NAPI] >= 0 ? f[idx[C_NAPI]] : "?");
			sp->rx_cpu = rx_cpu;
			sp->napi_cpu = napi_cpu;
			if (sp->rx_cpu >= 0 && sp->napi_cpu >= 0)
				sp->remote = sp->rx_cpu != sp->napi_cpu;
			else
				sp->remote = !strcmp(sp->napi_mode, "softirq");
			sp->drops_kfree = idx[C_DROPS_KFREE] >= 0 ? v[C_DROPS_KFREE] : NAN;
			sp->rx_thread_ns = idx[C_RX_THREAD] >= 0 ? v[C_RX_THREAD] : 0;
			sp->polls = idx[C_POLLS] >= 0 ? v[C_POLLS] : 0;
			sp->rx_runs = idx[C_RX_RUNS] >= 0 ? v[C_RX_RUNS] : 0;
			sp->net_rx_ns = idx[C_NET_RX] >= 0 ? v[C_NET_RX] : NAN;
			sp->rx_wakeups = idx[C_WAKEUPS] >= 0 ? v[C_WAKEUPS] : 0;
			sp->rx_wake_lat_ns = idx[C_WAKE_LAT] >= 0 ? v[C_WAKE_LAT] : 0;
			sp->napi_thread_ns = idx[C_NAPI_THREAD] >= 0 ? v[C_NAPI_THREAD] : 0;
			sp->napi_wakeups = idx[C_NAPI_WAKEUPS] >= 0 ? v[C_NAPI_WAKEUPS] : 0;
			sp->napi_wake_lat_ns = idx[C_NAPI_WAKE_LAT] >= 0 ? v[C_NAPI_WAKE_LAT] : 0;
			sp->tx_thread_ns = idx[C_TX_THREAD] >= 0 ? v[C_TX_THREAD] : 0;
			sp->tx_bursts = idx[C_TX_BURSTS] >= 0 ? v[C_TX_BURSTS] : 0;
			sp->tx_sleeps = idx[C_TX_SLEEPS] >= 0 ? v[C_TX_SLEEPS] : 0;
			sp->tx_send_ns = idx[C_TX_SEND] >= 0 ? v[C_TX_SEND] : 0;
			for (int r = 0; r < CANARY_ROLES; r++)
				sp->canary_ns[r] = idx[C_CANARY_RX + r] >= 0 ? v[C_CANARY_RX + r] : 0;
			if (idx[C_TX_BY_SLEEP] >= 0 && strchr(f[idx[C_TX_BY_SLEEP]], ':')) {
				int present[SLEEP_CLASSES];
				char herr[200];

				if (ushist_parse_classes(f[idx[C_TX_BY_SLEEP]], sp->tx_wake_by_sleep,
							 present, herr, sizeof(herr))) {
					set_err(err, len, "%s:%d: column 'tx_wake_by_sleep': %s", path,
						lineno, herr);
					ret = -EINVAL;
					goto out;
				}
			}
			/* the histograms: text, empty (or 0, in files padded by older scripts)
			 * where there is none */
			for (int h = 0; h < 3; h++) {
				static const int hcol[3] = { C_WAKE_HIST, C_NAPI_WAKE_HIST,
							     C_TX_WAKE_HIST };
				double *hw[3] = { sp->wake_hist, sp->napi_wake_hist, sp->tx_wake_hist };
				int col = hcol[h];
				char herr[160];

				if (idx[col] < 0 || !strchr(f[idx[col]], ':'))
					continue;
				if ((h < 2 ? loghist_parse : ushist_parse)(f[idx[col]], hw[h], herr,
									    sizeof(herr))) {
					set_err(err, len, "%s:%d: column '%s': %s", path, lineno,
						col_name[col], herr);
					ret = -EINVAL;
					goto out;
				}
			}
		} else if (rx_cpu != d->step[k].rx_cpu || napi_cpu != d->step[k].napi_cpu) {
			sp = &d->step[k];
			set_err(err, len,
				"%s:%d: step %d ran with rx_cpu %d and napi_cpu %d, but its earlier "
				"rows say %d and %d (one placement per step; steps of two files "
				"numbered alike?)",
				path, lineno, sp->step, rx_cpu, napi_cpu, sp->rx_cpu, sp->napi_cpu);
			ret = -EINVAL;
			goto out;
		}
		if (idx[C_VARIANT] >= 0) {
			const char *var = f[idx[C_VARIANT]];

			if (!*var || strlen(var) >= sizeof(d->variant)) {
				set_err(err, len, "%s:%d: column 'variant': '%s' is not a variant name",
					path, lineno, var);
				ret = -EINVAL;
				goto out;
			}
			if (!d->variant[0]) {
				snprintf(d->variant, sizeof(d->variant), "%s", var);
			} else if (strcmp(d->variant, var)) {
				set_err(err, len,
					"%s:%d: column 'variant': '%s', but earlier rows say '%s' (one "
					"variant per file)", path, lineno, var, d->variant);
				ret = -EINVAL;
				goto out;
			}
		}
		if (v[C_PAYLOAD] != d->step[k].payload_bytes) {
			set_err(err, len,
				"%s:%d: column 'payload_bytes': %s, but step %d had %d bytes on an "
				"earlier row",
				path, lineno, f[idx[C_PAYLOAD]], d->step[k].step,
				d->step[k].payload_bytes);
			ret = -EINVAL;
			goto out;
		}
		if (seen[st][k]) {
			set_err(err, len, "%s:%d: a second row for step %d, stage '%s'", path, lineno,
				d->step[k].step, stage_table[st].name);
			ret = -EINVAL;
			goto out;
		}
		seen[st][k] = true;
		d->present[st] = true;
		ob = &d->obs[st][k];
		ob->calls = v[C_CALLS];
		ob->packets = v[C_PACKETS];
		ob->bytes = v[C_PACKETS] * (v[C_PAYLOAD] + FIT_FRAME_OVERHEAD);
		ob->cpu_ns = v[C_CPU];
		ob->samples = v[C_SAMPLES];
		ob->head = idx[C_HEAD] >= 0 ? v[C_HEAD] : 0;
		if (ob->head < 0 || ob->head > ob->samples) {
			set_err(err, len, "%s:%d: column 'head_samples': %s is not within 0 and the "
				"row's samples (%s)", path, lineno, f[idx[C_HEAD]], f[idx[C_SAMPLES]]);
			ret = -EINVAL;
			goto out;
		}
		if (!d->method[st][0] || !strcmp(d->method[st], "none"))
			snprintf(d->method[st], sizeof(d->method[st]), "%.15s", f[idx[C_METHOD]]);
		else if (strcmp(d->method[st], f[idx[C_METHOD]]) && strcmp(f[idx[C_METHOD]], "none"))
			snprintf(d->method[st], sizeof(d->method[st]), "mixed");
		nrows++;
	}
	if (ferror(fp)) {
		ret = -EIO;
		set_err(err, len, "%s: read error", path);
		goto out;
	}
	if (!nrows) {
		set_err(err, len, "%s:%d: no data rows after the header", path, lineno);
		ret = -EINVAL;
		goto out;
	}
	for (int st = 0; st < STAGE_COUNT; st++) {
		int have = 0;

		for (int k = 0; k < d->nsteps; k++)
			have += seen[st][k];
		if (d->present[st] && have != d->nsteps) {
			set_err(err, len, "%s: stage '%s' has rows for %d of the %d rate steps", path,
				stage_table[st].name, have, d->nsteps);
			ret = -EINVAL;
			goto out;
		}
	}
	/* Per step: the softirq stage's datagrams, the cold polls, and the receiver's wake-ups
	 * (docs/fit.md). In softirq mode the socket enqueue on the sender's CPU wakes the
	 * receiver on its own CPU, idle otherwise: its wake-ups are its sleeps where the step
	 * counted them (each ends in one wake-up), else its recv calls, which are more where one
	 * wake-up reads twice; a step whose mean idle gap per wake-up reaches the halt-polling
	 * window counts every wake-up as deep. */
	for (int k = 0; k < d->nsteps; k++) {
		struct fit_step *sp = &d->step[k];
		double wakes = d->present[STAGE_APP] ? d->obs[STAGE_APP][k].calls : 0, gap;

		if (sp->rx_runs > 0 && wakes > 0)
			wakes = sp->rx_runs;
		/* an application on the receive path's CPU frees its skbs itself and is woken
		 * there: no deferred free, no wake-up across CPUs */
		if (!sp->remote)
			wakes = 0;
		sp->consumed = d->present[STAGE_APP] && sp->remote ? d->obs[STAGE_APP][k].packets
								      : 0;
		/* the mean gap between polls, for the cold polls: it stands for each gap while
		 * the gaps are alike, as between the sender's paced bursts (docs/fit.md "Cold
		 * polls"); in softirq mode the time outside NET_RX, in threaded mode outside the
		 * NAPI kthread */
		sp->gap_ns = NAN;
		if (sp->polls > 0 && sp->duration_s > 0) {
			if (!strcmp(sp->napi_mode, "softirq") && isfinite(sp->net_rx_ns) &&
			    sp->net_rx_ns > 0)
				sp->gap_ns = fmax(0, sp->duration_s * 1e9 - sp->net_rx_ns) / sp->polls;
			else if (!strcmp(sp->napi_mode, "threaded") && sp->napi_thread_ns > 0)
				sp->gap_ns = fmax(0, sp->duration_s * 1e9 - sp->napi_thread_ns) /
					     sp->polls;
		}
		/* the receiver's wake-ups across CPUs: softirq's default placement, and a
		 * threaded kthread moved off the receiver's CPU */
		if (!(wakes > 0))
			continue;
		sp->wakes = wakes;
		if (!(sp->rx_thread_ns > 0) || !(sp->duration_s > 0))
			continue;
		gap = (sp->duration_s * 1e9 - sp->rx_thread_ns) / wakes;
		if (gap >= FIT_DEEP_WAKE_AFTER_US * 1e3)
			sp->deep_wakes = wakes;
		sp->wake_idle = wakes * fmin(1, fmax(0, gap) / (FIT_WAKE_IDLE_US * 1e3));
	}
	fit_set_cold_from(d, 0);
out:
	free(line);
	fclose(fp);
	return ret;
}

double fit_cold_polls(const struct fit_step *sp, double from_us)
{
	if (!isfinite(sp->gap_ns) || !(sp->polls > 0))
		return 0;
	return sp->polls * fmin(1, fmax(0, sp->gap_ns - from_us * 1e3) / (FIT_COLD_US * 1e3));
}

void fit_set_cold_from(struct fit_data *d, double from_us)
{
	d->cold_from_us = from_us;
	for (int k = 0; k < d->nsteps; k++) {
		bool threaded = !strcmp(d->step[k].napi_mode, "threaded");

		/* the onset is a halted kthread core's; NET_RX polls ramp from 0 */
		d->step[k].cold = threaded && d->cold_mode == FIT_COLD_OFF ? 0
				  : fit_cold_polls(&d->step[k], threaded ? from_us : 0);
	}
}

/* ---- least squares ----------------------------------------------------------------------- */

/* One stage's data: design columns, observations and variances over the steps. */
struct lsq {
	int n;
	double x[FIT_MAX_STEPS][COEF_COUNT];
	double y[FIT_MAX_STEPS], var[FIT_MAX_STEPS];
	int payload[FIT_MAX_STEPS];
};

/* True if columns @cols (bitmask) have full column rank over rows @use, weighted, each column
 * scaled to unit norm. */
static bool full_rank(const struct lsq *q, const bool *use, unsigned cols)
{
	int m = 0, p = 0, cj[COEF_COUNT], r = 0;
	gsl_matrix *a = NULL, *v = NULL;
	gsl_vector *s = NULL, *work = NULL;
	bool ok = false;

	for (int j = 0; j < COEF_COUNT; j++)
		if (cols & (1u << j))
			cj[p++] = j;
	for (int i = 0; i < q->n; i++)
		m += use[i];
	if (p == 0)
		return true;
	if (m < p)
		return false;
	a = gsl_matrix_alloc(m, p);
	v = gsl_matrix_alloc(p, p);
	s = gsl_vector_alloc(p);
	work = gsl_vector_alloc(p);
	if (!a || !v || !s || !work)
		goto out;
	for (int i = 0, k = 0; i < q->n; i++) {
		if (!use[i])
			continue;
		for (int c = 0; c < p; c++)
			gsl_matrix_set(a, k, c, q->x[i][cj[c]] / sqrt(q->var[i]));
		k++;
	}
	for (int c = 0; c < p; c++) {
		gsl_vector_view col = gsl_matrix_column(a, c);
		double nrm = gsl_blas_dnrm2(&col.vector);

		if (!(nrm > 0) || !isfinite(nrm))
			goto out;
		gsl_vector_scale(&col.vector, 1.0 / nrm);
	}
	if (gsl_linalg_SV_decomp(a, v, s, work))
		goto out;
	r = 0;
	for (int c = 0; c < p; c++)
		r += gsl_vector_get(s, c) > FIT_RANK_TOL * gsl_vector_get(s, 0);
	ok = r == p;
out:
	gsl_matrix_free(a);
	gsl_matrix_free(v);
	gsl_vector_free(s);
	gsl_vector_free(work);
	return ok;
}

/* Weighted least squares on rows @use and columns @cols. coef/cov are in ns per unit, unscaled
 * (cov = (XᵀWX)⁻¹ for the given variances). */
static int wls(const struct lsq *q, const bool *use, unsigned cols, double coef[COEF_COUNT],
	       double cov[COEF_COUNT][COEF_COUNT], double *chi2)
{
	int m = 0, p = 0, cj[COEF_COUNT], ret = -EDOM;
	double scale[COEF_COUNT];
	gsl_matrix *X = NULL, *C = NULL;
	gsl_vector *w = NULL, *y = NULL, *c = NULL;
	gsl_multifit_linear_workspace *ws = NULL;

	memset(coef, 0, sizeof(double) * COEF_COUNT);
	memset(cov, 0, sizeof(double) * COEF_COUNT * COEF_COUNT);
	for (int j = 0; j < COEF_COUNT; j++)
		if (cols & (1u << j))
			cj[p++] = j;
	for (int i = 0; i < q->n; i++)
		m += use[i];
	if (p == 0) {
		*chi2 = 0;
		for (int i = 0; i < q->n; i++)
			if (use[i])
				*chi2 += q->y[i] * q->y[i] / q->var[i];
		return 0;
	}
	if (m < p)
		return -EDOM;
	/* scale columns to max 1 so calls (1e3) and bytes (1e9) meet on equal terms */
	for (int k = 0; k < p; k++) {
		scale[k] = 0;
		for (int i = 0; i < q->n; i++)
			if (use[i] && fabs(q->x[i][cj[k]]) > scale[k])
				scale[k] = fabs(q->x[i][cj[k]]);
		if (!(scale[k] > 0))
			return -EDOM;
	}
	X = gsl_matrix_alloc(m, p);
	C = gsl_matrix_alloc(p, p);
	w = gsl_vector_alloc(m);
	y = gsl_vector_alloc(m);
	c = gsl_vector_alloc(p);
	ws = gsl_multifit_linear_alloc(m, p);
	if (!X || !C || !w || !y || !c || !ws) {
		ret = -ENOMEM;
		goto out;
	}
	for (int i = 0, r = 0; i < q->n; i++) {
		if (!use[i])
			continue;
		for (int k = 0; k < p; k++)
			gsl_matrix_set(X, r, k, q->x[i][cj[k]] / scale[k]);
		gsl_vector_set(y, r, q->y[i]);
		gsl_vector_set(w, r, 1.0 / q->var[i]);
		r++;
	}
	if (gsl_multifit_wlinear(X, w, y, c, C, chi2, ws) != GSL_SUCCESS || !isfinite(*chi2))
		goto out;
	for (int k = 0; k < p; k++) {
		coef[cj[k]] = gsl_vector_get(c, k) / scale[k];
		for (int l = 0; l < p; l++)
			cov[cj[k]][cj[l]] = gsl_matrix_get(C, k, l) / (scale[k] * scale[l]);
		if (!isfinite(coef[cj[k]]) || !isfinite(cov[cj[k]][cj[k]]))
			goto out;
	}
	ret = 0;
out:
	gsl_matrix_free(X);
	gsl_matrix_free(C);
	gsl_vector_free(w);
	gsl_vector_free(y);
	gsl_vector_free(c);
	gsl_multifit_linear_free(ws);
	return ret;
}

/* The regressors rows @use can identify, in order of preference; reasons for the others go to
 * @note (if not NULL). */
/* The columns the steps in @use can identify, chosen in the stage's order among @allowed. */
static unsigned identifiable(const struct lsq *q, const bool *use, int stage, unsigned allowed,
			     char *note, size_t nlen)
{
	static const int order_pkt[] = { COEF_PACKET, COEF_CALL,      COEF_BYTE, COEF_DEEP,
					 COEF_WAKE,   COEF_WAKE_IDLE, COEF_COLD, COEF_REMOTE };
	static const int order_call[] = { COEF_CALL, COEF_PACKET,    COEF_BYTE, COEF_DEEP,
					  COEF_WAKE, COEF_WAKE_IDLE, COEF_COLD, COEF_REMOTE };
	/* softirq: the skb frees (per packet) are most of net_rx_action's own time when the
	 * application runs on another CPU (docs/fit.md), so a per-packet cost is kept when calls
	 * and packets cannot be told apart */
	const int *order = stage_table[stage].per_packet || stage == STAGE_SOFTIRQ ? order_pkt
										    : order_call;
	unsigned cols = 0;
	int first = -1;

#define NOTE(...)                                                                           \
	do {                                                                                \
		if (note)                                                                   \
			snprintf(note + strlen(note), nlen - strlen(note), __VA_ARGS__);     \
	} while (0)

	for (int k = 0; k < COEF_COUNT; k++) {
		int j = order[k];
		bool zero = true, same_payload = true, calls_eq_pkts, local = false;
		double rlo = INFINITY, rhi = 0;

		if (!(allowed & (1u << j)))
			continue;

		for (int i = 0; i < q->n; i++) {
			if (!use[i])
				continue;
			if (q->x[i][j] != 0)
				zero = false;
			else if (q->x[i][COEF_PACKET] > 0)
				local = true;
			if (first >= 0 && q->payload[i] != q->payload[first])
				same_payload = false;
			if (first < 0)
				first = i;
			if (q->x[i][COEF_CALL] > 0) {
				double ratio = q->x[i][COEF_PACKET] / q->x[i][COEF_CALL];

				rlo = fmin(rlo, ratio);
				rhi = fmax(rhi, ratio);
			} else if (q->x[i][COEF_PACKET] > 0) {
				rlo = 0;
			}
		}
		/* packets per call the same in every step to 5 %: the two columns are proportional
		 * (e.g. one frame per poll in softirq mode, where a rare second frame in a poll
		 * would otherwise leave a nearly singular fit with meaningless errors; or the
		 * softirq stage's datagrams per NET_RX call, 0.97-1.00 with socket drops) */
		calls_eq_pkts = rhi > 0 && rlo > 0 && (rhi - rlo) <= 0.05 * rhi;
		if (zero) {
			if (j == COEF_CALL || j == COEF_PACKET)
				NOTE("%sno %s counted in any step: %s not identifiable", *note ? "; " : "",
				     j == COEF_CALL ? "calls" : "packets", coef_name[j]);
			continue;
		}
		/* packets read on another CPU in every step that has packets: the term is the
		 * per-packet cost of those steps (the socket drops' share aside), not apart */
		if (j == COEF_REMOTE && !local) {
			NOTE("%sthe application on another CPU in every step: remote not "
			     "identifiable (it is inside per_packet)", *note ? "; " : "");
			continue;
		}
		if (j == COEF_BYTE && same_payload) {
			NOTE("%spayload %d B in every step: per_byte not identifiable (it is inside "
			     "per_packet)", *note ? "; " : "", first >= 0 ? q->payload[first] : 0);
			continue;
		}
		if ((j == COEF_CALL || j == COEF_PACKET) && calls_eq_pkts &&
		    (cols & ((1u << COEF_CALL) | (1u << COEF_PACKET)))) {
			NOTE("%s%.4g packets per call in every step (within 5 %%): one coefficient "
			     "(%s)", *note ? "; " : "", rhi, coef_name[order[0]]);
			continue;
		}
		if (!full_rank(q, use, cols | (1u << j))) {
			NOTE("%s%s collinear with %s over the steps (e.g. a fixed ratio): not "
			     "identifiable", *note ? "; " : "", coef_name[j],
			     cols & (1u << COEF_PACKET) ? "per_packet" : "per_call");
			continue;
		}
		cols |= 1u << j;
	}
#undef NOTE
	return cols;
}

/* Non-negative WLS on @cols: the unconstrained optimum if it is feasible, else the best feasible
 * optimum over the subsets of @cols (with <= 3 regressors this is the NNLS solution: that one is
 * the unconstrained optimum on its own support). Returns the columns used in @best. */
static int nnwls(const struct lsq *q, const bool *use, unsigned cols, double coef[COEF_COUNT],
		 double cov[COEF_COUNT][COEF_COUNT], double *chi2, unsigned *best, bool *constrained)
{
	double c[COEF_COUNT], v[COEF_COUNT][COEF_COUNT], x2, best_x2 = INFINITY;
	int err = wls(q, use, cols, coef, cov, chi2);
	bool feasible = true;

	if (err)
		return err;
	for (int j = 0; j < COEF_COUNT; j++)
		if (coef[j] < 0)
			feasible = false;
	*best = cols;
	*constrained = !feasible;
	if (feasible)
		return 0;
	for (unsigned sub = 0; sub < (1u << COEF_COUNT); sub++) {
		bool ok = true;

		if ((sub & ~cols) || sub == cols)
			continue;
		if (wls(q, use, sub, c, v, &x2))
			continue;
		for (int j = 0; j < COEF_COUNT; j++)
			if (c[j] < 0)
				ok = false;
		if (ok && x2 < best_x2) {
			best_x2 = x2;
			*best = sub;
			*chi2 = x2;
			memcpy(coef, c, sizeof(c));
			memcpy(cov, v, sizeof(v));
		}
	}
	return isfinite(best_x2) ? 0 : -EDOM;	/* the empty set is always feasible */
}

static double predict(const struct lsq *q, int i, const double coef[COEF_COUNT])
{
	double s = 0;

	for (int j = 0; j < COEF_COUNT; j++)
		s += coef[j] * q->x[i][j];
	return s;
}

/* Variances of cpu_ns per step (docs/fit.md, "Weights"). Sampled stages: cpu_ns of a step is
 * about samples × q with q the stage's pooled ns per sample and a Poisson sample count, so
 * var = q·E[cpu_ns]; E[cpu_ns] is first taken as q·samples, then (refine_variances) from a
 * preliminary fit, so that a step that happened to draw few samples does not get a high weight
 * for it. Span methods: the step sums one independent time per event, var ∝ events
 * (calls + packets), scale unknown. Returns q, or 0 for relative variances. */
static double variances(const struct fit_data *d, int st, struct lsq *q)
{
	double cpu = 0, smp = 0, qn;

	for (int i = 0; i < q->n; i++) {
		cpu += d->obs[st][i].cpu_ns;
		smp += d->obs[st][i].samples;
	}
	if (!strcmp(d->method[st], "perf_event") && smp > 0 && cpu > 0) {
		qn = cpu / smp;
		for (int i = 0; i < q->n; i++)
			q->var[i] = qn * qn * fmax(d->obs[st][i].samples, 1);
		return qn;
	}
	for (int i = 0; i < q->n; i++)
		q->var[i] = fmax(d->obs[st][i].calls + d->obs[st][i].packets, 1);
	return 0;
}

/* One reweighting step for sampled stages: var = q·max(fitted cpu_ns, q). */
static int refine_variances(struct lsq *q, const bool *use, unsigned cols, double qn)
{
	double c[COEF_COUNT], v[COEF_COUNT][COEF_COUNT], x2;
	unsigned b;
	bool cons;
	int err = nnwls(q, use, cols, c, v, &x2, &b, &cons);

	if (err)
		return err;
	for (int i = 0; i < q->n; i++) {
		double yhat = 0;

		for (int j = 0; j < COEF_COUNT; j++)
			yhat += c[j] * q->x[i][j];
		q->var[i] = qn * fmax(yhat, qn);
	}
	return 0;
}

static int popcount3(unsigned c)
{
	return __builtin_popcount(c & ((1u << COEF_COUNT) - 1));
}

/* The cold and wake-up terms are refinements: with too few rate steps for all of @cols (one
 * more than the unit costs), they are left out, the cold term first, then the idle ramp, with
 * the reason in @note, so that a short sweep still gets its per-packet and per-call costs. */
static unsigned affordable(int n, unsigned cols, char *note, size_t nlen)
{
	static const int optional[] = { COEF_REMOTE, COEF_COLD, COEF_WAKE_IDLE, COEF_DEEP,
					COEF_WAKE };

	for (size_t k = 0; k < sizeof(optional) / sizeof(optional[0]); k++) {
		int j = optional[k];

		if (n >= popcount3(cols) + 1 || !(cols & (1u << j)))
			continue;
		cols &= ~(1u << j);
		snprintf(note + strlen(note), nlen - strlen(note),
			 "%s%s left out: %d rate steps are too few for it", *note ? "; " : "",
			 coef_name[j], n);
	}
	return cols;
}

void fit_regressors(const struct fit_data *d, int st, int i, double x[COEF_COUNT])
{
	x[COEF_CALL] = d->obs[st][i].calls;
	x[COEF_PACKET] = st == STAGE_SOFTIRQ && !(d->obs[st][i].packets > 0) ? d->step[i].consumed
									   : d->obs[st][i].packets;
	x[COEF_BYTE] = d->obs[st][i].bytes;
	x[COEF_DEEP] = st == STAGE_TRANSPORT ? d->step[i].deep_wakes : 0;
	x[COEF_WAKE] = st == STAGE_TRANSPORT ? d->step[i].wakes : 0;
	x[COEF_WAKE_IDLE] = st == STAGE_TRANSPORT ? d->step[i].wake_idle : 0;
	x[COEF_COLD] = fit_cold_in_step(d, st, i) ? d->step[i].cold : 0;
	/* each datagram the application read on another CPU leaves its buffer to the next
	 * packet polled (the stage's packets when the application's are not in the file) */
	x[COEF_REMOTE] = 0;
	if (fit_remote_stage(st) && d->step[i].remote)
		x[COEF_REMOTE] = d->present[STAGE_APP] ? fmin(d->obs[STAGE_APP][i].packets,
							      d->obs[st][i].packets)
						       : d->obs[st][i].packets;
}

bool fit_moved(const struct fit_step *sp)
{
	if (!strcmp(sp->napi_mode, "softirq"))
		return !sp->remote;
	return !strcmp(sp->napi_mode, "threaded") && sp->remote;
}

bool fit_remote_stage(int st)
{
	return st == STAGE_TRANSPORT || (st != STAGE_SOFTIRQ && fit_cold_stage(st));
}

bool fit_cold_in_step(const struct fit_data *d, int st, int i)
{
	bool threaded = !strcmp(d->step[i].napi_mode, "threaded");

	/* net_rx_action's own cold cost is a NET_RX poll's */
	if (st == STAGE_SOFTIRQ)
		return !threaded;
	/* a threaded step's receiver is woken beside the kthread, on a running CPU: no wake-up
	 * terms, and the socket enqueue's code goes cold with the rest of the poll's */
	return fit_cold_stage(st) ||
	       (st == STAGE_TRANSPORT && threaded && !(d->step[i].wakes > 0) &&
		d->cold_mode != FIT_COLD_OFF);
}

bool fit_cold_stage(int st)
{
	switch (st) {
	case STAGE_SOFTIRQ:
	case STAGE_POLL:
	case STAGE_XDP:
	case STAGE_GRO:
	case STAGE_SKB_PREP:
	case STAGE_IP:
	case STAGE_IP_TO_TRANSPORT:
		return true;
	default:
		return false;
	}
}

int fit_stage(const struct fit_data *d, int st, struct fit_stage_result *r, char *err, size_t len)
{
	struct lsq *q;
	bool use[FIT_MAX_STEPS];
	double cov[COEF_COUNT][COEF_COUNT], ucoef[COEF_COUNT], ucov[COEF_COUNT][COEF_COUNT], x2;
	double calls = 0, ybar = 0, wsum = 0, sstot = 0, yy = 0, s2, cvs = 0, qn;
	unsigned cols, best;
	bool constrained;
	int ret;

	gsl_quiet();
	memset(r, 0, sizeof(*r));
	snprintf(r->method, sizeof(r->method), "%s", d->present[st] ? d->method[st] : "absent");
	for (int i = 0; i < d->nsteps; i++)
		calls += d->obs[st][i].calls;
	if (!d->present[st] || !strcmp(d->method[st], "none") || !(calls > 0)) {
		snprintf(r->note, sizeof(r->note), "%s",
			 !d->present[st] ? "not in the measurements"
			 : !strcmp(d->method[st], "none") ? "not measured (method none)"
							  : "not measured: no calls in any step");
		return 0;
	}
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->n = r->n = d->nsteps;
	for (int i = 0; i < q->n; i++) {
		fit_regressors(d, st, i, q->x[i]);
		q->y[i] = d->obs[st][i].cpu_ns;
		q->payload[i] = d->step[i].payload_bytes;
		use[i] = true;
	}
	qn = variances(d, st, q);
	r->absolute_weights = qn > 0;
	cols = identifiable(q, use, st, ~0u, r->note, sizeof(r->note));
	cols = affordable(q->n, cols, r->note, sizeof(r->note));
again:
	for (int j = 0; j < COEF_COUNT; j++)
		r->identifiable[j] = cols & (1u << j);
	if (q->n < popcount3(cols) + 1) {
		set_err(err, len,
			"%s: stage '%s' fits %d unit cost%s and needs at least %d rate steps (one "
			"more than its unit costs, for standard errors and cross-validation); the "
			"file has %d",
			d->path, stage_table[st].name, popcount3(cols), popcount3(cols) > 1 ? "s" : "",
			popcount3(cols) + 1, q->n);
		ret = -EDOM;
		goto out;
	}
	if (r->absolute_weights) {
		variances(d, st, q);
		if ((ret = refine_variances(q, use, cols, qn)))
			goto fail;
	}
	/* unconstrained first: its standard errors stand for coefficients held at 0 */
	if ((ret = wls(q, use, cols, ucoef, ucov, &x2)))
		goto fail;
	/* softirq: per NET_RX call and per datagram the application received (the skb free,
	 * docs/fit.md "The softirq stage"). With socket drops of a few per cent the two columns
	 * differ by more than the 5 % that makes them one, yet are so nearly collinear that the
	 * split is noise. A coefficient whose unconstrained estimate is less than two standard
	 * errors above 0 is dropped and the stage refitted with the other; if both are, per_call
	 * goes. Decided on the unconstrained fit: the constrained one would hold one at 0 and make
	 * the other look certain. */
	if (st == STAGE_SOFTIRQ && (cols & (1u << COEF_CALL)) && (cols & (1u << COEF_PACKET))) {
		/* the unconstrained fit's own scatter scales its errors */
		int udof = q->n - popcount3(cols);
		double us2 = udof > 0 ? x2 / udof : 1;
		double uc = ucoef[COEF_CALL], up = ucoef[COEF_PACKET], sc, sp;
		int drop;

		if (r->absolute_weights && us2 < 1)
			us2 = 1;
		sc = sqrt(fmax(0, ucov[COEF_CALL][COEF_CALL] * us2));
		sp = sqrt(fmax(0, ucov[COEF_PACKET][COEF_PACKET] * us2));
		drop = uc < 2 * sc ? COEF_CALL : up < 2 * sp ? COEF_PACKET : -1;
		if (drop >= 0) {
			snprintf(r->note + strlen(r->note), sizeof(r->note) - strlen(r->note),
				 "%sunconstrained per_call %.3g ± %.3g, per_packet %.3g ± %.3g: %s "
				 "dropped (under 2 SE from 0)", r->note[0] ? "; " : "", uc, sc, up, sp,
				 coef_name[drop]);
			cols &= ~(1u << drop);
			goto again;
		}
	}
	if ((ret = nnwls(q, use, cols, r->coef, cov, &r->chi2, &best, &constrained)))
		goto fail;
	r->constrained = constrained;
	r->p = popcount3(best);
	r->dof = q->n - r->p;
	s2 = r->dof > 0 ? r->chi2 / r->dof : 1;
	/* absolute variances: inflate only if the scatter exceeds them (PDG scale factor);
	 * relative ones: the scatter sets the scale */
	if (r->absolute_weights && s2 < 1)
		s2 = 1;
	/* the costs' covariance, and their standard errors from it: the constrained fit's when no
	 * cost is held at 0, else the unconstrained fit's for all of them, whose correlations are
	 * what the boundary hides (per_call against per_packet) */
	for (int j = 0; j < COEF_COUNT; j++)
		for (int l = 0; l < COEF_COUNT; l++)
			r->cov[j][l] = best == cols ? cov[j][l] * s2 : ucov[j][l] * s2;
	for (int j = 0; j < COEF_COUNT; j++) {
		r->at_zero[j] = (cols & (1u << j)) && !(best & (1u << j));
		r->se[j] = sqrt(fmax(0, r->cov[j][j]));
		if (r->at_zero[j]) {
			r->coef[j] = 0;
			snprintf(r->note + strlen(r->note), sizeof(r->note) - strlen(r->note),
				 "%s%s held at 0 (unconstrained %.3g)", r->note[0] ? "; " : "",
				 coef_name[j], ucoef[j]);
		}
	}
	for (int i = 0; i < q->n; i++) {
		double w = 1 / q->var[i];

		wsum += w;
		ybar += w * q->y[i];
	}
	ybar /= wsum;
	for (int i = 0; i < q->n; i++) {
		r->pred[i] = predict(q, i, r->coef);
		r->resid[i] = q->y[i] - r->pred[i];
		r->sigma[i] = sqrt(q->var[i] * s2);
		sstot += (q->y[i] - ybar) * (q->y[i] - ybar) / q->var[i];
		yy += q->y[i] * q->y[i] / q->var[i];
	}
	/* cpu_ns the same in every step (to rounding): no variance to explain, R² is 1 if the
	 * fit is exact to rounding too, else 0, never the ratio of two rounding errors */
	if (sstot <= 1e-12 * yy)
		r->r2 = r->chi2 > 1e-12 * yy ? 0 : 1;
	else
		r->r2 = 1 - r->chi2 / sstot;

	/* leave one rate out: for each requested rate, refit without every step at it (repeats
	 * and both placements; own identifiability, non-negative) and predict those steps. A step
	 * without a requested rate (--dev, --passive) is a group of its own. The stage's error
	 * is the RMS over the rates of each rate's (sum predicted - sum measured) / sum measured */
	for (int i = 0; i < q->n; i++)
		r->cv_pred[i] = NAN;
	for (int k = 0; k < q->n; k++) {
		double c[COEF_COUNT], v[COEF_COUNT][COEF_COUNT], xx, rate, sp = 0, sy = 0;
		unsigned cc, bb;
		bool cons;

		if (!isnan(r->cv_pred[k]))
			continue; /* its rate is done */
		rate = d->step[k].rate_requested_bps;
		for (int i = 0; i < q->n; i++)
			use[i] = !(i == k || (rate > 0 && d->step[i].rate_requested_bps == rate));
		/* the full fit's columns that the other rates still identify; a fold that cannot
		 * be fitted (nothing identifiable, a singular system) predicts nothing */
		cc = cols ? identifiable(q, use, st, cols, NULL, 0) : 0;
		if (cc && nnwls(q, use, cc, c, v, &xx, &bb, &cons))
			cc = 0;
		for (int i = 0; i < q->n; i++) {
			if (use[i])
				continue;
			use[i] = true;
			r->cv_pred[i] = cc ? predict(q, i, c) : INFINITY;
			if (!isfinite(r->cv_pred[i]))
				continue;
			sp += r->cv_pred[i];
			sy += q->y[i];
			if (q->y[i] > 0) {
				r->cv_rel[i] = (r->cv_pred[i] - q->y[i]) / q->y[i];
				r->cv_ok[i] = true;
			}
		}
		if (cc && sy > 0 && r->cv_rates < FIT_MAX_STEPS) {
			r->cv_rate_bps[r->cv_rates] = rate;
			r->cv_rate_steps[r->cv_rates] = 0;
			for (int i = 0; i < q->n; i++)
				r->cv_rate_steps[r->cv_rates] +=
					i == k || (rate > 0 && d->step[i].rate_requested_bps == rate);
			r->cv_rate_err[r->cv_rates++] = (sp - sy) / sy;
			cvs += (sp - sy) * (sp - sy) / (sy * sy);
			r->cv_n++;
		}
	}
	for (int i = 0; i < q->n; i++)
		if (!isfinite(r->cv_pred[i]))
			r->cv_pred[i] = NAN; /* nothing left to predict it from: printed "-" */
	for (int a = 1; a < r->cv_rates; a++) /* the rates in ascending order */
		for (int b = a; b > 0 && r->cv_rate_bps[b] < r->cv_rate_bps[b - 1]; b--) {
			double tb = r->cv_rate_bps[b], te = r->cv_rate_err[b];
			int ts = r->cv_rate_steps[b];

			r->cv_rate_bps[b] = r->cv_rate_bps[b - 1];
			r->cv_rate_err[b] = r->cv_rate_err[b - 1];
			r->cv_rate_steps[b] = r->cv_rate_steps[b - 1];
			r->cv_rate_bps[b - 1] = tb;
			r->cv_rate_err[b - 1] = te;
			r->cv_rate_steps[b - 1] = ts;
		}
	r->cv_rms = r->cv_n ? sqrt(cvs / r->cv_n) : 0;
	for (int j = 0; j < COEF_COUNT; j++)
		if (!isfinite(r->coef[j]) || !isfinite(r->se[j]))
			goto nonfinite;
	if (!isfinite(r->r2) || !isfinite(r->cv_rms) || !isfinite(r->chi2))
		goto nonfinite;
	r->fitted = true;
	ret = 0;
	goto out;
nonfinite:
	ret = -ERANGE;
fail:
	set_err(err, len, "%s: stage '%s': the least-squares fit failed (%s)", d->path,
		stage_table[st].name, ret == -ERANGE ? "non-finite result" : "singular system");
out:
	free(q);
	return ret;
}

/* The share of stage @st's time in its head, before the hook where a rule drops a packet there
 * (the sampler's RXS_HEAD markers: tc ingress in ip, the LOCAL_IN netfilter hook in
 * ip_to_transport): the ratio of head samples to samples over the steps, its standard error
 * from the steps' scatter about it (the ratio estimator's). A packet a rule drops at @st pays
 * this share of the stage's per-packet cost (model/sim.c). */
static void fit_head_share(const struct fit_data *d, int st, struct fit_stage_result *r)
{
	double h = 0, n = 0, p, ss = 0;
	int k = 0;

	for (int i = 0; i < d->nsteps; i++) {
		h += d->obs[st][i].head;
		n += d->obs[st][i].samples;
		k += d->obs[st][i].samples > 0;
	}
	if (!(h > 0) || !(n > 0))
		return;
	p = h / n;
	for (int i = 0; i < d->nsteps; i++) {
		double e = d->obs[st][i].head - p * d->obs[st][i].samples;

		ss += e * e;
	}
	r->has_head = true;
	r->head_share = p;
	/* se of a ratio estimate: sqrt(sum e^2 / (k (k - 1))) / mean samples */
	r->head_share_se = k > 1 ? sqrt(ss / ((double)k * (k - 1))) / (n / k) : sqrt(p * (1 - p) / n);
}

void fit_scale_head(double x[COEF_COUNT], double share)
{
	x[COEF_PACKET] *= share;
	x[COEF_BYTE] *= share;
	x[COEF_COLD] *= share;
}

_Static_assert(FIT_COLD_FROM_N == (int)(FIT_COLD_FROM_MAX_US / FIT_COLD_FROM_STEP_US) + 1,
	       "FIT_COLD_FROM_N does not cover 0..FIT_COLD_FROM_MAX_US");

bool fit_cold_onset_applies(const struct fit_data *d)
{
	for (int i = 0; i < d->nsteps; i++)
		if (!strcmp(d->step[i].napi_mode, "threaded") && isfinite(d->step[i].gap_ns))
			return true;
	return false;
}

/* The onset of the cold ramp for @d (docs/fit.md "Cold polls after a halt"): the one with the
 * least chi² summed over the stages with a cold term, each fitted as fit_stage() does. A stage
 * with relative weights (no sampling variance) has a chi² of no fixed scale: it counts in units
 * of its chi²/dof at onset 0, so that no stage weighs in by its size. */
static int choose_cold_from(struct fit_data *d, struct fit_result *res, char *err, size_t len)
{
	struct fit_stage_result *r = malloc(sizeof(*r));
	double scale[STAGE_COUNT];
	bool cold[STAGE_COUNT] = { false };	/* the stages with a cold column, whatever the onset */
	int best = 0, ret = 0;

	if (!r)
		return -ENOMEM;
	for (int st = 0; st < STAGE_COUNT; st++) {
		scale[st] = 1;
		for (int i = 0; i < d->nsteps; i++)
			cold[st] = cold[st] || fit_cold_in_step(d, st, i);
	}
	for (int k = 0; k < FIT_COLD_FROM_N && !ret; k++) {
		double chi2 = 0;

		fit_set_cold_from(d, k * FIT_COLD_FROM_STEP_US);
		for (int st = 0; st < STAGE_COUNT && !ret; st++) {
			if (!cold[st])
				continue;
			ret = fit_stage(d, st, r, err, len);
			if (ret || !r->fitted)
				continue;
			if (!k && !r->absolute_weights && r->dof > 0 && r->chi2 > 0)
				scale[st] = r->chi2 / r->dof;
			chi2 += r->chi2 / scale[st];
		}
		res->cold_from_chi2[k] = chi2;
		if (!ret && chi2 < res->cold_from_chi2[best])
			best = k;
	}
	free(r);
	if (ret)
		return ret;
	res->cold_from_chosen = true;
	fit_set_cold_from(d, best * FIT_COLD_FROM_STEP_US);
	return 0;
}

/* Sets @d's cold ramp onset as @d->cold_mode says (fit_all()). */
static int set_cold_onset(struct fit_data *d, struct fit_result *res, char *err, size_t len)
{
	if (!fit_cold_onset_applies(d) || d->cold_mode == FIT_COLD_OFF) {
		fit_set_cold_from(d, 0);
		return 0;
	}
	if (d->cold_mode == FIT_COLD_AUTO)
		return choose_cold_from(d, res, err, len);
	fit_set_cold_from(d, d->cold_onset_us);
	return 0;
}

int fit_all(struct fit_data *d, struct fit_result *res, char *err, size_t len)
{
	gsl_quiet();
	memset(res, 0, sizeof(*res));
	{
		int ret = set_cold_onset(d, res, err, len);

		if (ret)
			return ret;
	}
	res->cold_from_us = d->cold_from_us;
	for (int st = 0; st < STAGE_COUNT; st++) {
		int ret = fit_stage(d, st, &res->stage[st], err, len);

		if (ret)
			return ret;
		if (res->stage[st].fitted && stage_can_drop(st))
			fit_head_share(d, st, &res->stage[st]);
	}
	return 0;
}

/* the covariance a calibration carries is in the fit's order (model/config.h, enum cost_term) */
_Static_assert((int)COEF_CALL == (int)TERM_CALL && (int)COEF_PACKET == (int)TERM_PACKET &&
		       (int)COEF_BYTE == (int)TERM_BYTE && (int)COEF_DEEP == (int)TERM_DEEP_WAKE &&
		       (int)COEF_WAKE == (int)TERM_WAKE && (int)COEF_WAKE_IDLE == (int)TERM_WAKE_IDLE &&
		       (int)COEF_COLD == (int)TERM_COLD && (int)COEF_REMOTE == (int)TERM_REMOTE &&
		       (int)COEF_COUNT == (int)TERM_COUNT,
	       "enum fit_coef and enum cost_term differ");

/* ---- a drop's own work (--drops) ---------------------------------------------------------- */

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int fit_drop_add(const struct fit_data *base, struct fit_result *res, struct fit_data *v,
		 const double *ref, double tol, char *err, size_t len)
{
	enum tb_variant tv;
	int drop, gone = 0;

	/* the variant's polls go cold as the baseline's */
	v->cold_mode = base->cold_mode;
	v->cold_onset_us = base->cold_onset_us;
	fit_set_cold_from(v, base->cold_from_us);

	if (!v->variant[0] || !strcmp(v->variant, "baseline")) {
		set_err(err, len, "--drops %s: measured without a drop variant (column 'variant': "
			"%s); it takes rxcalibrate run --variant measurements", v->path,
			v->variant[0] ? v->variant : "absent");
		return -EINVAL;
	}
	if (tb_variant_parse(v->variant, &tv) || (drop = tb_variant_drop_stage(tv)) < 0) {
		set_err(err, len, "--drops %s: variant '%s' is not one rxcalibrate drops with (%s)",
			v->path, v->variant, tb_variant_list());
		return -EINVAL;
	}
	for (int i = 0; i < v->nsteps && base->nsteps; i++)
		if (strcmp(v->step[i].napi_mode, base->step[0].napi_mode)) {
			set_err(err, len, "--drops %s: step %d: NAPI mode %s, the baseline "
				"measurements' is %s (one calibration per mode)", v->path,
				v->step[i].step, v->step[i].napi_mode, base->step[0].napi_mode);
			return -EINVAL;
		}
	for (int st = 0; st < STAGE_COUNT; st++)
		if (stage_holds_drop(drop, st) &&
		    (!v->present[st] || !strcmp(v->method[st], "none") || !res->stage[st].fitted)) {
			set_err(err, len, "--drops %s: stage %s, which holds %s's drops, is not "
				"measured %s", v->path, stage_table[st].name, v->variant,
				res->stage[st].fitted ? "in it" : "in the baseline");
			return -EINVAL;
		}
	for (int i = 0; i < v->nsteps; i++)
		if (!isfinite(v->step[i].drops_kfree)) {
			set_err(err, len, "--drops %s: no column drops_kfree (the kernel's drop count "
				"per step)", v->path);
			return -EINVAL;
		}
	if (ref)
		gone = fit_drop_slowed(v, ref, tol);
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];
		struct fit_drop *dr = &res->drop[st];
		double cpu = 0, smp = 0, qn = 0, b0 = 0;
		int n = 0;
		size_t l;

		if (!stage_holds_drop(drop, st))
			continue;
		for (int i = 0; i < v->nsteps; i++) {
			cpu += v->obs[st][i].cpu_ns;
			smp += v->obs[st][i].samples;
		}
		if (!strcmp(v->method[st], "perf_event") && smp > 0 && cpu > 0)
			qn = cpu / smp;
		/* two passes, as the baseline's weights (variances(), refine_variances()):
		 * sampled, var = q x max(expected cpu_ns, q), the expected being first the
		 * measured, then the baseline at the counts plus this file's own estimate of the
		 * drop term, so that a step that drew few samples gets no extra weight; other
		 * methods, var proportional to the drops */
		for (int pass = 0; pass < 2; pass++) {
			double sxx = 0, sxy = 0, b = b0;

			n = 0;
			for (int i = 0; i < v->nsteps; i++) {
				double x = v->step[i].drops_kfree, z[COEF_COUNT], base_ns = 0, y, var;

				if (!(x > 0))
					continue;
				fit_regressors(v, st, i, z);
				/* no application reads a dropped packet: no buffer read elsewhere */
				z[COEF_REMOTE] = 0;
				/* a packet dropped in this stage pays only its head */
				if (st == drop && r->has_head)
					fit_scale_head(z, r->head_share);
				for (int j = 0; j < COEF_COUNT; j++)
					base_ns += r->coef[j] * z[j];
				y = v->obs[st][i].cpu_ns - base_ns;
				if (!(qn > 0))
					var = fmax(x, 1);
				else if (pass == 0)
					var = qn * fmax(v->obs[st][i].cpu_ns, qn);
				else
					var = qn * fmax(base_ns + fmax(b, 0) * x, qn);
				if (pass == 0) {
					sxx += x * x / var;
					sxy += x * y / var;
					continue;
				}
				dr->relative |= !(qn > 0);
				dr->sxx += x * x / var;
				dr->sxy += x * y / var;
				dr->syy += y * y / var;
				for (int j = 0; j < COEF_COUNT; j++)
					dr->sxz[j] += x * z[j] / var;
				n++;
			}
			if (pass == 0)
				b0 = sxx > 0 ? sxy / sxx : 0;
		}
		dr->n += n;
		dr->files++;
		l = strlen(dr->source);
		snprintf(dr->source + l, sizeof(dr->source) - l, "%s%s (%s, %d steps%s)",
			 l ? "; " : "", v->path, v->variant, n,
			 gone ? ", slowed ones left out" : "");
	}
	return 0;
}

void fit_drop_finish(struct fit_result *res)
{
	for (int st = 0; st < STAGE_COUNT; st++) {
		struct fit_drop *dr = &res->drop[st];
		const struct fit_stage_result *r = &res->stage[st];
		double b, s2, base2 = 0;

		if (!(dr->sxx > 0))
			continue;
		b = dr->sxy / dr->sxx;
		dr->chi2 = fmax(0, dr->syy - dr->sxy * dr->sxy / dr->sxx);
		dr->dof = dr->n - 1;
		if (dr->relative && dr->dof < 1)
			continue; /* relative weights and one step: no scale for its error */
		s2 = dr->dof > 0 ? dr->chi2 / dr->dof : 1;
		/* absolute weights: scaled only when the scatter exceeds them (the host's slowing,
		 * the baseline's own misfit); relative ones always */
		if (!dr->relative)
			s2 = fmax(1, s2);
		/* the baseline costs' errors move every step's y together: b moves by
		 * -sum_j dc_j sxz_j / sxx, whose variance is g' C g with g_j = sxz_j / sxx and C
		 * the costs' covariance (per_packet, cold and remote are anticorrelated) */
		for (int j = 0; j < COEF_COUNT; j++)
			for (int l = 0; l < COEF_COUNT; l++)
				base2 += dr->sxz[j] * dr->sxz[l] * r->cov[j][l] / (dr->sxx * dr->sxx);
		dr->se_base = sqrt(fmax(0, base2));
		base2 = dr->se_base * dr->se_base;
		dr->se = sqrt(s2 / dr->sxx + base2);
		dr->at_zero = b < 0;
		dr->ns = fmax(0, b);
		dr->fitted = true;
	}
}

/* ---- writing the calibration ------------------------------------------------------------- */

/* A libconfig float literal: always with a decimal point (42.0, 1.5e+08 -> 1.5e+08 is fine, but
 * 1e+08 gets 1.0e+08 for readers that want the point). */
static const char *flt(char *buf, size_t len, double v)
{
	char *e;

	if (!isfinite(v))
		v = 0;	/* never reached: every number is checked before writing */
	if (v == 0)
		v = 0;	/* no "-0.0" */
	snprintf(buf, len, "%.10g", v);
	if (!strpbrk(buf, ".")) {
		e = strpbrk(buf, "eE");
		if (e) {
			char tail[32];

			snprintf(tail, sizeof(tail), "%s", e);
			snprintf(e, len - (size_t)(e - buf), ".0%s", tail);
		} else {
			snprintf(buf + strlen(buf), len - strlen(buf), ".0");
		}
	}
	return buf;
}

/* A libconfig string literal's body: quotes and backslashes escaped, control characters dropped. */
static void put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

static void fmt_rate(char *buf, size_t len, double bps)
{
	if (bps >= 1e9)
		snprintf(buf, len, "%.3gG", bps / 1e9);
	else if (bps >= 1e6)
		snprintf(buf, len, "%.3gM", bps / 1e6);
	else if (bps >= 1e3)
		snprintf(buf, len, "%.3gk", bps / 1e3);
	else
		snprintf(buf, len, "%.3g", bps);
}

static void stage_source(char *buf, size_t len, const struct fit_data *d,
			 const struct fit_stage_result *r)
{
	if (!r->fitted) {
		/* truncation is fine: the loader keeps 255 characters of a source */
		if (snprintf(buf, len, "%s in %s: zero costs written", r->note, base_name(d->path)) >=
		    (int)len)
			buf[len - 1] = 0;
		return;
	}
	if (snprintf(buf, len, "rxcalibrate fit of %s: %s, %d steps, WLS (%s), non-negative%s%s",
		     base_name(d->path), r->method, r->n,
		     r->absolute_weights ? "1/var from samples" : "1/var ~ 1/events",
		     r->note[0] ? "; " : "", r->note) >= (int)len)
		buf[len - 1] = 0;
}

static void put_idle_exit(FILE *f, const char *pre, const char *kpre,
			  const struct fit_idle_exit *ie);
static bool idle_exit_keys(const struct fit_idle_exit *ie);
static void put_sender(FILE *f, const char *pre, const char *kpre, const struct fit_sender *fs);

static int write_file(FILE *f, const char *name, const struct fit_data *d,
		      const struct fit_result *res, const struct rxc_host *h, const char *date)
{
	char b1[40], b2[40], b3[40], src[250], napi[64] = "";
	bool mixed_napi = false;

	for (int i = 0; i < d->nsteps; i++)
		if (strcmp(d->step[i].napi_mode, d->step[0].napi_mode))
			mixed_napi = true;
	snprintf(napi, sizeof(napi), "%s", mixed_napi ? "mixed" : d->step[0].napi_mode);

	fprintf(f, "# Calibration fitted by `rxcalibrate fit` from %s (%d rate steps) on %s.\n",
		d->path, d->nsteps, date);
	fprintf(f, "# Provenance (kernel, cpu, HZ, budgets) describes the machine the fit ran on,\n"
		   "# read at fit time; measurements.csv does not record the machine it was\n"
		   "# measured on.\n"
		   "# Unit costs in ns per call (stage unit), per packet and per frame byte\n"
		   "# (payload + %d); see docs/fit.md.\n",
		FIT_FRAME_OVERHEAD);
	fprintf(f, "calibration:\n{\n  name = ");
	put_str(f, name);
	fprintf(f, ";\n  description = ");
	{
		char desc[512];

		snprintf(desc, sizeof(desc),
			 "Per-stage unit costs of the receive path fitted by rxcalibrate fit "
			 "(weighted non-negative least squares, GSL) from %s: %d rate steps, NAPI %s, "
			 "measured on the machine described in provenance.",
			 base_name(d->path), d->nsteps, napi);
		put_str(f, desc);
	}
	fprintf(f, ";\n  provenance:\n  {\n    method = \"rxcalibrate fit (WLS, non-negative)\";\n");
	fprintf(f, "    kernel = ");
	put_str(f, h->kernel[0] ? h->kernel : "unknown");
	fprintf(f, ";\n    cpu = ");
	put_str(f, h->cpu_model[0] ? h->cpu_model : "unknown");
	fprintf(f, ";\n    nic = ");
	put_str(f, !strcmp(napi, "device") ? "external device (--dev; driver: rxcalibrate probe --dev)"
		   : "veth pair of the built-in testbed, XDP_PASS native (veth_poll NAPI)");
	fprintf(f, ";\n    date = \"%s\";\n", date);
	fprintf(f, "    hz = %d;\n    ncpus = %d;\n", h->hz, h->ncpus);
	fprintf(f, "    netdev_budget = %ld;\n    netdev_budget_usecs = %ld;\n"
		   "    dev_weight = %ld;\n    netdev_max_backlog = %ld;\n",
		h->netdev_budget, h->netdev_budget_usecs, h->dev_weight, h->netdev_max_backlog);
	fprintf(f, "    napi_mode = \"%s\";\n", napi);
	{
		double ref[CANARY_ROLES];
		int n = fit_canary_reference(d, ref);

		if (n)
			fprintf(f, "    canary_rx_ns = %s;\n    canary_app_ns = %s;\n"
				   "    canary_tx_ns = %s;\n    canary_steps = %d;\n",
				flt(b1, sizeof(b1), ref[0]), flt(b2, sizeof(b2), ref[1]),
				flt(b3, sizeof(b3), ref[2]), n);
	}
	fprintf(f, "    rates_requested_bps = [");
	for (int i = 0; i < d->nsteps; i++)
		fprintf(f, "%s%s", i ? ", " : " ", flt(b1, sizeof(b1), d->step[i].rate_requested_bps));
	fprintf(f, " ];\n    rates_offered_bps = [");
	for (int i = 0; i < d->nsteps; i++)
		fprintf(f, "%s%s", i ? ", " : " ", flt(b1, sizeof(b1), d->step[i].offered_bps));
	fprintf(f, " ];\n    payload_bytes = [");
	for (int i = 0; i < d->nsteps; i++)
		fprintf(f, "%s%d", i ? ", " : " ", d->step[i].payload_bytes);
	fprintf(f, " ];\n    methods = {");
	for (int st = 0; st < STAGE_COUNT; st++)
		fprintf(f, " %s = \"%s\";", stage_table[st].name, res->stage[st].method);
	fprintf(f, " };\n    sources = ( ");
	{
		char s1[700];

		snprintf(s1, sizeof(s1), "measurements: %s, %d rate steps (rxcalibrate run)", d->path,
			 d->nsteps);
		put_str(f, s1);
		for (int st = 0; st < STAGE_COUNT; st++) {
			if (!res->drop[st].fitted)
				continue;
			snprintf(s1, sizeof(s1), "drops at %s (drop_ns): %s", stage_table[st].name,
				 res->drop[st].source);
			fprintf(f, ", ");
			put_str(f, s1);
		}
	}
	fprintf(f, " );\n    notes = ");
	put_str(f, "Kernel, cpu, HZ and budgets were read from the machine rxcalibrate fit ran on, "
		   "at fit time; rates, payloads, NAPI mode and methods come from the measurements. "
		   "Costs are what the probes saw after subtracting their own measured run time.");
	fprintf(f, ";\n  };\n");
	{
		/* the host's own lines, measured in the same steps: rxcalibrate validate (and
		 * rxmodel --host calibration) put them into the scenario */
		struct fit_idle_exit ie;
		struct fit_sender fs;

		fit_idle_exit(d, &ie);
		fit_sender(d, res->stage[STAGE_CS].fitted ? res->stage[STAGE_CS].coef[COEF_CALL] : 0,
			   &fs);
		if (idle_exit_keys(&ie) || fs.steps) {
			fprintf(f, "  host:\n  {\n    # the scenario lines of the host the costs were "
				   "measured on (docs/config.md, \"The calibration's host\")\n");
			put_idle_exit(f, "    # ", "    ", &ie);
			put_sender(f, "    # ", "    ", &fs);
			fprintf(f, "  };\n");
		}
	}

	fprintf(f, "  fit:\n  {\n    model = \"cpu_ns = per_call*calls + per_packet*packets + "
		   "per_byte*packets*(payload+%d) [transport, softirq: + per_wake*wakes + "
		   "wake_idle*wakes*min(1, idle/wake_idle_after_us) + deep_wake*deep_wakes; "
		   "softirq: packets = datagrams the application received] [softirq, poll, xdp, "
		   "gro, skb_prep, ip, ip_to_transport, threaded transport: + cold*polls*min(1, "
		   "max(0, gap - cold_from_us)/cold_after_us)] "
		   "[poll to transport: + remote*packets when the application is on another "
		   "CPU] [drop_ns, --drops: + drop*packets a rule drops in the stage, fitted to "
		   "the drop variants' steps beyond the costs above at their counts]\";\n",
		FIT_FRAME_OVERHEAD);
	fprintf(f, "    weights = \"perf_event: 1/var, var = (ns per sample)^2 * samples; other "
		   "methods: var ~ calls + packets, scaled by chi2/dof\";\n");
	fprintf(f, "    frame_overhead_bytes = %d;\n    steps = %d;\n", FIT_FRAME_OVERHEAD,
		d->nsteps);
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];

		if (!r->fitted)
			continue;
		/* no cv_error without a rate to leave out (one requested rate): unknown, not 0 */
		fprintf(f, "    %s = { chi2 = %s; dof = %d; r2 = %s; ", stage_table[st].name,
			flt(b1, sizeof(b1), r->chi2), r->dof, flt(b2, sizeof(b2), r->r2));
		if (r->cv_n)
			fprintf(f, "cv_error = %s; ", flt(b3, sizeof(b3), r->cv_rms));
		fprintf(f, "constrained = %s; cv_rel_error = [", r->constrained ? "true" : "false");
		for (int i = 0; i < r->n; i++)
			fprintf(f, "%s%s", i ? ", " : " ",
				flt(b1, sizeof(b1), r->cv_ok[i] ? r->cv_rel[i] : 0));
		fprintf(f, " ]; cv_rate_bps = [");
		for (int k = 0; k < r->cv_rates; k++)
			fprintf(f, "%s%s", k ? ", " : " ", flt(b1, sizeof(b1), r->cv_rate_bps[k]));
		fprintf(f, " ]; cv_rate_error = [");
		for (int k = 0; k < r->cv_rates; k++)
			fprintf(f, "%s%s", k ? ", " : " ", flt(b1, sizeof(b1), r->cv_rate_err[k]));
		fprintf(f, " ]; residual_ns = [");
		for (int i = 0; i < r->n; i++)
			fprintf(f, "%s%s", i ? ", " : " ", flt(b1, sizeof(b1), r->resid[i]));
		fprintf(f, " ]; };\n");
	}
	fprintf(f, "  };\n  stages:\n  {\n");
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];

		stage_source(src, sizeof(src), d, r);
		fprintf(f, "    %s = { per_call_ns = %s; ", stage_table[st].name,
			flt(b1, sizeof(b1), r->coef[COEF_CALL]));
		fprintf(f, "per_packet_ns = %s; ", flt(b1, sizeof(b1), r->coef[COEF_PACKET]));
		fprintf(f, "per_byte_ns = %s;\n", flt(b1, sizeof(b1), r->coef[COEF_BYTE]));
		fprintf(f, "      per_call_se = %s; ", flt(b1, sizeof(b1), r->se[COEF_CALL]));
		fprintf(f, "per_packet_se = %s; ", flt(b1, sizeof(b1), r->se[COEF_PACKET]));
		fprintf(f, "per_byte_se = %s;\n", flt(b1, sizeof(b1), r->se[COEF_BYTE]));
		if (r->identifiable[COEF_WAKE]) {
			fprintf(f, "      per_wake_ns = %s; ", flt(b1, sizeof(b1), r->coef[COEF_WAKE]));
			fprintf(f, "per_wake_se = %s;\n", flt(b1, sizeof(b1), r->se[COEF_WAKE]));
		}
		if (r->identifiable[COEF_WAKE_IDLE]) {
			fprintf(f, "      wake_idle_ns = %s; ",
				flt(b1, sizeof(b1), r->coef[COEF_WAKE_IDLE]));
			fprintf(f, "wake_idle_se = %s; ", flt(b1, sizeof(b1), r->se[COEF_WAKE_IDLE]));
			fprintf(f, "wake_idle_after_us = %s;\n", flt(b1, sizeof(b1), FIT_WAKE_IDLE_US));
		}
		if (r->identifiable[COEF_COLD]) {
			fprintf(f, "      cold_ns = %s; ", flt(b1, sizeof(b1), r->coef[COEF_COLD]));
			fprintf(f, "cold_se = %s; ", flt(b1, sizeof(b1), r->se[COEF_COLD]));
			fprintf(f, "cold_after_us = %s;", flt(b1, sizeof(b1), FIT_COLD_US));
			if (d->cold_from_us > 0)
				fprintf(f, " cold_from_us = %s;",
					flt(b1, sizeof(b1), d->cold_from_us));
			fputc('\n', f);
		}
		if (r->identifiable[COEF_REMOTE]) {
			fprintf(f, "      remote_ns = %s; ",
				flt(b1, sizeof(b1), r->coef[COEF_REMOTE]));
			fprintf(f, "remote_se = %s;\n", flt(b1, sizeof(b1), r->se[COEF_REMOTE]));
		}
		if (r->has_head) {
			fprintf(f, "      head_share = %s; ", flt(b1, sizeof(b1), r->head_share));
			fprintf(f, "head_share_se = %s;\n", flt(b1, sizeof(b1), r->head_share_se));
		}
		if (res->drop[st].fitted) {
			fprintf(f, "      drop_ns = %s; ", flt(b1, sizeof(b1), res->drop[st].ns));
			fprintf(f, "drop_se = %s;\n      drop_source = ",
				flt(b1, sizeof(b1), res->drop[st].se));
			put_str(f, res->drop[st].source);
			fprintf(f, ";\n");
		}
		if (r->identifiable[COEF_DEEP]) {
			fprintf(f, "      deep_wake_ns = %s; ", flt(b1, sizeof(b1), r->coef[COEF_DEEP]));
			fprintf(f, "deep_wake_se = %s; ", flt(b1, sizeof(b1), r->se[COEF_DEEP]));
			fprintf(f, "deep_wake_after_us = %s;\n",
				flt(b1, sizeof(b1), FIT_DEEP_WAKE_AFTER_US));
		}
		if (r->fitted) {
			/* the costs' covariance, so that rxmodel's ± keeps their correlation */
			fprintf(f, "      cov = [");
			for (int j = 0; j < COEF_COUNT * COEF_COUNT; j++)
				fprintf(f, "%s%s", j ? ", " : " ",
					flt(b1, sizeof(b1), r->cov[j / COEF_COUNT][j % COEF_COUNT]));
			fprintf(f, " ];\n");
		}
		fprintf(f, "      dist = \"fixed\"; r2 = %s; ", flt(b1, sizeof(b1), r->r2));
		if (r->cv_n)
			fprintf(f, "cv_error = %s; ", flt(b2, sizeof(b2), r->cv_rms));
		fprintf(f, "n = %d; method = ", r->n);
		put_str(f, r->method);
		fprintf(f, ";\n      source = ");
		put_str(f, src);
		fprintf(f, "; };\n");
	}
	fprintf(f, "  };\n};\n");
	return ferror(f) ? -EIO : 0;
}

static bool result_finite(const struct fit_result *res)
{
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];

		for (int j = 0; j < COEF_COUNT; j++) {
			if (!isfinite(r->coef[j]) || !isfinite(r->se[j]) || r->coef[j] < 0)
				return false;
			for (int l = 0; l < COEF_COUNT; l++)
				if (!isfinite(r->cov[j][l]))
					return false;
		}
		if (!isfinite(r->r2) || !isfinite(r->cv_rms) || !isfinite(r->chi2) ||
		    !isfinite(res->drop[st].ns) || !isfinite(res->drop[st].se))
			return false;
		for (int i = 0; i < r->n; i++)
			if (!isfinite(r->resid[i]) || !isfinite(r->cv_rel[i]))
				return false;
	}
	return true;
}

/* The file as loaded must carry the numbers we meant to write (10 significant digits). */
static bool close_to(double a, double b)
{
	return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)) + 1e-300;
}

/* Every element of the stage's covariance, as loaded, is the one fitted. */
static bool cov_read_back(const struct stage_cost *sc, const struct fit_stage_result *r)
{
	if (!sc->has_cov)
		return false;
	for (int j = 0; j < COEF_COUNT; j++)
		for (int l = 0; l < COEF_COUNT; l++)
			if (!close_to(sc->cov[j][l], r->cov[j][l]))
				return false;
	return true;
}

int fit_write_calibration(const char *path, const char *name, const struct fit_data *d,
			  const struct fit_result *res, char *err, size_t len)
{
	struct calibration *cal = NULL;
	struct rxc_host h;
	char *tmp = NULL, date[32], lerr[ERR_LEN];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = NULL;
	int fd, ret = 0;

	if (!result_finite(res)) {
		set_err(err, len, "%s: internal error: a fitted number is not finite, nothing written",
			path);
		return -ERANGE;
	}
	host_read(&h);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		set_err(err, len, "%s: cannot create a temporary file beside it: %s", path,
			strerror(-ret));
		free(tmp);
		return ret;
	}
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		set_err(err, len, "%s: %s", tmp, strerror(-ret));
		goto out;
	}
	ret = write_file(f, name, d, res, &h, date);
	if ((!ret || ret == -EIO) && fflush(f))
		ret = -errno;	/* why a buffered write failed: ENOSPC, EDQUOT ... */
	if (!ret && fsync(fileno(f)))
		ret = -errno;
	if (fchmod(fileno(f), 0644) && !ret)
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (ret) {
		set_err(err, len, "%s: %s; nothing written", path, strerror(-ret));
		goto out;
	}
	/* self-check: the simulator's own loader must accept it and read back our numbers */
	cal = calloc(1, sizeof(*cal));
	if (!cal) {
		ret = -ENOMEM;
		goto out;
	}
	ret = calibration_load(cal, tmp, lerr, sizeof(lerr));
	if (ret) {
		set_err(err, len, "%s: internal error, calibration_load() rejects the file written: %s",
			path, lerr);
		goto out;
	}
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct stage_cost *sc = &cal->stage[st];
		const struct fit_stage_result *r = &res->stage[st];

		if (!sc->present || !close_to(sc->per_call_ns, r->coef[COEF_CALL]) ||
		    !close_to(sc->per_packet_ns, r->coef[COEF_PACKET]) ||
		    !close_to(sc->per_byte_ns, r->coef[COEF_BYTE]) ||
		    !close_to(sc->deep_wake_ns, r->coef[COEF_DEEP]) ||
		    !close_to(sc->per_wake_ns, r->coef[COEF_WAKE]) ||
		    !close_to(sc->wake_idle_ns, r->coef[COEF_WAKE_IDLE]) ||
		    !close_to(sc->cold_ns, r->coef[COEF_COLD]) ||
		    (r->identifiable[COEF_COLD] && !close_to(sc->cold_from_us, d->cold_from_us)) ||
		    !close_to(sc->remote_ns, r->coef[COEF_REMOTE]) ||
		    !close_to(sc->drop_ns, res->drop[st].fitted ? res->drop[st].ns : 0) ||
		    !close_to(sc->drop_se, res->drop[st].fitted ? res->drop[st].se : 0) ||
		    !sc->has_head != !r->has_head ||
		    (r->has_head && !close_to(sc->head_share, r->head_share)) ||
		    !close_to(sc->per_packet_se, r->se[COEF_PACKET]) ||
		    (r->fitted && !cov_read_back(sc, r))) {
			set_err(err, len,
				"%s: internal error, calibration_load() reads stage '%s' back "
				"differently",
				path, stage_table[st].name);
			ret = -EPROTO;
			goto out;
		}
	}
	if (rename(tmp, path)) {
		ret = -errno;
		set_err(err, len, "%s: %s", path, strerror(-ret));
	}
out:
	if (ret)
		unlink(tmp);
	free(tmp);
	free(cal);
	return ret;
}

/* ---- the command -------------------------------------------------------------------------- */

static void coef_cell(char *buf, size_t len, const struct fit_stage_result *r, int j)
{
	if (!r->identifiable[j])
		snprintf(buf, len, "-");
	else if (r->at_zero[j])
		snprintf(buf, len, "0 (held) ±%.3g", r->se[j]);
	else
		snprintf(buf, len, "%.4g ± %.2g", r->coef[j], r->se[j]);
}

static void print_stage(const struct fit_data *d, int st, const struct fit_stage_result *r,
			bool verbose)
{
	char rb[16];

	printf("\n%s (%s): cpu_ns =", stage_table[st].name, r->method);
	for (int j = 0, k = 0; j < COEF_COUNT; j++)
		if (r->identifiable[j])
			printf("%s %s·%s", k++ ? " +" : "", coef_name[j],
			       j == COEF_CALL ? "calls" : j == COEF_PACKET ? "packets" :
			       j == COEF_BYTE ? "bytes" : j == COEF_DEEP ? "deep_wakes" :
			       j == COEF_WAKE ? "wakes" : j == COEF_WAKE_IDLE ? "idle_wakes" :
			       j == COEF_COLD ? "cold_polls" : "remote_packets");
	printf("; R² %.4f, chi²/dof %.3g (%d dof), ", r->r2, r->dof ? r->chi2 / r->dof : 0.0, r->dof);
	if (r->cv_n)
		printf("leave-one-rate-out RMS %.2f %% over %d rates\n", 100 * r->cv_rms, r->cv_n);
	else
		printf("no leave-one-rate-out error (one requested rate: nothing to leave out)\n");
	if (r->note[0])
		printf("  note: %s\n", r->note);
	if (r->cv_rates) {
		printf("  leave-one-rate-out, each rate's steps predicted by a fit without them "
		       "(sum predicted vs sum measured):");
		for (int k = 0; k < r->cv_rates; k++) {
			if (r->cv_rate_bps[k] > 0)
				fmt_rate(rb, sizeof(rb), r->cv_rate_bps[k]);
			else
				snprintf(rb, sizeof(rb), "step");
			printf("%s %s %+.1f %% (%d)", k ? "," : "", rb, 100 * r->cv_rate_err[k],
			       r->cv_rate_steps[k]);
		}
		putchar('\n');
	}
	printf("  %4s %9s %5s %11s %11s %12s %12s %11s %7s %12s %8s\n", "step", "offered", "size",
	       "calls", "packets", "cpu_ns", "fitted", "residual", "res/σ", "cv_pred",
	       "cv_err");
	if (verbose)
		printf("  (σ of cpu_ns per step, the weight 1/σ²: %s)\n",
		       r->absolute_weights ? "q·fitted cpu_ns, q = pooled ns per sample"
					   : "∝ sqrt(calls + packets), scaled by chi²/dof");
	for (int i = 0; i < r->n; i++) {
		fmt_rate(rb, sizeof(rb), d->step[i].offered_bps);
		printf("  %4d %9s %5d %11.0f %11.0f %12.4g %12.4g %11.3g %7.2f ",
		       d->step[i].step, rb, d->step[i].payload_bytes, d->obs[st][i].calls,
		       d->obs[st][i].packets, d->obs[st][i].cpu_ns, r->pred[i], r->resid[i],
		       r->sigma[i] > 0 ? r->resid[i] / r->sigma[i] : 0.0);
		if (isnan(r->cv_pred[i]))
			printf("%12s ", "-");
		else
			printf("%12.4g ", r->cv_pred[i]);
		if (r->cv_ok[i])
			printf("%7.2f%%", 100 * r->cv_rel[i]);
		else
			printf("%8s", "-");
		if (verbose)
			printf("  σ %.4g", r->sigma[i]);
		putchar('\n');
	}
}

void fit_idle_exit(const struct fit_data *d, struct fit_idle_exit *ie)
{
	double deep_n = 0, deep_ns = 0;

	memset(ie, 0, sizeof(*ie));
	ie->halt_shallow_us = ie->halt_deep_us = NAN;
	for (int i = 0; i < d->nsteps; i++) {
		const struct fit_step *sp = &d->step[i];
		/* the thread woken from idle on a CPU of its own: in softirq NAPI the receiver,
		 * in threaded NAPI the kthread (its receiver is woken beside it, on a running
		 * CPU), which shares its CPU with the receiver */
		bool threaded = !strcmp(sp->napi_mode, "threaded");
		const double *hist = threaded ? sp->napi_wake_hist : sp->wake_hist;
		double wakes = threaded ? sp->napi_wakeups : sp->rx_wakeups;
		double lat = threaded ? sp->napi_wake_lat_ns : sp->rx_wake_lat_ns;
		double busy = sp->rx_thread_ns + (threaded ? sp->napi_thread_ns : 0);
		double n = 0, slow = 0, halt = NAN;
		bool deep;

		for (int k = 0; k < LOGHIST_SLOTS; k++) {
			n += hist[k];
			slow += k >= FIT_DEEP_SLOT ? hist[k] : 0;
		}
		if (!(n > 0) || (!threaded && strcmp(sp->napi_mode, "softirq")))
			continue;
		if (fit_moved(sp)) {
			ie->moved++;
			continue;
		}
		deep = slow > n / 2;
		if (wakes > 0 && sp->rx_thread_ns > 0 && (!threaded || sp->napi_thread_ns > 0) &&
		    sp->duration_s > 0)
			halt = ((sp->duration_s * 1e9 - busy) / wakes - lat) / 1e3;
		if (deep) {
			ie->deep++;
			deep_n += wakes;
			deep_ns += wakes * lat;
			if (isfinite(halt) && !(halt >= ie->halt_deep_us))
				ie->halt_deep_us = halt;
		} else {
			ie->shallow++;
			for (int k = 0; k < LOGHIST_SLOTS; k++)
				ie->hist[k] += hist[k];
			if (isfinite(halt) && !(halt <= ie->halt_shallow_us))
				ie->halt_shallow_us = halt;
		}
	}
	ie->deep_us = deep_n > 0 ? deep_ns / deep_n / 1e3 : NAN;
}

/* Whether put_idle_exit() writes a key (not only comments) for @ie. */
static bool idle_exit_keys(const struct fit_idle_exit *ie)
{
	for (int k = 0; k < LOGHIST_SLOTS && ie->shallow; k++)
		if (llround(ie->hist[k]) > 0)
			return true;
	return ie->deep && isfinite(ie->deep_us) && ie->deep_us > 0;
}

/* The idle-exit summary as a scenario's cpu group: its description after @pre, each key line
 * (and note on one) after @kpre. */
static void put_idle_exit(FILE *f, const char *pre, const char *kpre,
			  const struct fit_idle_exit *ie)
{
	uint64_t n[LOGHIST_SLOTS];
	char text[LOGHIST_TEXT];

	if (!ie->shallow && !ie->deep)
		return;
	fprintf(f, "%sidle exits for rxmodel's cpu group, from the wake-ups of the receiver (softirq) "
		"or the NAPI kthread (threaded) in %d shallow and %d deep steps (docs/fit.md)",
		pre, ie->shallow, ie->deep);
	if (ie->moved)
		fprintf(f, ", %d with the application moved left out", ie->moved);
	fprintf(f, ":\n");
	if (ie->shallow) {
		for (int k = 0; k < LOGHIST_SLOTS; k++)
			n[k] = (uint64_t)llround(ie->hist[k]);
		if (loghist_format(n, text, sizeof(text)) > 0)
			fprintf(f, "%sidle_exit_hist = \"%s\";  # mean %.1f us\n", kpre, text,
				loghist_mean(ie->hist) / 1e3);
	}
	if (ie->deep && isfinite(ie->deep_us) && ie->deep_us > 0)
		fprintf(f, "%sidle_exit_deep_us = %.1f;\n", kpre, ie->deep_us);
	else if (ie->deep)
		fprintf(f, "%s# no idle_exit_deep_us: the deep steps have no wake-up latency\n", kpre);
	if (ie->shallow && ie->deep && isfinite(ie->deep_us) && ie->deep_us > 0 &&
	    ie->halt_shallow_us < ie->halt_deep_us && ie->halt_shallow_us + ie->halt_deep_us > 0)
		fprintf(f, "%shalt_poll_us = %.1f;  # between the longest mean halt before a "
			"shallow wake-up (%.0f us) and the shortest before a deep one (%.0f us)\n",
			kpre, (ie->halt_shallow_us + ie->halt_deep_us) / 2, ie->halt_shallow_us,
			ie->halt_deep_us);
	else if (ie->shallow && ie->deep && isfinite(ie->deep_us) && ie->deep_us > 0)
		fprintf(f, "%s# no halt_poll_us: a shallow step's mean halt (%.0f us) is not below "
			"every deep one's (%.0f us); set idle_exit_deep_after_us by hand\n", kpre,
			ie->halt_shallow_us, ie->halt_deep_us);
}

void fit_sender(const struct fit_data *d, double cs_ns, struct fit_sender *fs)
{
	/* normal equations of own CPU = call x bursts + frame x frames, unweighted */
	double bb = 0, bf = 0, ff = 0, by = 0, fy = 0, det, around = 0;

	memset(fs, 0, sizeof(*fs));
	fs->cs_ns = cs_ns;
	fs->sleep_ns = NAN;
	/* the time inside sendmmsg when every step has it */
	fs->from_send = true;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < d->nsteps; i++) {
			const struct fit_step *sp = &d->step[i];
			bool softirq = !strcmp(sp->napi_mode, "softirq");
			double own, frames = sp->offered_pps * sp->duration_s;

			if (!(sp->tx_bursts > 0 && sp->tx_thread_ns > 0 && frames > 0) ||
			    (!softirq && strcmp(sp->napi_mode, "threaded")) ||
			    (softirq && !isfinite(sp->net_rx_ns)))
				continue;
			if (fit_moved(sp)) {
				fs->moved += pass;
				continue;
			}
			if (!pass) {
				fs->from_send &= sp->tx_send_ns > 0;
				continue;
			}
			/* in softirq mode the sender's time holds the NET_RX it raised. Its time
			 * inside sendmmsg is what delays its next burst; without it, its CPU time
			 * less each sleep's two context switches, which rxmodel charges as cs */
			own = fs->from_send ? sp->tx_send_ns :
					      sp->tx_thread_ns - 2 * cs_ns * sp->tx_sleeps;
			own -= softirq ? sp->net_rx_ns : 0;
			if (!(own > 0)) {
				fs->skipped++;
				continue;
			}
			if (fs->from_send)
				around += sp->tx_thread_ns - sp->tx_send_ns;
			fs->steps++;
			fs->bursts += sp->tx_bursts;
			fs->sleeps += sp->tx_sleeps;
			bb += sp->tx_bursts * sp->tx_bursts;
			bf += sp->tx_bursts * frames;
			ff += frames * frames;
			by += sp->tx_bursts * own;
			fy += frames * own;
			{
				double nb = 0;

				for (int k = 0; k < USHIST_BINS; k++) {
					fs->hist[k] += sp->tx_wake_hist[k];
					for (int c = 0; c < SLEEP_CLASSES; c++) {
						fs->by_sleep[c][k] += sp->tx_wake_by_sleep[c][k];
						nb += sp->tx_wake_by_sleep[c][k];
					}
				}
				fs->by_sleep_steps += nb > 0 || !(sp->tx_sleeps > 0);
			}
		}
	}
	if (fs->from_send && fs->sleeps > 0)
		fs->sleep_ns = around / fs->sleeps;
	if (!fs->steps)
		return;
	det = bb * ff - bf * bf;
	fs->call_ns = by / bb;
	fs->frame_ns = 0;
	/* both terms only when the steps' frames per burst differ enough to tell them apart,
	 * and both come out non-negative; else the per-burst one alone */
	if (det > 1e-6 * bb * ff) {
		double c = (ff * by - bf * fy) / det, fr = (bb * fy - bf * by) / det;

		if (c >= 0 && fr >= 0) {
			fs->call_ns = c;
			fs->frame_ns = fr;
		}
	}
}

/* The sender summary as lines of a scenario's traffic group: its description after @pre, each
 * key line (and note on one) after @kpre. */
static void put_sender(FILE *f, const char *pre, const char *kpre, const struct fit_sender *fs)
{
	uint64_t n[USHIST_BINS];
	char text[USHIST_TEXT];

	if (!fs->steps) {
		if (fs->skipped)
			fprintf(f, "%sno sender lines for rxmodel: the %d steps with the built-in "
				"sender's bursts all have its time (less NET_RX in softirq mode) not "
				"positive\n", pre, fs->skipped);
		return;
	}
	fprintf(f, "%sthe built-in sender for rxmodel's traffic group (with sender_cpu), from %d "
		"steps", pre, fs->steps);
	if (fs->moved)
		fprintf(f, " (%d with the application moved left out)", fs->moved);
	fprintf(f, ": asleep before %.1f %% of %.0f bursts (docs/fit.md):\n",
		fs->bursts > 0 ? 100 * fs->sleeps / fs->bursts : 0.0, fs->bursts);
	if (fs->skipped)
		fprintf(f, "%s# %d steps left out: their sender time (less NET_RX in softirq mode) "
			"was not positive\n", kpre, fs->skipped);
	if (fs->from_send && isfinite(fs->sleep_ns))
		fprintf(f, "%ssender_call_us = %.2f;  # its time inside sendmmsg less the NET_RX "
			"it ran; outside it, %.1f us of CPU per sleep\n", kpre, fs->call_ns / 1e3,
			fs->sleep_ns / 1e3);
	else if (fs->from_send)
		fprintf(f, "%ssender_call_us = %.2f;  # its time inside sendmmsg less the NET_RX "
			"it ran\n", kpre, fs->call_ns / 1e3);
	else
		fprintf(f, "%ssender_call_us = %.2f;  # its CPU less the NET_RX it ran and 2 x "
			"%.0f ns (cs) per sleep\n", kpre, fs->call_ns / 1e3, fs->cs_ns);
	fprintf(f, "%ssender_frame_us = %.2f;\n", kpre, fs->frame_ns / 1e3);
	for (int k = 0; k < USHIST_BINS; k++)
		n[k] = (uint64_t)llround(fs->hist[k]);
	if (ushist_format(n, text, sizeof(text)) > 0)
		fprintf(f, "%ssender_wake_hist = \"%s\";  # mean %.1f us\n", kpre, text,
			ushist_mean(fs->hist) / 1e3);
	{
		double cn[SLEEP_CLASSES] = { 0 }, any = 0;

		for (int c = 0; c < SLEEP_CLASSES; c++)
			for (int k = 0; k < USHIST_BINS; k++)
				cn[c] += fs->by_sleep[c][k];
		for (int c = 0; c < SLEEP_CLASSES; c++)
			any += cn[c];
		if (any > 0) {
			fprintf(f, "%ssender_wake_by_sleep = (", kpre);
			for (int c = 0; c < SLEEP_CLASSES; c++) {
				for (int k = 0; k < USHIST_BINS; k++)
					n[k] = (uint64_t)llround(fs->by_sleep[c][k]);
				if (ushist_format(n, text, sizeof(text)) < 0)
					text[0] = 0;
				fprintf(f, "%s\"%s\"", c ? ", " : " ", text);
			}
			fprintf(f, " );  # after sleeps under 16, 32, 64 us and longer: %.0f, %.0f, "
				"%.0f, %.0f wake-ups", cn[0], cn[1], cn[2], cn[3]);
			if (fs->by_sleep_steps < fs->steps)
				fprintf(f, "; from %d of the %d steps (the others lack column 53)",
					fs->by_sleep_steps, fs->steps);
			fputc('\n', f);
		}
	}
}

int fit_main(const struct fit_opts *o)
{
	struct fit_data *d = calloc(1, sizeof(*d));
	struct fit_result *res = calloc(1, sizeof(*res));
	char err[1024], c1[40], c2[40], c3[40], rb[16], rb2[16], cvb[16];
	double cref[CANARY_ROLES] = { 0 };	/* --canary-tol's reference */
	double lo = INFINITY, hi = 0;
	int ret = 1;

	gsl_quiet();
	if (!d || !res) {
		fprintf(stderr, "rxcalibrate fit: out of memory\n");
		goto out;
	}
	if (fit_read_csv(o->in, d, err, sizeof(err))) {
		fprintf(stderr, "rxcalibrate fit: %s\n", err);
		goto out;
	}
	d->cold_mode = o->cold_mode;
	d->cold_onset_us = o->cold_onset_us;
	if (d->variant[0] && strcmp(d->variant, "baseline")) {
		/* a variant skips stages: its zeros would be fitted as the stages' costs */
		fprintf(stderr, "rxcalibrate fit: %s: measured with variant '%s'; a calibration is "
			"fitted to baseline measurements only (validate the variant against it: "
			"rxcalibrate validate --measured %s)\n", o->in, d->variant, o->in);
		goto out;
	}
	if (o->canary_tol > 0) {
		double *ref = cref;
		int n0 = d->nsteps, n = fit_canary_reference(d, ref), gone;

		if (!n) {
			fprintf(stderr, "rxcalibrate fit: --canary-tol: no step of %s has the speed "
				"canary's columns (rxcalibrate run --canary)\n", o->in);
			ret = 2;
			goto out;
		}
		gone = fit_drop_slowed(d, ref, o->canary_tol);
		if (!d->nsteps) {
			fprintf(stderr, "rxcalibrate fit: --canary-tol %g: every step of %s has a "
				"canary more than %g %% above the steps' median; nothing left to fit\n",
				o->canary_tol, o->in, o->canary_tol);
			ret = 2;
			goto out;
		}
		printf("--canary-tol %g: left out %d of %d steps whose speed canary was more than "
		       "%g %% above the steps' median (receive path %.2f, application %.2f, sender "
		       "%.2f ns): the host slowed a vCPU there\n\n", o->canary_tol, gone, n0,
		       o->canary_tol, ref[0], ref[1], ref[2]);
	}
	if (fit_all(d, res, err, sizeof(err))) {
		fprintf(stderr, "rxcalibrate fit: %s\n", err);
		goto out;
	}
	if (o->ndrops) {
		struct fit_data *v = calloc(1, sizeof(*v));
		/* the variants' steps are judged by the baseline's reference (before its own slowed
		 * steps went) */
		bool have_ref = o->canary_tol > 0;
		const double *ref = cref;

		if (!v) {
			fprintf(stderr, "rxcalibrate fit: out of memory\n");
			goto out;
		}
		double bref[CANARY_ROLES], vref[CANARY_ROLES];
		/* the baseline's usual speed: its reference before --canary-tol took steps out */
		bool have_bref = have_ref || fit_canary_reference(d, bref);

		if (have_ref)
			memcpy(bref, cref, sizeof(bref));
		for (int k = 0; k < o->ndrops; k++) {
			memset(v, 0, sizeof(*v));
			if (fit_read_csv(o->drops[k], v, err, sizeof(err))) {
				fprintf(stderr, "rxcalibrate fit: %s\n", err);
				free(v);
				goto out;
			}
			/* a file measured while the host slowed the vCPU (its canaries' median more
			 * than CANARY_TOL_PCT above the baseline's on some CPU): the stage times grow
			 * and the baseline at the counts does not, so the term takes the slowing in;
			 * with --canary-tol such steps are left out anyway */
			if (!have_ref && have_bref && fit_canary_reference(v, vref) &&
			    fit_canary_slowed(vref, bref, CANARY_TOL_PCT)) {
				static const char *const role[CANARY_ROLES] = { "receive path's",
					"application's", "sender's" };
				int w = 0;

				for (int r = 1; r < CANARY_ROLES; r++)
					if (vref[r] / bref[r] > vref[w] / bref[w])
						w = r;
				printf("note: %s ran slower than the baseline: its speed canary's "
				       "median on the %s CPU is x%.2f the baseline's (%.1f against %.1f "
				       "ns), so drop_ns takes in the host's slowing; --canary-tol leaves "
				       "such steps out (docs/fit.md, \"A drop's own work\")\n",
				       o->drops[k], role[w], vref[w] / bref[w], vref[w], bref[w]);
			}
			if (fit_drop_add(d, res, v, have_ref ? ref : NULL, o->canary_tol, err,
					 sizeof(err))) {
				fprintf(stderr, "rxcalibrate fit: %s\n", err);
				free(v);
				goto out;
			}
		}
		free(v);
		fit_drop_finish(res);
	}
	for (int i = 0; i < d->nsteps; i++) {
		lo = fmin(lo, d->step[i].offered_bps);
		hi = fmax(hi, d->step[i].offered_bps);
	}
	fmt_rate(rb, sizeof(rb), lo);
	fmt_rate(rb2, sizeof(rb2), hi);
	printf("%s: %d rate steps, offered %s..%s payload bit/s\n\n", d->path, d->nsteps, rb, rb2);
	printf("%-16s %-10s %3s %-22s %-22s %-22s %8s %8s\n", "stage", "method", "n",
	       "per_call_ns", "per_packet_ns", "per_byte_ns", "R²", "CV/rate");
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];

		if (!r->fitted) {
			printf("%-16s %-10s %3s %s\n", stage_table[st].name, r->method, "-", r->note);
			continue;
		}
		coef_cell(c1, sizeof(c1), r, COEF_CALL);
		coef_cell(c2, sizeof(c2), r, COEF_PACKET);
		coef_cell(c3, sizeof(c3), r, COEF_BYTE);
		if (r->cv_n)
			snprintf(cvb, sizeof(cvb), "%7.2f%%", 100 * r->cv_rms);
		else
			snprintf(cvb, sizeof(cvb), "%8s", "-");
		printf("%-16s %-10s %3d %-22s %-22s %-22s %8.4f %s\n", stage_table[st].name,
		       r->method, r->n, c1, c2, c3, r->r2, cvb);
		if (r->identifiable[COEF_WAKE]) {
			coef_cell(c1, sizeof(c1), r, COEF_WAKE);
			printf("%-16s %-10s %3s per_wake_ns %s (per wake-up of the receiver on "
			       "another CPU: its sleeps, else its recv calls)\n", "", "", "", c1);
		}
		if (r->identifiable[COEF_WAKE_IDLE]) {
			coef_cell(c1, sizeof(c1), r, COEF_WAKE_IDLE);
			printf("%-16s %-10s %3s wake_idle_ns %s (more per wake-up after %.0f us idle "
			       "or more, in proportion below)\n", "", "", "", c1, FIT_WAKE_IDLE_US);
		}
		if (r->identifiable[COEF_COLD]) {
			coef_cell(c1, sizeof(c1), r, COEF_COLD);
			printf("%-16s %-10s %3s cold_ns %s (more for a poll's first packet after %.0f us "
			       "without a poll, in proportion from %.0f us)\n", "", "", "", c1,
			       d->cold_from_us + FIT_COLD_US, d->cold_from_us);
		}
		if (r->identifiable[COEF_REMOTE]) {
			coef_cell(c1, sizeof(c1), r, COEF_REMOTE);
			printf("%-16s %-10s %3s remote_ns %s (more per packet when the application "
			       "reads it on another CPU)\n", "", "", "", c1);
		}
		if (r->identifiable[COEF_DEEP]) {
			coef_cell(c1, sizeof(c1), r, COEF_DEEP);
			printf("%-16s %-10s %3s deep_wake_ns %s (per wake-up of the receiver after "
			       "%.0f us idle or more)\n", "", "", "", c1, FIT_DEEP_WAKE_AFTER_US);
		}
		if (r->has_head)
			printf("%-16s %-10s %3s head_share %.3f ± %.3f (of the stage's samples before "
			       "the hook where a rule drops there: a dropped packet pays that share)\n",
			       "", "", "", r->head_share, r->head_share_se);
	}
	bool cold = false;

	for (int st = 0; st < STAGE_COUNT; st++)
		cold = cold || (res->stage[st].fitted && res->stage[st].identifiable[COEF_COLD]);
	if (o->cold_mode != FIT_COLD_AUTO && !fit_cold_onset_applies(d))
		printf("note: --cold-onset is for threaded steps with the NAPI kthread's CPU time "
		       "(napi_thread_ns); %s has none, so it changes nothing\n", o->in);
	if (cold && d->cold_mode == FIT_COLD_FIXED && fit_cold_onset_applies(d))
		printf("cold onset (threaded steps): a poll's first packet pays cold_ns from %.0f us "
		       "without a poll (--cold-onset; docs/fit.md, \"Cold polls after a halt\")\n",
		       res->cold_from_us);
	if (res->cold_from_chosen && cold) {
		int k = (int)lround(res->cold_from_us / FIT_COLD_FROM_STEP_US);

		printf("cold onset (threaded steps): a poll's first packet pays cold_ns from %.0f us "
		       "without a poll; least squares over 0-%.0f us, chi² of the stages with a cold "
		       "term %.4g there, %.4g at 0 (docs/fit.md, \"Cold polls after a halt\")\n",
		       res->cold_from_us, FIT_COLD_FROM_MAX_US, res->cold_from_chi2[k],
		       res->cold_from_chi2[0]);
		if (o->verbose) {
			printf("  onset us:chi²");
			for (int j = 0; j < FIT_COLD_FROM_N; j++)
				printf(" %.0f:%.4g", j * FIT_COLD_FROM_STEP_US, res->cold_from_chi2[j]);
			printf("\n");
		}
	}
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_drop *dr = &res->drop[st];

		if (!dr->files)
			continue;
		if (!dr->fitted) {
			printf("%-16s %-10s %3s drop_ns - (no step of the --drops files to fit it "
			       "from: none dropped a packet, every one was left out as slowed, or "
			       "one step with relative weights; %s)\n", stage_table[st].name, "", "",
			       dr->source);
			continue;
		}
		printf("%-16s %-10s %3d drop_ns %s%.4g ± %.2g (per packet a rule drops there, "
		       "beyond the costs above at the steps' counts; of the ± %.2g from their "
		       "errors; chi2/dof %.3g; %s)\n", stage_table[st].name, "", dr->n,
		       dr->at_zero ? "0 (held; negative) " : "", dr->at_zero ? 0 : dr->ns, dr->se,
		       dr->se_base, dr->dof > 0 ? dr->chi2 / dr->dof : 0.0, dr->source);
	}
	{
		bool remote = false, warn = false;

		for (int i = 0; i < d->nsteps; i++)
			remote |= d->step[i].remote;
		for (int st = 0; st < STAGE_COUNT; st++)
			warn |= res->drop[st].files && fit_remote_stage(st) &&
				!res->stage[st].identifiable[COEF_REMOTE];
		if (remote && warn)
			printf("note: the baseline's steps read their buffers on another CPU and none "
			       "on the receive path's, so that cost is inside per_packet; a dropped "
			       "packet, which no application reads, does not pay it, and drop_ns comes "
			       "out that much lower (held at 0 below it). Measure the baseline in both "
			       "placements (docs/fit.md, \"A drop's own work\")\n");
	}
	for (int st = 0; st < STAGE_COUNT; st++)
		if (res->stage[st].fitted)
			print_stage(d, st, &res->stage[st], o->verbose);
	{
		struct fit_idle_exit ie;

		struct fit_sender fs;

		fit_idle_exit(d, &ie);
		if (ie.shallow || ie.deep)
			printf("\n");
		put_idle_exit(stdout, "", "  ", &ie);
		fit_sender(d, res->stage[STAGE_CS].fitted ? res->stage[STAGE_CS].coef[COEF_CALL] : 0,
			   &fs);
		if (fs.steps)
			printf("\n");
		put_sender(stdout, "", "  ", &fs);
	}
	{
		double ref[CANARY_ROLES];
		int n = fit_canary_reference(d, ref);

		if (n)
			printf("\nspeed canary (median of %d steps, ns per iteration; provenance, for "
			       "rxcalibrate validate's at-speed lines): receive path %.2f, application "
			       "%.2f, sender %.2f\n", n, ref[0], ref[1], ref[2]);
	}
	if (fit_write_calibration(o->out, o->name ? o->name : "measured", d, res, err,
				  sizeof(err))) {
		fprintf(stderr, "rxcalibrate fit: %s\n", err);
		goto out;
	}
	printf("\nwrote %s (read back with calibration_load: ok)\n", o->out);
	ret = 0;
out:
	free(d);
	free(res);
	return ret;
}
