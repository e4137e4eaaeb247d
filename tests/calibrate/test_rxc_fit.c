/* rxcalibrate fit: round trip from known unit costs, non-negativity, cross-validation on exact
 * data, bad input. Synthetic measurements are written with meas_csv_write() (the writer
 * `rxcalibrate run` uses) and read back by fit_read_csv(), so the CSV path is exercised too.
 *
 * Noise model (the one docs/fit.md assumes for perf_event stages): a stage's cpu_ns in a step is
 * samples × q with q ns per sample and a Poisson sample count, so cpu_ns has standard deviation
 * q·sqrt(samples). The fit's standard errors then cover the truth like a normal variable: the
 * bound 3.29 SE is the two-sided 99.9 % quantile of N(0,1). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "config.h"
#include "csv.h"
#include "fit.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rxc_fit_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* True unit costs, ns (per call, per packet, per frame byte). */
struct truth {
	double c[STAGE_COUNT][COEF_COUNT];
};

static void default_truth(struct truth *t)
{
	memset(t, 0, sizeof(*t));
	t->c[STAGE_POLL][COEF_CALL] = 1200;
	t->c[STAGE_POLL][COEF_PACKET] = 60;
	t->c[STAGE_IP][COEF_PACKET] = 170;
	t->c[STAGE_APP][COEF_CALL] = 600;
	t->c[STAGE_APP][COEF_BYTE] = 0.05;
}

#define Q_NS 1e5	/* ns per sample: 10 kHz sampling */
#define NRATES 6

/* The columns every synthetic softirq-mode row shares: step @step at @rate (@pps, @dur s,
 * @pk datagrams received, @polls polls, @payload bytes), stage @st, measured or not. */
static void step_row(struct meas_row *m, int step, double rate, double pps, double dur,
		     uint64_t pk, uint64_t polls, int payload, int st, bool measured)
{
	m->step = step;
	m->rate_requested_bps = m->offered_bps = m->received_bps = rate;
	m->offered_pps = m->received_pps = pps;
	m->received_packets = m->udp_indatagrams = pk;
	m->duration_s = dur;
	m->napi_mode = "softirq";
	m->rx_cpu = 1;		/* the testbed's: the application on CPU 1, NET_RX on the sender's 0 */
	m->napi_cpu = 0;
	m->payload_bytes = payload;
	m->stage = stage_table[st].name;
	m->unit = stage_unit_name(stage_table[st].unit);
	m->polls = polls;
	m->method = measured ? "perf_event" : "none";
}

/* A sampled stage time: @tru ns at Q_NS per sample, with the counting noise of its samples
 * drawn from @rng (none if NULL), never below 0. */
static void sampled(struct meas_row *m, double tru, gsl_rng *rng)
{
	m->samples = (uint64_t)fmax(1, llround(tru / Q_NS));
	m->cpu_ns = tru;
	if (rng)
		m->cpu_ns += gsl_ran_gaussian(rng, Q_NS * sqrt(m->samples));
	m->cpu_ns = fmax(0, m->cpu_ns);
	m->cpu_ns_raw = m->cpu_ns;
}

/* Steps: NRATES rates × @nsizes payload sizes. Per step polls = packets / (1 + pps/20000), the
 * batching of a NAPI poll growing with the rate, so calls and packets are not proportional.
 * poll, ip: calls = polls; app: one recvmsg per packet (calls = packets). Other stages: none. */
static void gen(const char *path, const struct truth *t, int nsteps_max, int nsizes,
		gsl_rng *rng)
{
	static const int sizes[2] = { 64, 1472 };
	static const double rates[NRATES] = { 100e6, 200e6, 300e6, 400e6, 500e6, 600e6 };
	struct meas_row *rows = calloc(NRATES * 2 * STAGE_COUNT, sizeof(*rows));
	size_t n = 0;
	int step = 0;

	assert_non_null(rows);
	for (int z = 0; z < nsizes; z++)
		for (int k = 0; k < NRATES && step < nsteps_max; k++) {
			double pps = rates[k] / (sizes[z] * 8.0), dur = 2;
			uint64_t pk = (uint64_t)llround(pps * dur);
			uint64_t polls = (uint64_t)llround(pk / (1 + pps / 20000));

			step++;
			for (int st = 0; st < STAGE_COUNT; st++) {
				struct meas_row *r = &rows[n++];
				bool measured = st == STAGE_POLL || st == STAGE_IP || st == STAGE_APP;
				double tru;

				step_row(r, step, rates[k], pps, dur, pk, polls, sizes[z], st, measured);
				if (!measured)
					continue;
				r->calls = st == STAGE_APP ? pk : polls;
				r->packets = pk;
				tru = t->c[st][COEF_CALL] * r->calls + t->c[st][COEF_PACKET] * pk +
				      t->c[st][COEF_BYTE] * pk * (sizes[z] + FIT_FRAME_OVERHEAD);
				sampled(r, tru, rng);
			}
		}
	assert_int_equal(meas_csv_write(path, rows, n), 0);
	free(rows);
}

static struct fit_data *data_of(const char *path)
{
	struct fit_data *d = calloc(1, sizeof(*d));
	char err[512];

	assert_non_null(d);
	if (fit_read_csv(path, d, err, sizeof(err)))
		fail_msg("fit_read_csv: %s", err);
	return d;
}

static const char *const cname[COEF_COUNT] = { "per_call", "per_packet", "per_byte",
						"deep_wake" };

/* Round trip: 12 steps (6 rates × 64 and 1472 B), noise as in the header comment. */
static void test_round_trip(void **state)
{
	struct truth t;
	struct fit_result *res = calloc(1, sizeof(*res));
	struct calibration *cal = calloc(1, sizeof(*cal));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	char csv[128], out[128], err[512];
	struct fit_data *d;
	struct fit_opts o = { 0 };

	(void)state;
	assert_non_null(res);
	assert_non_null(cal);
	gsl_rng_set(rng, 20261124);
	default_truth(&t);
	snprintf(csv, sizeof(csv), "%s/rt.csv", dir);
	snprintf(out, sizeof(out), "%s/rt.cfg", dir);
	gen(csv, &t, 99, 2, rng);
	d = data_of(csv);
	assert_int_equal(d->nsteps, 12);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);

	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];
		bool measured = st == STAGE_POLL || st == STAGE_IP || st == STAGE_APP;

		assert_int_equal(r->fitted, measured);
		if (!measured) {
			for (int j = 0; j < COEF_COUNT; j++)
				assert_true(r->coef[j] == 0 && r->se[j] == 0);
			continue;
		}
		assert_true(r->absolute_weights);
		for (int j = 0; j < COEF_COUNT; j++) {
			double tru = t.c[st][j], est = r->coef[j], se = r->se[j];

			if (!r->identifiable[j])
				continue;
			print_message("  %-5s %-10s truth %8.4g  fit %10.5g ± %.3g  (%+.2f SE)%s\n",
				      stage_table[st].name, cname[j], tru, est, se,
				      se > 0 ? (est - tru) / se : 0.0, r->at_zero[j] ? " held at 0" : "");
			assert_true(est >= 0);
			assert_true(se > 0);
			assert_true(fabs(est - tru) <= 3.29 * se);
			if (tru > 0) {
				/* sane: the noise gives relative errors of order 1 %, never 25 % */
				assert_true(se < 0.25 * tru);
				assert_true(se > 1e-5 * tru);
			}
		}
		assert_true(r->r2 > 0.99);
		assert_true(r->dof > 0);
	}
	/* identifiability: app has calls = packets (one coefficient, per_call) and two sizes */
	assert_true(res->stage[STAGE_APP].identifiable[COEF_CALL]);
	assert_false(res->stage[STAGE_APP].identifiable[COEF_PACKET]);
	assert_true(res->stage[STAGE_APP].identifiable[COEF_BYTE]);
	assert_true(res->stage[STAGE_POLL].identifiable[COEF_CALL]);
	assert_true(res->stage[STAGE_POLL].identifiable[COEF_PACKET]);

	/* the command writes a file the simulator's loader reads with the same numbers */
	o.in = csv;
	o.out = out;
	o.name = "roundtrip";
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	assert_string_equal(cal->name, "roundtrip");
	assert_true(fabs(cal->stage[STAGE_POLL].per_call_ns - res->stage[STAGE_POLL].coef[0]) <
		    1e-6 * res->stage[STAGE_POLL].coef[0]);
	assert_true(fabs(cal->stage[STAGE_APP].per_byte_se - res->stage[STAGE_APP].se[2]) <
		    1e-6 * res->stage[STAGE_APP].se[2]);
	assert_true(cal->stage[STAGE_CS].present && cal->stage[STAGE_CS].per_call_ns == 0);
	assert_non_null(strstr(cal->stage[STAGE_CS].source, "not measured"));
	free(d);
	free(res);
	free(cal);
	gsl_rng_free(rng);
}

