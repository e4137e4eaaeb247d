#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "config.h"
#include "fit.h"
#include "sim.h"
#include "units.h"
#include "validate.h"

static const char usage_validate[] =
	"Usage: rxcalibrate validate --measured FILE --calibration FILE [options]\n"
	"Compare the model's prediction with live measurements, per stage and in total.\n"
	"Measure first at rates the fit did not use (rxcalibrate run --rates ... --out FILE);\n"
	"each step is simulated at the rate the sender achieved, with the step's payload size.\n\n"
	"  --measured FILE     measurements.csv of the held-out rates\n"
	"  --calibration FILE  the calibration to test (from rxcalibrate fit)\n"
	"  --config FILE       scenario describing the testbed (default: configs/testbed.cfg or\n"
	"                      configs/testbed-threaded.cfg after the steps' NAPI mode)\n"
	"  --out FILE          comparison CSV (default validation.csv), written atomically\n"
	"  --duration TIME     simulated time per step (default 1s)\n"
	"  --seed N            simulation seed (default 1)\n\n"
	"Examples:\n"
	"  rxcalibrate run --rates 150M,450M --napi threaded --out heldout.csv\n"
	"  rxcalibrate validate --measured heldout.csv --calibration configs/calibration-testbed.cfg\n";

struct row {
	int step;
	double rate_bps;
	const char *stage;
	double measured, predicted, se;
};

static double pct(double pred, double meas)
{
	return meas > 0 ? 100 * (pred - meas) / meas : NAN;
}

static int write_rows(const char *path, const struct row *rows, int n, char *err, size_t len)
{
	struct afile a;
	int ret = afile_open(&a, path);

	if (ret) {
		snprintf(err, len, "--out %s: %s", path, strerror(-ret));
		return ret;
	}
	fprintf(a.f, "step,rate_bps,stage,measured_ns_per_s,predicted_ns_per_s,predicted_se_ns_per_s,"
		     "error_pct\n");
	for (int i = 0; i < n; i++)
		fprintf(a.f, "%d,%.6g,%s,%.6g,%.6g,%.6g,%.4g\n", rows[i].step, rows[i].rate_bps,
			rows[i].stage, rows[i].measured, rows[i].predicted, rows[i].se,
			pct(rows[i].predicted, rows[i].measured));
	ret = afile_commit(&a);
	if (ret)
		snprintf(err, len, "--out %s: %s", path, strerror(-ret));
	return ret;
}

int validate_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "measured", required_argument, NULL, 'm' },
		{ "calibration", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *measured = NULL, *cal = NULL, *config = NULL, *out = "validation.csv";
	uint64_t duration = 1000000000ull, seed = 1;
	struct fit_data *d = NULL;
	struct row *rows = NULL;
	char err[ERR_LEN];
	int opt, nrows = 0, ret = 1;
	double tot_m = 0, tot_p = 0, tot_se2 = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			measured = optarg;
			break;
		case 'C':
			cal = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			if (parse_duration_ns(optarg, &duration, 0)) {
				fprintf(stderr, "rxcalibrate validate: --duration %s: not a duration\n",
					optarg);
				return 2;
			}
			break;
		case 'S': {
			char *end;

			seed = strtoull(optarg, &end, 10);
			if (!*optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "rxcalibrate validate: --seed %s: not a number\n", optarg);
				return 2;
			}
			break;
		}
		case 'h':
			fputs(usage_validate, stdout);
			return 0;
		default:
			fputs(usage_validate, stderr);
			return 2;
		}
	}
	if (optind < argc || !measured || !cal) {
		fprintf(stderr, "rxcalibrate validate: %s\n",
			optind < argc ? "unexpected argument" :
					"--measured FILE and --calibration FILE are required (--help)");
		return 2;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "rxcalibrate validate: out of memory\n");
		return 1;
	}
	if (fit_read_csv(measured, d, err, sizeof(err))) {
		fprintf(stderr, "rxcalibrate validate: %s\n", err);
		goto out;
	}
	rows = calloc((size_t)d->nsteps * (STAGE_COUNT + 1), sizeof(*rows));
	if (!rows)
		goto out;
	printf("%-5s %10s %-16s %14s %14s %12s %9s\n", "step", "rate", "stage", "measured ns/s",
	       "predicted", "± se", "error %");
	for (int i = 0; i < d->nsteps; i++) {
		const struct fit_step *st = &d->step[i];
		struct model_config c;
		struct sim_results *r = calloc(1, sizeof(*r));
		const char *cfgpath = config ? config :
				      !strcmp(st->napi_mode, "threaded") ? "configs/testbed-threaded.cfg" :
									     "configs/testbed.cfg";
		double m_sum = 0, p_sum = 0, se2 = 0;
		char rate[32];

		if (!r)
			goto out;
		config_defaults(&c);
		if (config_load(&c, cfgpath, cal, err, sizeof(err)) ||
		    config_validate(&c, err, sizeof(err))) {
			fprintf(stderr, "rxcalibrate validate: %s\n", err);
			free(r);
			goto out;
		}
		c.bw_bps = st->offered_bps > 0 ? st->offered_bps : st->rate_requested_bps;
		c.pps = 0;
		c.nsizes = 1;
		c.size[0] = (uint32_t)(st->payload_bytes + FIT_FRAME_OVERHEAD);
		c.size_weight[0] = 1;
		c.duration_ns = duration;
		c.seed = seed;
		if (sim_simulate(&c, r, err, sizeof(err))) {
			fprintf(stderr, "rxcalibrate validate: step %d: %s\n", st->step, err);
			free(r);
			goto out;
		}
		format_si(c.bw_bps, rate, sizeof(rate));
		for (int s = 0; s < STAGE_COUNT; s++) {
			struct row *w;

			if (!d->present[s] || !strcmp(d->method[s], "none") || st->duration_s <= 0)
				continue;
			w = &rows[nrows++];
			w->step = st->step;
			w->rate_bps = c.bw_bps;
			w->stage = stage_name(s);
			w->measured = d->obs[s][i].cpu_ns / st->duration_s;
			w->predicted = r->stage[s].cpu_ns_per_s;
			w->se = r->stage[s].cpu_se_ns_per_s;
			printf("%-5d %9sb %-16s %14.0f %14.0f %12.0f %9.1f\n", w->step, rate, w->stage,
			       w->measured, w->predicted, w->se, pct(w->predicted, w->measured));
			if (s != STAGE_APP && s != STAGE_CS) {
				m_sum += w->measured;
				p_sum += w->predicted;
				se2 += w->se * w->se;
			}
		}
		rows[nrows] = (struct row){ st->step, c.bw_bps, "receive_total", m_sum, p_sum,
					    sqrt(se2) };
		printf("%-5d %9sb %-16s %14.0f %14.0f %12.0f %9.1f\n\n", st->step, rate,
		       "receive total", m_sum, p_sum, sqrt(se2), pct(p_sum, m_sum));
		nrows++;
		tot_m += m_sum;
		tot_p += p_sum;
		tot_se2 += se2;
		free(r);
	}
	printf("all steps: receive-path CPU measured %.0f ns/s, predicted %.0f ± %.0f ns/s, error "
	       "%.1f %%\n",
	       tot_m, tot_p, sqrt(tot_se2), pct(tot_p, tot_m));
	if (write_rows(out, rows, nrows, err, sizeof(err))) {
		fprintf(stderr, "rxcalibrate validate: %s\n", err);
		goto out;
	}
	printf("wrote %s\n", out);
	ret = 0;
out:
	free(rows);
	free(d);
	return ret;
}