/* A true zero cost with noise: about half the unconstrained estimates are negative; the fit
 * must hold them at 0 (ip per_call and per_byte are 0 in the truth). 20 seeds: the chance that
 * none of 40 zero coefficients comes out negative unconstrained is ~1e-12, so the constrained
 * path is certainly exercised. */
static void test_nonnegative(void **state)
{
	struct truth t;
	struct fit_result *res = calloc(1, sizeof(*res));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	char csv[128], err[512];
	int constrained = 0;

	(void)state;
	default_truth(&t);
	snprintf(csv, sizeof(csv), "%s/nn.csv", dir);
	for (int seed = 1; seed <= 20; seed++) {
		struct fit_data *d;
		const struct fit_stage_result *r;

		gsl_rng_set(rng, seed);
		gen(csv, &t, 99, 2, rng);
		d = data_of(csv);
		assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
		r = &res->stage[STAGE_IP];
		constrained += r->constrained;
		for (int j = 0; j < COEF_COUNT; j++) {
			/* transport only; cold needs the NET_RX time, which gen() leaves out; remote
			 * needs steps with the application on the receive path's CPU */
			if (j == COEF_DEEP || j == COEF_WAKE || j == COEF_WAKE_IDLE || j == COEF_COLD ||
			    j == COEF_REMOTE) {
				assert_false(j == COEF_REMOTE && r->identifiable[j]);
				continue;
			}
			assert_true(r->coef[j] >= 0);
			assert_true(r->se[j] > 0);
			if (r->at_zero[j])
				assert_true(r->coef[j] == 0);
		}
		assert_true(fabs(r->coef[COEF_PACKET] - 170) <= 3.29 * r->se[COEF_PACKET]);
		free(d);
	}
	print_message("  ip: unconstrained optimum infeasible in %d of 20 data sets\n", constrained);
	assert_true(constrained > 0);
	free(res);
	gsl_rng_free(rng);
}

/* Noiseless data: every fit is exact, so the leave-one-rate-out predictions are exact too; the
 * only error left is the CSV's rounding of cpu_ns to whole ns (relative < 1e-7 here). */
static void test_cv_noiseless(void **state)
{
	struct truth t;
	struct fit_result *res = calloc(1, sizeof(*res));
	char csv[128], err[512];
	struct fit_data *d;

	(void)state;
	default_truth(&t);
	snprintf(csv, sizeof(csv), "%s/exact.csv", dir);
	gen(csv, &t, 99, 2, NULL);
	d = data_of(csv);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	for (int st = 0; st < STAGE_COUNT; st++) {
		const struct fit_stage_result *r = &res->stage[st];

		if (!r->fitted)
			continue;
		print_message("  %-5s LOO-CV RMS %.2e over %d steps, R² %.12f\n",
			      stage_table[st].name, r->cv_rms, r->cv_n, r->r2);
		assert_int_equal(r->cv_n, 6); /* rates: each of the 6 has both payload sizes */
		assert_true(r->cv_rms < 1e-6);
		assert_true(r->r2 > 1 - 1e-9);
		for (int j = 0; j < COEF_COUNT; j++)
			assert_true(fabs(r->coef[j] - t.c[st][j]) <= 1e-6 * fmax(t.c[st][j], 1));
	}
	free(d);
	free(res);
}

/* One payload size: per_byte is not identifiable and is dropped with a reason. */
static void test_one_size_drops_per_byte(void **state)
{
	struct truth t;
	struct fit_result *res = calloc(1, sizeof(*res));
	char csv[128], err[512];
	struct fit_data *d;

	(void)state;
	default_truth(&t);
	t.c[STAGE_APP][COEF_BYTE] = 0;
	snprintf(csv, sizeof(csv), "%s/onesize.csv", dir);
	gen(csv, &t, 99, 1, NULL);
	d = data_of(csv);
	assert_int_equal(d->nsteps, NRATES);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	for (int st = 0; st < STAGE_COUNT; st++) {
		if (!res->stage[st].fitted)
			continue;
		assert_false(res->stage[st].identifiable[COEF_BYTE]);
		assert_non_null(strstr(res->stage[st].note, "per_byte not identifiable"));
	}
	assert_true(fabs(res->stage[STAGE_POLL].coef[COEF_CALL] - 1200) < 1e-3);
	free(d);
	free(res);
}

/* One frame per poll with a rare poll of two (softirq NAPI on the testbed): calls and packets
 * are proportional to 1 %, so the fit keeps one coefficient, the cost of a frame. */
static void test_proportional_columns(void **state)
{
	struct truth t;
	struct fit_result *res = calloc(1, sizeof(*res));
	char csv[128], err[512];
	struct fit_data *d;
	const struct fit_stage_result *r;

	(void)state;
	default_truth(&t);
	t.c[STAGE_APP][COEF_BYTE] = 0;
	snprintf(csv, sizeof(csv), "%s/prop.csv", dir);
	gen(csv, &t, 99, 1, NULL);
	d = data_of(csv);
	for (int k = 0; k < d->nsteps; k++) {
		struct fit_obs *o = &d->obs[STAGE_POLL][k];

		o->calls = o->packets - (k == 2 ? 1 : 0);
		o->cpu_ns = 1200 * o->calls + 60 * o->packets;
	}
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	r = &res->stage[STAGE_POLL];
	assert_true(r->identifiable[COEF_PACKET]);
	assert_false(r->identifiable[COEF_CALL]);
	assert_non_null(strstr(r->note, "packets per call in every step"));
	/* 1260 ns per frame, to the one missing call in ~10^5 */
	assert_true(fabs(r->coef[COEF_PACKET] - 1260) < 0.1);
	/* the error the samples allow (about 1 % here), not the 1e7 ns of a near-singular pair */
	assert_true(isfinite(r->se[COEF_PACKET]) && r->se[COEF_PACKET] > 0 &&
		    r->se[COEF_PACKET] < 0.05 * 1260);
	free(d);
	free(res);
}

/* ---- bad input: a clear error, no calibration written ---------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, n, f), n);
	fclose(f);
	return s;
}

static void spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

/* Removes column @col (0-based) from every line. */
static char *drop_column(const char *s, int col)
{
	char *o = calloc(1, strlen(s) + 1), *w = o;
	int c = 0;
	bool first = true;	/* the next field written is the first of its line */

	assert_non_null(o);
	for (const char *f = s; *f;) {
		size_t n = strcspn(f, ",\n");

		if (c != col) {
			if (!first)
				*w++ = ',';
			memcpy(w, f, n);
			w += n;
			first = false;
		}
		f += n;
		if (*f == ',') {
			c++;
			f++;
		} else if (*f == '\n') {
			*w++ = '\n';
			c = 0;
			first = true;
			f++;
		}
	}
	return o;
}

/* Runs the command on @csv_text, expects exit 1, no output file and @want in the message. */
static void expect_bad(const char *name, const char *csv_text, const char *want)
{
	char csv[128], out[128], err[512];
	struct fit_data *d = calloc(1, sizeof(*d));
	struct fit_result *res = calloc(1, sizeof(*res));
	struct fit_opts o = { 0 };
	int r;

	snprintf(csv, sizeof(csv), "%s/%s.csv", dir, name);
	snprintf(out, sizeof(out), "%s/%s.cfg", dir, name);
	spit(csv, csv_text);
	err[0] = 0;
	r = fit_read_csv(csv, d, err, sizeof(err));
	if (!r)
		r = fit_all(d, res, err, sizeof(err));
	print_message("  %-10s -> %s\n", name, err);
	assert_true(r < 0);
	if (!strstr(err, want))
		fail_msg("'%s' not in '%s'", want, err);
	assert_non_null(strstr(err, csv));	/* names the file */
	o.in = csv;
	o.out = out;
	o.name = "bad";
	assert_int_equal(fit_main(&o), 1);
	assert_int_equal(access(out, F_OK), -1);
	free(d);
	free(res);
}

static void test_bad_input(void **state)
{
	struct truth t;
	char csv[128], *good, *s, *p;

	(void)state;
	default_truth(&t);
	snprintf(csv, sizeof(csv), "%s/good.csv", dir);
	gen(csv, &t, 99, 2, NULL);
	good = slurp(csv);

	/* cpu_ns is column 16 (index 15), samples 21 (index 20) */
	s = drop_column(good, 15);
	expect_bad("nocpu", s, "missing column cpu_ns");
	p = drop_column(s, 19);
	expect_bad("nocpu2", p, "missing columns cpu_ns, samples");
	free(s);
	free(p);

	/* NaN on data line 3 (file line 4), column cpu_ns */
	s = strdup(good);
	p = s;
	for (int i = 0; i < 3; i++)
		p = strchr(p, '\n') + 1;
	{
		char *f = p;

		for (int c = 0; c < 15; c++)
			f = strchr(f, ',') + 1;
		memcpy(f, "nan", 3);
		memmove(f + 3, strchr(f, ','), strlen(strchr(f, ',')) + 1);
	}
	expect_bad("nan", s, ":4: column 'cpu_ns': 'nan' is not a finite non-negative number");
	free(s);

	/* a negative count */
	s = strdup(good);
	p = strstr(s, ",ip,perf_event,poll,");
	assert_non_null(p);
	p += strlen(",ip,perf_event,poll,");
	*p = '-';
	expect_bad("negative", s, "column 'calls'");
	free(s);

	/* a stage this vocabulary does not have */
	s = strdup(good);
	p = strstr(s, ",ip,perf_event,");
	memcpy(p, ",iq,", 4);
	expect_bad("stage", s, "unknown stage 'iq' (measurements from another stage set?");
	free(s);

	/* two rate steps: poll fits per_call and per_packet and needs three */
	free(good);
	gen(csv, &t, 2, 1, NULL);
	good = slurp(csv);
	expect_bad("tworates", good, "needs at least 3 rate steps");
	free(good);

	/* missing file, empty file */
	expect_bad("empty", "", "empty file");
	{
		struct fit_opts o = { .in = "/nonexistent/m.csv", .out = "/tmp/never.cfg" };

		assert_int_equal(fit_main(&o), 1);
		assert_int_equal(access("/tmp/never.cfg", F_OK), -1);
	}
}

/* The receiver's side of softirq-mode steps for the wake-up fits: 1472 B at @rates, 2 s each,
 * transport and app measured with sampling noise. The receiver wakes once per packet, or once
 * per two above @halve_above bps (the sender's bursts), one recvmmsg per wake-up; its CPU time
 * is @rx_ns_per_pkt per packet, or @rx_share of the window if > 0, and a wake-up is deep when
 * the mean idle gap per wake-up reaches the halt-polling window. Truth: transport @pkt_ns per
 * packet + @wake_ns per wake-up + @deep_ns per deep wake-up, app @app_ns per call. */
struct wake_truth {
	double pkt_ns, wake_ns, deep_ns, app_ns;
	double idle_ns;	/* per wake-up x min(1, idle gap / FIT_WAKE_IDLE_US) */
	double halve_above, rx_ns_per_pkt, rx_share;
};

static void write_wake_steps(const char *csv, const double *rates, int nr,
			     const struct wake_truth *t, gsl_rng *rng)
{
	struct meas_row *rows = calloc((size_t)nr * STAGE_COUNT, sizeof(*rows));
	size_t n = 0;

	assert_non_null(rows);
	for (int k = 0; k < nr; k++) {
		double pps = rates[k] / (1472 * 8.0), dur = 2;
		uint64_t pk = (uint64_t)llround(pps * dur);
		uint64_t wakes = t->halve_above > 0 && rates[k] > t->halve_above ? pk / 2 : pk;
		double rx = t->rx_share > 0 ? t->rx_share * dur * 1e9 : t->rx_ns_per_pkt * pk;
		double gap = (dur * 1e9 - rx) / wakes;
		bool deep = gap >= FIT_DEEP_WAKE_AFTER_US * 1e3;

		for (int st = 0; st < STAGE_COUNT; st++) {
			struct meas_row *m = &rows[n++];
			bool measured = st == STAGE_TRANSPORT || st == STAGE_APP;
			double tru = st == STAGE_TRANSPORT ?
					     t->pkt_ns * pk + t->wake_ns * wakes +
						     t->idle_ns * wakes *
							     fmin(1, gap / (FIT_WAKE_IDLE_US * 1e3)) +
						     (deep ? t->deep_ns * wakes : 0) :
					     t->app_ns * wakes;

			step_row(m, k + 1, rates[k], pps, dur, pk, pk, 1472, st, measured);
			m->rx_thread_ns = rx;
			if (!measured)
				continue;
			m->calls = st == STAGE_APP ? wakes : pk;
			m->packets = pk;
			sampled(m, tru, rng);
		}
	}
	assert_int_equal(meas_csv_write(csv, rows, n), 0);
	free(rows);
}

/* Fits @csv, checks that transport's coefficient @j and its per-packet cost match @truth and
 * @pkt_ns within 3.29 SE, writes the calibration to @out and returns it loaded (to be freed). */
static struct calibration *fit_wakes(const char *csv, const char *out, int j, double truth,
				     double pkt_ns, struct fit_data **dp, struct fit_result *res)
{
	struct calibration *cal = calloc(1, sizeof(*cal));
	struct fit_opts o = { .in = csv, .out = out, .name = "wakes" };
	const struct fit_stage_result *r;
	char err[512];

	assert_non_null(cal);
	*dp = data_of(csv);
	assert_int_equal(fit_all(*dp, res, err, sizeof(err)), 0);
	r = &res->stage[STAGE_TRANSPORT];
	assert_true(r->identifiable[j]);
	assert_false(res->stage[STAGE_APP].identifiable[j]);
	print_message("  transport %s truth %.0f fit %.6g ± %.3g; per packet truth %.0f fit %.6g "
		      "± %.3g\n", j == COEF_DEEP ? "deep_wake" : j == COEF_WAKE ? "per_wake" : "wake_idle",
		      truth, r->coef[j],
		      r->se[j], pkt_ns, r->coef[COEF_CALL] + r->coef[COEF_PACKET],
		      r->se[COEF_CALL] + r->se[COEF_PACKET]);
	assert_true(fabs(r->coef[j] - truth) <= 3.29 * r->se[j]);
	assert_true(fabs(r->coef[COEF_CALL] + r->coef[COEF_PACKET] - pkt_ns) <=
		    3.29 * (r->se[COEF_CALL] + r->se[COEF_PACKET]));
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	return cal;
}

/* One wake-up fit: writes @name.csv from @t at @rates (seed @seed), fits it with fit_wakes()
 * (coefficient @j, truth @truth) into @name.cfg; the caller checks and calls wake_run_free(). */
struct wake_run {
	struct fit_result *res;
	struct fit_data *d;
	struct calibration *cal;
	gsl_rng *rng;
};

static void wake_run(struct wake_run *w, const char *name, unsigned long seed,
		     const double *rates, int nr, const struct wake_truth *t, int j, double truth)
{
	char csv[128], out[128];

	w->res = calloc(1, sizeof(*w->res));
	w->rng = gsl_rng_alloc(gsl_rng_mt19937);
	assert_non_null(w->res);
	gsl_rng_set(w->rng, seed);
	snprintf(csv, sizeof(csv), "%s/%s.csv", dir, name);
	snprintf(out, sizeof(out), "%s/%s.cfg", dir, name);
	write_wake_steps(csv, rates, nr, t, w->rng);
	w->cal = fit_wakes(csv, out, j, truth, t->pkt_ns, &w->d, w->res);
}

static void wake_run_free(struct wake_run *w)
{
	free(w->d);
	free(w->res);
	free(w->cal);
	gsl_rng_free(w->rng);
}

/* Deep wake-ups (fit.h, docs/fit.md): softirq steps at 20..400 Mbit/s of 1472 B, every packet
 * one recvmmsg call that sleeps, the receiver busy 5 us per call. The mean idle gap per call,
 * (window - receiver CPU) / calls, is 583 and 231 us at 20 and 50 Mbit/s (>= 200 us: deep) and
 * at most 113 us above. Truth: transport = 1000 ns per packet + 25 us per deep wake-up, with
 * sampling noise; the fit must find both within 3.29 SE, and write deep_wake_ns. */
static void test_deep_wakes(void **state)
{
	static const double rates[] = { 20e6, 50e6, 100e6, 200e6, 400e6, 20e6, 50e6, 100e6 };
	const struct wake_truth t = { .pkt_ns = 1000, .deep_ns = 25000, .app_ns = 600,
				      .rx_ns_per_pkt = 5000 };
	struct wake_run w;

	(void)state;
	wake_run(&w, "deep", 4, rates, sizeof(rates) / sizeof(rates[0]), &t, COEF_DEEP, 25000);
	assert_true(w.d->step[0].deep_wakes > 0 && w.d->step[1].deep_wakes > 0);
	assert_true(w.d->step[2].deep_wakes == 0 && w.d->step[4].deep_wakes == 0);
	assert_true(fabs(w.cal->stage[STAGE_TRANSPORT].deep_wake_ns -
			 w.res->stage[STAGE_TRANSPORT].coef[COEF_DEEP]) <
		    1e-6 * w.res->stage[STAGE_TRANSPORT].coef[COEF_DEEP]);
	assert_true(w.cal->stage[STAGE_TRANSPORT].deep_wake_after_us == FIT_DEEP_WAKE_AFTER_US);
	wake_run_free(&w);
}

/* Ordinary wake-ups (fit.h, docs/fit.md): softirq steps at 50..600 Mbit/s of 1472 B where the
 * receiver drains the socket once per packet up to 200 Mbit/s and once per two packets above
 * (the sender's bursts), busy enough that no idle gap reaches the halt-polling window. Truth:
 * transport = 1000 ns per packet + 4000 ns per wake-up (its recv calls), with sampling noise;
 * the fit must find both within 3.29 SE and write per_wake_ns, which the loader reads back. */
static void test_wakes(void **state)
{
	static const double rates[] = { 50e6, 100e6, 200e6, 300e6, 400e6, 600e6, 150e6, 500e6 };
	const struct wake_truth t = { .pkt_ns = 1000, .wake_ns = 4000, .app_ns = 2500,
				      .halve_above = 250e6, .rx_share = 0.9 };
	struct wake_run w;

	(void)state;
	wake_run(&w, "wakes", 5, rates, sizeof(rates) / sizeof(rates[0]), &t, COEF_WAKE, 4000);
	assert_true(w.d->step[0].wakes > 0 && w.d->step[0].deep_wakes == 0);
	assert_false(w.res->stage[STAGE_TRANSPORT].identifiable[COEF_DEEP]);
	assert_true(fabs(w.cal->stage[STAGE_TRANSPORT].per_wake_ns -
			 w.res->stage[STAGE_TRANSPORT].coef[COEF_WAKE]) <
		    1e-6 * w.res->stage[STAGE_TRANSPORT].coef[COEF_WAKE]);
	wake_run_free(&w);
}

/* Wake-ups after idle (fit.h FIT_WAKE_IDLE_US, docs/fit.md): softirq steps at 100..600 Mbit/s
 * where the receiver, busy 5 us per call, wakes once per packet up to 250 Mbit/s and once per
 * two above, so its idle gap per wake-up spans 29-113 us (none deep). Truth: transport = 1000
 * ns per packet + 1000 ns per wake-up + 3000 ns x min(1, gap / 100 us) per wake-up; the fit must
 * find the idle term within 3.29 SE and write wake_idle_ns with its ramp, read back alike. */
static void test_wake_idle(void **state)
{
	static const double rates[] = { 100e6, 150e6, 200e6, 250e6, 300e6, 400e6, 500e6, 600e6 };
	const struct wake_truth t = { .pkt_ns = 1000, .wake_ns = 1000, .idle_ns = 3000,
				      .app_ns = 2500, .halve_above = 250e6, .rx_ns_per_pkt = 5000 };
	const struct fit_stage_result *r;
	struct wake_run w;

	(void)state;
	wake_run(&w, "idle", 6, rates, sizeof(rates) / sizeof(rates[0]), &t, COEF_WAKE_IDLE, 3000);
	r = &w.res->stage[STAGE_TRANSPORT];
	assert_true(fabs(r->coef[COEF_WAKE] - 1000) <= 3.29 * r->se[COEF_WAKE]);
	assert_false(r->identifiable[COEF_DEEP]);
	assert_true(fabs(w.cal->stage[STAGE_TRANSPORT].wake_idle_ns - r->coef[COEF_WAKE_IDLE]) <
		    1e-6 * r->coef[COEF_WAKE_IDLE]);
	assert_true(w.cal->stage[STAGE_TRANSPORT].wake_idle_after_us == FIT_WAKE_IDLE_US);
	wake_run_free(&w);
}

/* Cold polls (fit.h FIT_COLD_US, docs/fit.md "Cold polls"): softirq steps at 50..600 Mbit/s of
 * 1472 B, one packet per poll, NET_RX busy 8 us per packet, so the mean gap between polls spans
 * 11-227 us. Truth: ip = 400 ns per packet + 300 ns x min(1, gap / 100 us) per poll, sampled
 * with noise. The fit must find both within 3.29 SE and write cold_ns with its ramp, which the
 * loader reads back; a stage after the socket (transport) gets no cold term. */
static void test_cold(void **state)
{
	static const double rates[] = { 50e6, 100e6, 150e6, 200e6, 300e6, 400e6, 500e6, 600e6 };
	const int nr = sizeof(rates) / sizeof(rates[0]);
	struct meas_row *rows = calloc((size_t)nr * STAGE_COUNT, sizeof(*rows));
	char tmp[] = "/tmp/rxc_cold.XXXXXX", csv[64], out[64], err[512];
	struct fit_opts o = { .in = csv, .out = out, .name = "cold" };
	struct calibration *cal = calloc(1, sizeof(*cal));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	const struct fit_stage_result *r;
	struct fit_result *res = calloc(1, sizeof(*res));
	struct fit_data *d;
	size_t n = 0;

	(void)state;
	assert_non_null(rows);
	assert_non_null(cal);
	assert_non_null(res);
	assert_non_null(mkdtemp(tmp));
	snprintf(csv, sizeof(csv), "%s/m.csv", tmp);
	snprintf(out, sizeof(out), "%s/c.cfg", tmp);
	gsl_rng_set(rng, 7);
	for (int k = 0; k < nr; k++) {
		double pps = rates[k] / (1472 * 8.0), dur = 2;
		uint64_t pk = (uint64_t)llround(pps * dur);
		double busy = 8000.0 * pk, gap = (dur * 1e9 - busy) / pk;

		for (int st = 0; st < STAGE_COUNT; st++) {
			struct meas_row *m = &rows[n++];
			bool measured = st == STAGE_IP || st == STAGE_TRANSPORT;
			double tru = st == STAGE_IP ? 400.0 * pk +
							      300.0 * pk * fmin(1, gap / (FIT_COLD_US * 1e3))
						    : 2000.0 * pk;

			step_row(m, k + 1, rates[k], pps, dur, pk, pk, 1472, st, measured);
			m->net_rx_softirq_ns = busy;
			if (!measured)
				continue;
			m->calls = pk;
			m->packets = pk;
			sampled(m, tru, rng);
		}
	}
	assert_int_equal(meas_csv_write(csv, rows, n), 0);
	d = data_of(csv);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	r = &res->stage[STAGE_IP];
	print_message("  ip cold truth 300 fit %.6g ± %.3g; per packet truth 400 fit %.6g ± %.3g\n",
		      r->coef[COEF_COLD], r->se[COEF_COLD], r->coef[COEF_PACKET], r->se[COEF_PACKET]);
	assert_true(r->identifiable[COEF_COLD]);
	assert_true(fabs(r->coef[COEF_COLD] - 300) <= 3.29 * r->se[COEF_COLD]);
	assert_true(fabs(r->coef[COEF_PACKET] - 400) <= 3.29 * r->se[COEF_PACKET]);
	assert_true(r->se[COEF_COLD] < 100);
	assert_false(res->stage[STAGE_TRANSPORT].identifiable[COEF_COLD]);
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	assert_true(fabs(cal->stage[STAGE_IP].cold_ns - r->coef[COEF_COLD]) < 1e-6 * 300);
	assert_true(cal->stage[STAGE_IP].cold_after_us == FIT_COLD_US);
	assert_true(cal->stage[STAGE_TRANSPORT].cold_ns == 0);
	unlink(csv);
	unlink(out);
	rmdir(tmp);
	gsl_rng_free(rng);
	free(d);
	free(res);
	free(cal);
	free(rows);
}

/* The rates of the cold onset tests and the frames per threaded poll at each (the testbed's
 * paced bursts: one frame a poll up to 200 Mbit/s, two at 300 and 400, three at 600). */
static const double onset_rates[] = { 50e6, 75e6, 100e6, 125e6, 150e6, 200e6, 300e6, 400e6, 600e6 };
static const int onset_per_poll[] = { 1, 1, 1, 1, 1, 1, 2, 2, 3 };
#define ONSET_NR ((int)(sizeof(onset_rates) / sizeof(onset_rates[0])))

/* Appends at @rows + *@n the rows of step @step at onset_rates[@k], 10 s: a threaded step (the
 * NAPI kthread beside the application, onset_per_poll frames a poll) or a softirq one (one
 * frame a poll), its polling CPU busy 8 us per frame; poll measured, 2000 ns per poll, 500 per
 * packet and 3000 cold from a ramp starting at 80 us (threaded) or 0; with @transport also
 * transport, 1500 per packet and 1000 cold. */
static void onset_step(struct meas_row *rows, size_t *n, int step, int k, bool threaded,
		       bool transport, gsl_rng *rng)
{
	double pps = onset_rates[k] / (1472 * 8.0), dur = 10;
	uint64_t pk = (uint64_t)llround(pps * dur), polls = threaded ? pk / onset_per_poll[k] : pk;
	double busy = 8000.0 * pk, gap = (dur * 1e9 - busy) / polls;
	double ramp = fmin(1, fmax(0, gap - (threaded ? 80e3 : 0)) / (FIT_COLD_US * 1e3));

	for (int st = 0; st < STAGE_COUNT; st++) {
		struct meas_row *m = &rows[(*n)++];
		bool measured = st == STAGE_POLL || (transport && st == STAGE_TRANSPORT);

		step_row(m, step, onset_rates[k], pps, dur, pk, polls, 1472, st, measured);
		if (threaded) {
			m->napi_mode = "threaded";
			m->napi_cpu = 1;	/* the kthread beside the application */
			m->napi_thread_ns = busy;
		} else {
			m->net_rx_softirq_ns = busy;
		}
		if (!measured)
			continue;
		m->calls = polls;
		m->packets = pk;
		sampled(m, st == STAGE_POLL ? 2000.0 * polls + 500.0 * pk + 3000.0 * polls * ramp
					    : 1500.0 * pk + 1000.0 * polls * ramp,
			rng);
	}
}

/* The cold ramp's onset in threaded steps (docs/fit.md "Cold polls after a halt"): the NAPI
 * kthread's polls at 50..600 Mbit/s, one frame per poll up to 200 Mbit/s, two at 300 and 400,
 * three at 600 (the testbed's paced bursts), its CPU busy 8 us per frame, so the gaps run from
 * 35 to 228 us. Truth: poll 2000 ns per poll, 500 per packet and 3000 cold; transport 1500 per
 * packet and 1000 cold; the ramp from 80 us over FIT_COLD_US. The fit must choose the onset
 * within two grid steps of 80 us, recover both cold costs within 3.29 standard errors, and
 * write cold_from_us, which the loader reads back. */
static void test_cold_onset(void **state)
{
	const int reps = 2;
	struct meas_row *rows = calloc((size_t)ONSET_NR * reps * STAGE_COUNT, sizeof(*rows));
	char tmp[] = "/tmp/rxc_onset.XXXXXX", csv[64], out[64], err[512];
	struct fit_opts o = { .in = csv, .out = out, .name = "onset" };
	struct calibration *cal = calloc(1, sizeof(*cal));
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct fit_result *res = calloc(1, sizeof(*res));
	const struct fit_stage_result *rp, *rt;
	struct fit_data *d;
	size_t n = 0;

	(void)state;
	assert_non_null(rows);
	assert_non_null(cal);
	assert_non_null(res);
	assert_non_null(mkdtemp(tmp));
	snprintf(csv, sizeof(csv), "%s/m.csv", tmp);
	snprintf(out, sizeof(out), "%s/c.cfg", tmp);
	gsl_rng_set(rng, 11);
	for (int k = 0; k < ONSET_NR * reps; k++)
		onset_step(rows, &n, k + 1, k % ONSET_NR, true, true, rng);
	assert_int_equal(meas_csv_write(csv, rows, n), 0);
	d = data_of(csv);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	rp = &res->stage[STAGE_POLL];
	rt = &res->stage[STAGE_TRANSPORT];
	print_message("  onset truth 80 us fit %.0f us; poll cold truth 3000 fit %.6g ± %.3g; "
		      "transport cold truth 1000 fit %.6g ± %.3g\n", res->cold_from_us,
		      rp->coef[COEF_COLD], rp->se[COEF_COLD], rt->coef[COEF_COLD],
		      rt->se[COEF_COLD]);
	assert_true(res->cold_from_chosen);
	assert_true(fabs(res->cold_from_us - 80) <= 2 * FIT_COLD_FROM_STEP_US);
	assert_true(res->cold_from_chi2[16] < res->cold_from_chi2[0]);
	assert_true(rp->identifiable[COEF_COLD] && rt->identifiable[COEF_COLD]);
	assert_true(fabs(rp->coef[COEF_COLD] - 3000) <= 3.29 * rp->se[COEF_COLD]);
	assert_true(fabs(rt->coef[COEF_COLD] - 1000) <= 3.29 * rt->se[COEF_COLD]);
	assert_true(fabs(rp->coef[COEF_CALL] - 2000) <= 3.29 * rp->se[COEF_CALL]);
	assert_true(rp->se[COEF_COLD] < 1000);
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	assert_true(cal->stage[STAGE_POLL].cold_from_us == res->cold_from_us);
	assert_true(cal->stage[STAGE_TRANSPORT].cold_from_us == res->cold_from_us);
	assert_true(fabs(cal->stage[STAGE_TRANSPORT].cold_ns - rt->coef[COEF_COLD]) < 1e-6 * 1000);
	/* --cold-onset 80: that onset, the same costs as the chosen one where it chose 80 */
	o.cold_mode = FIT_COLD_FIXED;
	o.cold_onset_us = 80;
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	assert_true(cal->stage[STAGE_POLL].cold_from_us == 80);
	assert_true(cal->stage[STAGE_POLL].cold_ns > 0);
	/* --cold-onset off: threaded steps without the term, as before it */
	o.cold_mode = FIT_COLD_OFF;
	assert_int_equal(fit_main(&o), 0);
	if (calibration_load(cal, out, err, sizeof(err)))
		fail_msg("calibration_load: %s", err);
	assert_true(cal->stage[STAGE_POLL].cold_ns == 0);
	assert_true(cal->stage[STAGE_POLL].cold_from_us == 0);
	assert_true(cal->stage[STAGE_TRANSPORT].cold_ns == 0);
	unlink(csv);
	unlink(out);
	rmdir(tmp);
	gsl_rng_free(rng);
	free(d);
	free(res);
	free(cal);
	free(rows);
}

/* A file with both modes (docs/fit.md "Cold polls after a halt"): test_cold_onset's threaded
 * steps and softirq steps at the same rates, NET_RX busy 8 us per frame, the sender's CPU
 * polling one frame at a time, whose poll pays the same 3000 ns cold from a ramp starting at 0.
 * The onset is the threaded steps' alone: found within two grid steps of 80 us, and poll's cold
 * cost within 3.29 standard errors of 3000 from both kinds of steps. */
static void test_cold_onset_mixed(void **state)
{
	struct meas_row *rows = calloc((size_t)ONSET_NR * 2 * STAGE_COUNT, sizeof(*rows));
	char csv[128], err[512];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct fit_result *res = calloc(1, sizeof(*res));
	const struct fit_stage_result *rp;
	struct fit_data *d;
	size_t n = 0;

	(void)state;
	assert_non_null(rows);
	assert_non_null(res);
	snprintf(csv, sizeof(csv), "%s/mixed.csv", dir);
	gsl_rng_set(rng, 13);
	for (int k = 0; k < ONSET_NR * 2; k++)
		onset_step(rows, &n, k + 1, k % ONSET_NR, k < ONSET_NR, false, rng);
	assert_int_equal(meas_csv_write(csv, rows, n), 0);
	d = data_of(csv);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	rp = &res->stage[STAGE_POLL];
	print_message("  mixed: onset truth 80 us fit %.0f us; poll cold truth 3000 fit %.6g "
		      "± %.3g\n", res->cold_from_us, rp->coef[COEF_COLD], rp->se[COEF_COLD]);
	assert_true(res->cold_from_chosen);
	assert_true(fabs(res->cold_from_us - 80) <= 2 * FIT_COLD_FROM_STEP_US);
	assert_true(fabs(rp->coef[COEF_COLD] - 3000) <= 3.29 * rp->se[COEF_COLD]);
	/* the softirq steps' cold polls ramp from 0 whatever the onset */
	for (int i = 0; i < d->nsteps; i++)
		if (!strcmp(d->step[i].napi_mode, "softirq"))
			assert_true(fabs(d->step[i].cold - fit_cold_polls(&d->step[i], 0)) < 1e-9);
	unlink(csv);
	gsl_rng_free(rng);
	free(d);
	free(res);
	free(rows);
}

/* The softirq stage's split (docs/fit.md "The softirq stage"): softirq steps at 50..600 Mbit/s
 * whose datagrams received are 1-9 % fewer than the NET_RX calls (socket drops), the truth 600 ns
 * per datagram and nothing per call, sampled with noise. Both columns are kept by the 5 % rule,
 * but their unconstrained split is not two standard errors from 0: the fit must drop per_call
 * and find the per-datagram cost within 3.29 SE. */
static void test_softirq_split(void **state)
{
	static const double rates[] = { 50e6, 100e6, 150e6, 200e6, 300e6, 400e6, 500e6, 600e6 };
	const int nr = sizeof(rates) / sizeof(rates[0]);
	struct meas_row *rows = calloc((size_t)nr * STAGE_COUNT, sizeof(*rows));
	char tmp[] = "/tmp/rxc_split.XXXXXX", csv[64], err[512];
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	struct fit_result *res = calloc(1, sizeof(*res));
	const struct fit_stage_result *r;
	struct fit_data *d;
	size_t n = 0;

	(void)state;
	assert_non_null(rows);
	assert_non_null(res);
	assert_non_null(mkdtemp(tmp));
	snprintf(csv, sizeof(csv), "%s/m.csv", tmp);
	gsl_rng_set(rng, 11);
	for (int k = 0; k < nr; k++) {
		double pps = rates[k] / (1472 * 8.0), dur = 2, drop = 0.01 * (1 + k);
		uint64_t pk = (uint64_t)llround(pps * dur), got = (uint64_t)llround(pk * (1 - drop));

		for (int st = 0; st < STAGE_COUNT; st++) {
			struct meas_row *m = &rows[n++];
			bool measured = st == STAGE_SOFTIRQ || st == STAGE_APP;
			double tru = st == STAGE_SOFTIRQ ? 600.0 * got : 2500.0 * got;

			step_row(m, k + 1, rates[k], pps, dur, got, pk, 1472, st, measured);
			if (!measured)
				continue;
			m->calls = st == STAGE_SOFTIRQ ? pk : got;
			m->packets = st == STAGE_SOFTIRQ ? 0 : got;
			sampled(m, tru, rng);
		}
	}
	assert_int_equal(meas_csv_write(csv, rows, n), 0);
	d = data_of(csv);
	assert_int_equal(fit_all(d, res, err, sizeof(err)), 0);
	r = &res->stage[STAGE_SOFTIRQ];
	print_message("  softirq per datagram truth 600 fit %.6g ± %.3g; note: %s\n",
		      r->coef[COEF_PACKET], r->se[COEF_PACKET], r->note);
	assert_false(r->identifiable[COEF_CALL]);
	assert_true(r->identifiable[COEF_PACKET]);
	assert_true(fabs(r->coef[COEF_PACKET] - 600) <= 3.29 * r->se[COEF_PACKET]);
	assert_non_null(strstr(r->note, "per_call dropped"));
	unlink(csv);
	rmdir(tmp);
	gsl_rng_free(rng);
	free(d);
	free(res);
	free(rows);
}

/* The idle-exit summary (fit.h, fit_idle_exit; docs/fit.md "Idle exits for the model"): app rows
 * of five 2 s steps. Softirq steps 1 and 2 are shallow (most of the receiver's wake-ups in slots
 * 12-13, under 32.8 us), step 3 deep (most in slot 16); threaded step 4 counts with its NAPI
 * kthread's wake-ups (shallow), not its receiver's; softirq step 5 has no histogram (left out).
 * Each step's mean halt before a wake-up is (2e9 ns - CPU of the threads on that CPU) /
 * wake-ups - mean latency: steps 1, 2, 3 and 4 give (2e9 - 1e8) / 20000 - 15000 = 80000 ns,
 * (2e9 - 2e8) / 15000 - 20000 = 100000 ns, (2e9 - 1e8) / 8000 - 90000 = 147500 ns and
 * (2e9 - 1e8 - 1e8) / 14000 - 12000 = 116571 ns. So the pooled histogram is the sum of steps
 * 1, 2 and 4's (the kthread's: 14000 wake-ups, 12600 + 1400), the deep latency 90 us, and
 * halt_poll_us the middle of 116.6 and 147.5 us, in the fit's report and in the calibration's
 * host group. */
static void test_idle_exit(void **state)
{
	static const char *const hist[5] = { "12:15000 13:4000 16:1000", "12:5000 13:9000 16:1000",
					     "13:500 16:7500", "11:9000", "" };
	static const char *const mode[5] = { "softirq", "softirq", "softirq", "threaded", "softirq" };
	static const double wakes[5] = { 20000, 15000, 8000, 9000, 7000 };
	static const double lat[5] = { 15000, 20000, 90000, 2000, 12000 };
	static const double rx_ns[5] = { 1e8, 2e8, 1e8, 1e8, 1e8 };
	struct meas_row rows[5];
	struct fit_data *d = calloc(1, sizeof(*d));
	struct fit_idle_exit ie;
	char csv[128], err[512];
	FILE *f;

	(void)state;
	assert_non_null(d);
	memset(rows, 0, sizeof(rows));
	for (int k = 0; k < 5; k++) {
		step_row(&rows[k], k + 1, 100e6 * (k + 1), 8500 * (k + 1), 2, 17000 * (k + 1),
			 17000 * (k + 1), 1472, STAGE_APP, true);
		rows[k].napi_mode = mode[k];
		if (!strcmp(mode[k], "threaded"))
			rows[k].napi_cpu = 1;	/* the kthread on the receiver's CPU */
		rows[k].calls = rows[k].packets;
		rows[k].cpu_ns = 1e7;
		rows[k].rx_wakeups = wakes[k];
		rows[k].rx_wake_latency_ns = lat[k];
		rows[k].rx_thread_ns = rx_ns[k];
		snprintf(rows[k].rx_wake_hist, sizeof(rows[k].rx_wake_hist), "%s", hist[k]);
	}
	rows[3].napi_thread_ns = 1e8;
	rows[3].napi_wakeups = 14000;
	rows[3].napi_wake_latency_ns = 12000;
	snprintf(rows[3].napi_wake_hist, sizeof(rows[3].napi_wake_hist), "12:12600 16:1400");
	snprintf(csv, sizeof(csv), "%s/idle.csv", dir);
	assert_int_equal(meas_csv_write(csv, rows, 5), 0);
	if (fit_read_csv(csv, d, err, sizeof(err)))
		fail_msg("fit_read_csv: %s", err);
	fit_idle_exit(d, &ie);
	assert_int_equal(ie.shallow, 3);
	assert_int_equal(ie.deep, 1);
	assert_true(ie.hist[12] == 32600 && ie.hist[13] == 13000 && ie.hist[16] == 3400 &&
		    ie.hist[11] == 0);
	assert_true(fabs(ie.deep_us - 90) < 1e-9);
	assert_true(fabs(ie.halt_shallow_us - (1.8e9 / 14000 - 12000) / 1e3) < 1e-9);
	assert_true(fabs(ie.halt_deep_us - 147.5) < 1e-9);

	/* a malformed histogram: the file and line */
	snprintf(rows[1].rx_wake_hist, sizeof(rows[1].rx_wake_hist), "12:5 40:1");
	assert_int_equal(meas_csv_write(csv, rows, 5), 0);
	assert_int_equal(fit_read_csv(csv, d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "idle.csv:3: column 'rx_wake_hist': '40:1'"));
	free(d);

	/* the report and the calibration's host group (fit_main fits the one app stage) */
	snprintf(rows[1].rx_wake_hist, sizeof(rows[1].rx_wake_hist), "%s", hist[1]);
	assert_int_equal(meas_csv_write(csv, rows, 5), 0);
	{
		char out[128], line[512];
		struct fit_opts o = { .in = csv, .out = out, .name = "idle" };
		int seen = 0;

		snprintf(out, sizeof(out), "%s/idle.cfg", dir);
		assert_int_equal(fit_main(&o), 0);
		f = fopen(out, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			seen += !!strstr(line, "    idle_exit_hist = \"12:32600 13:13000 16:3400\";");
			seen += !!strstr(line, "    idle_exit_deep_us = 90.0;");
			seen += !!strstr(line, "    halt_poll_us = 132.0;");
		}
		fclose(f);
		assert_int_equal(seen, 3);
		{
			struct calibration *cal = calloc(1, sizeof(*cal));

			assert_non_null(cal);
			assert_int_equal(calibration_load(cal, out, err, sizeof(err)), 0);
			assert_true(cal->host.present && cal->host.has_idle_exit_hist &&
				    cal->host.idle_exit_hist[12] == 32600 &&
				    cal->host.idle_exit_hist[16] == 3400);
			assert_true(cal->host.idle_exit_deep_us == 90.0 &&
				    cal->host.halt_poll_us == 132.0 && !cal->host.has_sender_cost);
			/* a deep step without its wake-up count: no deep latency to write, so
			 * neither idle_exit_deep_us nor halt_poll_us (comments), and the file
			 * still loads */
			rows[2].rx_wakeups = 0;
			assert_int_equal(meas_csv_write(csv, rows, 5), 0);
			assert_int_equal(fit_main(&o), 0);
			assert_int_equal(calibration_load(cal, out, err, sizeof(err)), 0);
			assert_true(cal->host.present && cal->host.has_idle_exit_hist &&
				    cal->host.idle_exit_deep_us == 0 && cal->host.halt_poll_us == 0);
			free(cal);
		}
	}
}

/* The built-in sender for the model (docs/fit.md, "The sender for the model"): three softirq
 * steps of 1, 2 and 3 frames per burst and a threaded one of 3, own CPU 20 us per burst and 2 us
 * per frame; in the softirq steps the sender's CPU time also holds their NET_RX time, which the
 * fit removes. Both costs come back exactly, less the two context switches of each sleep when
 * those cost something, and the lateness histograms are added up. */
static void test_sender(void **state)
{
	static const double pps[4] = { 17000, 34000, 51000, 25500 }, fpb[4] = { 1, 2, 3, 3 };
	static const char *const hist[4] = { "12:100 44:200", "44:50 46:10", "", "12:5" };
	static const char *const by[4] = { "12:100|||44:200", "|44:50||46:10", "", "12:5|||" };
	struct meas_row rows[4];
	struct fit_data *d = calloc(1, sizeof(*d));
	struct fit_sender fs;
	char csv[128], err[512];

	(void)state;
	assert_non_null(d);
	memset(rows, 0, sizeof(rows));
	for (int k = 0; k < 4; k++) {
		double frames = pps[k] * 2, bursts = frames / fpb[k];

		step_row(&rows[k], k + 1, 100e6 * (k + 1), pps[k], 2, (uint64_t)frames,
			 (uint64_t)frames, 1472, STAGE_APP, true);
		rows[k].napi_mode = k == 3 ? "threaded" : "softirq";
		rows[k].napi_cpu = k == 3 ? 1 : 0;	/* threaded: the kthread on the receiver's CPU */
		rows[k].calls = rows[k].packets = (uint64_t)frames;
		rows[k].cpu_ns = 1e7 * (k + 1);
		rows[k].net_rx_softirq_ns = k == 3 ? 0 : 3e7 * (k + 1);
		rows[k].tx_thread_ns = 20000 * bursts + 2000 * frames + rows[k].net_rx_softirq_ns;
		rows[k].tx_bursts = bursts;
		rows[k].tx_sleeps = bursts / 2;
		snprintf(rows[k].tx_wake_hist, sizeof(rows[k].tx_wake_hist), "%s", hist[k]);
		snprintf(rows[k].tx_wake_by_sleep, sizeof(rows[k].tx_wake_by_sleep), "%s", by[k]);
	}
	snprintf(csv, sizeof(csv), "%s/sender.csv", dir);
	assert_int_equal(meas_csv_write(csv, rows, 4), 0);
	if (fit_read_csv(csv, d, err, sizeof(err)))
		fail_msg("fit_read_csv: %s", err);
	fit_sender(d, 0, &fs);
	assert_int_equal(fs.steps, 4);
	assert_true(fabs(fs.call_ns - 20000) < 1e-6 && fabs(fs.frame_ns - 2000) < 1e-6);
	assert_true(fs.bursts == 34000 * 3 + 17000 && fs.sleeps == fs.bursts / 2);
	assert_true(fs.hist[6] == 105 && fs.hist[22] == 250 && fs.hist[23] == 10);
	assert_true(fs.by_sleep[0][6] == 105 && fs.by_sleep[1][22] == 50 &&
		    fs.by_sleep[3][22] == 200 && fs.by_sleep[3][23] == 10 && fs.by_sleep[2][22] == 0);
	/* 1 us per context switch: a sleep (every second burst) takes out 2 us, 1 us per burst */
	fit_sender(d, 1000, &fs);
	assert_true(fabs(fs.call_ns - 19000) < 1e-6 && fabs(fs.frame_ns - 2000) < 1e-6);
	assert_false(fs.from_send);
	/* with the time inside sendmmsg: 15 us per burst and 2 us per frame there, the rest of
	 * the CPU (5 us per burst, 10 us per sleep) outside it */
	for (int k = 0; k < 4; k++)
		rows[k].tx_send_ns = rows[k].tx_thread_ns - 5000 * rows[k].tx_bursts;
	assert_int_equal(meas_csv_write(csv, rows, 4), 0);
	if (fit_read_csv(csv, d, err, sizeof(err)))
		fail_msg("fit_read_csv: %s", err);
	fit_sender(d, 1000, &fs);
	assert_true(fs.from_send);
	assert_true(fabs(fs.call_ns - 15000) < 1e-6 && fabs(fs.frame_ns - 2000) < 1e-6);
	assert_true(fabs(fs.sleep_ns - 10000) < 1e-6);
	for (int k = 0; k < 4; k++)
		rows[k].tx_send_ns = 0;
	assert_int_equal(meas_csv_write(csv, rows, 4), 0);
	free(d);
	{
		char out[128], line[512];
		struct fit_opts o = { .in = csv, .out = out, .name = "sender" };
		int seen = 0;
		FILE *f;

		snprintf(out, sizeof(out), "%s/sender.cfg", dir);
		assert_int_equal(fit_main(&o), 0);
		f = fopen(out, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			seen += !!strstr(line, "    sender_call_us = 20.00;");
			seen += !!strstr(line, "and 2 x 0 ns (cs) per sleep");
			seen += !!strstr(line, "    sender_frame_us = 2.00;");
			seen += !!strstr(line, "    sender_wake_hist = \"12:105 44:250 46:10\";");
			seen += !!strstr(line, "    sender_wake_by_sleep = ( \"12:105\", \"44:50\", "
					       "\"\", \"44:200 46:10\" );");
		}
		fclose(f);
		assert_int_equal(seen, 5);
		{
			struct calibration *cal = calloc(1, sizeof(*cal));
			char e[512];

			assert_non_null(cal);
			assert_int_equal(calibration_load(cal, out, e, sizeof(e)), 0);
			assert_true(cal->host.present && cal->host.has_sender_cost &&
				    cal->host.sender_call_us == 20.0 && cal->host.sender_frame_us == 2.0);
			assert_true(cal->host.has_sender_wake_hist &&
				    cal->host.has_sender_wake_by_sleep[0] &&
				    !cal->host.has_sender_wake_by_sleep[2]);
			free(cal);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_nonnegative),
		cmocka_unit_test(test_cv_noiseless),
		cmocka_unit_test(test_one_size_drops_per_byte),
		cmocka_unit_test(test_proportional_columns),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_deep_wakes),
		cmocka_unit_test(test_wakes),
		cmocka_unit_test(test_wake_idle),
		cmocka_unit_test(test_cold),
		cmocka_unit_test(test_cold_onset),
		cmocka_unit_test(test_cold_onset_mixed),
		cmocka_unit_test(test_softirq_split),
		cmocka_unit_test(test_idle_exit),
		cmocka_unit_test(test_sender),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
